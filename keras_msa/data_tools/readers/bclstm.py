"""Readers of the utterance-level CMU-MOSI release of bc-LSTM (Poria et al., ACL 2017)
and of the MMMU-BA / HFFN unimodal-activation pickle built on it.

Layouts: ``shared/datasets/README.md`` §1-2 and ``data_and_metrics.md`` §2.5.
"""

import json
import os

import numpy as np

from keras_msa._checks import check_whole_number
from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.readers._common import check_modalities
from keras_msa.data_tools.readers._common import check_sizes
from keras_msa.data_tools.readers._common import data_error
from keras_msa.data_tools.readers._common import get_key
from keras_msa.data_tools.readers._common import load_pickle
from keras_msa.data_tools.readers._common import make_split
from keras_msa.data_tools.readers._common import require_path
from keras_msa.data_tools.readers._common import resolve_expected
from keras_msa.data_tools.readers._common import to_float32
from keras_msa.data_tools.readers._common import to_lengths

BCLSTM_DIMS = {"text": 100, "audio": 73, "vision": 100}
BCLSTM_FILES = {
    "text": os.path.join("data", "text", "text_{split}0.csv"),
    "audio": os.path.join("data", "audio", "audio_{split}0.csv"),
    "vision": os.path.join("data", "video", "video_{split}0.csv"),
}
BCLSTM_SPLITS = ("train", "test")
BCLSTM_UTTERANCES = {"train": 1447, "test": 752}
BCLSTM_VIDEOS = {"train": 62, "test": 31}
MOSI_SEGMENTS = 2199
LEAKAGE_NOTE = (
    "bc-LSTM text/video features come from extractors trained on the 62 training videos: "
    "use them only with this 62/31 split (see data_and_metrics.md, pitfall 3)."
)


# ----------------------------------------------------------------- helpers
def _read_csv(path):
    import pandas as pd

    path = require_path(path)
    try:
        table = pd.read_csv(path, header=None)
    except Exception as e:
        raise data_error(path, "<csv>", "a readable CSV file", f"{type(e).__name__}: {e}") from e
    if table.shape[0] == 0:
        raise data_error(path, "<rows>", "at least one row", "0 rows")
    return table


def _cell(table, column, row):
    value = table[column].iloc[row]
    return value.item() if isinstance(value, np.generic) else value


def _numeric_cells(table, path, names=None):
    """The cells of ``table`` as float64; the first cell that is not a number is named
    by row, column and value (empty cells stay NaN, for the callers' NaN checks)."""
    import pandas as pd

    names = names or {}
    for column in table.columns:
        values = table[column]
        if values.dtype.kind in "iuf":
            continue
        bad = np.ones(len(values), dtype=bool) if values.dtype.kind == "b" else (
            pd.to_numeric(values, errors="coerce").isna() & values.notna()).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            label = f" ({names[column]})" if column in names else ""
            more = f" ({int(bad.sum())} non-numeric cells in this column)" if bad.sum() > 1 else ""
            raise data_error(path, f"row {row}, column {column}{label}", "a number",
                             f"{_cell(table, column, row)!r}{more}")
    return table.apply(pd.to_numeric).to_numpy(dtype="float64")


def split_clip_id(segment_id, source="<ids>", key="segment_id"):
    """``"<video>_<clip>"`` -> (video, int clip). Video ids may contain "_"."""
    video, sep, clip = str(segment_id).rpartition("_")
    if not sep or not video or not clip.isdigit():
        raise data_error(source, key, "ids of the form '<video>_<clip index>'", repr(segment_id))
    return video, int(clip)


def read_mosi_sentiment(path):
    """Continuous MOSI scores of ``OpinionLevelSentiment.csv`` as ``{"<video>_<clip>": score}``.

    The file has no header: ``start_s, end_s, video_id, clip_index, sentiment``.
    """
    table = _read_csv(path)
    if table.shape[1] != 5:
        raise data_error(path, "<columns>", "5 columns (start, end, video_id, clip_index, sentiment)", table.shape[1])
    numeric = _numeric_cells(table[[3, 4]], path, names={3: "clip_index", 4: "sentiment"})
    scores = numeric[:, 1]
    fractional = ~np.isfinite(numeric[:, 0]) | (numeric[:, 0] != np.round(numeric[:, 0]))
    if fractional.any():
        row = int(np.flatnonzero(fractional)[0])
        raise data_error(path, f"row {row}, column 3 (clip_index)", "an integer clip index", repr(_cell(table, 3, row)))
    clips = numeric[:, 0].astype("int64")
    if not np.isfinite(scores).all():
        bad = int((~np.isfinite(scores)).sum())
        raise data_error(path, "sentiment", "finite scores", f"{bad} missing or non-finite")
    if scores.min() < -3 or scores.max() > 3:
        raise data_error(path, "sentiment", "scores in [-3, 3]", f"range [{scores.min()}, {scores.max()}]")
    out = {}
    for video, clip, score in zip(table[2].astype(str), clips, scores):
        key = f"{video}_{clip}"
        if key in out:
            raise data_error(path, "video_id/clip_index", "unique segments", f"duplicate {key!r}")
        out[key] = float(score)
    return out


