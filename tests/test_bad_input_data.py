"""Bad input to the data readers, MSASplit, group_by_video and EpochBatches: one clear error naming
the file / key / argument, the expected value and what was found (nothing truncated or dropped)."""

import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from keras_msa.data_tools import DataValidationError
from keras_msa.data_tools import MSASplit
from keras_msa.data_tools import group_by_video
from keras_msa.data_tools import read_bclstm_mosi
from keras_msa.data_tools import read_hffn_pickle
from keras_msa.data_tools import read_mfn_h5
from keras_msa.data_tools import read_mosi_sentiment
from keras_msa.data_tools import read_mult_pickle
from keras_msa.data_tools import read_sdk_csd
from keras_msa.data_tools.tfdata import EpochBatches
from keras_msa.data_tools.tfdata import to_tf_dataset
from tests.test_readers import FOLDS
from tests.test_readers import SPLITS
from tests.test_readers import raises
from tests.test_readers import write_bclstm
from tests.test_readers import write_h5
from tests.test_readers import write_hffn
from tests.test_readers import write_mult
from tests.test_readers import write_sdk
from tests.test_readers import write_youtube


def _set_cell(path, row, column, value):
    """Rewrite one cell of a header-less CSV (the column becomes object so any value fits)."""
    table = pd.read_csv(path, header=None)
    table[column] = table[column].astype(object)
    table.iloc[row, column] = value
    table.to_csv(path, header=False, index=False)


# ------------------------------------------------------- 1. MulT pickle without ids
@pytest.mark.parametrize("without_id", [SPLITS, ("valid",)])
def test_mult_pickle_without_ids_cannot_be_grouped_into_videos(tmp_path, without_id):
    path = tmp_path / "tiny.pkl"
    data, _ = write_mult(path)
    for s in without_id:
        del data[s]["id"]
    with open(path, "wb") as f:
        pickle.dump(data, f)
    d = read_mult_pickle(path)  # segment-level use needs no ids: still read
    first = without_id[0]
    assert d.splits[first].ids[0] == f"<no id>/{first}/0"
    assert len(set(d.splits[first].ids)) == len(d.splits[first])
    # grouping would have collapsed the split into one video "train": one error naming the file and key 'id'
    message = raises(lambda: group_by_video(d), "tiny.pkl", f"key '{first}/id'", "the file's 'id' key",
                     "found no 'id' key", f"'<no id>/{first}/0'")
    assert message.startswith(f"{path}: key '{first}/id': expected ")
    raises(lambda: group_by_video(d.splits[first]), "tiny.pkl", f"'{first}/id'", "no 'id' key")
    if first != "train":
        assert group_by_video(d.train).level == "context"  # splits with ids still group


# ------------------------------------------------ 2. clip index of OpinionLevelSentiment.csv
@pytest.mark.parametrize("value, expected, found", [
    (3.5, "expected an integer clip index", "found 3.5."),
    ("three", "expected a number", "found 'three'."),
    (None, "expected an integer clip index", "found nan."),
])
def test_bad_clip_index_names_the_row_column_and_value(tmp_path, value, expected, found):
    write_bclstm(tmp_path)
    path = tmp_path / "OpinionLevelSentiment.csv"
    _set_cell(path, 2, 3, value)
    raises(lambda: read_mosi_sentiment(path), f"{path}: key 'row 2, column 3 (clip_index)'", expected, found)
    raises(lambda: read_bclstm_mosi(tmp_path, expected_sizes=None), "OpinionLevelSentiment.csv",
           "'row 2, column 3 (clip_index)'", expected, found)


# ------------------------------------------------ 3. a requested modality's file missing for one split
@pytest.mark.parametrize("split", SPLITS)
def test_requested_modality_with_a_missing_split_file_is_an_error(tmp_path, split):
    write_youtube(tmp_path / "youtube", np.random.default_rng(0), with_train_text=True)
    missing = tmp_path / "youtube" / f"text_{split}_emb.h5"
    os.remove(missing)
    raises(lambda: read_mfn_h5(tmp_path, "youtube", modalities=["text", "audio"], expected_sizes=None),
           f"{missing}: key 'd1'", f"expected the text file of the {split} split (requested modality 'text')",
           "found no such file")
    # not requested: the default loads the modalities with files for every split and names what it left out
    with pytest.warns(UserWarning, match=rf"modalities \['text'\] left out: missing files .*text_{split}_emb.h5"):
        d = read_mfn_h5(tmp_path, "youtube", expected_sizes=None)
    assert d.modalities == ("audio", "vision") and d.info["missing_files"] == [str(missing)]


