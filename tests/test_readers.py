"""Dataset readers: real files in ../shared/datasets, round trips through files
written in the documented layouts (data_and_metrics.md §2), malformed input."""

import json
import pathlib
import os
import pickle
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

from keras_msa.data_tools import FORMATS
from keras_msa.data_tools import DataValidationError
from keras_msa.data_tools import MSADataset
from keras_msa.data_tools import group_by_video
from keras_msa.data_tools import parse_segment_id
from keras_msa.data_tools import read_bclstm_mosi
from keras_msa.data_tools import read_cim_npz
from keras_msa.data_tools import read_dataset
from keras_msa.data_tools import read_hffn_pickle
from keras_msa.data_tools import read_mfn_h5
from keras_msa.data_tools import read_mmsa_pickle
from keras_msa.data_tools import read_mult_pickle
from keras_msa.data_tools import read_sdk_csd

SPLITS = ("train", "valid", "test")


def raises(fn, *parts):
    """Call fn, expect a DataValidationError whose message holds every part."""
    with pytest.raises(DataValidationError) as info:
        fn()
    message = str(info.value)
    for part in parts:
        assert str(part) in message, f"{part!r} not in {message!r}"
    return message


def padded(rng, n, T, d, lengths, side):
    x = rng.normal(size=(n, T, d)) + 0.1
    for i, length in enumerate(lengths):
        if side == "pre":
            x[i, : T - length] = 0
        else:
            x[i, length:] = 0
    return x


def truncate(path, keep=0.5):
    with open(path, "rb") as f:
        raw = f.read()
    with open(path, "wb") as f:
        f.write(raw[: int(len(raw) * keep)])


# =========================================================== real data
@pytest.fixture(scope="module")
def bclstm_real(shared_datasets):
    return read_bclstm_mosi(shared_datasets / "mosi_bclstm")


def test_bclstm_real_context(bclstm_real, shared_datasets):
    d = bclstm_real
    assert d.info["num_utterances"] == {"train": 1447, "test": 752}
    assert d.info["num_videos"] == {"train": 62, "test": 31}
    assert d.info["pickle_checked"] and d.info["video_order"] == "pickle"
    assert d.train.features["text"].shape == (62, 63, 100)
    assert d.train.features["audio"].shape == (62, 63, 73)
    assert d.test.features["vision"].shape == (31, 63, 100)
    assert all(x.dtype == np.float32 for s in d.splits.values() for x in s.features.values())
    assert int(d.train.lengths["text"].sum()) == 1447 and int(d.test.lengths["audio"].sum()) == 752
    # Labels equal the continuous scores of the independent join table.
    index = pd.read_csv(shared_datasets / "mosi_bclstm" / "mosi_utterance_index.csv")
    score = dict(zip(index["segment_id"], index["sentiment"]))
    split_of = dict(zip(index["segment_id"], index["bclstm_split"]))
    for name, split in d.splits.items():
        mask = split.step_mask()
        uids = split.utterance_ids[mask]
        np.testing.assert_allclose(split.labels["sentiment"][mask], [score[u] for u in uids], atol=1e-6)
        assert {split_of[u] for u in uids} == {name}
        np.testing.assert_array_equal(split.labels["class"][mask], split.labels["sentiment"][mask] >= 0)
        assert not split.features["audio"][~mask].any() and not split.utterance_ids[~mask].any()
    # Row order = input/audio.pickle's (recorded in the release's order file), clips in order.
    order = json.loads((shared_datasets / "mosi_bclstm" / "mosi_bclstm_pickle_video_order.json").read_text())
    assert list(d.train.ids) == [r["video_id"] for r in order["train"]]
    first = order["test"][0]["segment_ids"]
    assert list(d.test.utterance_ids[0, : len(first)]) == first
    with open(shared_datasets / "mosi_bclstm" / "input" / "audio.pickle", "rb") as f:
        audio = pickle.load(f, encoding="latin1")
    np.testing.assert_allclose(d.test.features["audio"], audio[2], rtol=1e-6, atol=1e-4)


def test_bclstm_real_segment_level(shared_datasets):
    d = read_bclstm_mosi(shared_datasets / "mosi_bclstm", level="segment", modalities=["audio"])
    assert (len(d.train), len(d.test)) == (1447, 752)
    assert d.train.features["audio"].shape == (1447, 1, 73) and d.modalities == ("audio",)
    y = np.concatenate([d.train.labels["sentiment"], d.test.labels["sentiment"]])
    assert ((y < 0).sum(), (y == 0).sum(), (y > 0).sum()) == (1023, 96, 1080)  # README score counts
    ids = np.concatenate([d.train.ids, d.test.ids])
    assert len(set(ids)) == 2199


def test_group_by_video_rebuilds_the_bclstm_context_level(bclstm_real, shared_datasets):
    seg = read_bclstm_mosi(shared_datasets / "mosi_bclstm", level="segment")
    grouped = group_by_video(seg, pooling="none", max_utterances=63)
    for name in ("train", "test"):
        g, c = grouped.splits[name], bclstm_real.splits[name]
        order = [list(g.ids).index(v) for v in c.ids]
        for m in ("text", "audio", "vision"):
            np.testing.assert_array_equal(g.features[m][order], c.features[m])
        np.testing.assert_array_equal(g.labels["sentiment"][order], c.labels["sentiment"])
        np.testing.assert_array_equal(g.utterance_ids[order], c.utterance_ids)


def test_hffn_real_joined_with_continuous_labels(bclstm_real, shared_datasets):
    h = read_hffn_pickle(shared_datasets / "mosi_hffn" / "unimodal_mosi_2way.pickle",
                         labels_root=shared_datasets / "mosi_bclstm")
    assert h.train.features["text"].shape == (62, 63, 50) and h.test.features["vision"].shape == (31, 63, 50)
    for name in ("train", "test"):
        a, b = h.splits[name], bclstm_real.splits[name]
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.lengths["text"], b.lengths["text"])
        np.testing.assert_array_equal(a.utterance_ids, b.utterance_ids)
        np.testing.assert_array_equal(a.labels["sentiment"], b.labels["sentiment"])
        np.testing.assert_array_equal(a.labels["class"], b.labels["class"])
        mask = a.step_mask()
        assert not a.features["audio"][~mask].any()  # padded rows zeroed (released non-zero)
    raw = read_hffn_pickle(shared_datasets / "mosi_hffn" / "unimodal_mosi_2way.pickle", zero_padding=False)
    assert raw.train.features["text"][~raw.train.step_mask()].any()
    assert "sentiment" not in raw.train.labels and raw.train.ids[0] == "train_0"


def test_bclstm_ids_follow_the_sdk_folds(shared_datasets):
    from keras_msa.data_tools import split_by_folds

    d = read_bclstm_mosi(shared_datasets / "mosi_bclstm", level="segment", modalities=["audio"])
    folds = split_by_folds(d, shared_datasets / "folds" / "cmu_mosi_std_folds.json")
    assert {k: len(s) for k, s in folds.splits.items()} == {"train": 1284, "valid": 229, "test": 686}
    y = folds.test.labels["sentiment"]
    assert ((y >= 0).sum(), (y > 0).sum(), (y == 0).sum()) == (307, 277, 30)  # data_and_metrics.md §1
    # pitfall 3: 558 SDK-test utterances come from bc-LSTM training videos
    train_videos = {i.rsplit("_", 1)[0] for i in d.train.ids}
    assert sum(i.rsplit("_", 1)[0] in train_videos for i in folds.test.ids) == 558


def test_mfn_real_mosi_labels(shared_datasets, tmp_path):
    # The MFN MOSI features are not released; the labels are: pair them with (N, 1, 325) stand-ins.
    for s in SPLITS:
        os.symlink(shared_datasets / "mfn_h5" / "mosi_labels" / f"y_{s}.h5", tmp_path / f"y_{s}.h5")
        with h5py.File(tmp_path / f"y_{s}.h5", "r") as f:
            n = f["data"].shape[0]
        write_h5(tmp_path / f"X_{s}.h5", "data", np.ones((n, 1, 325)))
    d = read_mfn_h5(tmp_path, "mosi")  # checks the 1284 / 229 / 686 release sizes
    y = d.test.labels["sentiment"]
    assert ((y >= 0).sum(), (y > 0).sum()) == (307, 277)
    bc = read_bclstm_mosi(shared_datasets / "mosi_bclstm", level="segment", modalities=["audio"])
    scores = np.concatenate([bc.train.labels["sentiment"], bc.test.labels["sentiment"]])
    every = np.concatenate([d.splits[s].labels["sentiment"] for s in SPLITS])
    np.testing.assert_allclose(np.sort(every), np.sort(scores), atol=1e-6)  # same 2199 scores