def _group_by_video(segment_ids, source):
    """``{video: [row, ...]}`` in first-appearance order, rows sorted by clip index."""
    groups = {}
    for row, seg in enumerate(segment_ids):
        video, clip = split_clip_id(seg, source)
        groups.setdefault(video, []).append((clip, row))
    out = {}
    for video, items in groups.items():
        items.sort()
        clips = [c for c, _ in items]
        if len(set(clips)) != len(clips):
            raise data_error(source, video, "unique clip indices per video", f"duplicates in {clips}")
        out[video] = [r for _, r in items]
    return out


def _read_split_tables(root, split, scores, transcripts_ids):
    """Segment ids, per-modality (N, d) float64 features and binary labels of one split."""
    index_path = os.path.join(root, "data", f"text_{split}.csv")
    index = _read_csv(index_path)
    if index.shape[1] != BCLSTM_DIMS["text"] + 1:
        raise data_error(index_path, "<columns>", f"{BCLSTM_DIMS['text'] + 1} columns", index.shape[1])
    index_values = _numeric_cells(index, index_path)
    rows = index[0].to_numpy()
    if rows.dtype.kind not in "iu" or rows.min() < 0 or rows.max() >= len(transcripts_ids):
        raise data_error(
            index_path, "column 0", f"integer row indices into transcripts.csv in [0, {len(transcripts_ids) - 1}]",
            f"dtype {rows.dtype}, range [{rows.min()}, {rows.max()}]",
        )
    segment_ids = transcripts_ids[rows]
    n = len(segment_ids)
    feats, binary = {}, None
    for m, pattern in BCLSTM_FILES.items():
        path = os.path.join(root, pattern.format(split=split))
        table = _read_csv(path)
        d = BCLSTM_DIMS[m]
        values = _numeric_cells(table, path)
        to_float32(values, path, "<features+label>", shape=(n, d + 1))  # validates
        if m == "text" and not np.allclose(values[:, :-1], index_values[:, 1:], rtol=0, atol=1e-6):
            raise data_error(path, "features", f"the same text features as {index_path}", "different values")
        labels = values[:, -1]
        if not np.isin(labels, (0.0, 1.0)).all():
            raise data_error(path, f"column {d} (label)", "binary labels 0/1", f"values {np.unique(labels)[:5]}")
        if binary is None:
            binary = labels
        elif not np.array_equal(binary, labels):
            first = int(np.flatnonzero(binary != labels)[0])
            raise data_error(path, f"column {d} (label)", "the same labels as the text CSV",
                             f"a difference at row {first}")
        feats[m] = values[:, :-1]
    sentiment = np.empty(n, dtype="float64")
    for i, seg in enumerate(segment_ids):
        if seg not in scores:
            raise data_error(index_path, f"row {i}", "a segment listed in OpinionLevelSentiment.csv", repr(seg))
        sentiment[i] = scores[seg]
    mismatch = np.flatnonzero((sentiment >= 0).astype("float64") != binary)
    if mismatch.size:
        i = int(mismatch[0])
        raise data_error(
            os.path.join(root, BCLSTM_FILES["text"].format(split=split)), f"row {i} label",
            f"binary label == (continuous score >= 0) (score of {segment_ids[i]!r} is {sentiment[i]})",
            f"{int(binary[i])} ({mismatch.size} mismatches)",
        )
    return segment_ids, feats, binary.astype("int32"), sentiment