def test_mfn_release_segments_have_no_video_ids_to_group_by(tmp_path):
    write_youtube(tmp_path / "youtube", np.random.default_rng(0), with_train_text=True)
    d = read_mfn_h5(tmp_path, "youtube", expected_sizes=None)
    assert list(d.test.ids[:2]) == ["<no id>/youtube/test/0", "<no id>/youtube/test/1"]
    # the old ids ("youtube_test_0") parsed as one video "youtube_test": the whole split as one video
    raises(lambda: group_by_video(d), "key 'train/id'", "found no 'id' key: 6 generated ids",
           "'<no id>/youtube/train/0'")


# ------------------------------------------------ 4. MSASplit lengths / utterance ids, group_by_video
def _split_kwargs(level="segment", T=4):
    n = 3
    x = np.ones((n, T, 2), "float32")
    labels = {"sentiment": np.zeros((n, T) if level == "context" else n, "float32")}
    return dict(name="train", features={"text": x}, lengths={"text": np.array([4, 2, 1])}, labels=labels,
                ids=np.array(["a", "b", "c"]), padding="post", level=level, source="mem.h5")


@pytest.mark.parametrize("change, key, expected, found", [
    (dict(lengths={"text": np.array([4.0, 1.5, 1.0])}), "train/text_lengths", "integer lengths", "1.5 at index 1"),
    (dict(lengths={"text": np.array(["4", "2", "1"])}), "train/text_lengths", "integer lengths",
     "dtype <U1 (first value '4')"),
    (dict(lengths={"text": np.array([True, True, False])}), "train/text_lengths", "integer lengths",
     "dtype bool (first value True)"),
    (dict(lengths={"text": np.array([4.0, np.nan, 1.0])}), "train/text_lengths", "integer lengths",
     "nan at index 1"),
    (dict(level="context", utterance_ids=np.array([["a_1", "a_2", "a_3"]] * 3)), "train/utterance_ids",
     "shape (3, 4) (one id per sample and utterance step)", "shape (3, 3)"),
    (dict(level="context", utterance_ids=np.array(["a_1", "b_1", "c_1"])), "train/utterance_ids",
     "shape (3, 4) (one id per sample and utterance step)", "shape (3,)"),
    (dict(utterance_ids=np.array([["a_1"] * 4] * 3)), "train/utterance_ids",
     "None (utterance ids belong to context-level data)", "an array of shape (3, 4) for level 'segment'"),
])
def test_msasplit_refuses_bad_lengths_and_utterance_ids(change, key, expected, found):
    kwargs = _split_kwargs(level=change.get("level", "segment"))
    kwargs.update(change)
    with pytest.raises(DataValidationError) as info:
        MSASplit(**kwargs)
    assert str(info.value) == f"mem.h5: key '{key}': expected {expected}, found {found}."


def test_msasplit_still_takes_whole_float_lengths_and_matching_utterance_ids():
    s = MSASplit(**dict(_split_kwargs(), lengths={"text": np.array([4.0, 2.0, 1.0])}))
    assert s.lengths["text"].dtype == np.int32 and s.lengths["text"].tolist() == [4, 2, 1]
    uids = [["a_1", "a_2", "a_3", "a_4"], ["b_1", "b_2", "", ""], ["c_1", "", "", ""]]
    c = MSASplit(**dict(_split_kwargs(level="context"), utterance_ids=uids))
    assert isinstance(c.utterance_ids, np.ndarray) and c.utterance_ids.shape == (3, 4)


@pytest.mark.parametrize("value", [2.5, 3.0, "3", 0, -1, True])
def test_group_by_video_max_utterances_must_be_a_whole_number(tmp_path, value):
    path = tmp_path / "tiny.pkl"
    write_mult(path)
    d = read_mult_pickle(path)
    with pytest.raises(ValueError) as info:
        group_by_video(d, max_utterances=value)
    assert str(info.value) == f"`max_utterances` must be an integer >= 1. Received: max_utterances={value!r}"
    assert group_by_video(d, max_utterances=np.int64(3)).train.num_steps == 3