def test_mfn_real_mmmo(shared_datasets):
    with pytest.warns(UserWarning, match="text_train_emb.h5"):
        d = read_mfn_h5(shared_datasets / "mfn_h5", "mmmo")
    assert d.modalities == ("audio", "vision")
    assert {k: len(s) for k, s in d.splits.items()} == {"train": 220, "valid": 40, "test": 80}
    assert d.train.features["audio"].shape == (220, 20, 74) and d.train.features["vision"].shape == (220, 20, 36)
    y = d.train.labels["score"]
    assert y.min() == 1.0 and y.max() == 5.0 and abs(float(y.mean()) - 3.36) < 0.01
    np.testing.assert_array_equal(d.train.labels["class"], y > 3.5)
    assert d.info["padding_detected"] == "post" and d.train.padding == "post"
    # 45 samples are pre-padded: their leading zero steps count as real (was silent; now counted and warned)
    assert d.info["padding_other_side"] == {"train": 30, "valid": 5, "test": 10}
    with pytest.warns(UserWarning, match=r"45 samples .* leading all-zero word steps .* detected as 'post'"):
        read_mfn_h5(shared_datasets / "mfn_h5", "mmmo", modalities=["audio", "vision"])
    assert np.abs(d.train.features["audio"]).max() == 255.0
    clipped = read_mfn_h5(shared_datasets / "mfn_h5", "mmmo", modalities=["audio"], audio_clip=100.0)
    assert np.abs(clipped.train.features["audio"]).max() == 100.0 and clipped.info["audio_clipped"] > 0
    # an audio clip without audio is one clear error (it was a bare StopIteration)
    with pytest.raises(ValueError, match=r"`audio_clip` clips the audio.*not loaded.*\['vision'\]"):
        read_mfn_h5(shared_datasets / "mfn_h5", "mmmo", modalities=["vision"], audio_clip=100.0)
    # text exists for valid / test only: asking for it names the missing file
    raises(lambda: read_mfn_h5(shared_datasets / "mfn_h5", "mmmo", modalities=["text", "audio"]),
           "text_train_emb.h5", "'d1'", "no such file")


def test_mfn_real_youtube(shared_datasets):
    d = read_mfn_h5(shared_datasets / "mfn_h5", "youtube", modalities=["audio", "vision"],
                    lengths="per_modality")
    assert {k: len(s) for k, s in d.splits.items()} == {"train": 173, "valid": 36, "test": 60}
    counts = {k: np.bincount(s.labels["class"], minlength=3).tolist() for k, s in d.splits.items()}
    assert counts == {"train": [72, 43, 58], "valid": [9, 16, 11], "test": [27, 21, 12]}
    # pitfall 8: audio all-zero in 125 / 29 / 37 samples -> length 0
    assert [int((s.lengths["audio"] == 0).sum()) for s in d.splits.values()] == [125, 29, 37]
    assert d.train.labels["onehot"].shape == (173, 3)


# ================================================== bc-LSTM tiny release
TINY_VIDEOS = {"train": {"vid_a": 3, "v-b": 2}, "test": {"c_c_1": 4}}


def write_bclstm(root, seed=0):
    """A tiny release in the bc-LSTM layout (rows shuffled, clips out of order)."""
    rng = np.random.default_rng(seed)
    os.makedirs(root / "data" / "text")
    os.makedirs(root / "data" / "audio")
    os.makedirs(root / "data" / "video")
    os.makedirs(root / "input")
    segs = [(v, c) for split in TINY_VIDEOS.values() for v, n in split.items() for c in range(1, n + 1)]
    order = rng.permutation(len(segs))
    segs = [segs[i] for i in order]
    scores = {f"{v}_{c}": float(np.round(rng.uniform(-3, 3), 1)) for v, c in segs}
    scores[f"{segs[0][0]}_{segs[0][1]}"] = 0.0  # a zero score is positive (>= 0)
    pd.DataFrame([[f"{v}_{c}", "WORDS", 1, int(scores[f"{v}_{c}"] >= 0)] for v, c in segs]).to_csv(
        root / "data" / "transcripts.csv", header=False, index=False)
    pd.DataFrame([[c * 1.0, c + 1.0, v, c, scores[f"{v}_{c}"]] for v, c in segs]).to_csv(
        root / "OpinionLevelSentiment.csv", header=False, index=False)
    feats, maxlen = {}, max(n for s in TINY_VIDEOS.values() for n in s.values())
    for split, videos in TINY_VIDEOS.items():
        rows = [i for i, (v, c) in enumerate(segs) if v in videos]
        rows = list(rng.permutation(rows))
        labels = np.array([[scores["%s_%d" % segs[i]] >= 0] for i in rows], dtype=float)
        for m, d, folder in (("text", 100, "text"), ("audio", 73, "audio"), ("video", 100, "video")):
            x = rng.normal(size=(len(rows), d)) * (50 if m == "audio" else 1)
            feats[(split, m)] = (rows, x)
            pd.DataFrame(np.concatenate([x, labels], axis=1)).to_csv(
                root / "data" / folder / f"{m}_{split}0.csv", header=False, index=False)
        x = feats[(split, "text")][1]
        pd.DataFrame(np.concatenate([np.array(rows)[:, None], x], axis=1)).astype({0: int}).to_csv(
            root / "data" / f"text_{split}.csv", header=False, index=False)
    # input/audio.pickle: videos in a permuted order, clips sorted, zero-padded
    tup, order_json = [], {}
    for split, videos in TINY_VIDEOS.items():
        rows, x = feats[(split, "audio")]
        names = list(videos)[::-1]
        X = np.zeros((len(names), maxlen, 73))
        Y = np.zeros((len(names), maxlen))
        lens = []
        order_json[split] = []
        for j, v in enumerate(names):
            clips = sorted((segs[r][1], k) for k, r in enumerate(rows) if segs[r][0] == v)
            X[j, : len(clips)] = x[[k for _, k in clips]]
            Y[j, : len(clips)] = [scores[f"{v}_{c}"] >= 0 for c, _ in clips]
            lens.append(len(clips))
            order_json[split].append({"video_id": v, "segment_ids": [f"{v}_{c}" for c, _ in clips]})
        tup.append((X, Y, lens))
    with open(root / "input" / "audio.pickle", "wb") as f:
        pickle.dump((tup[0][0], tup[0][1], tup[1][0], tup[1][1], maxlen, tup[0][2], tup[1][2]), f, protocol=2)
    (root / "mosi_bclstm_pickle_video_order.json").write_text(json.dumps(order_json))
    return scores, feats, segs


def test_bclstm_tiny_round_trip(tmp_path):
    scores, feats, segs = write_bclstm(tmp_path)
    d = read_bclstm_mosi(tmp_path, expected_sizes=None)
    assert d.info["pickle_checked"] and list(d.train.ids) == ["v-b", "vid_a"]  # the pickle's order
    tr = d.train
    assert tr.num_steps == 4 and tr.lengths["text"].tolist() == [2, 3]
    assert tr.utterance_ids[1].tolist() == ["vid_a_1", "vid_a_2", "vid_a_3", ""]
    rows, x = feats[("train", "video")]
    k = [segs[r] for r in rows].index(("vid_a", 2))
    np.testing.assert_allclose(tr.features["vision"][1, 1], x[k], rtol=1e-6)
    np.testing.assert_allclose(tr.labels["sentiment"][1, :3], [scores[f"vid_a_{c}"] for c in (1, 2, 3)])
    csv = read_bclstm_mosi(tmp_path, expected_sizes=None, video_order="csv", check_pickle=False)
    assert not csv.info["pickle_checked"] and sorted(csv.train.ids) == ["v-b", "vid_a"]
    # the known release sizes are checked by default
    raises(lambda: read_bclstm_mosi(tmp_path), "transcripts.csv", "2199 segments")
    seg = read_bclstm_mosi(tmp_path, level="segment", expected_sizes={"train": 5, "test": 4})
    assert seg.train.features["text"].shape == (5, 1, 100)
    raises(lambda: read_bclstm_mosi(tmp_path, level="segment", expected_sizes={"train": 6, "test": 4}),
           "text_{split}.csv", "'train'", "6 utterances", "5 utterances")
    # HFFN join uses the same order file and scores
    assert d.splits["test"].utterance_ids[0, :4].tolist() == [f"c_c_1_{c}" for c in (1, 2, 3, 4)]