def _match_pickle(path, groups, audio, binary):
    """Check ``input/audio.pickle`` against the audio CSVs; return its video order per split."""
    t = load_pickle(path)
    if not isinstance(t, (tuple, list)) or len(t) != 7:
        found = f"{type(t).__name__} of length {len(t)}" if hasattr(t, "__len__") else type(t).__name__
        raise data_error(
            path, "<tuple>", "a 7-tuple (train_X, train_y, test_X, test_y, max_len, train_len, test_len)", found
        )
    max_len = t[4]
    if not isinstance(max_len, (int, np.integer)):
        raise data_error(path, "max_len (item 4)", "an int", type(max_len).__name__)
    order = {}
    for split, (ix, iy, il) in {"train": (0, 1, 5), "test": (2, 3, 6)}.items():
        V = len(groups[split])
        to_float32(t[ix], path, f"{split}_X (item {ix})", shape=(V, max_len, BCLSTM_DIMS["audio"]))
        X = np.asarray(t[ix], dtype="float64")
        y = to_float32(t[iy], path, f"{split}_y (item {iy})", shape=(V, max_len), allow_bool=False)
        lens = to_lengths(t[il], path, f"{split}_len (item {il})", V, int(max_len))
        used = set()
        rows_order = [None] * V
        for video, rows in groups[split].items():
            n = len(rows)
            target = audio[split][rows]
            match = None
            for j in np.flatnonzero(lens == n):
                if j not in used and np.allclose(X[j, :n], target, rtol=1e-9, atol=1e-9):
                    match = int(j)
                    break
            if match is None:
                raise data_error(
                    path, f"{split}_X", f"a row equal to the audio CSV rows of video {video!r} ({n} utterances)",
                    "no matching row",
                )
            if np.any(X[match, n:] != 0):
                raise data_error(path, f"{split}_X[{match}]", f"zero padding after {n} utterances", "non-zero values")
            if not np.array_equal(y[match, :n], binary[split][rows]):
                raise data_error(path, f"{split}_y[{match}]", f"the CSV labels of video {video!r}", "different labels")
            used.add(match)
            rows_order[match] = video
        order[split] = rows_order
    return order, int(max_len)


def _order_rows(order, split, path):
    """The rows ``[{"video_id": str, "segment_ids": [str, ...]}, ...]`` of one split of the order JSON."""
    rows = get_key(order, split, path)
    if not isinstance(rows, list):
        raise data_error(path, split, "a list of {'video_id', 'segment_ids'} rows", type(rows).__name__)
    for i, row in enumerate(rows):
        key = f"{split}[{i}]"
        if not isinstance(row, dict) or "video_id" not in row or "segment_ids" not in row:
            found = f"keys {sorted(map(str, row))}" if isinstance(row, dict) else type(row).__name__
            raise data_error(path, key, "a dict with 'video_id' and 'segment_ids'", found)
        if not isinstance(row["video_id"], str):
            raise data_error(path, f"{key}.video_id", "a string", repr(row["video_id"]))
        segs = row["segment_ids"]
        if not isinstance(segs, list) or not all(isinstance(v, str) for v in segs):
            raise data_error(path, f"{key}.segment_ids", "a list of segment id strings", repr(segs)[:80])
    return rows