# ------------------------------------------------ 5. different steps T between splits
def test_mult_steps_differing_between_splits(tmp_path):
    path = tmp_path / "tiny.pkl"
    data, _ = write_mult(path)
    data["valid"]["text"] = np.concatenate([data["valid"]["text"], np.zeros((3, 1, 7), "float32")], axis=1)
    with open(path, "wb") as f:
        pickle.dump(data, f)
    with pytest.raises(DataValidationError) as info:
        read_mult_pickle(path)
    assert str(info.value) == (f"{path}: key 'valid/text': expected shape (*, 8, 7) (8 steps as train/text), "
                               "found shape (3, 9, 7).")


def test_mfn_steps_differing_between_splits(tmp_path):
    for s, n, T in zip(SPLITS, (4, 3, 3), (6, 5, 6)):
        write_h5(tmp_path / f"X_{s}.h5", "data", np.ones((n, T, 325)))
        write_h5(tmp_path / f"y_{s}.h5", "data", np.zeros(n))
    raises(lambda: read_mfn_h5(tmp_path, "mosi", expected_sizes=None), f"{tmp_path / 'X_valid.h5'}: key 'data'",
           "expected shape (*, 6, 300) (6 word steps as", "X_train.h5", "found shape (3, 5, 300)")


# ------------------------------------------------ 6. HFFN pickle features that are not an array
@pytest.mark.parametrize("value, found", [
    (None, "found None."),
    (3.0, "found float of shape ()."),
    (np.zeros((2, 4)), "found ndarray of shape (2, 4)."),
    ([[[1.0]], [[1.0, 2.0]]], "found a ragged list."),
])
def test_hffn_features_that_are_not_an_array(tmp_path, value, found):
    path = tmp_path / "u.pickle"
    data = write_hffn(path)
    data["text_train"] = value
    with open(path, "wb") as f:
        pickle.dump(data, f)
    raises(lambda: read_hffn_pickle(path, expected_sizes=None), f"{path}: key 'text_train'",
           "expected an array of shape (videos, utterances, d)", found)


# ------------------------------------------------ 7. argument checks, up front
def _arguments(tmp_path):
    nowhere = tmp_path / "not_read"  # the checks run before any file is opened
    x, y = {"a": np.zeros((4, 1), "float32")}, np.zeros(4, "float32")
    return {
        "bclstm_abc": (lambda: read_bclstm_mosi(nowhere, max_utterances="abc"),
                       "`max_utterances` must be an integer >= 1. Received: max_utterances='abc'"),
        "bclstm_negative": (lambda: read_bclstm_mosi(nowhere, max_utterances=-1),
                            "`max_utterances` must be an integer >= 1. Received: max_utterances=-1"),
        "bclstm_fraction": (lambda: read_bclstm_mosi(nowhere, max_utterances=2.5),
                            "`max_utterances` must be an integer >= 1. Received: max_utterances=2.5"),
        "csd_abc": (lambda: read_sdk_csd({"text": nowhere}, nowhere, FOLDS, seq_len="abc"),
                    "`seq_len` must be an integer >= 1. Received: seq_len='abc'"),
        "csd_fraction": (lambda: read_sdk_csd({"text": nowhere}, nowhere, FOLDS, seq_len=20.5),
                         "`seq_len` must be an integer >= 1. Received: seq_len=20.5"),
        "csd_zero": (lambda: read_sdk_csd({"text": nowhere}, nowhere, FOLDS, seq_len=0),
                     "`seq_len` must be an integer >= 1. Received: seq_len=0"),
        "mfn_abc": (lambda: read_mfn_h5(nowhere, "mmmo", audio_clip="abc"),
                    "`audio_clip` must be None or a finite number > 0. Received: audio_clip='abc'"),
        "mfn_negative": (lambda: read_mfn_h5(nowhere, "mmmo", audio_clip=-1.0),
                         "`audio_clip` must be None or a finite number > 0. Received: audio_clip=-1.0"),
        "mfn_inf": (lambda: read_mfn_h5(nowhere, "mmmo", audio_clip=float("inf")),
                    "`audio_clip` must be None or a finite number > 0. Received: audio_clip=inf"),
        "mfn_bool": (lambda: read_mfn_h5(nowhere, "mmmo", audio_clip=True),
                     "`audio_clip` must be None or a finite number > 0. Received: audio_clip=True"),
        "batches_int": (lambda: EpochBatches(5, y),
                        "x: expected an array whose first axis is the samples (or a dict / list of such arrays), "
                        "found int 5 (no samples axis)."),
        "batches_str": (lambda: EpochBatches("abc", y),
                        "x: expected an array whose first axis is the samples (or a dict / list of such arrays), "
                        "found str 'abc' (no samples axis)."),
        "batches_scalar_entry": (lambda: EpochBatches(dict(x, b=1.0), y),
                                 "x['b']: expected an array whose first axis is the samples (or a dict / list of "
                                 "such arrays), found float 1.0 (no samples axis)."),
        "batches_none": (lambda: EpochBatches(None, y),
                         "`x` must be an array or a dict / list of arrays (first axis = samples). Received: x=None"),
        "tf_dataset_int": (lambda: to_tf_dataset(5, y),
                           "x: expected an array whose first axis is the samples (or a dict / list of such arrays), "
                           "found int 5 (no samples axis)."),
        "tf_dataset_none": (lambda: to_tf_dataset(None, y),
                            "`x` must be an array or a dict / list of arrays (first axis = samples). "
                            "Received: x=None"),
    }