def test_bclstm_malformed(tmp_path):
    write_bclstm(tmp_path / "a")
    # binary label inconsistent with the continuous score
    path = tmp_path / "a" / "data" / "audio" / "audio_train0.csv"
    table = pd.read_csv(path, header=None)
    table.iloc[0, -1] = 1 - table.iloc[0, -1]
    table.to_csv(path, header=False, index=False)
    raises(lambda: read_bclstm_mosi(tmp_path / "a", expected_sizes=None), "audio_train0.csv", "column 73 (label)")

    write_bclstm(tmp_path / "b")
    path = tmp_path / "b" / "data" / "video" / "video_test0.csv"
    table = pd.read_csv(path, header=None)
    table.iloc[1, 3] = np.nan
    table.to_csv(path, header=False, index=False)
    raises(lambda: read_bclstm_mosi(tmp_path / "b", expected_sizes=None), "video_test0.csv", "NaN")

    write_bclstm(tmp_path / "c")
    path = tmp_path / "c" / "data" / "text" / "text_train0.csv"
    pd.read_csv(path, header=None).iloc[:, 2:].to_csv(path, header=False, index=False)  # wrong dims
    raises(lambda: read_bclstm_mosi(tmp_path / "c", expected_sizes=None), "text_train0.csv", "shape (5, 101)")

    write_bclstm(tmp_path / "d")
    with open(tmp_path / "d" / "input" / "audio.pickle", "rb") as f:
        t = list(pickle.load(f))
    t[0] = t[0].copy()
    t[0][0, 0, 0] += 1.0  # pickle no longer equals the audio CSV
    with open(tmp_path / "d" / "input" / "audio.pickle", "wb") as f:
        pickle.dump(tuple(t), f)
    raises(lambda: read_bclstm_mosi(tmp_path / "d", expected_sizes=None), "audio.pickle", "train_X",
           "no matching row")
    assert read_bclstm_mosi(tmp_path / "d", expected_sizes=None, check_pickle=False).info["pickle_checked"] is False
    truncate(tmp_path / "d" / "input" / "audio.pickle")
    raises(lambda: read_bclstm_mosi(tmp_path / "d", expected_sizes=None), "audio.pickle", "<pickle>")

    write_bclstm(tmp_path / "e")
    path = tmp_path / "e" / "OpinionLevelSentiment.csv"
    table = pd.read_csv(path, header=None)
    table.iloc[2, 4] = 3.4  # label out of range
    table.to_csv(path, header=False, index=False)
    raises(lambda: read_bclstm_mosi(tmp_path / "e", expected_sizes=None), "OpinionLevelSentiment.csv",
           "'sentiment'", "[-3, 3]")
    table.iloc[3:].to_csv(path, header=False, index=False)  # segments without a score
    raises(lambda: read_bclstm_mosi(tmp_path / "e", expected_sizes=None), "OpinionLevelSentiment.csv",
           "a score for every segment")
    raises(lambda: read_bclstm_mosi(tmp_path / "missing"), "missing", "no such file")


# ============================================================ HFFN pickle
def write_hffn(path, lengths=((3, 1), (2,)), T=4, d=5, seed=0):
    rng = np.random.default_rng(seed)
    data = {}
    for split, lens in zip(("train", "test"), lengths):
        n = len(lens)
        mask = (np.arange(T)[None] < np.array(lens)[:, None]).astype(float)
        for m in ("text", "audio", "video"):
            data[f"{m}_{split}"] = rng.normal(size=(n, T, d)).astype("float32")  # padded rows not zero
        cls = rng.integers(0, 2, size=(n, T))
        cls[mask == 0] = 0  # dummy label [1, 0]
        data[f"{split}_label"] = np.eye(2)[cls]
        data[f"{split}_mask"] = mask
    with open(path, "wb") as f:
        pickle.dump(data, f, protocol=2)
    return data


