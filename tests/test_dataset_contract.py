"""The in-memory data contract, synthetic data and batching helpers."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from keras_msa.data_tools import DataValidationError
from keras_msa.data_tools import MSADataset
from keras_msa.data_tools import MSASplit
from keras_msa.data_tools import carve_validation
from keras_msa.data_tools import detect_padding
from keras_msa.data_tools import lengths_from_padding
from keras_msa.data_tools.synthetic import SPECS
from keras_msa.data_tools.synthetic import make_synthetic
from keras_msa.data_tools.tfdata import EpochBatches
from keras_msa.data_tools.tfdata import count_samples
from keras_msa.data_tools.tfdata import to_tf_dataset


def _split(n=3, T=4, d=2, padding="pre", level="segment", **overrides):
    x = np.zeros((n, T, d), "float32")
    lengths = np.array([4, 2, 1][:n], "int32")
    for i, L in enumerate(lengths):
        if padding == "pre":
            x[i, T - L:] = i + 1
        else:
            x[i, :L] = i + 1
    labels = {"sentiment": np.array([-1.0, 0.0, 2.5][:n], "float32")}
    if level == "context":
        labels = {"sentiment": np.zeros((n, T), "float32")}
    kwargs = dict(name="train", features={"text": x}, lengths={"text": lengths}, labels=labels,
                  ids=np.array(["a", "b", "c"][:n]), padding=padding, level=level, source="mem.h5")
    kwargs.update(overrides)
    return MSASplit(**kwargs)


def test_step_mask_follows_the_padding_side():
    pre = _split(padding="pre")
    post = _split(padding="post")
    np.testing.assert_array_equal(pre.step_mask("text")[1], [False, False, True, True])
    np.testing.assert_array_equal(post.step_mask("text")[1], [True, True, False, False])
    assert pre.step_mask().sum() == 7


def test_repad_moves_the_real_steps():
    pre = _split(padding="pre")
    post = pre.repad("post")
    assert post.padding == "post"
    np.testing.assert_array_equal(post.features["text"][1, :, 0], [2, 2, 0, 0])
    np.testing.assert_array_equal(post.repad("pre").features["text"], pre.features["text"])


def test_repad_moves_the_utterance_ids_of_context_data():
    s = _split(padding="pre", level="context",
               utterance_ids=np.array([["a_1", "a_2", "a_3", "a_4"], ["", "", "b_1", "b_2"], ["", "", "", "c_1"]]))
    s.labels["sentiment"][1] = [0, 0, 1, 2]
    post = s.repad("post")
    assert post.utterance_ids[1].tolist() == ["b_1", "b_2", "", ""]
    assert post.utterance_ids[2].tolist() == ["c_1", "", "", ""]
    np.testing.assert_array_equal(post.labels["sentiment"][1], [1, 2, 0, 0])
    np.testing.assert_array_equal(post.step_mask(), post.utterance_ids != "")
    np.testing.assert_array_equal(post.repad("pre").utterance_ids, s.utterance_ids)


def test_lengths_and_padding_are_inferred_from_zero_steps():
    x = _split(padding="pre").features["text"]
    x[0, 1] = 0.0  # a zero step inside the sequence is not padding
    np.testing.assert_array_equal(lengths_from_padding(x, "pre"), [4, 2, 1])
    assert detect_padding(x) == "pre"
    assert detect_padding(_split(padding="post").features["text"]) == "post"


def test_to_inputs_take_and_select():
    s = _split()
    inputs = s.to_inputs(mask_name="utterance_mask")
    assert sorted(inputs) == ["text", "utterance_mask"]
    assert inputs["utterance_mask"].dtype == np.float32
    t = s.take([2, 0])
    assert list(t.ids) == ["c", "a"]
    np.testing.assert_array_equal(t.labels["sentiment"], [2.5, -1.0])
    with pytest.raises(DataValidationError, match="mem.h5: key 'audio'"):
        s.to_inputs(["audio"])


def test_model_inputs_pick_the_models_inputs_by_name():
    import keras

    s = make_synthetic("mosi_context", seed=0, sizes=(3, 2, 2))
    x = keras.Input((s.train.num_steps, s.train.feature_dims["text"]), name="text")
    mask = keras.Input((s.train.num_steps,), name="utterance_mask")
    model = keras.Model({"text": x, "utterance_mask": mask}, keras.layers.Dense(1)(x) * mask[..., None])
    inputs = s.train.model_inputs(model)  # audio and vision are in the split, not in the model: left out
    assert sorted(inputs) == ["text", "utterance_mask"]
    np.testing.assert_array_equal(inputs["utterance_mask"], s.train.utterance_mask)
    assert model.predict(inputs, verbose=0).shape == (3, s.train.num_steps, 1)
    with pytest.raises(DataValidationError, match="key 'text': expected a modality named as model"):
        s.train.select_modalities(["audio"]).model_inputs(model)
    wide = keras.Input((s.train.num_steps, 7), name="text")
    with pytest.raises(DataValidationError, match="key 'text': expected feature dimension 7 .* found"):
        s.train.model_inputs(keras.Model(wide, keras.layers.Dense(1)(wide)))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda k: k["features"]["text"].__setitem__((0, 0, 0), np.nan), "key 'train/text': expected finite values, found 1 non-finite (NaN at index (0, 0, 0))"),
        (lambda k: k["features"]["text"].__setitem__((0, 0, 0), -np.inf), "non-finite (inf"),
        (lambda k: k["features"].__setitem__("text", k["features"]["text"][:, :, 0]), "key 'train/text': expected a 3-D array (N, T, d), found shape (3, 4)"),
        (lambda k: k["features"].__setitem__("text", k["features"]["text"].astype("float64")), "expected dtype float32, found float64"),
        (lambda k: k["lengths"].__setitem__("text", np.array([5, 1, 1])), "key 'train/text_lengths': expected values in [0, 4], found range [1, 5]"),
        (lambda k: k["labels"].__setitem__("sentiment", np.array([0.0, 4.0, 1.0], "float32")), "expected sentiment values in [-3, 3], found range [0.000, 4.000]"),
        (lambda k: k["labels"].__setitem__("sentiment", np.zeros(2, "float32")), "expected 3 labels (one per sample), found 2"),
        (lambda k: k["features"].__setitem__("smell", k["features"]["text"]), "key 'train/smell': expected a modality name"),
        (lambda k: k.__setitem__("padding", "left"), "key 'padding': expected one of ('pre', 'post'), found 'left'"),
    ],
)
def test_malformed_splits_raise_one_clear_error(mutate, message):
    s = _split()
    kwargs = dict(name="train", features={"text": s.features["text"].copy()}, lengths={"text": s.lengths["text"].copy()},
                  labels={"sentiment": s.labels["sentiment"].copy()}, ids=s.ids, padding="pre", source="mem.h5")
    mutate(kwargs)
    with pytest.raises(DataValidationError) as info:
        MSASplit(**kwargs)
    assert str(info.value).startswith("mem.h5: key ")
    assert message in str(info.value)


def test_empty_video_is_rejected_for_context_data():
    s = _split(level="context", padding="post")
    lengths = s.lengths["text"].copy()
    lengths[1] = 0
    with pytest.raises(DataValidationError, match="at least one utterance per video, found empty video 'b'"):
        MSASplit("train", s.features, {"text": lengths}, s.labels, s.ids, padding="post", level="context",
                 source="mem.h5")


def test_dataset_requires_train_and_test_and_carves_validation():
    with pytest.raises(DataValidationError, match="at least 'train' and 'test'"):
        MSADataset("x", {"train": _split()})
    ds = make_synthetic("youtube", seed=0)
    ds = MSADataset(ds.name, {"train": ds.train, "test": ds.test}, ds.info)
    carved = carve_validation(ds, fraction=0.2, seed=1)
    assert len(carved.valid) == round(0.2 * 173) and len(carved.train) == 173 - len(carved.valid)
    assert not set(carved.valid.ids) & set(carved.train.ids)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_synthetic_shapes_follow_the_real_releases(name):
    spec = SPECS[name]
    ds = make_synthetic(name, seed=3, sizes=(8, 4, 4))
    assert [len(ds.splits[k]) for k in ("train", "valid", "test")] == [8, 4, 4]
    for m in ("text", "audio", "vision"):
        assert ds.train.features[m].shape == (8, spec.steps[m], spec.dims[m])
    assert ds.train.padding == spec.padding and ds.train.level == spec.level
    assert ds.info["synthetic"] is True


def test_synthetic_is_deterministic_and_seed_dependent():
    a = make_synthetic("mosi_mfn", seed=5, sizes=(16, 4, 4))
    b = make_synthetic("mosi_mfn", seed=5, sizes=(16, 4, 4))
    c = make_synthetic("mosi_mfn", seed=6, sizes=(16, 4, 4))
    np.testing.assert_array_equal(a.train.features["audio"], b.train.features["audio"])
    np.testing.assert_array_equal(a.test.labels["sentiment"], b.test.labels["sentiment"])
    assert not np.array_equal(a.train.features["audio"], c.train.features["audio"])


def _pooled(split, modalities):
    feats = []
    for m in modalities:
        mask = split.step_mask(m)[..., None]
        feats.append((split.features[m] * mask).sum(1) / np.maximum(mask.sum(1), 1))
    return np.concatenate(feats, -1)


def test_planted_signal_needs_more_than_one_modality():
    ds = make_synthetic("mosi", seed=0)
    y_train, y_test = ds.train.labels["sentiment"], ds.test.labels["sentiment"]
    corr = {}
    for mods in [("text",), ("audio",), ("vision",), ("text", "audio", "vision")]:
        model = Ridge(alpha=1.0).fit(_pooled(ds.train, mods), y_train)
        corr[mods] = np.corrcoef(model.predict(_pooled(ds.test, mods)), y_test)[0, 1]
    best_unimodal = max(corr[("text",)], corr[("audio",)], corr[("vision",)])
    assert best_unimodal < 0.65
    assert corr[("text", "audio", "vision")] > best_unimodal + 0.25
    # Broken features (shuffled against the labels) stay at chance.
    rng = np.random.default_rng(0)
    shuffled = _pooled(ds.train, ("text", "audio", "vision"))[rng.permutation(len(y_train))]
    broken = Ridge(alpha=1.0).fit(shuffled, y_train)
    assert abs(np.corrcoef(broken.predict(_pooled(ds.test, ("text", "audio", "vision"))), y_test)[0, 1]) < 0.2


@pytest.mark.parametrize("name", ["youtube", "mmmo"])
def test_synthetic_segment_data_has_the_mfn_release_shapes(name, shared_datasets):
    # the synthetic default of the segment recipes stands in for the MFN h5 release: same widths, steps, padding
    import warnings

    from keras_msa.data_tools import read_mfn_h5

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ICT-MMMO's front-padded samples (tested with the reader)
        real = read_mfn_h5(shared_datasets / "mfn_h5", name, modalities=["audio", "vision"])
    fake = make_synthetic(name, seed=0, sizes=(4, 2, 2))
    assert {m: fake.feature_dims[m] for m in ("audio", "vision")} == real.feature_dims == {"audio": 74, "vision": 36}
    assert fake.feature_dims["text"] == 300
    assert fake.train.num_steps == real.train.num_steps == 20
    assert fake.train.padding == real.train.padding == "post"


def test_synthetic_label_conventions():
    mmmo = make_synthetic("mmmo", seed=0)
    score = mmmo.train.labels["score"]
    assert score.min() >= 1.0 and score.max() <= 5.0 and np.all(score * 2 == np.round(score * 2))
    yt = make_synthetic("youtube", seed=0)
    np.testing.assert_array_equal(yt.train.labels["onehot"].argmax(-1), yt.train.labels["class"])
    assert set(np.unique(yt.train.labels["class"])) == {0, 1, 2}
    ctx = make_synthetic("mosei_context", seed=0, sizes=(4, 2, 2))
    mask = ctx.train.step_mask()
    assert ctx.train.labels["emotions"].shape == (4, 98, 6)
    assert np.all(ctx.train.labels["emotions"][~mask] == 0) and np.all(ctx.train.labels["sentiment"][~mask] == 0)
    assert np.all(ctx.train.utterance_ids[~mask] == "") and np.all(ctx.train.utterance_ids[mask] != "")


def test_epoch_batches_depend_only_on_seed_and_epoch():
    x = {"a": np.arange(10)[:, None].astype("float32")}
    y = np.arange(10).astype("float32")
    fresh = EpochBatches(x, y, batch_size=4, seed=7)
    orders = []
    for _ in range(3):
        orders.append(np.concatenate([fresh[i][1] for i in range(len(fresh))]))
        fresh.on_epoch_end()
    resumed = EpochBatches(x, y, batch_size=4, seed=7, start_epoch=2)
    np.testing.assert_array_equal(np.concatenate([resumed[i][1] for i in range(len(resumed))]), orders[2])
    assert not np.array_equal(orders[0], orders[1])
    assert sorted(orders[0]) == list(range(10))
    once = EpochBatches(x, y, batch_size=4, seed=7, shuffle="once", drop_remainder=True)
    assert len(once) == 2
    first = np.concatenate([once[i][1] for i in range(2)])
    once.on_epoch_end()
    np.testing.assert_array_equal(np.concatenate([once[i][1] for i in range(2)]), first)


def test_to_tf_dataset_batches_and_shuffles_with_a_seed():
    x = {"a": np.arange(10)[:, None].astype("float32")}
    y = np.arange(10).astype("float32")
    ds = to_tf_dataset(x, y, batch_size=4, shuffle=True, seed=3, drop_remainder=True)
    batches = [b for b in ds]
    assert len(batches) == 2 and tuple(batches[0][0]["a"].shape) == (4, 1)
    again = [b for b in to_tf_dataset(x, y, batch_size=4, shuffle=True, seed=3, drop_remainder=True)]
    np.testing.assert_array_equal(batches[0][1].numpy(), again[0][1].numpy())


def test_unaligned_modalities_have_their_own_step_masks():
    ds = make_synthetic("mosi_unaligned", seed=0, sizes=(4, 2, 2))
    s = ds.train
    assert s.step_mask("text").shape == (4, 50) and s.step_mask("audio").shape == (4, 375)
    np.testing.assert_array_equal(s.step_mask("vision").sum(1), s.lengths["vision"])
    with pytest.raises(ValueError, match="needs aligned modalities"):
        s.step_mask()
    back = s.repad("post").repad("pre")
    np.testing.assert_array_equal(back.features["audio"], s.features["audio"])


def test_label_ranges_and_extras_are_checked():
    s = _split()
    ok = MSASplit("train", s.features, s.lengths, {"score": np.array([1.0, 3.5, 5.0], "float32")}, s.ids,
                  padding="pre", source="y_train.h5", label_ranges={"score": (1.0, 5.0)},
                  extras={"raw_text": np.array(["x", "y", "z"], dtype=object)})
    assert list(ok.take([1]).extras["raw_text"]) == ["y"]
    with pytest.raises(DataValidationError, match=r"y_train.h5: key 'train/score': expected score values in \[1, 5\], found range \[0.000, 5.000\]"):
        MSASplit("train", s.features, s.lengths, {"score": np.array([0.0, 3.5, 5.0], "float32")}, s.ids,
                 padding="pre", source="y_train.h5", label_ranges={"score": (1.0, 5.0)})
    with pytest.raises(DataValidationError, match="key 'train/raw_text': expected 3 rows"):
        MSASplit("train", s.features, s.lengths, s.labels, s.ids, padding="pre", source="y_train.h5",
                 extras={"raw_text": np.array(["x"])})


def _xyw(n=10):
    x = {"a": np.arange(n)[:, None].astype("float32"), "b": np.zeros((n, 2), "float32")}
    return x, np.arange(n).astype("float32"), np.ones(n, "float32")


@pytest.mark.parametrize("make", [EpochBatches, to_tf_dataset])
def test_sample_weight_without_targets_is_refused_not_dropped(make):
    x, _, w = _xyw()
    with pytest.raises(ValueError, match=r"`sample_weight` needs targets.*Received: y=None"):
        make(x, None, w, batch_size=4)


@pytest.mark.parametrize("make", [EpochBatches, to_tf_dataset])
@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=2.5), r"`batch_size` must be an integer >= 1. Received: batch_size=2.5"),
    (dict(batch_size="abc"), r"`batch_size` must be an integer >= 1. Received: batch_size='abc'"),
    (dict(batch_size=0), r"`batch_size` must be an integer >= 1. Received: batch_size=0"),
    (dict(batch_size=True), r"`batch_size` must be an integer >= 1. Received: batch_size=True"),
    (dict(seed=-1), r"`seed` must be an integer >= 0. Received: seed=-1"),
    (dict(seed=1.5), r"`seed` must be an integer >= 0. Received: seed=1.5"),
    (dict(drop_remainder="False"), r"`drop_remainder` must be True or False. Received: drop_remainder='False'"),
    (dict(batch_size=16, drop_remainder=True),
     r"drop_remainder=True with 10 samples and batch_size=16 would give no batch"),
])
def test_batching_arguments_are_checked(make, kwargs, message):
    x, y, _ = _xyw()
    with pytest.raises(ValueError, match=message):
        make(x, y, **kwargs)


def test_epoch_batches_need_an_integer_seed():
    x, y, _ = _xyw()
    with pytest.raises(ValueError, match=r"`seed` must be an integer >= 0. Received: seed=None"):
        EpochBatches(x, y, seed=None)
    assert EpochBatches(x, y, batch_size=np.int64(4), seed=np.int32(3)).batch_size == 4


@pytest.mark.parametrize("make", [EpochBatches, to_tf_dataset])
def test_length_mismatch_names_the_array(make):
    x, y, _ = _xyw()
    x["b"] = x["b"][:9]
    with pytest.raises(ValueError, match=r"expected 10 \(the length of x\['a'\]\), found 9 for x\['b'\]"):
        make(x, y)
    with pytest.raises(ValueError, match=r"found 8 for sample_weight"):
        make(_xyw()[0], y, np.ones(8, "float32"))


@pytest.mark.parametrize("make", [EpochBatches, to_tf_dataset])
def test_a_none_inside_the_inputs_is_refused_not_skipped(make):
    x, y, w = _xyw()
    x["b"] = None
    with pytest.raises(ValueError, match=r"^x\['b'\]: expected an array, found None"):
        make(x, y)
    with pytest.raises(ValueError, match=r"^y\[1\]: expected an array, found None"):
        make(_xyw()[0], [y, None])
    assert count_samples([_xyw()[0], y, None], names=("x", "y", "sample_weight")) == 10  # no sample_weight


def test_to_tf_dataset_shuffle_takes_the_epoch_batches_modes_or_a_bool():
    x, y, _ = _xyw()

    def order(shuffle, epochs=1):
        ds = to_tf_dataset(x, y, batch_size=10, shuffle=shuffle, seed=1)
        return [np.concatenate([b[1].numpy() for b in ds]).tolist() for _ in range(epochs)]

    assert order("none") == order(False) == [list(range(10))]
    shuffled = order(True, epochs=2)
    assert sorted(shuffled[0]) == list(range(10)) and shuffled[0] != list(range(10))
    assert shuffled[0] != shuffled[1]
    once = order("once", epochs=2)
    assert once[0] == once[1] != list(range(10))
    for bad in ("None", "yes", 1, None):
        with pytest.raises(ValueError, match=r"`shuffle` must be True, False or one of \('epoch', 'once', 'none'\)"):
            to_tf_dataset(x, y, shuffle=bad)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sizes=5), r"`sizes` must be None, \"real\" or 3 positive integers .* Received: sizes=5$"),
    (dict(sizes=(2.7, 3, 4)), r"`sizes` must be .* Received: sizes=\(2.7, 3, 4\)"),
    (dict(sizes=(2, 3)), r"`sizes` must be .* Received: sizes=\(2, 3\)"),
    (dict(sizes="abc"), r"`sizes` must be .* Received: sizes='abc'"),
    (dict(sizes=np.array([[2, 3, 4]])), r"`sizes` must be .* Received: sizes=array"),
    (dict(sizes=np.array([2.5, 3.0, 4.0])), r"`sizes` must be .* Received: sizes=array"),
    (dict(modalities="text"), r"`modalities` must be a list or tuple of distinct names .* Received: modalities='text'"),
    (dict(modalities=("text", "text")), r"found a repeated name. Received: modalities=\('text', 'text'\)"),
    (dict(modalities=("text", "smell")), r"found the unknown modality 'smell'"),
    (dict(modalities=()), r"`modalities` must name at least one modality"),
    (dict(seed=None), r"`seed` must be an integer >= 0. Received: seed=None"),
    (dict(seed=-1), r"`seed` must be an integer >= 0. Received: seed=-1"),
    (dict(noise=-1.0), r"`noise` must be a finite number >= 0. Received: noise=-1.0"),
    (dict(signal=float("nan")), r"`signal` must be a finite number >= 0. Received: signal=nan"),
])
def test_make_synthetic_arguments_are_checked_up_front(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_synthetic("mosi", **dict(dict(sizes=(2, 2, 2)), **kwargs))


def test_make_synthetic_takes_sizes_as_an_integer_array():
    ds = make_synthetic("mosi", seed=np.int64(1), sizes=np.array([2, 3, 4]), modalities=["audio", "text"])
    assert (ds.train.num_samples, ds.valid.num_samples, ds.test.num_samples) == (2, 3, 4)
    assert sorted(ds.train.features) == ["audio", "text"]