@pytest.mark.parametrize("case", [
    "bclstm_abc", "bclstm_negative", "bclstm_fraction", "csd_abc", "csd_fraction", "csd_zero", "mfn_abc",
    "mfn_negative", "mfn_inf", "mfn_bool", "batches_int", "batches_str", "batches_scalar_entry", "batches_none",
    "tf_dataset_int", "tf_dataset_none",
])
def test_bad_arguments_are_refused_up_front(tmp_path, case):
    fn, message = _arguments(tmp_path)[case]
    with pytest.raises(ValueError) as info:
        fn()
    assert not isinstance(info.value, DataValidationError)
    assert str(info.value) == message


def test_valid_arguments_still_work(tmp_path):
    write_bclstm(tmp_path / "rel")
    d = read_bclstm_mosi(tmp_path / "rel", expected_sizes=None, max_utterances=np.int64(5), check_pickle=False)
    assert d.train.num_steps == 5
    (tmp_path / "sdk").mkdir()
    paths, label_csd = write_sdk(tmp_path / "sdk")
    assert read_sdk_csd(paths, label_csd, FOLDS, seq_len=np.int32(3)).train.num_steps == 3
    write_youtube(tmp_path / "yt" / "youtube", np.random.default_rng(0), with_train_text=True)
    clipped = read_mfn_h5(tmp_path / "yt", "youtube", expected_sizes=None, audio_clip=1)
    assert np.abs(clipped.train.features["audio"]).max() <= 1.0
    assert len(EpochBatches(np.zeros((4, 2)), np.zeros(4), batch_size=2)) == 2


# ------------------------------------------------ 8. labels of transcripts.csv
@pytest.mark.parametrize("bad", ["text", "flipped"])
def test_transcripts_label_errors_name_the_row_and_value(tmp_path, bad):
    write_bclstm(tmp_path)
    path = tmp_path / "data" / "transcripts.csv"
    table = pd.read_csv(path, header=None)
    if bad == "text":
        _set_cell(path, 4, 3, "yes")
        parts = ("expected a number", "found 'yes'.")
    else:
        flipped = 1 - int(table.iloc[4, 3])
        _set_cell(path, 4, 3, flipped)
        parts = (f"expected label == (score >= 0) (score of {table.iloc[4, 0]!r} is", f"found {flipped} (1 mismatches)")
    raises(lambda: read_bclstm_mosi(tmp_path, expected_sizes=None), f"{path}: key 'row 4, column 3 (label)'", *parts)