def test_hffn_tiny_round_trip_and_malformed(tmp_path):
    path = tmp_path / "u.pickle"
    data = write_hffn(path)
    h = read_hffn_pickle(path, expected_sizes=None)
    assert h.train.lengths["audio"].tolist() == [3, 1] and h.train.padding == "post"
    np.testing.assert_array_equal(h.train.features["vision"][0, :3], data["video_train"][0, :3])
    assert not h.train.features["vision"][0, 3:].any()
    np.testing.assert_array_equal(h.train.labels["class"][0, :3], data["train_label"][0, :3].argmax(-1))
    raises(lambda: read_hffn_pickle(path), "u.pickle", "'train'", "62 videos", "2 videos")

    bad = dict(data, train_mask=data["train_mask"].copy())
    bad["train_mask"][0] = [1, 0, 1, 0]
    with open(path, "wb") as f:
        pickle.dump(bad, f)
    raises(lambda: read_hffn_pickle(path, expected_sizes=None), "u.pickle", "train_mask[0]", "a gap")
    bad["train_mask"][0] = 0
    with open(path, "wb") as f:
        pickle.dump(bad, f)
    raises(lambda: read_hffn_pickle(path, expected_sizes=None), "u.pickle", "train_mask", "empty video")
    del data["audio_test"]
    with open(path, "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_hffn_pickle(path, expected_sizes=None), "u.pickle", "'audio_test'", "keys")
    assert read_hffn_pickle(path, expected_sizes=None, modalities=["text"]).modalities == ("text",)


def test_hffn_tiny_join_with_bclstm_labels(tmp_path):
    scores, _, _ = write_bclstm(tmp_path / "rel")
    order = json.loads((tmp_path / "rel" / "mosi_bclstm_pickle_video_order.json").read_text())
    lengths = [[len(r["segment_ids"]) for r in order[s]] for s in ("train", "test")]
    data = write_hffn(tmp_path / "u.pickle", lengths=lengths)
    for s in ("train", "test"):  # make the one-hot labels agree with the scores
        for i, row in enumerate(order[s]):
            for k, seg in enumerate(row["segment_ids"]):
                data[f"{s}_label"][i, k] = np.eye(2)[int(scores[seg] >= 0)]
    with open(tmp_path / "u.pickle", "wb") as f:
        pickle.dump(data, f)
    h = read_hffn_pickle(tmp_path / "u.pickle", labels_root=tmp_path / "rel", expected_sizes=None)
    assert list(h.train.ids) == ["v-b", "vid_a"]
    assert h.train.labels["sentiment"][1, 2] == np.float32(scores["vid_a_3"])
    data["test_label"][0, 0] = 1 - data["test_label"][0, 0]
    with open(tmp_path / "u.pickle", "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_hffn_pickle(tmp_path / "u.pickle", labels_root=tmp_path / "rel", expected_sizes=None),
           "u.pickle", "test_label[0, 0]", "c_c_1_1")


# ================================================================ MFN h5
def write_h5(path, key, array):
    with h5py.File(path, "w") as f:
        f.create_dataset(key, data=array)


def test_mfn_mosi_layout_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "data"
    folder.mkdir()
    written = {}
    for s, n in zip(SPLITS, (5, 3, 4)):
        lens = rng.integers(1, 7, size=n)
        x = padded(rng, n, 6, 325, lens, "pre")
        y = rng.uniform(-3, 3, size=n)
        write_h5(folder / f"X_{s}.h5", "data", x)
        write_h5(folder / f"y_{s}.h5", "data", y)
        written[s] = (x, y, lens)
    d = read_mfn_h5(tmp_path, "mosi", expected_sizes=None)
    assert d.feature_dims == {"text": 300, "audio": 5, "vision": 20} and d.train.padding == "pre"
    x, y, lens = written["valid"]
    np.testing.assert_allclose(d.valid.features["audio"], x[..., 300:305], rtol=1e-6)
    np.testing.assert_allclose(d.valid.features["vision"], x[..., 305:], rtol=1e-6)
    np.testing.assert_array_equal(d.valid.lengths["text"], lens)
    np.testing.assert_allclose(d.valid.labels["sentiment"], y, rtol=1e-6)
    raises(lambda: read_mfn_h5(tmp_path, "mosi"), "'train'", "1284 samples", "5 samples")
    write_h5(folder / "X_test.h5", "data", np.zeros((4, 6, 300)))  # wrong dims
    raises(lambda: read_mfn_h5(tmp_path, "mosi", expected_sizes=None), "X_test.h5", "'data'", "shape (*, *, 325)")
    write_h5(folder / "X_test.h5", "d1", written["test"][0])  # wrong dataset name
    raises(lambda: read_mfn_h5(tmp_path, "mosi", expected_sizes=None), "X_test.h5", "'data'", "keys ['d1']")
    write_h5(folder / "X_test.h5", "data", written["test"][0])
    write_h5(folder / "y_test.h5", "data", np.array([0.0, 1.0, 4.0, -1.0]))  # label out of range
    raises(lambda: read_mfn_h5(tmp_path, "mosi", expected_sizes=None), "y_test.h5", "[-3, 3]")
    truncate(folder / "X_valid.h5")
    raises(lambda: read_mfn_h5(tmp_path, "mosi", expected_sizes=None), "X_valid.h5", "<hdf5>")


def write_youtube(folder, rng, with_train_text=False):
    folder.mkdir(parents=True)
    data = {}
    for s, n in zip(SPLITS, (6, 3, 4)):
        lens = rng.integers(1, 6, size=n)
        cls = rng.integers(0, 3, size=n)
        data[s] = {"text": padded(rng, n, 5, 300, lens, "post"), "audio": padded(rng, n, 5, 74, lens, "post"),
                   "vision": padded(rng, n, 5, 36, lens, "post"), "y": np.eye(3, dtype="float32")[cls],
                   "lens": lens}
        if s != "train" or with_train_text:
            write_h5(folder / f"text_{s}_emb.h5", "d1", data[s]["text"])
        write_h5(folder / f"audio_{s}.h5", "d1", data[s]["audio"])
        write_h5(folder / f"video_{s}.h5", "d1", data[s]["vision"])
        write_h5(folder / f"y_{s}.h5", "d1", data[s]["y"])
    return data


def test_mfn_youtube_layout_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    data = write_youtube(tmp_path / "youtube", rng, with_train_text=True)
    d = read_dataset("mfn_h5", tmp_path, dataset="youtube", expected_sizes=None)
    assert d.modalities == ("text", "audio", "vision") and d.train.padding == "post"
    assert d.info["padding_detected_per_modality"] == {"text": "post", "audio": "post", "vision": "post"}
    np.testing.assert_array_equal(d.test.lengths["text"], data["test"]["lens"])
    np.testing.assert_array_equal(d.test.labels["class"], data["test"]["y"].argmax(1))
    np.testing.assert_allclose(d.test.features["text"], data["test"]["text"], rtol=1e-6)
    os.remove(tmp_path / "youtube" / "text_train_emb.h5")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = read_mfn_h5(tmp_path / "youtube", "youtube", expected_sizes=None)
    assert d.modalities == ("audio", "vision") and "text_train_emb.h5" in str(caught[0].message)
    y = data["valid"]["y"].copy()
    y[1] = [1, 1, 0]
    write_h5(tmp_path / "youtube" / "y_valid.h5", "d1", y)
    raises(lambda: read_mfn_h5(tmp_path, "youtube", modalities=["audio"], expected_sizes=None),
           "y_valid.h5", "'d1'", "one-hot rows", "row 1")


def test_mfn_mmmo_labels_out_of_range(tmp_path):
    rng = np.random.default_rng(3)
    folder = tmp_path / "mmmo"
    folder.mkdir()
    for s, n in zip(SPLITS, (4, 2, 2)):
        write_h5(folder / f"audio_{s}.h5", "d1", padded(rng, n, 5, 74, [5] * n, "post"))
        write_h5(folder / f"y_{s}.h5", "d1", np.full(n, 6.0 if s == "test" else 2.5))
    raises(lambda: read_mfn_h5(tmp_path, "mmmo", modalities=["audio"], expected_sizes=None),
           "y_test.h5", "'d1'", "[1.0, 5.0]")
    write_h5(folder / "y_test.h5", "d1", np.full(2, 4.5))
    assert read_mfn_h5(tmp_path, "mmmo", modalities=["audio"], expected_sizes=None).test.labels["class"].all()
    write_h5(folder / "audio_valid.h5", "d1", padded(rng, 3, 5, 74, [5] * 3, "post"))
    raises(lambda: read_mfn_h5(tmp_path, "mmmo", modalities=["audio"], expected_sizes=None),
           "audio_valid.h5", "'d1'", "2 samples (as the labels)")


# =========================================================== MulT pickle
def write_mult(path, sizes=(6, 3, 4), T=(8, 10, 12), dims=(7, 5, 4), iemocap=False, seed=0, side="pre"):
    """MulT layout: dict{train, valid, test} -> {vision, audio, text, labels, id}."""
    rng = np.random.default_rng(seed)
    data, lengths = {}, {}
    for s, n in zip(SPLITS, sizes):
        lens = {m: rng.integers(1, t + 1, size=n) for m, t in zip(("text", "audio", "vision"), T)}
        split = {m: padded(rng, n, t, d, lens[m], side) for m, t, d in zip(("text", "audio", "vision"), T, dims)}
        split["text"] = split["text"].astype("float32")
        split["audio"][0, -1, 1] = -np.inf  # COVAREP -inf inside a real step
        if iemocap:
            split["labels"] = np.eye(2)[rng.integers(0, 2, size=(n, 4))]
        else:
            split["labels"] = rng.uniform(-3, 3, size=(n, 1, 1))
        order = rng.permutation(n)  # clips out of order
        split["id"] = np.array([[f"vid{i // 3}".encode(), f"{10.0 * (i % 3):.1f}".encode(),
                                 f"{10.0 * (i % 3) + 5:.1f}".encode()] for i in order])
        data[s], lengths[s] = split, lens
    with open(path, "wb") as f:
        pickle.dump(data, f)
    return data, lengths


def test_mult_unaligned_round_trip(tmp_path):
    path = tmp_path / "tiny_data_noalign.pkl"
    data, lengths = write_mult(path)
    d = read_mult_pickle(path)
    assert d.info["neginf_replaced"] == {"train/audio": 1, "valid/audio": 1, "test/audio": 1}
    assert d.train.padding == "pre" and not d.info["aligned"]
    for s in SPLITS:
        split = d.splits[s]
        for m in ("text", "audio", "vision"):
            np.testing.assert_array_equal(split.lengths[m], lengths[s][m])
            expected = np.where(np.isneginf(data[s][m]), 0.0, data[s][m]).astype("float32")
            np.testing.assert_array_equal(split.features[m], expected)
            assert split.features[m].dtype == np.float32
        np.testing.assert_allclose(split.labels["sentiment"], data[s]["labels"][:, 0, 0], rtol=1e-6)
    assert d.train.ids[0].count("$_$") == 2
    post = read_mult_pickle(path, padding="post")
    for m in ("text", "audio", "vision"):
        n = int(lengths["valid"][m][0])
        np.testing.assert_array_equal(post.valid.features[m][0, :n], d.valid.features[m][0, -n:])
        assert not post.valid.features[m][0, n:].any()


def test_mult_aligned_shared_lengths_and_iemocap(tmp_path):
    path = tmp_path / "iemocap_data.pkl"
    data, _ = write_mult(path, T=(6, 6, 6), iemocap=True)
    raises(lambda: read_mult_pickle(path, expected_sizes=None), "iemocap_data.pkl", "'train/text'",
           "feature dimension 300")
    d = read_mult_pickle(path, expected_sizes=None, expected_dims=None)
    assert d.name == "iemocap" and d.info["aligned"] and d.info["emotion_names"][0] == "neutral"
    expected = np.maximum.reduce([d.train.lengths[m] for m in ("text", "audio", "vision")])
    for m in ("text", "audio", "vision"):  # one shared (union) length per aligned segment
        np.testing.assert_array_equal(d.train.lengths[m], expected)
    np.testing.assert_array_equal(d.test.labels["class"], data["test"]["labels"].argmax(-1))
    assert d.test.labels["onehot"].shape == (4, 4, 2)
    raises(lambda: read_mult_pickle(path, expected_dims=None), "iemocap_data.pkl", "'train'", "2717 samples",
           "6 samples")


def test_mult_malformed(tmp_path):
    path = tmp_path / "tiny.pkl"
    data, _ = write_mult(path)

    def rewrite(**changes):
        bad = {s: dict(v) for s, v in data.items()}
        for key, value in changes.items():
            s, k = key.split("__")
            if value is None:
                del bad[s][k]
            else:
                bad[s][k] = value
        with open(path, "wb") as f:
            pickle.dump(bad, f)

    rewrite(valid__audio=None)
    raises(lambda: read_mult_pickle(path), "tiny.pkl", "'valid/audio'", "keys ['id', 'labels', 'text', 'vision']")
    rewrite(train__text=data["train"]["text"][:, :, 0])
    raises(lambda: read_mult_pickle(path), "tiny.pkl", "'train/text'", "shape (*, *, *)", "shape (6, 8)")
    vision = data["test"]["vision"].copy()
    vision[2, 3, 1] = np.nan
    rewrite(test__vision=vision)
    raises(lambda: read_mult_pickle(path), "tiny.pkl", "'test/vision'", "1 NaN", "(2, 3, 1)")
    text = data["test"]["text"].copy()
    text[0, -1, 0] = -np.inf
    rewrite(test__text=text)
    raises(lambda: read_mult_pickle(path), "'test/text'", "no -inf values")
    rewrite(valid__labels=data["valid"]["labels"] * 0 + 3.5)
    raises(lambda: read_mult_pickle(path), "'valid/labels'", "[-3.0, 3.0]", "3.500")
    rewrite(valid__labels=np.zeros((3, 2)))
    raises(lambda: read_mult_pickle(path), "'valid/labels'", "shape (3,)")
    rewrite(train__vision=data["train"]["vision"][:5])
    raises(lambda: read_mult_pickle(path), "'train/vision'", "6 samples")
    with open(path, "wb") as f:
        pickle.dump({"train": data["train"], "test": data["test"]}, f)
    raises(lambda: read_mult_pickle(path), "tiny.pkl", "'valid'")
    write_mult(path)
    raises(lambda: read_mult_pickle(path, expected_sizes={"train": 6, "valid": 4, "test": 4}),
           "tiny.pkl", "'valid'", "4 samples", "3 samples")
    truncate(path)
    raises(lambda: read_mult_pickle(path), "tiny.pkl", "<pickle>", "a complete pickle")


def test_group_by_video_from_mult(tmp_path):
    path = tmp_path / "tiny.pkl"
    data, lengths = write_mult(path, sizes=(7, 3, 4))
    d = read_mult_pickle(path)
    g = group_by_video(d)
    tr = g.train
    assert tr.level == "context" and list(tr.ids) == ["vid0", "vid1", "vid2"]
    assert tr.lengths["text"].tolist() == [3, 3, 1] and tr.num_steps == 3
    # utterances sorted by start time whatever the file order
    starts = [[float(u.split("$_$")[1]) for u in row if u] for row in tr.utterance_ids]
    assert starts == [[0.0, 10.0, 20.0], [0.0, 10.0, 20.0], [0.0]]
    seg = d.train
    k = list(seg.ids).index(tr.utterance_ids[1, 2])
    n = int(seg.lengths["audio"][k])
    np.testing.assert_allclose(tr.features["audio"][1, 2], seg.features["audio"][k, -n:].mean(0), rtol=1e-5)
    assert tr.labels["sentiment"][1, 2] == seg.labels["sentiment"][k]
    assert not tr.features["text"][2, 1:].any() and tr.labels["sentiment"][2, 1:].tolist() == [0, 0]
    last = group_by_video(d.train, pooling="last")
    np.testing.assert_array_equal(last.features["vision"][1, 2], seg.features["vision"][k, -1])
    chunks = group_by_video(d.train, max_utterances=2, overflow="split")
    assert list(chunks.ids) == ["vid0#0", "vid0#1", "vid1#0", "vid1#1", "vid2"]
    raises(lambda: group_by_video(d.train, max_utterances=2), "'train/vid0'", "3 segments")
    assert group_by_video(d.train, max_utterances=2, overflow="truncate").lengths["text"].tolist() == [2, 2, 1]
    assert parse_segment_id("abc_d[3]") == ("abc_d", ((0, 3.0, ""),))
    assert parse_segment_id("vid_x_12")[0] == "vid_x" and parse_segment_id("novideo") is None


# =========================================================== MMSA pickle
def write_mmsa(path, seed=0, aligned=False, vision_side="pre"):
    rng = np.random.default_rng(seed)
    data, truth = {}, {}
    for s, n in zip(SPLITS, (6, 3, 4)):
        Tt, Ta, Tv = (8, 8, 8) if aligned else (8, 10, 11)
        tl = rng.integers(3, Tt + 1, size=n)
        mask = (np.arange(Tt)[None] < tl[:, None]).astype("float32")
        bert = np.stack([rng.integers(1, 100, size=(n, Tt)) * mask, mask, np.zeros((n, Tt))], axis=1)
        al, vl = rng.integers(1, Ta + 1, size=n), rng.integers(1, Tv + 1, size=n)
        split = {
            "raw_text": np.array([f"words {i}" for i in range(n)]),
            "text": rng.normal(size=(n, Tt, 16)).astype("float32"),  # BERT: padded steps not zero
            "text_bert": bert,
            "audio": padded(rng, n, Ta, 5, al, "post"),
            "vision": padded(rng, n, Tv, 4, vl, vision_side),
            "id": np.array([f"v{i // 2}$_${i % 2 + 1}" for i in range(n)]),
            "regression_labels": rng.uniform(-3, 3, size=n).astype("float32"),
            "classification_labels": np.zeros(n),
            "annotations": np.array(["Neutral"] * n),
        }
        split["audio"][1, 0, 0] = -np.inf
        if not aligned:
            split["audio_lengths"] = list(al)
            split["vision_lengths"] = vl
        data[s] = split
        truth[s] = {"text": tl, "audio": al, "vision": vl}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(data, f)
    return data, truth


def test_mmsa_unaligned_round_trip(tmp_path):
    path = tmp_path / "MOSI" / "Processed" / "unaligned_50.pkl"
    data, truth = write_mmsa(path)
    raises(lambda: read_mmsa_pickle(path), "unaligned_50.pkl", "'train'", "1284 samples")
    d = read_mmsa_pickle(path, expected_sizes=None)
    assert d.name == "mosi" and d.info["padding_detected"] == {"text": "post", "audio": "post", "vision": "pre"}
    assert d.train.padding == "post" and d.info["neginf_replaced"]["train/audio"] == 1
    assert list(d.info["raw_text"]["test"]) == list(data["test"]["raw_text"])
    for s in SPLITS:
        for m in ("text", "audio", "vision"):
            np.testing.assert_array_equal(d.splits[s].lengths[m], truth[s][m])
    n = int(truth["valid"]["vision"][2])
    np.testing.assert_array_equal(d.valid.features["vision"][2, :n], data["valid"]["vision"][2, -n:].astype("float32"))
    assert not d.valid.features["vision"][2, n:].any()
    np.testing.assert_array_equal(d.valid.features["text"], data["valid"]["text"])  # kept as is (post)
    g = group_by_video(d)
    assert list(g.test.ids) == ["v0", "v1"] and g.test.utterance_ids[0].tolist() == ["v0$_$1", "v0$_$2"]


def test_mmsa_aligned_and_malformed(tmp_path):
    path = tmp_path / "MOSEI" / "Processed" / "aligned_50.pkl"
    data, truth = write_mmsa(path, aligned=True, vision_side="post")
    d = read_dataset("mmsa", path, expected_sizes=None)
    assert d.name == "mosei" and d.info["aligned"] and d.train.padding == "post"
    np.testing.assert_array_equal(d.train.lengths["text"], truth["train"]["text"])
    np.testing.assert_array_equal(d.train.lengths["audio"], truth["train"]["audio"])

    path = tmp_path / "x.pkl"
    data, _ = write_mmsa(path)
    bad = {s: dict(v) for s, v in data.items()}
    bad["test"]["text_bert"] = data["test"]["text_bert"].copy()
    bad["test"]["text_bert"][0, 1, 1] = 0  # a gap in the attention mask
    with open(path, "wb") as f:
        pickle.dump(bad, f)
    raises(lambda: read_mmsa_pickle(path), "x.pkl", "'test/text_bert'", "contiguous")
    bad["test"] = dict(data["test"], audio_lengths=[11] * 4)
    with open(path, "wb") as f:
        pickle.dump(bad, f)
    raises(lambda: read_mmsa_pickle(path), "x.pkl", "'test/audio_lengths'", "[0, 10]")
    bad["test"] = {k: v for k, v in data["test"].items() if k != "regression_labels"}
    with open(path, "wb") as f:
        pickle.dump(bad, f)
    raises(lambda: read_mmsa_pickle(path), "x.pkl", "'test/regression_labels'")
    bad["test"] = {k: v for k, v in data["test"].items() if k != "vision_lengths"}
    with open(path, "wb") as f:
        pickle.dump(bad, f)
    raises(lambda: read_mmsa_pickle(path), "x.pkl", "'test/vision_lengths'", "missing")


# ============================================================ CIM npz
def write_cim(root, sizes=(3, 2, 2), T=4, dims=(6, 5, 3), seed=0):
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    files = {"text": {}, "audio": {}, "video": {}}
    truth = {}
    for s, n in zip(SPLITS, sizes):
        lens = rng.integers(1, T + 1, size=n)
        lens[0] = T
        real = np.arange(T)[None] < lens[:, None]
        for (m, store), d in zip(files.items(), dims):
            store[f"{s}_data"] = padded(rng, n, T, d, lens, "post")
        senti = np.where(real, rng.uniform(-3, 3, size=(n, T)), 0)[..., None]
        emo = np.where(real[..., None], rng.uniform(0, 3, size=(n, T, 6)), 0)
        emo[0, 0, 2] = 3.4  # AMT over-annotation
        files["video"][f"{s}SentiLabel"] = senti
        files["video"][f"{s}EmoLabel"] = emo
        files["video"][f"{s}_length"] = lens
        files["video"][f"{s}_idName"] = np.array([f"{s}vid{i}" for i in range(n)])
        files["audio"][f"{s}_length"] = lens
        truth[s] = {"lens": lens, "senti": senti[..., 0], "emo": emo}
    for m, store in files.items():
        np.savez(root / f"{m}.npz", **store)
    return files, truth


def test_cim_npz_round_trip(tmp_path):
    files, truth = write_cim(tmp_path / "MOSEI")
    d = read_dataset("cim_npz", tmp_path / "MOSEI")
    assert d.train.level == "context" and d.train.padding == "post" and d.info["emotions_clipped"] == 3
    assert list(d.valid.ids) == ["validvid0", "validvid1"]
    for s in SPLITS:
        split = d.splits[s]
        np.testing.assert_array_equal(split.lengths["audio"], truth[s]["lens"])
        np.testing.assert_allclose(split.labels["sentiment"], truth[s]["senti"], rtol=1e-6)
        np.testing.assert_allclose(split.labels["emotions"], np.minimum(truth[s]["emo"], 3.0), rtol=1e-6)
        np.testing.assert_allclose(split.features["vision"], files["video"][f"{s}_data"], rtol=1e-6)
    kept = read_cim_npz(tmp_path / "MOSEI", clip_emotions=None, modalities=["text"])
    assert kept.train.labels["emotions"].max() == np.float32(3.4) and kept.modalities == ("text",)


def test_cim_npz_malformed(tmp_path):
    files, _ = write_cim(tmp_path / "a")
    video = dict(files["video"])
    video["train_length"] = video["train_length"].copy()
    video["train_length"][1] = 0
    np.savez(tmp_path / "a" / "video.npz", **video)
    raises(lambda: read_cim_npz(tmp_path / "a"), "video.npz", "'train_length'", "empty video at row 1")

    files, _ = write_cim(tmp_path / "b")
    video = dict(files["video"], testSentiLabel=files["video"]["testSentiLabel"] * 0 + 4.0)
    np.savez(tmp_path / "b" / "video.npz", **video)
    raises(lambda: read_cim_npz(tmp_path / "b"), "video.npz", "'testSentiLabel'", "[-3, 3]")
    video = dict(files["video"], validEmoLabel=files["video"]["validEmoLabel"][..., :5])
    np.savez(tmp_path / "b" / "video.npz", **video)
    raises(lambda: read_cim_npz(tmp_path / "b"), "video.npz", "'validEmoLabel'", "shape (2, 4, 6)")
    video = {k: v for k, v in files["video"].items() if k != "valid_data"}
    np.savez(tmp_path / "b" / "video.npz", **video)
    raises(lambda: read_cim_npz(tmp_path / "b"), "video.npz", "'valid_data'")

    files, truth = write_cim(tmp_path / "c")
    audio = dict(files["audio"], train_length=truth["train"]["lens"] - 1)
    np.savez(tmp_path / "c" / "audio.npz", **audio)
    raises(lambda: read_cim_npz(tmp_path / "c"), "audio.npz", "'train_length'", "different lengths")
    files, truth = write_cim(tmp_path / "d")
    text = dict(files["text"], test_data=files["text"]["test_data"][:, :3])
    np.savez(tmp_path / "d" / "text.npz", **text)
    raises(lambda: read_cim_npz(tmp_path / "d"), "audio.npz", "'test_data'", "(N, T) = (2, 3)", "(2, 4)")
    files, truth = write_cim(tmp_path / "e", T=5)
    text = dict(files["text"])
    short = int(np.argmin(truth["train"]["lens"]))
    text["train_data"] = text["train_data"].copy()
    text["train_data"][short, -1] = 1.0  # non-zero after the video's length
    np.savez(tmp_path / "e" / "text.npz", **text)
    raises(lambda: read_cim_npz(tmp_path / "e"), "text.npz", f"train_data[{short}, 4]", "zero padding")
    assert len(read_cim_npz(tmp_path / "e", check_padding=False).train) == 3
    truncate(tmp_path / "e" / "audio.npz")
    raises(lambda: read_cim_npz(tmp_path / "e"), "audio.npz", "<npz>")


# ============================================================= SDK .csd
def write_csd(path, root, entries, metadata=None):
    """CMU-MultimodalSDK layout: /<root>/data/<video>/{features,intervals}, /<root>/metadata/<key>."""
    with h5py.File(path, "w") as f:
        group = f.create_group(root)
        data = group.create_group("data")
        for key, (intervals, features) in entries.items():
            entry = data.create_group(key)
            entry.create_dataset("features", data=features, compression="gzip", compression_opts=9)
            entry.create_dataset("intervals", data=intervals, compression="gzip", compression_opts=9)
        meta = group.create_group("metadata")
        for key, value in (metadata or {"root name": root, "dimension names": None}).items():
            ds = meta.create_dataset(key, (1,), dtype=h5py.special_dtype(vlen=str))
            ds[0] = json.dumps(value)


def write_sdk(tmp_path, videos=("vA", "vB", "vC"), labels_width=1, skip_vision=()):
    """8 words of 0.3 s per video; audio 100 Hz (value = frame centre), vision 10 Hz (value = frame index);
    2 labelled segments per video: [0, 1.2] (words 0-3) and [1.2, 2.4] (words 4-7)."""
    text, audio, vision, labels = {}, {}, {}, {}
    for j, v in enumerate(videos):
        words = np.stack([np.arange(8) * 0.3, np.arange(8) * 0.3 + 0.3], axis=1)
        text[v] = (words, np.tile(np.arange(1, 9, dtype="float64")[:, None] + 10 * j, (1, 4)))
        t = np.arange(240) / 100.0
        a = np.stack([t + 0.005, np.ones(240)], axis=1)
        a[70, 1] = -np.inf  # a COVAREP -inf inside word 2 (frames 60-89)
        audio[v] = (np.stack([t, t + 0.01], axis=1), a)
        t = np.arange(24) / 10.0
        if v not in skip_vision:
            vision[v] = (np.stack([t, t + 0.1], axis=1), np.arange(24, dtype="float64")[:, None].repeat(3, 1))
        y = np.array([[0.5 + j], [-1.0 - j]])
        if labels_width == 7:
            y = np.concatenate([y, np.full((2, 6), 1.0)], axis=1)
            y[0, 3] = 3.5
        labels[v] = (np.array([[0.0, 1.2], [1.2, 2.4]]), y)
    write_csd(tmp_path / "glove_vectors.csd", "glove_vectors", text)
    write_csd(tmp_path / "COVAREP.csd", "COVAREP", audio)
    write_csd(tmp_path / "FACET.csd", "FACET 4.2", vision)
    write_csd(tmp_path / "labels.csd", "Opinion Segment Labels", labels)
    return {"text": tmp_path / "glove_vectors.csd", "audio": tmp_path / "COVAREP.csd",
            "vision": tmp_path / "FACET.csd"}, tmp_path / "labels.csd"


FOLDS = {"train": ["vA"], "valid": ["vB"], "test": ["vC"]}


def test_sdk_csd_word_alignment_round_trip(tmp_path):
    paths, label_csd = write_sdk(tmp_path)
    d = read_sdk_csd(paths, label_csd, FOLDS, seq_len=5)
    assert {k: len(s) for k, s in d.splits.items()} == {"train": 2, "valid": 2, "test": 2}
    tr = d.train
    assert list(tr.ids) == ["vA[0]", "vA[1]"] and tr.padding == "pre" and tr.lengths["text"].tolist() == [4, 4]
    assert not tr.features["text"][:, 0].any()  # one pre-padding step
    np.testing.assert_allclose(tr.features["text"][0, 1:, 0], [1, 2, 3, 4])
    # audio: mean frame centre inside each word = word midpoint; word 2 holds a -inf -> 0 (MFN rule)
    np.testing.assert_allclose(tr.features["audio"][0, 1:, 0], [0.15, 0.45, 0.75, 1.05], rtol=1e-5)
    np.testing.assert_allclose(tr.features["audio"][0, 1:, 1], [1, 1, 0, 1])
    # vision at 10 Hz: word k covers frames 3k..3k+2 -> mean 3k + 1
    np.testing.assert_allclose(tr.features["vision"][1, 1:, 0], [13, 16, 19, 22])
    np.testing.assert_allclose(d.test.labels["sentiment"], [2.5, -3.0])
    assert d.info["stats"]["words_dropped_short"] == 0
    # keep the last seq_len words, SDK style; post padding keeps the first
    short = read_sdk_csd(paths, label_csd, tmp_path / "folds.json" if False else FOLDS, seq_len=3)
    np.testing.assert_allclose(short.valid.features["text"][0, :, 0], [12, 13, 14])
    post = read_dataset("csd", paths, label_csd=label_csd, folds=FOLDS, seq_len=3, padding="post")
    np.testing.assert_allclose(post.valid.features["text"][0, :, 0], [11, 12, 13])


def test_sdk_csd_warns_when_label_rows_are_not_in_time_order(tmp_path):
    paths, label_csd = write_sdk(tmp_path)
    with h5py.File(label_csd, "r+") as f:
        intervals = f["Opinion Segment Labels/data/vB/intervals"]
        intervals[...] = intervals[()][::-1]  # row 0 is now the later segment
    with pytest.warns(UserWarning, match=r"labels.csd: the label rows of 1 videos are not in time order.*\['vB'\]"):
        d = read_sdk_csd(paths, label_csd, FOLDS, seq_len=5)
    assert list(d.valid.ids) == ["vB[0]", "vB[1]"]


def test_sdk_csd_mosei_labels_missing_videos_and_folds_file(tmp_path):
    paths, label_csd = write_sdk(tmp_path, videos=("vA", "vB", "vC", "vD"), labels_width=7, skip_vision=("vD",))
    folds = tmp_path / "folds.json"
    folds.write_text(json.dumps(dict(FOLDS, test=["vC", "vD"], source_repo="test")))
    with pytest.warns(UserWarning, match="missing"):
        d = read_sdk_csd(paths, label_csd, folds, seq_len=4, name="mosei")
    assert d.info["stats"]["videos_missing"] == {"vision": 1} and list(d.test.ids) == ["vC[0]", "vC[1]"]
    assert d.train.labels["emotions"].shape == (2, 6) and d.info["emotion_names"][0] == "happy"
    assert d.train.labels["emotions"][0, 2] == 3.0 and d.info["stats"]["emotions_clipped"] == 3
    raises(lambda: read_sdk_csd(paths, label_csd, folds, missing="error"), "FACET.csd", "data/vD")


def test_sdk_csd_with_the_real_folds_file(shared_datasets, tmp_path):
    path = shared_datasets / "folds" / "cmu_mosi_std_folds.json"
    folds = json.loads(path.read_text())
    videos = (folds["train"][0], folds["valid"][0], folds["test"][0], "not_a_mosi_video")
    paths, label_csd = write_sdk(tmp_path, videos=videos)
    # the 90 other fold videos have no labels here: refused by default, skipped on request
    raises(lambda: read_sdk_csd(paths, label_csd, path, seq_len=20), "cmu_mosi_std_folds.json", "'train/valid/test'",
           "90 without labels", f"test ['{folds['test'][1]}'")
    with pytest.warns(UserWarning, match="90 fold videos have no labels"):
        d = read_sdk_csd(paths, label_csd, path, seq_len=20, name="mosi", unlabelled_videos="drop")
    assert {k: len(s) for k, s in d.splits.items()} == {"train": 2, "valid": 2, "test": 2}
    assert d.test.ids[0] == f"{folds['test'][0]}[0]" and d.info["stats"]["videos_not_in_folds"] == 1
    assert d.info["stats"]["fold_videos_without_labels"] == 90
    assert d.train.features["text"].shape == (2, 20, 4) and d.train.lengths["vision"].tolist() == [4, 4]


def test_csd_videos_reads_one_video_at_a_time(tmp_path):
    from keras_msa.data_tools.readers.csd import CsdVideos

    # entries of one video split over "<video>[k]" keys (SDK naming), stored out of time order
    entries = {"vA[1]": (np.array([[1.0, 2.0]]), np.array([[2.0, 2.0]])),
               "vA[0]": (np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])),
               "vB": (np.array([[0.0, 1.0]]), np.array([[5.0, 5.0]])),
               "broken": (np.zeros((2, 3)), np.zeros((2, 2)))}  # malformed, never requested
    write_csd(tmp_path / "x.csd", "x", entries)
    with CsdVideos(tmp_path / "x.csd") as videos:
        assert sorted(videos.keys) == ["broken", "vA", "vB"] and "vA" in videos and "vC" not in videos
        intervals, features = videos.video("vA")
        np.testing.assert_allclose(intervals, [[0, 1], [1, 2]])
        np.testing.assert_allclose(features[:, 0], [1, 2])
        raises(lambda: videos.video("broken"), "x.csd", "x/data/broken/intervals", "(n, 2)")
    write_csd(tmp_path / "y.csd", "y", {"vA": entries["vA[0]"], "vB": (np.array([[0.0, 1.0]]), np.zeros((1, 3)))})
    with CsdVideos(tmp_path / "y.csd") as videos:
        videos.video("vA")
        raises(lambda: videos.video("vB"), "y.csd", "data/vB/features", "feature dimension 2")


