"""Tests of keras_msa.data_tools.labels and keras_msa.data_tools.folds."""

import csv
import json
import os

import numpy as np
import pytest

from keras_msa.data_tools import DataValidationError
from keras_msa.data_tools import MSADataset
from keras_msa.data_tools import MSASplit
from keras_msa.data_tools import folds as F
from keras_msa.data_tools import labels as L



# --------------------------------------------------------------------- sentiment classes
def test_binary_conventions():
    y = np.array([-1.0, 0.0, 0.5, -0.2])
    np.testing.assert_array_equal(L.binary_has_zero(y), [0, 1, 1, 0])  # zero counts positive
    labels, keep = L.binary_non_zero(y)
    np.testing.assert_array_equal(labels, [0, 0, 1, 0])
    np.testing.assert_array_equal(keep, [True, False, True, True])  # zero dropped
    np.testing.assert_array_equal(L.mosei_2way(y), [0, 0, 1, 0])  # ACL-17: zero negative
    np.testing.assert_array_equal(L.mosei_3way(y), [0, 2, 1, 0])  # zero = neutral class 2


def test_round_classes_numpy_rounding():
    y = np.array([2.5, -0.5, 3.6, -3.6, 0.5, 1.5, -2.5])
    # 7 classes: round(clip(y, -3, 3)) -> 2, -0, 3, -3, 0, 2, -2 ; + 3
    np.testing.assert_array_equal(L.round_classes(y, 7), [5, 3, 6, 0, 3, 5, 1])
    # unclipped: 3.6 -> 4 -> class 7 (outside 0..6), -3.6 -> -4 -> -1
    np.testing.assert_array_equal(L.round_classes(y, 7, clip=False), [5, 3, 7, -1, 3, 5, 1])
    # 5 classes: clip +-2 -> 2, -0.5, 2, -2, 0.5, 1.5, -2 -> round 2, -0, 2, -2, 0, 2, -2 ; + 2
    np.testing.assert_array_equal(L.round_classes(y, 5), [4, 2, 4, 0, 2, 4, 0])
    np.testing.assert_array_equal(L.sentiment_classes(y, "round7"), L.round_classes(y, 7))
    with pytest.raises(ValueError, match="odd"):
        L.round_classes(y, 6)