# ------------------------------------------------------------------ public
def read_bclstm_mosi(
    root,
    level="context",
    modalities=None,
    video_order="auto",
    check_pickle=True,
    max_utterances=None,
    expected_sizes="auto",
):
    """Read the bc-LSTM utterance-level CMU-MOSI release (text 100-d, audio 73-d, video 100-d).

    Reads ``data/text_{split}.csv`` (row order and transcript index),
    ``data/{text,audio,video}/*_{split}0.csv`` (features + binary label),
    ``data/transcripts.csv`` (segment ids) and ``OpinionLevelSentiment.csv``
    (continuous scores, joined on ``<video>_<clip>``), and checks that every
    binary label equals ``score >= 0``. When ``input/audio.pickle`` exists and
    ``check_pickle`` is true, the audio CSV rows grouped by video must equal
    the pickle's arrays, and the pickle's video order is used.

    Args:
        root: the release folder (``.../mosi_bclstm``).
        level: "context" (videos x utterances, post-padded, 63 steps) or
            "segment" (one utterance per sample, T = 1).
        modalities: subset of ("text", "audio", "vision"); default all.
        video_order: context-level row order: "auto" (the pickle's when it was
            checked, else first appearance in the CSV), "pickle", "csv" or "sorted".
        check_pickle: cross-check ``input/audio.pickle`` when present.
        max_utterances: context length T; default the longest video (63).
        expected_sizes: "auto" checks 2199 transcripts, 1447 / 752 utterances
            and 62 / 31 videos; a dict ``{split: utterances}`` checks those;
            None skips the check.

    Returns:
        MSADataset "mosi" with splits "train" and "test" (no validation split:
        use :func:`carve_validation`), labels "sentiment" (float32, [-3, 3])
        and "class" (int32, 1 = score >= 0, the CSV labels).
    """
    if level not in ("context", "segment"):
        raise ValueError(f"`level` must be 'context' or 'segment'. Received: level={level!r}")
    if video_order not in ("auto", "pickle", "csv", "sorted"):
        raise ValueError(f"`video_order` must be 'auto', 'pickle', 'csv' or 'sorted'. Received: {video_order!r}")
    if max_utterances is not None:
        max_utterances = check_whole_number("max_utterances", max_utterances, 1)
    modalities = check_modalities(modalities) or tuple(BCLSTM_DIMS)
    root = os.fspath(root)
    require_path(root, "<root>", "the mosi_bclstm folder")
    known = resolve_expected(expected_sizes, BCLSTM_UTTERANCES)
    auto = expected_sizes == "auto"

    transcripts_path = os.path.join(root, "data", "transcripts.csv")
    transcripts = _read_csv(transcripts_path)
    if transcripts.shape[1] != 4:
        raise data_error(transcripts_path, "<columns>", "4 columns (segment_id, text, video number, label)",
                         transcripts.shape[1])
    if auto and transcripts.shape[0] != MOSI_SEGMENTS:
        raise data_error(transcripts_path, "<rows>", f"{MOSI_SEGMENTS} segments", transcripts.shape[0])
    transcripts_ids = transcripts[0].astype(str).to_numpy()
    scores = read_mosi_sentiment(os.path.join(root, "OpinionLevelSentiment.csv"))
    missing = [s for s in transcripts_ids if s not in scores]
    if missing:
        raise data_error(
            os.path.join(root, "OpinionLevelSentiment.csv"), "video_id/clip_index",
            "a score for every segment of transcripts.csv", f"{len(missing)} missing (first {missing[0]!r})",
        )
    t_labels = _numeric_cells(transcripts[[3]], transcripts_path, names={3: "label"})[:, 0]
    t_scores = np.array([scores[s] for s in transcripts_ids])
    bad = np.flatnonzero(t_labels != (t_scores >= 0))
    if bad.size:
        i = int(bad[0])
        raise data_error(transcripts_path, f"row {i}, column 3 (label)",
                         f"label == (score >= 0) (score of {str(transcripts_ids[i])!r} is {t_scores[i]})",
                         f"{_cell(transcripts, 3, i)!r} ({bad.size} mismatches)")

    tables = {s: _read_split_tables(root, s, scores, transcripts_ids) for s in BCLSTM_SPLITS}
    check_sizes({s: len(tables[s][0]) for s in BCLSTM_SPLITS}, known, os.path.join(root, "data", "text_{split}.csv"),
                "utterances")
    seen = {}
    for s in BCLSTM_SPLITS:
        for seg in tables[s][0]:
            if seg in seen:
                raise data_error(os.path.join(root, "data", f"text_{s}.csv"), "segment ids",
                                 "each segment in one split only", f"{seg!r} also in {seen[seg]}")
            seen[seg] = s
    groups = {s: _group_by_video(tables[s][0], os.path.join(root, "data", f"text_{s}.csv")) for s in BCLSTM_SPLITS}
    if auto:
        check_sizes({s: len(groups[s]) for s in BCLSTM_SPLITS}, BCLSTM_VIDEOS,
                    os.path.join(root, "data", "text_{split}.csv"), "videos")

    pickle_path = os.path.join(root, "input", "audio.pickle")
    pickle_order, pickle_max = None, None
    if check_pickle and os.path.exists(pickle_path):
        audio = {s: tables[s][1]["audio"] for s in BCLSTM_SPLITS}
        binary = {s: tables[s][2] for s in BCLSTM_SPLITS}
        pickle_order, pickle_max = _match_pickle(pickle_path, groups, audio, binary)
    if video_order == "pickle" and pickle_order is None:
        raise data_error(pickle_path, "<file>", "input/audio.pickle for video_order='pickle'",
                         "no such file (or check_pickle=False)")
    order_used = video_order if video_order != "auto" else ("pickle" if pickle_order else "csv")

    info = {
        "format": "bclstm",
        "source": root,
        "level": level,
        "label_kind": "sentiment",
        "num_utterances": {s: len(tables[s][0]) for s in BCLSTM_SPLITS},
        "num_videos": {s: len(groups[s]) for s in BCLSTM_SPLITS},
        "pickle_checked": pickle_order is not None,
        "video_order": order_used if level == "context" else None,
        "note": LEAKAGE_NOTE,
    }
    splits = {}
    for s in BCLSTM_SPLITS:
        seg_ids, feats, binary, sentiment = tables[s]
        source = os.path.join(root, BCLSTM_FILES["text"].format(split=s))
        if level == "segment":
            n = len(seg_ids)
            splits[s] = make_split(
                s,
                {m: feats[m][:, None, :].astype("float32") for m in modalities},
                {m: np.ones(n, dtype="int32") for m in modalities},
                {"sentiment": sentiment.astype("float32"), "class": binary},
                seg_ids,
                padding="post",
                level="segment",
                source=source,
            )
            continue
        videos = list(groups[s])
        if order_used == "pickle":
            videos = pickle_order[s]
        elif order_used == "sorted":
            videos = sorted(videos)
        longest = max(len(groups[s][v]) for v in videos)
        T = longest if max_utterances is None else max_utterances
        if pickle_max is not None and max_utterances is None:
            T = max(T, pickle_max)
        if longest > T:
            v = max(videos, key=lambda v: len(groups[s][v]))
            raise data_error(source, v, f"at most max_utterances={T} utterances", len(groups[s][v]))
        V = len(videos)
        x = {m: np.zeros((V, T, BCLSTM_DIMS[m]), dtype="float32") for m in modalities}
        y = np.zeros((V, T), dtype="float32")
        c = np.zeros((V, T), dtype="int32")
        uids = np.full((V, T), "", dtype=object)
        lengths = np.zeros(V, dtype="int32")
        for i, v in enumerate(videos):
            rows = groups[s][v]
            n = len(rows)
            lengths[i] = n
            for m in modalities:
                x[m][i, :n] = feats[m][rows]
            y[i, :n] = sentiment[rows]
            c[i, :n] = binary[rows]
            uids[i, :n] = seg_ids[rows]
        splits[s] = make_split(
            s, x, {m: lengths.copy() for m in modalities}, {"sentiment": y, "class": c}, np.array(videos),
            padding="post", level="context", source=source, utterance_ids=uids.astype(str),
        )
    return MSADataset("mosi", splits, info)