def test_sdk_csd_malformed(tmp_path):
    paths, label_csd = write_sdk(tmp_path)
    entries = {"vA": (np.zeros((8, 3)), np.zeros((8, 4)))}
    write_csd(tmp_path / "bad.csd", "glove_vectors", entries)
    raises(lambda: read_sdk_csd(dict(paths, text=tmp_path / "bad.csd"), label_csd, FOLDS),
           "bad.csd", "glove_vectors/data/vA/intervals", "(n, 2)")
    entries = {"vA": (np.zeros((8, 2)), np.zeros((7, 4)))}
    write_csd(tmp_path / "bad.csd", "glove_vectors", entries)
    raises(lambda: read_sdk_csd(dict(paths, text=tmp_path / "bad.csd"), label_csd, FOLDS),
           "bad.csd", "glove_vectors/data/vA/features", "8 rows")
    words = {"vA": (np.zeros((2, 2)), np.array([[b"sp"], [b"hi"]]))}
    write_csd(tmp_path / "bad.csd", "words", words)
    raises(lambda: read_sdk_csd(dict(paths, text=tmp_path / "bad.csd"), label_csd, FOLDS),
           "bad.csd", "data/vA/features", "numeric features")
    with h5py.File(tmp_path / "bad.csd", "w") as f:
        f.create_group("glove_vectors").create_group("meta")
    raises(lambda: read_sdk_csd(dict(paths, text=tmp_path / "bad.csd"), label_csd, FOLDS),
           "bad.csd", "glove_vectors/data")
    labels = {"vA": (np.array([[0.0, 1.2]]), np.array([[4.0]]))}
    write_csd(tmp_path / "bad_labels.csd", "Opinion Segment Labels", labels)
    raises(lambda: read_sdk_csd(paths, tmp_path / "bad_labels.csd", {"train": ["vA"]}),
           "bad_labels.csd", "[-3, 3]")
    truncate(paths["audio"])
    raises(lambda: read_sdk_csd(paths, label_csd, FOLDS), "COVAREP.csd", "<hdf5>")