def test_binned_dmsa_mmmo_youtube():
    y = np.array([-2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    np.testing.assert_array_equal(L.mosei_7class_binned(y), [0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6])
    np.testing.assert_array_equal(L.dmsa_3class([-3, -1.01, -1, 0, 1, 1.01, 3]), [0, 0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(L.mmmo_binary([3.5, 3.51, 1.0, 5.0]), [0, 1, 0, 1])
    onehot = np.eye(3)[[2, 0, 1]]
    np.testing.assert_array_equal(L.youtube_argmax(onehot), [2, 0, 1])
    np.testing.assert_array_equal(L.sentiment_classes(onehot, "youtube"), [2, 0, 1])
    # shapes are kept: MulT labels (N, 1, 1) and context labels (N, T)
    assert L.mosei_3way(np.zeros((4, 1, 1))).shape == (4, 1, 1)
    assert L.dmsa_3class(np.zeros((2, 5))).shape == (2, 5)
    with pytest.raises(ValueError, match="convention"):
        L.sentiment_classes(y, "round3")


def test_onehot_and_reorder():
    np.testing.assert_array_equal(L.to_onehot([1, 0], 3), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        L.to_onehot([3], 3)
    sdk = np.array([[1, 2, 3, 4, 5, 6]])  # happy sad anger surprise disgust fear
    # IITP order anger disgust fear happy sad surprise
    np.testing.assert_array_equal(L.reorder_emotions(sdk), [[3, 5, 6, 1, 2, 4]])


def test_youtube_argmax_requires_one_hot_rows():
    np.testing.assert_array_equal(L.youtube_argmax(np.eye(3)[[2, 0, 1]]), [2, 0, 1])
    with pytest.raises(ValueError, match=r"exactly one 1 per row; 1 row\(s\).*index \[1\]: \[0\.0, 0\.0, 0\.0\]"):
        L.youtube_argmax(np.array([[1.0, 0, 0], [0, 0, 0]]))


def test_emotion_multihot_and_no_emotion():
    x = np.array([[0, 0, 0, 0, 0, 0], [0.3, 0, 4.5, 0, 0, 0], [0, 0, 0, 0, 0, 1.0]])
    np.testing.assert_array_equal(L.emotion_multihot(x), [[0] * 6, [1, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]])
    seven = L.emotion_multihot(x, no_emotion=True)
    np.testing.assert_array_equal(seven[:, 6], [1, 0, 0])
    assert L.clip_emotion_intensities(x).max() == 3.0
    # context data: padded utterances are all-zero, 7th column included (CIM seventhClass)
    ctx = np.zeros((1, 3, 6))
    ctx[0, 0, 2] = 1.0
    mask = np.array([[1, 1, 0]])
    out = L.emotion_multihot(ctx, no_emotion=True, mask=mask)
    np.testing.assert_array_equal(out[0], [[0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1], [0] * 7])
    with pytest.raises(ValueError, match="6 emotion columns"):
        L.emotion_multihot(np.zeros((2, 7)))
    with pytest.raises(ValueError, match=">= 0"):
        L.emotion_multihot(-np.ones((2, 6)))
    with pytest.raises(ValueError, match=r"`mask` must contain only 0 and 1.*\[0\.0, 0\.5, 2\.0\]"):
        L.emotion_multihot(ctx, mask=[[2, 0.5, 0]])
    with pytest.raises(ValueError, match=r"`mask` must have shape \(1, 3\).*found \(1, 2\)"):
        L.emotion_multihot(ctx, mask=[[1, 1]])


def test_check_label_range():
    L.check_label_range(np.array([-3.0, 0.0, 3.0]), -3, 3)
    with pytest.raises(DataValidationError, match=r"mosi\.h5: key 'y_test': expected labels in \[-3, 3\], "
                                                  r"found range \[-3, 3\.2\] \(1 value"):
        L.check_label_range([-3.0, 3.2], -3, 3, name="y_test", source="mosi.h5")
    # padded utterances are ignored with a mask
    L.check_label_range(np.array([[1.0, 99.0]]), -3, 3, mask=np.array([[1, 0]]))
    with pytest.raises(DataValidationError, match="finite"):
        L.check_label_range([np.nan, 1.0], -3, 3)
    with pytest.raises(ValueError, match=r"`mask` must have shape \(2, 3\).*found \(2, 2\)"):
        L.check_label_range(np.zeros((2, 3)), -3, 3, mask=np.ones((2, 2)))


# --------------------------------------------------------------------- normaliser
def _split(name, x, lengths, ids=None, padding="post"):
    n = x.shape[0]
    return MSASplit(
        name=name,
        features={"audio": x.astype("float32")},
        lengths={"audio": np.asarray(lengths)},
        labels={"sentiment": np.zeros(n, dtype="float32")},
        ids=np.array(ids if ids is not None else [f"v{i}" for i in range(n)]),
        padding=padding,
    )


def test_normalizer_standard_fits_train_real_steps_only():
    # train: two samples, T = 3, d = 1; real values 1, 3 and 5 (lengths 2, 1); padding zeros
    train = _split("train", np.array([[[1.0], [3.0], [0.0]], [[5.0], [0.0], [0.0]]]), [2, 1])
    # mean over real steps = 3, std = sqrt(((1-3)^2 + 0 + (5-3)^2) / 3) = sqrt(8/3)
    norm = L.FeatureNormalizer("standard").fit(train)
    np.testing.assert_allclose(norm.stats["audio"]["mean"], [3.0])
    np.testing.assert_allclose(norm.stats["audio"]["scale"], [np.sqrt(8 / 3)])
    test = _split("test", np.array([[[3.0 + np.sqrt(8 / 3)], [0.0], [0.0]]]), [1])
    out = norm.transform(test)
    assert isinstance(out, MSASplit) and out.features["audio"].dtype == np.float32
    np.testing.assert_allclose(out.features["audio"][0, :, 0], [1.0, 0.0, 0.0], atol=1e-6)  # padding stays 0
    # a dataset: every split with the train statistics
    ds = norm.transform(MSADataset("toy", {"train": train, "test": test}))
    np.testing.assert_allclose(ds.train.features["audio"][0, :, 0], np.array([-2, 0, 0]) / np.sqrt(8 / 3), atol=1e-6)
    # round trip of the state
    again = L.FeatureNormalizer.from_dict(json.loads(json.dumps(norm.to_dict())))
    np.testing.assert_allclose(again.transform(test).features["audio"], out.features["audio"])


def test_normalizer_max_abs_split_max_clip_and_arrays():
    x_train = np.array([[[2.0, -4.0], [1.0, 1.0]]])
    x_test = np.array([[[1.0, 8.0], [0.0, 0.0]]])
    mask = np.array([[1, 1]])
    norm = L.FeatureNormalizer("max_abs").fit({"vision": x_train}, mask={"vision": mask})
    # train max-abs per dim: 2, 4 ; the test's own values do not matter
    np.testing.assert_allclose(norm.transform({"vision": x_test})["vision"][0], [[0.5, 2.0], [0.0, 0.0]])
    # legacy CIA split_max: each split divided by its own global max (leaky)
    sm = L.FeatureNormalizer("split_max").fit(x_train)
    np.testing.assert_allclose(sm.transform(x_train)[0], x_train[0] / 2.0)
    np.testing.assert_allclose(sm.transform(x_test)[0], x_test[0] / 8.0)
    clip = L.FeatureNormalizer("clip", clip_value=255.0).fit(np.array([[300.0, -400.0, 3.0]]))
    np.testing.assert_allclose(clip.transform(np.array([[300.0, -400.0, 3.0]])), [[255.0, -255.0, 3.0]])
    with pytest.raises(ValueError, match="before fit"):
        L.FeatureNormalizer("standard").transform(x_test)
    with pytest.raises(ValueError, match="mode"):
        L.FeatureNormalizer("minmax")


def test_normalizer_robust_median_and_iqr_by_hand(shared_datasets):
    # column 0: [1, 2, 3, 4, 100] -> median 3, IQR 4 - 2 = 2, scale 2 / 1.349 = 1.4826 (the outlier moves neither)
    # column 1: [0, 0, 0, 0, 5] -> IQR 0: falls back to the std, 2; median 0.  column 2: constant -> scale 1
    x = np.array([[1, 0, 7], [2, 0, 7], [3, 0, 7], [4, 0, 7], [100, 5, 7]], dtype="float64")
    norm = L.FeatureNormalizer("robust").fit(x)
    np.testing.assert_allclose(norm.stats["x"]["mean"], [3.0, 0.0, 7.0])
    np.testing.assert_allclose(norm.stats["x"]["scale"], [2 / 1.3489795003921634, 2.0, 1.0])
    np.testing.assert_allclose(norm.transform(x)[:, 0], (x[:, 0] - 3) * 1.3489795003921634 / 2, rtol=1e-6)
    again = L.FeatureNormalizer.from_dict(json.loads(json.dumps(norm.to_dict())))
    np.testing.assert_array_equal(again.transform(x), norm.transform(x))
    # real ICT-MMMO audio column 7: five saturated -255 values flatten its z-scores (IQR 0.004 after
    # standard_tanh); the robust scale gives it the spread of the other columns
    import warnings

    from keras_msa.data_tools import read_mfn_h5

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = read_mfn_h5(shared_datasets / "mfn_h5", "mmmo", modalities=["audio"])
    real = data.train.features["audio"][data.train.step_mask("audio")]
    assert np.sum(real[:, 7] <= -254) == 5
    for mode, low, high in (("standard", 0.0, 0.02), ("robust", 1.2, 1.5)):
        z = L.FeatureNormalizer(mode).fit(data.train).transform(data.train).features["audio"]
        col = z[data.train.step_mask("audio")][:, 7]
        assert low < np.percentile(col, 75) - np.percentile(col, 25) < high, mode


def test_normalizer_zero_steps_missing_by_hand():
    # one video, T = 4, d = 2: real steps 0-2 (length 3), step 1 an all-zero vector (a missing
    # measurement), step 3 padding.  real: mean over steps 0-2 = [2, 4] / 3 ... ; missing: over 0 and 2
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 6.0], [0.0, 0.0]]])
    train = _split("train", x, [3])
    as_real = L.FeatureNormalizer("standard").fit(train)
    np.testing.assert_allclose(as_real.stats["audio"]["mean"], [4 / 3, 8 / 3])
    z = as_real.transform(train).features["audio"][0]
    np.testing.assert_allclose(z[1], -as_real.stats["audio"]["mean"] / as_real.stats["audio"]["scale"], rtol=1e-6)
    missing = L.FeatureNormalizer("standard", zero_steps="missing").fit(train)
    np.testing.assert_allclose(missing.stats["audio"]["mean"], [2.0, 4.0])  # (1 + 3) / 2, (2 + 6) / 2
    np.testing.assert_allclose(missing.stats["audio"]["scale"], [1.0, 2.0])
    z = missing.transform(train).features["audio"][0]
    np.testing.assert_allclose(z, [[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]], atol=1e-6)
    # the option survives to_dict / from_dict (preprocessing.json), and 2-D arrays follow it too
    again = L.FeatureNormalizer.from_dict(json.loads(json.dumps(missing.to_dict())))
    assert again.zero_steps == "missing"
    np.testing.assert_array_equal(again.transform(train).features["audio"], missing.transform(train).features["audio"])
    flat = L.FeatureNormalizer("standard", zero_steps="missing").fit(x[0, :3])
    np.testing.assert_allclose(flat.transform(x[0, :3]), z[:3], atol=1e-6)
    with pytest.raises(ValueError, match="`zero_steps` must be 'real' or 'missing'; found 'zero'"):
        L.FeatureNormalizer("standard", zero_steps="zero")


def test_normalizer_split_standard_and_unit_norm():
    # split_standard: each split z-scored with its own real steps; the train statistics play no part
    train = _split("train", np.array([[[1.0], [3.0], [0.0]], [[5.0], [0.0], [0.0]]]), [2, 1])
    test = _split("test", np.array([[[10.0], [20.0], [0.0]]]), [2])
    norm = L.FeatureNormalizer("split_standard").fit(train)
    assert norm.stats == {"audio": {}}
    out = norm.transform(MSADataset("toy", {"train": train, "test": test}))
    np.testing.assert_allclose(out.test.features["audio"][0, :, 0], [-1.0, 1.0, 0.0], atol=1e-6)  # mean 15, std 5
    np.testing.assert_allclose(out.train.features["audio"][:, 0, 0], np.array([-2.0, 2.0]) / np.sqrt(8 / 3),
                               atol=1e-6)
    # unit_norm: every real step divided by its L2 norm, padding and all-zero steps stay 0
    x = np.array([[[3.0, 4.0], [0.0, 0.0]], [[0.0, -2.0], [1.0, 0.0]]])
    y = L.FeatureNormalizer("unit_norm").fit(x).transform(x)
    np.testing.assert_allclose(y, [[[0.6, 0.8], [0.0, 0.0]], [[0.0, -1.0], [1.0, 0.0]]])
    with pytest.raises(ValueError, match="split_standard"):
        L.FeatureNormalizer("split_standard").fit(x).transform(x, mask=np.zeros((2, 2)))


def _replay_setup():
    """A synthetic context dataset normalised as the CIA recipes do (z-score on train, clip at 3, / 3)."""
    from keras_msa.data_tools.synthetic import make_synthetic

    data = make_synthetic("mosi_context", seed=0, sizes=(6, 2, 3))
    norm = L.FeatureNormalizer("standard").fit(data.train)
    used = norm.transform(data.test)  # what the recipe feeds the model (float32 after every step)
    used = {m: (np.clip(v, -3.0, 3.0) / 3.0).astype("float32") for m, v in used.features.items()}
    steps = json.loads(json.dumps([norm.to_dict(), {"mode": "clip_divide", "value": 3.0}]))
    return data.test, used, steps


def test_apply_preprocessing_reproduces_the_recipe_inputs_exactly_from_float64_features():
    raw, used, steps = _replay_setup()
    for dtype in ("float32", "float64"):  # raw features as float64 (the same values) give the same inputs
        served = L.apply_preprocessing(steps, {m: v.astype(dtype) for m, v in raw.features.items()},
                                       raw.utterance_mask)
        for m in used:
            assert served[m].dtype == np.float32
            np.testing.assert_array_equal(served[m], used[m])


def test_apply_preprocessing_refuses_unknown_keys_and_incomplete_mask_dicts():
    raw, _, steps = _replay_setup()
    features = dict(raw.features)
    # the model's input dict (utterance_mask included) must not be scaled as a feature (it was divided by 3)
    with pytest.raises(ValueError, match=r"'utterance_mask'.*expected.*\['audio', 'text', 'vision'\].*found"):
        L.apply_preprocessing(steps, dict(features, utterance_mask=raw.utterance_mask))
    with pytest.raises(ValueError, match=r"'Audio'.*expected.*\['audio', 'text', 'vision'\]"):
        L.apply_preprocessing(steps, dict({m: v for m, v in features.items() if m != "audio"},
                                          Audio=features["audio"]))
    with pytest.raises(ValueError, match=r"`mask`.*'audio'.*expected.*found \['text'\]"):
        L.apply_preprocessing(steps, features, {"text": raw.step_mask("text")})
    with pytest.raises(ValueError, match=r"text: fitted on \d+ features, found 7"):
        L.apply_preprocessing(steps, dict(features, text=features["text"][..., :7]))


def test_apply_preprocessing_refuses_non_finite_features_mismatched_samples_and_non_binary_masks():
    raw, _, steps = _replay_setup()
    features = dict(raw.features)
    nan_text = features["text"].copy()
    nan_text[0, -1, :2] = np.nan  # in a padded slot: it was normalised and passed on
    with pytest.raises(ValueError, match=r"key 'text': expected finite numbers, found 2 NaN / inf"):
        L.apply_preprocessing(steps, dict(features, text=nan_text), raw.utterance_mask)
    with pytest.raises(ValueError, match=r"same number of samples.*'audio': 2"):
        L.apply_preprocessing(steps, dict(features, audio=features["audio"][:2]))
    soft = raw.utterance_mask * 0.5  # was cast to booleans (0.5 -> real)
    with pytest.raises(ValueError, match=r"`mask of text` must contain only 0 and 1.*found values \[0.0, 0.5\]"):
        L.apply_preprocessing(steps, features, soft)
    with pytest.raises(ValueError, match=r"`mask of x` must contain only 0 and 1.*found values \[2\]"):
        L.FeatureNormalizer("standard").fit(np.ones((2, 3, 4)), mask=np.full((2, 3), 2))


# --------------------------------------------------------------------- folds
def test_real_mosi_and_mosei_folds(shared_datasets):
    FOLDS_DIR = os.path.join(shared_datasets, "folds")
    mosi = F.load_folds(os.path.join(FOLDS_DIR, "cmu_mosi_std_folds.json"))
    assert [len(mosi[k]) for k in ("train", "valid", "test")] == [52, 10, 31]
    assert mosi["meta"]["source_repo"] == "A2Zadeh/CMU-MultimodalSDK"
    mosei = F.load_folds(os.path.join(FOLDS_DIR, "cmu_mosei_std_folds.json"))
    assert [len(mosei[k]) for k in ("train", "valid", "test")] == [2249, 300, 678]
    index = os.path.join(shared_datasets, "mosi_bclstm", "mosi_utterance_index.csv")
    if not os.path.isfile(index):
        pytest.skip("mosi_utterance_index.csv not present")
    with open(index, newline="") as f:
        rows = list(csv.DictReader(f))
    ids = np.array([r["segment_id"] for r in rows])
    idx = F.fold_indices(ids, mosi)
    # SDK standard folds: 1284 / 229 / 686 segments, as the index file records
    assert {k: len(v) for k, v in idx.items()} == {"train": 1284, "valid": 229, "test": 686}
    for k, v in idx.items():
        assert all(rows[i]["sdk_std_split"] == k for i in v)


def _write(tmp_path, obj, name="folds.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


def test_malformed_folds(tmp_path):
    good = {"train": ["a", "b"], "valid": ["c"], "test": ["d"]}
    cases = [
        ({"train": ["a"], "valid": ["c"]}, r"key 'test': expected a list of video ids"),
        (dict(good, test=["a"]), r"key 'train/test': expected disjoint folds, found 1 video id"),
        (dict(good, train=["a", "a"]), r"key 'train': expected unique video ids"),
        (dict(good, valid=[]), r"key 'valid': expected a non-empty list"),
        (dict(good, test=[3]), r"key 'test': expected non-empty string video ids"),
        ("{not json", r"expected valid JSON"),
    ]
    for obj, pattern in cases:
        path = _write(tmp_path, obj)
        with pytest.raises(DataValidationError, match=pattern):
            F.load_folds(path)
    with pytest.raises(DataValidationError, match="no such file"):
        F.load_folds(str(tmp_path / "missing.json"))
    # valid may be absent (bc-LSTM style)
    assert "valid" not in F.load_folds(_write(tmp_path, {"train": ["a"], "test": ["b"]}))


def test_video_id_spellings():
    assert F.video_id_of("atnd_PF-Lbs_12") == "atnd_PF-Lbs"
    assert F.video_id_of("atnd_PF-Lbs") == "atnd_PF-Lbs"  # a bare video id with "_"
    assert F.video_id_of("abc$_$3") == "abc"  # MMSA
    assert F.video_id_of("abc[2]") == "abc"  # SDK aligned key
    assert F.video_id_of(b"abc_7") == "abc"  # MulT MOSI bytes
    assert F.video_id_of(np.array([b"vid_1", b"0.5", b"2.0"])) == "vid"  # MulT (video, start, end)
    assert F.video_id_of("x_12", known_videos={"x_12"}) == "x_12"
    assert F.video_id_of("zz_1", known_videos={"x"}) is None


def test_split_by_folds(tmp_path):
    ids = ["a_1", "b_1", "a_2", "c_1", "d_1", "b_2"]
    x = np.arange(6 * 2 * 1, dtype="float32").reshape(6, 2, 1) + 1.0
    split = _split("all", x, [2] * 6, ids=ids)
    path = _write(tmp_path, {"train": ["a", "b"], "valid": ["c"], "test": ["d"]})
    ds = F.split_by_folds(split, path, name="toy")
    assert list(ds.train.ids) == ["a_1", "b_1", "a_2", "b_2"]  # original order kept
    assert list(ds.valid.ids) == ["c_1"] and list(ds.test.ids) == ["d_1"]
    np.testing.assert_array_equal(ds.test.features["audio"], x[4:5])
    assert ds.info["folds"] == {"train": 4, "valid": 1, "test": 1}
    # an MSADataset is pooled first, then re-split
    pooled = MSADataset("toy", {"train": split.take([0, 1, 2]), "test": split.take([3, 4, 5])})
    ds2 = F.split_by_folds(pooled, F.load_folds(path))
    assert sorted(ds2.train.ids) == sorted(ds.train.ids)
    # an unknown video: error by default, dropped on request
    bad = _split("all", x, [2] * 6, ids=ids[:5] + ["e_1"])
    with pytest.raises(DataValidationError, match=r"1 sample\(s\) whose video is in no fold, e.g. 'e_1'"):
        F.split_by_folds(bad, path)
    assert len(F.split_by_folds(bad, path, on_unknown="drop").train) == 3