# ------------------------------------------------ 9. lengths of input/audio.pickle
@pytest.mark.parametrize("item, split, value, parts", [
    (5, "train", "strings", ("a numeric array", "found dtype <U1 (value '2' at index (0,))")),
    (6, "test", "fraction", ("integer lengths", "non-integer values (3.5 at index 0)")),
    (5, "train", "too long", ("lengths in [0, 4]", "range [2, 9]")),
])
def test_audio_pickle_lengths_errors_name_the_lengths_key(tmp_path, item, split, value, parts):
    write_bclstm(tmp_path)
    path = tmp_path / "input" / "audio.pickle"
    with open(path, "rb") as f:
        t = list(pickle.load(f, encoding="latin1"))
    if value == "strings":
        t[item] = [str(v) for v in t[item]]
    elif value == "fraction":
        t[item] = [3.5 for _ in t[item]]
    else:
        t[item] = [t[item][0], 9]
    with open(path, "wb") as f:
        pickle.dump(tuple(t), f, protocol=2)
    message = raises(lambda: read_bclstm_mosi(tmp_path, expected_sizes=None), f"{path}: key '{split}_len (item {item})'",
                     *parts)
    assert "_X" not in message


# ------------------------------------------------ 10. a string cell in a feature CSV
@pytest.mark.parametrize("file, row, column", [
    (os.path.join("data", "audio", "audio_train0.csv"), 3, 5),
    (os.path.join("data", "video", "video_test0.csv"), 1, 100),  # the label column
    (os.path.join("data", "text", "text_test0.csv"), 0, 0),
    (os.path.join("data", "text_train.csv"), 2, 0),  # the transcript row index
    (os.path.join("data", "text_test.csv"), 1, 7),
])
def test_string_cell_in_a_feature_csv_names_file_row_column_and_value(tmp_path, file, row, column):
    write_bclstm(tmp_path)
    _set_cell(tmp_path / file, row, column, "oops")
    with pytest.raises(DataValidationError) as info:
        read_bclstm_mosi(tmp_path, expected_sizes=None)
    assert str(info.value) == f"{tmp_path / file}: key 'row {row}, column {column}': expected a number, found 'oops'."


def test_several_string_cells_are_counted(tmp_path):
    write_bclstm(tmp_path)
    path = tmp_path / "data" / "audio" / "audio_test0.csv"
    table = pd.read_csv(path, header=None)
    table[2] = table[2].astype(object)
    table.iloc[1, 2] = "bad"
    table.iloc[3, 2] = "?"
    table.to_csv(path, header=False, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raises(lambda: read_bclstm_mosi(tmp_path, expected_sizes=None), f"{path}: key 'row 1, column 2'",
               "expected a number", "found 'bad' (2 non-numeric cells in this column)")


class _RunsCode:
    """Unpickling this object would call ``open(marker, "w")``: a stand-in for a malicious data file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_that_names_code_is_refused_before_anything_runs(tmp_path, protocol):
    marker = tmp_path / "ran"
    path = tmp_path / "mosei_senti_data.pkl"
    with open(path, "wb") as f:
        pickle.dump({"train": {"vision": np.zeros((2, 3, 4), "float32"), "hook": _RunsCode(str(marker))}}, f,
                    protocol=protocol)
    raises(lambda: read_mult_pickle(str(path)), str(path), "<pickle>", "the pickle names io.open",
           "numpy arrays, numpy scalars and plain containers only")
    assert not marker.exists()  # refused at find_class: open() never ran
    # the same layout of numpy arrays and containers loads, at either protocol (in-band buffers included)
    from keras_msa.data_tools.readers._common import load_pickle

    arrays = {"train": {"ids": np.array(["a", "b"], dtype=object), "x": np.arange(6.0).reshape(2, 3),
                        "n": np.float32(2.5), "names": {"x", "y"}}}
    with open(path, "wb") as f:
        pickle.dump(arrays, f, protocol=protocol)
    loaded = load_pickle(str(path))
    np.testing.assert_array_equal(loaded["train"]["x"], arrays["train"]["x"])
    assert loaded["train"]["ids"].tolist() == ["a", "b"] and loaded["train"]["n"] == np.float32(2.5)
    assert loaded["train"]["names"] == {"x", "y"}