# ============================================================= dispatch
def test_read_dataset_dispatch(tmp_path):
    assert sorted(FORMATS) == ["bclstm", "cim_npz", "csd", "hffn", "mfn_h5", "mmsa", "mult"]
    path = tmp_path / "mosi_data.pkl"
    write_mult(path, T=(5, 5, 5), dims=(300, 5, 20))
    d = read_dataset("mult", path, expected_sizes=None)
    assert isinstance(d, MSADataset) and d.name == "mosi"
    with pytest.raises(ValueError, match="format"):
        read_dataset("pkl", path)


def test_find_sdk_csd_goes_by_root_names_not_file_names(tmp_path):
    from keras_msa.data_tools.readers import find_sdk_csd

    paths, label_csd = write_sdk(tmp_path, labels_width=7)
    # the SDK's download names (CMU_MOSEI_*.csd) say nothing of "glove" or "labels" in a uniform way
    renamed = {"text": "CMU_MOSEI_TimestampedWordVectors.csd", "audio": "CMU_MOSEI_COVAREP.csd",
               "vision": "CMU_MOSEI_VisualFacet42.csd"}
    for m, name in renamed.items():
        paths[m].rename(tmp_path / name)
    label_csd.rename(tmp_path / "CMU_MOSEI_Labels.csd")
    write_csd(tmp_path / "CMU_MOSEI_VisualOpenFace2.csd", "OpenFace_2",
              {"vA": (np.array([[0.0, 0.1]]), np.ones((1, 2)))})
    found, labels = find_sdk_csd(tmp_path)
    assert {m: p.name for m, p in ((m, pathlib.Path(p)) for m, p in found.items())} == renamed  # FACET first
    assert pathlib.Path(labels).name == "CMU_MOSEI_Labels.csd"
    (tmp_path / "CMU_MOSEI_TimestampedWordVectors.csd").unlink()
    raises(lambda: find_sdk_csd(tmp_path), str(tmp_path), "a text file with a root among ['glove_vectors']",
           "'CMU_MOSEI_COVAREP.csd': 'COVAREP'")