HFFN_SIZES = {"train": 62, "test": 31}
_HFFN_MODALITY_KEYS = {"text": "text", "audio": "audio", "vision": "video"}


def _num_videos(x, path, key):
    """First dimension of a (videos, utterances, d) feature array of the HFFN pickle."""
    try:
        shape = np.shape(x)
    except ValueError:  # ragged nested lists
        shape = None
    if shape is None or len(shape) != 3:
        if x is None:
            found = "None"
        else:
            found = f"a ragged {type(x).__name__}" if shape is None else f"{type(x).__name__} of shape {shape}"
        raise data_error(path, key, "an array of shape (videos, utterances, d)", found)
    return shape[0]


def read_hffn_pickle(path, labels_root=None, zero_padding=True, modalities=None, expected_sizes="auto"):
    """Read the MMMU-BA / HFFN unimodal-activation pickle of MOSI (``unimodal_mosi_2way.pickle``).

    Layout: dict with ``{text,audio,video}_{train,test}`` (N, 63, 50),
    ``{train,test}_label`` one-hot (N, 63, 2) and ``{train,test}_mask`` (N, 63),
    1 = real utterance. Padded rows are *not* zero in the release and carry a
    dummy label [1, 0]: lengths come from the mask.

    Args:
        path: the pickle file.
        labels_root: optional folder holding ``mosi_bclstm_pickle_video_order.json``
            and ``OpinionLevelSentiment.csv`` (the ``mosi_bclstm`` release
            folder): adds video / utterance ids and the continuous
            "sentiment" labels, checking the one-hot labels equal ``score >= 0``.
        zero_padding: set features and labels of padded positions to 0 (the
            contract's padding). False keeps the released values, for parity
            with code that runs over the padded rows without a mask.
        modalities: subset of ("text", "audio", "vision").
        expected_sizes: "auto" = 62 / 31 videos; dict or None.

    Returns:
        context-level MSADataset "mosi" (splits "train", "test"), labels
        "onehot" (float32 (N, T, 2)), "class" (int32 (N, T)) and, with
        ``labels_root``, "sentiment".
    """
    modalities = check_modalities(modalities) or tuple(_HFFN_MODALITY_KEYS)
    path = os.fspath(path)
    data = load_pickle(path)
    if not isinstance(data, dict):
        raise data_error(path, "<pickle>", "a dict of arrays", type(data).__name__)
    order = scores = None
    if labels_root is not None:
        order_path = os.path.join(os.fspath(labels_root), "mosi_bclstm_pickle_video_order.json")
        require_path(order_path)
        try:
            with open(order_path) as f:
                order = json.load(f)
        except Exception as e:
            raise data_error(order_path, "<json>", "a readable JSON file", f"{type(e).__name__}: {e}") from e
        scores = read_mosi_sentiment(os.path.join(os.fspath(labels_root), "OpinionLevelSentiment.csv"))
    check_sizes({s: _num_videos(get_key(data, f"text_{s}", path), path, f"text_{s}") for s in BCLSTM_SPLITS},
                resolve_expected(expected_sizes, HFFN_SIZES), path, "videos")
    splits = {}
    for s in BCLSTM_SPLITS:
        mask = to_float32(get_key(data, f"{s}_mask", path), path, f"{s}_mask", shape=(None, None))
        N, T = mask.shape
        if not np.isin(mask, (0.0, 1.0)).all():
            raise data_error(path, f"{s}_mask", "values 0 / 1", f"values {np.unique(mask)[:5]}")
        lengths = mask.sum(axis=1).astype("int32")
        contiguous = mask == (np.arange(T)[None, :] < lengths[:, None])
        if not contiguous.all():
            row = int(np.flatnonzero(~contiguous.all(axis=1))[0])
            raise data_error(path, f"{s}_mask[{row}]", "a block of 1s followed by 0s (post-padding)", "a gap")
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise data_error(path, f"{s}_mask", "at least one utterance per video",
                             f"empty video at row {int(empty[0])}")
        keep = mask[..., None].astype("float32")
        feats = {}
        for m in modalities:
            key = f"{_HFFN_MODALITY_KEYS[m]}_{s}"
            x = to_float32(get_key(data, key, path), path, key, shape=(N, T, None))
            feats[m] = x * keep if zero_padding else x
        key = f"{s}_label"
        onehot = to_float32(get_key(data, key, path), path, key, shape=(N, T, None), allow_bool=False)
        real = mask.astype(bool)
        valid = onehot[real]
        if not (np.isin(valid, (0.0, 1.0)).all() and np.all(valid.sum(axis=-1) == 1)):
            raise data_error(path, key, "one-hot rows at real utterances", "rows that are not one-hot")
        cls = np.argmax(onehot, axis=-1).astype("int32")
        if zero_padding:
            onehot = onehot * keep
            cls = cls * real
        labels = {"onehot": onehot, "class": cls}
        ids = np.array([f"{s}_{i}" for i in range(N)])
        uids = None
        if order is not None:
            rows = _order_rows(order, s, order_path)
            if len(rows) != N:
                raise data_error(order_path, s, f"{N} videos (as the pickle)", len(rows))
            sentiment = np.zeros((N, T), dtype="float32")
            uids = np.full((N, T), "", dtype=object)
            for i, row in enumerate(rows):
                segs = row["segment_ids"]
                if len(segs) != lengths[i]:
                    raise data_error(order_path, f"{s}[{i}].segment_ids", f"{lengths[i]} segments (the mask)",
                                     len(segs))
                for k, seg in enumerate(segs):
                    if seg not in scores:
                        raise data_error(order_path, f"{s}[{i}]", "segments listed in OpinionLevelSentiment.csv",
                                         repr(seg))
                    sentiment[i, k] = scores[seg]
                    uids[i, k] = seg
            bad = real & ((sentiment >= 0).astype("int32") != np.argmax(to_float32(data[key], path, key), axis=-1))
            if bad.any():
                i, k = (int(v) for v in np.argwhere(bad)[0])
                raise data_error(path, f"{key}[{i}, {k}]", f"class == (score >= 0) for {uids[i, k]!r}",
                                 f"{int(bad.sum())} mismatches")
            labels["sentiment"] = sentiment
            ids = np.array([row["video_id"] for row in rows])
            uids = uids.astype(str)
        splits[s] = make_split(s, feats, {m: lengths.copy() for m in modalities}, labels, ids,
                               padding="post", level="context", source=path, utterance_ids=uids)
    info = {
        "format": "hffn",
        "source": path,
        "level": "context",
        "label_kind": "sentiment" if order is not None else "class",
        "num_classes": 2,
        "zero_padding": zero_padding,
        "note": LEAKAGE_NOTE,
    }
    return MSADataset("mosi", splits, info)