# ================================================ reviewed input defects
def test_mfn_requested_padding_moves_the_steps(tmp_path):
    rng = np.random.default_rng(4)
    data = write_youtube(tmp_path / "youtube", rng, with_train_text=True)  # post-padded, as the release
    for lengths in ("shared", "per_modality"):
        d = read_mfn_h5(tmp_path, "youtube", padding="pre", lengths=lengths, expected_sizes=None)
        assert d.test.padding == "pre" and d.info["padding_detected"] == "post"
        lens = data["test"]["lens"]
        np.testing.assert_array_equal(d.test.lengths["audio"], lens)
        for i, n in enumerate(lens):
            np.testing.assert_allclose(d.test.features["audio"][i, 5 - n:], data["test"]["audio"][i, :n], rtol=1e-6)
            assert not d.test.features["audio"][i, : 5 - n].any()
        np.testing.assert_array_equal(d.test.repad("post").features["text"],
                                      data["test"]["text"].astype("float32"))
    post = read_mfn_h5(tmp_path, "youtube", padding="post", expected_sizes=None)
    np.testing.assert_allclose(post.valid.features["vision"], data["valid"]["vision"], rtol=1e-6)


def test_mfn_mosi_messages_name_the_data_key(tmp_path):
    for s, n in zip(SPLITS, (4, 3, 3)):
        write_h5(tmp_path / f"X_{s}.h5", "data", np.ones((n, 2, 325)))
        write_h5(tmp_path / f"y_{s}.h5", "data", np.zeros(n - (s == "test")))
    raises(lambda: read_mfn_h5(tmp_path, "mosi", expected_sizes=None), "X_test.h5", "key 'data'",
           "2 samples (as the labels)", "found 3")


def test_feature_width_differing_across_splits(tmp_path):
    path = tmp_path / "tiny.pkl"  # the name does not reveal the dataset: no expected dims
    data, _ = write_mult(path)
    data["valid"]["audio"] = data["valid"]["audio"][..., :4]
    with open(path, "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_mult_pickle(path), "tiny.pkl", "'valid/audio'", "feature dimension 5 (as train/audio)",
           "found 4")
    path = tmp_path / "x.pkl"
    data, _ = write_mmsa(path)
    data["test"]["vision"] = data["test"]["vision"][..., :3]
    with open(path, "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_mmsa_pickle(path, expected_sizes=None), "x.pkl", "'test/vision'",
           "feature dimension 4 (as train/vision)", "found 3")


def test_hffn_malformed_video_order_file(tmp_path):
    scores, _, _ = write_bclstm(tmp_path / "rel")
    order_path = tmp_path / "rel" / "mosi_bclstm_pickle_video_order.json"
    order = json.loads(order_path.read_text())
    lengths = [[len(r["segment_ids"]) for r in order[s]] for s in ("train", "test")]
    data = write_hffn(tmp_path / "u.pickle", lengths=lengths)
    for s in ("train", "test"):
        for i, row in enumerate(order[s]):
            for k, seg in enumerate(row["segment_ids"]):
                data[f"{s}_label"][i, k] = np.eye(2)[int(scores[seg] >= 0)]
    with open(tmp_path / "u.pickle", "wb") as f:
        pickle.dump(data, f)

    def read():
        return read_hffn_pickle(tmp_path / "u.pickle", labels_root=tmp_path / "rel", expected_sizes=None)

    assert list(read().train.ids) == ["v-b", "vid_a"]
    bad = json.loads(json.dumps(order))
    del bad["train"][1]["video_id"]
    order_path.write_text(json.dumps(bad))
    raises(read, "mosi_bclstm_pickle_video_order.json", "'train[1]'", "'video_id' and 'segment_ids'",
           "keys ['segment_ids']")
    bad = dict(order, test=[["c_c_1", order["test"][0]["segment_ids"]]])
    order_path.write_text(json.dumps(bad))
    raises(read, "mosi_bclstm_pickle_video_order.json", "'test[0]'", "found list")
    bad = dict(order, test={"c_c_1": order["test"][0]})
    order_path.write_text(json.dumps(bad))
    raises(read, "mosi_bclstm_pickle_video_order.json", "'test'", "a list of", "found dict")


def test_sdk_csd_segments_without_words_and_unlabelled_fold_videos(tmp_path):
    paths, label_csd = write_sdk(tmp_path)
    labels = {v: (np.array([[0.0, 1.2], [1.2, 2.4], [20.0, 21.0]]), np.array([[0.5], [-1.0], [2.0]]))
              for v in ("vA", "vB", "vC")}  # [20, 21] s lies after the last word
    write_csd(tmp_path / "labels3.csd", "Opinion Segment Labels", labels)
    with pytest.warns(UserWarning, match=r"3 labelled segments overlap no word .*\['vA\[2\]', 'vB\[2\]', 'vC\[2\]'\]"):
        d = read_sdk_csd(paths, tmp_path / "labels3.csd", FOLDS, seq_len=4)
    assert {k: len(s) for k, s in d.splits.items()} == {"train": 2, "valid": 2, "test": 2}
    assert d.info["stats"]["segments_without_words"] == 3
    raises(lambda: read_sdk_csd(paths, tmp_path / "labels3.csd", FOLDS, segments_without_words="error"),
           "labels3.csd", "'data/vA[2]/intervals'", "overlaps at least one word", "[20.0, 21.0]")
    # a fold video that the labels file does not have
    folds = dict(FOLDS, test=["vC", "vD", "vE"])
    raises(lambda: read_sdk_csd(paths, label_csd, folds), "<folds>", "'test'", "labels.csd",
           "2 without labels", "['vD', 'vE']")
    with pytest.warns(UserWarning, match="2 fold videos have no labels"):
        d = read_sdk_csd(paths, label_csd, folds, unlabelled_videos="drop")
    assert list(d.test.ids) == ["vC[0]", "vC[1]"] and d.info["stats"]["fold_videos_without_labels"] == 2


def test_duplicate_segment_ids_load_but_are_refused_when_grouped_into_videos(tmp_path):
    from keras_msa.data_tools import MSASplit

    # A segment-level file may repeat an id (a segment labelled twice): the reader keeps every sample...
    path = tmp_path / "tiny.pkl"
    data, _ = write_mult(path)
    data["train"]["id"] = np.array([[b"vid0", b"0.0", b"5.0"]] * 6)
    with open(path, "wb") as f:
        pickle.dump(data, f)
    d = read_mult_pickle(path)
    assert list(d.train.ids) == ["vid0$_$0.0$_$5.0"] * 6
    # ...but grouping into videos cannot order repeated utterances: one error naming them.
    raises(lambda: group_by_video(d), "tiny.pkl", "'train/ids'", "unique ids",
           "1 duplicated ids (id: count) {'vid0$_$0.0$_$5.0': 6}")
    x = np.ones((3, 2, 4), "float32")
    split = MSASplit("test", {"text": x}, {"text": np.array([2, 2, 2])}, {"sentiment": np.zeros(3, "float32")},
                     np.array(["v$_$1", "v$_$2", "v$_$1"]), source="mem.pkl")
    raises(lambda: group_by_video(split), "mem.pkl", "'test/ids'", "{'v$_$1': 2}")


def test_mmsa_raw_text_rows_and_boolean_labels(tmp_path):
    path = tmp_path / "x.pkl"
    data, _ = write_mmsa(path)
    data["train"]["raw_text"] = data["train"]["raw_text"][:2]
    with open(path, "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_mmsa_pickle(path, expected_sizes=None), "x.pkl", "'train/raw_text'", "6 rows",
           "shape (2,)")
    data, _ = write_mmsa(path)
    data["test"]["regression_labels"] = data["test"]["regression_labels"] > 0
    with open(path, "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_mmsa_pickle(path, expected_sizes=None), "x.pkl", "'test/regression_labels'", "not bool",
           "dtype bool")
    path = tmp_path / "tiny.pkl"
    data, _ = write_mult(path)
    data["train"]["labels"] = data["train"]["labels"] > 0
    with open(path, "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_mult_pickle(path), "tiny.pkl", "'train/labels'", "dtype bool")
    rng = np.random.default_rng(5)
    write_youtube(tmp_path / "youtube", rng)
    write_h5(tmp_path / "youtube" / "y_valid.h5", "d1", np.eye(3, dtype=bool)[[0, 1, 2]])
    raises(lambda: read_mfn_h5(tmp_path, "youtube", modalities=["audio"], expected_sizes=None),
           "y_valid.h5", "'d1'", "dtype bool")
    # a boolean mask stays accepted where a mask is expected (HFFN *_mask)
    hffn = write_hffn(tmp_path / "u.pickle")
    hffn["train_mask"] = hffn["train_mask"].astype(bool)
    with open(tmp_path / "u.pickle", "wb") as f:
        pickle.dump(hffn, f)
    assert read_hffn_pickle(tmp_path / "u.pickle", expected_sizes=None).train.lengths["text"].tolist() == [3, 1]
