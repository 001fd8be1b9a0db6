"""Reader of CMU-MultimodalSDK computational sequences (``.csd``, HDF5), word-aligned.

Layout (``data_and_metrics.md`` §2.1; SDK ``computational_sequence/file_ops.py``
@ ``fd18d71``)::

    /<root name>/data/<video_id>/features    2-D [n_entries, feat_dim]
    /<root name>/data/<video_id>/intervals   2-D float [n_entries, 2] = [start_s, end_s]
    /<root name>/metadata/<key>              (1,) vlen str holding json.dumps(value)

:func:`read_sdk_csd` reproduces the field's preprocessing of the CMU data
(SDK ``align(words, [avg])`` then ``align(labels)`` then ``get_tensors``):
every frame-level modality is averaged inside each word of the reference
(text) sequence (:mod:`keras_msa.data_tools.alignment`), NaN / -inf become 0,
each labelled segment keeps its last ``seq_len`` words, zero pre-padded.
"""

import json
import os

import numpy as np

from keras_msa._checks import check_whole_number
from keras_msa.data_tools import alignment
from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.folds import load_folds
from keras_msa.data_tools.labels import SDK_EMOTION_ORDER
from keras_msa.data_tools.readers._common import SPLITS
from keras_msa.data_tools.readers._common import check_sizes
from keras_msa.data_tools.readers._common import data_error
from keras_msa.data_tools.readers._common import make_split
from keras_msa.data_tools.readers._common import require_path
from keras_msa.data_tools.readers._common import resolve_expected
from keras_msa.data_tools.readers._common import warn


def _open_csd(path):
    """Open a ``.csd`` file: ``(h5py file, root name, data group)``, validated, nothing read yet."""
    import h5py

    path = require_path(path)
    try:
        f = h5py.File(path, "r")
    except Exception as e:
        found = f"an unreadable file ({type(e).__name__}: {e})"
        raise data_error(path, "<hdf5>", "a readable HDF5 .csd file", found) from e
    roots = list(f.keys())
    if not roots:
        f.close()
        raise data_error(path, "<root>", "one top-level group", "an empty file")
    root = roots[0]
    group = f[root]
    if not isinstance(group, h5py.Group) or "data" not in group:
        found = sorted(group.keys()) if isinstance(group, h5py.Group) else type(group).__name__
        f.close()
        raise data_error(path, f"{root}/data", "a 'data' group", found)
    if not len(group["data"]):
        f.close()
        raise data_error(path, f"{root}/data", "at least one entry", "none")
    return f, root, group


def _read_entry(path, where, entry):
    """``(intervals float64 (n, 2), features (n, d))`` of one ``data/<key>`` group, validated."""
    import h5py

    if not isinstance(entry, h5py.Group) or "features" not in entry or "intervals" not in entry:
        found = sorted(entry.keys()) if isinstance(entry, h5py.Group) else type(entry).__name__
        raise data_error(path, where, "datasets 'features' and 'intervals'", found)
    try:
        intervals = entry["intervals"][()]
        features = entry["features"][()]
    except Exception as e:
        raise data_error(path, where, "readable datasets", f"{type(e).__name__}: {e}") from e
    intervals = np.asarray(intervals)
    if intervals.dtype.kind not in "iuf" or intervals.ndim != 2 or intervals.shape[1] != 2:
        raise data_error(path, f"{where}/intervals", "a float array (n, 2) = [start, end]",
                         f"shape {intervals.shape}, dtype {intervals.dtype}")
    intervals = intervals.astype("float64")
    if not np.isfinite(intervals).all():
        raise data_error(path, f"{where}/intervals", "finite times", "NaN or inf")
    if np.any(intervals[:, 1] < intervals[:, 0]):
        i = int(np.flatnonzero(intervals[:, 1] < intervals[:, 0])[0])
        raise data_error(path, f"{where}/intervals", "end >= start", f"row {i} = {intervals[i].tolist()}")
    if features.ndim < 2:
        raise data_error(path, f"{where}/features", "a 2-D array (n, d)", f"shape {features.shape}")
    if features.shape[0] != intervals.shape[0]:
        raise data_error(path, f"{where}/features", f"{intervals.shape[0]} rows (as intervals)", features.shape[0])
    return intervals, features.reshape(features.shape[0], -1) if features.ndim > 2 else features


def read_csd(path):
    """Read one ``.csd`` file whole (see :class:`CsdVideos` for per-video reads).

    Returns:
        ``(root_name, data, metadata)`` with ``data = {entry key:
        (intervals float64 (n, 2), features (n, d))}`` and ``metadata`` the
        decoded metadata (JSON values; raw strings when not JSON).
    """
    f, root, group = _open_csd(path)
    path = os.fspath(path)
    with f:
        data = {key: _read_entry(path, f"{root}/data/{key}", entry) for key, entry in group["data"].items()}
        metadata = {}
        if "metadata" in group:
            for key, value in group["metadata"].items():
                try:
                    raw = value[()]
                    raw = raw[0] if np.ndim(raw) else raw
                    raw = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
                except Exception:  # metadata is informative only
                    continue
                try:
                    metadata[key] = json.loads(raw)
                except ValueError:
                    metadata[key] = raw
    return root, data, metadata


class CsdVideos:
    """A ``.csd`` file read one video at a time (memory: one video's frames, not the file).

    The CMU-MOSEI frame-level files (COVAREP, FACET) are several GB; the
    entry keys are indexed on opening (``"<video>"`` or ``"<video>[k]"``, SDK
    naming) and :meth:`video` reads, validates and concatenates the entries
    of one video, sorted by start time. Use as a context manager.

    Args:
        path: the ``.csd`` file.
        numeric: require numeric features (False for words / phones).
    """

    def __init__(self, path, numeric=True):
        self.path = os.fspath(path)
        self.numeric = numeric
        self._file, self.root, group = _open_csd(path)
        self._data = group["data"]
        self.keys = {}
        for key in self._data.keys():
            self.keys.setdefault(key.split("[")[0], []).append(key)
        self.dim = None

    def __contains__(self, video):
        return video in self.keys

    def video(self, video):
        """``(intervals (n, 2), features (n, d))`` of ``video``, all its entries, sorted by start."""
        items = []
        for key in self.keys[video]:
            intervals, features = _read_entry(self.path, f"{self.root}/data/{key}", self._data[key])
            if self.numeric and features.dtype.kind not in "biuf":
                raise data_error(self.path, f"data/{key}/features", "numeric features (for example glove_vectors)",
                                 f"dtype {features.dtype} (a words / phones sequence?)")
            items.append((intervals, features))
        intervals = np.concatenate([i for i, _ in items])
        features = np.concatenate([f for _, f in items])
        if self.dim is None:
            self.dim = features.shape[1]
        elif features.shape[1] != self.dim:
            raise data_error(self.path, f"data/{video}/features", f"feature dimension {self.dim} (as the other "
                             "entries)", features.shape[1])
        order = np.argsort(intervals[:, 0], kind="stable")
        return intervals[order], features[order]

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _segments(label_data, path):
    """``{video: [(segment id, interval (2,), labels (C,))]}`` from a label csd."""
    out, width = {}, None
    for key in sorted(label_data):
        intervals, features = label_data[key]
        if features.dtype.kind not in "biuf":
            raise data_error(path, f"data/{key}/features", "numeric labels", f"dtype {features.dtype}")
        if width is None:
            width = features.shape[1]
        elif features.shape[1] != width:
            raise data_error(path, f"data/{key}/features", f"{width} label columns", features.shape[1])
        video = key.split("[")[0]
        for r in range(intervals.shape[0]):
            seg_id = key if ("[" in key and intervals.shape[0] == 1) else f"{key}[{r}]"
            out.setdefault(video, []).append((seg_id, intervals[r], features[r].astype("float64")))
    # Segment ids number the label rows (the SDK's ``video[k]``) and grouping into videos orders the
    # utterances by that number: say so when a video's rows are not in time order.
    unordered = sorted(v for v, segs in out.items() if np.any(np.diff([span[0] for _, span, _ in segs]) < 0))
    if unordered:
        warn(f"{path}: the label rows of {len(unordered)} videos are not in time order, and utterance order "
             f"follows the row order: {unordered[:5]}{' ...' if len(unordered) > 5 else ''}")
    return out, width


#: Root names of the SDK's high-level computational sequences, per modality, in order of preference
#: (CMU-MultimodalSDK ``standard_datasets`` recipes; data_and_metrics.md §2.1).
SDK_ROOTS = {
    "text": ("glove_vectors",),
    "audio": ("COVAREP", "OpenSmile-EB10", "OpenSmile-IS09"),
    "vision": ("FACET 4.2", "FACET 4.1", "OpenFace_2", "OpenFace_1"),
    "labels": ("All Labels", "Opinion Segment Labels"),
}


def csd_root_name(path):
    """The top-level group name of a ``.csd`` file (``"COVAREP"``...), validated like :func:`read_csd`."""
    f, root, _ = _open_csd(path)
    f.close()
    return root


def find_sdk_csd(folder):
    """Find the feature and label ``.csd`` files of a folder by their root names, not their file names.

    The SDK's downloads are named after their URLs
    (``CMU_MOSEI_TimestampedWordVectors.csd``, ``CMU_MOSEI_VisualFacet42.csd``,
    ...) or, once deployed, after their root names; the root name inside
    each file (``glove_vectors``, ``COVAREP``, ``FACET 4.2``, ``All Labels``
    ...) is what identifies it. Where several files serve one modality the
    first root of :data:`SDK_ROOTS` wins (FACET before OpenFace).

    Args:
        folder: a directory holding ``.csd`` files.

    Returns:
        ``(paths, label_csd)``: ``{modality: path}`` for the modalities found
        and the labels file, ready for :func:`read_sdk_csd`.

    Raises:
        DataValidationError: naming the folder, when it has no labels file or
        no text file, with the root names it did find.
    """
    import glob

    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise data_error(folder, "<folder>", "a directory of .csd files", "no such directory")
    roots = {path: csd_root_name(path) for path in sorted(glob.glob(os.path.join(folder, "*.csd")))}
    chosen = {}
    for role, names in SDK_ROOTS.items():
        for name in names:
            hits = [path for path, root in roots.items() if root == name]
            if hits:
                chosen[role] = hits[0]
                break
    found = {os.path.basename(p): r for p, r in roots.items()}
    for role in ("labels", "text"):
        if role not in chosen:
            raise data_error(folder, "<.csd root names>", f"a {role} file with a root among {list(SDK_ROOTS[role])}",
                             found or "no .csd file")
    label_csd = chosen.pop("labels")
    return chosen, label_csd


def _first(items, k=5):
    """``items`` shown as a list of its first ``k`` entries and how many more."""
    items = list(items)
    more = f" and {len(items) - k} more" if len(items) > k else ""
    return f"{items[:k]}{more}"


def _unlabelled_fold_videos(folds, segments, folds_source, label_path, mode):
    """Count of fold videos without labelled segments; an error naming them when ``mode`` is "error"."""
    missing = {s: [v for v in folds.get(s, []) if v not in segments] for s in SPLITS}
    missing = {s: v for s, v in missing.items() if v}
    if not missing:
        return 0
    total = sum(len(v) for v in missing.values())
    shown = "; ".join(f"{s} {_first(v)}" for s, v in missing.items())
    if mode == "error":
        raise data_error(folds_source, "/".join(missing), f"fold videos with labelled segments in {label_path} "
                         "(or unlabelled_videos='drop')", f"{total} without labels: {shown}")
    warn(f"{folds_source}: {total} fold videos have no labels in {label_path} and were skipped: {shown}.")
    return total


def read_sdk_csd(
    paths,
    label_csd,
    folds,
    seq_len=50,
    reference="text",
    padding="pre",
    truncating=None,
    empty="zero",
    nonfinite="after",
    epsilon=1e-6,
    clip_emotions=3.0,
    emotion_names=SDK_EMOTION_ORDER,
    missing="drop",
    segments_without_words="drop",
    unlabelled_videos="error",
    name="dataset",
    expected_sizes=None,
):
    """Read CMU-MultimodalSDK ``.csd`` files into word-aligned segments.

    The label file is read whole; the feature files are read one labelled
    video at a time (:class:`CsdVideos`), so memory holds one video's frames
    plus the aligned output, not the multi-GB MOSEI frame files. Entries are
    validated when their video is read (videos outside ``folds`` are never
    read).

    Args:
        paths: ``{modality: path}`` for modalities among "text", "audio",
            "vision" (for example ``{"text": "glove_vectors.csd", "audio":
            "COVAREP.csd", "vision": "FACET 4.2.csd"}``).
        label_csd: path of the labels csd ("Opinion Segment Labels" (K, 1) for
            MOSI, "All Labels" (K, 7) = [sentiment, happy, sad, anger,
            surprise, disgust, fear] for MOSEI); each row is one segment with
            its time interval.
        folds: ``{"train": [video ids], "valid": [...], "test": [...]}`` or a
            folds JSON path (``shared/datasets/folds/cmu_mosi_std_folds.json``).
        seq_len: words kept per segment (MulT 50, MFN 20).
        reference: modality whose entries are the words (numeric features,
            one row per word), default "text".
        padding: "pre" (SDK ``get_tensors`` default, zeros first) or "post".
        truncating: which words to drop beyond ``seq_len``; default the SDK's
            pairing (pre-padding keeps the last words).
        empty: "zero" (a word no frame overlaps gets zeros, MFN) or "drop"
            (the word is removed from every modality, SDK ``hard_unify``).
        nonfinite: "after" / "before" / "keep", see
            :func:`keras_msa.data_tools.alignment.average_frames`.
        epsilon: interval overlap tolerance in seconds (SDK 1e-6).
        clip_emotions: clip emotion intensities at this value (MOSEI has
            values > 3); None keeps them.
        emotion_names: names of the 6 emotion columns (SDK order).
        missing: "drop" (skip videos absent from a modality csd, as SDK
            ``hard_unify``; counted in ``info``) or "error".
        segments_without_words: "drop" (a labelled segment that overlaps no
            word has no features: skipped with a warning giving the count and
            the first ids, counted in ``info``) or "error".
        unlabelled_videos: "error" (a fold video with no segment in
            ``label_csd`` is refused, naming the videos) or "drop" (skipped
            with a warning; the SDK's MOSEI test fold lists two unlabelled
            videos, ``7l3BNtSE0xc`` and ``dZFV0lyedX4``).
        name: dataset name.
        expected_sizes: None or ``{split: segments}``.

    Returns:
        segment-level MSADataset with splits of ``folds``; features
        (N, seq_len, d) float32, one shared length (words) per segment, ids
        ``"<video>[<k>]"`` (SDK naming), labels "sentiment" (N,) and, for
        7-column labels, "emotions" (N, 6).
    """
    if not isinstance(paths, dict) or not paths:
        raise ValueError(f"`paths` must be a non-empty dict {{modality: csd path}}. Received: {paths!r}")
    bad = [m for m in paths if m not in ("text", "audio", "vision")]
    if bad:
        raise ValueError(f"`paths` keys must be modalities among ('text', 'audio', 'vision'). Received: {bad}")
    if reference not in paths:
        raise ValueError(
            f"`reference` must be one of the modalities in `paths` {sorted(paths)}. Received: {reference!r}"
        )
    if padding not in ("pre", "post"):
        raise ValueError(f"`padding` must be 'pre' or 'post'. Received: padding={padding!r}")
    if missing not in ("drop", "error"):
        raise ValueError(f"`missing` must be 'drop' or 'error'. Received: missing={missing!r}")
    if segments_without_words not in ("drop", "error"):
        raise ValueError("`segments_without_words` must be 'drop' or 'error'. "
                         f"Received: segments_without_words={segments_without_words!r}")
    if unlabelled_videos not in ("drop", "error"):
        raise ValueError("`unlabelled_videos` must be 'drop' or 'error'. "
                         f"Received: unlabelled_videos={unlabelled_videos!r}")
    seq_len = check_whole_number("seq_len", seq_len, 1)
    folds_source = os.fspath(folds) if isinstance(folds, (str, os.PathLike)) else "<folds>"
    if isinstance(folds, (str, os.PathLike)):
        folds = load_folds(folds)
    owner = {}
    for f in SPLITS:
        for v in folds.get(f, []):
            owner[v] = f
    if not owner:
        raise data_error(folds_source, "train/valid/test", "lists of video ids", f"keys {sorted(folds)}")

    label_path = os.fspath(label_csd)
    _, label_data, _ = read_csd(label_path)
    segments, width = _segments(label_data, label_path)
    if width not in (1, 7):
        raise data_error(label_path, "data/*/features", "1 label column (sentiment) or 7 (sentiment + 6 emotions)",
                         f"{width} columns")
    if len(tuple(emotion_names)) != 6:
        raise ValueError(f"`emotion_names` must name 6 emotions. Received: {emotion_names!r}")
    unlabelled = _unlabelled_fold_videos(folds, segments, folds_source, label_path, unlabelled_videos)

    others = [m for m in paths if m != reference]
    rows = {s: {"ids": [], "labels": [], "lengths": [], **{m: [] for m in paths}} for s in SPLITS}
    stats = {"videos_not_in_folds": 0, "videos_missing": {}, "segments_without_words": 0,
             "words_dropped_short": 0, "words_dropped_empty": 0, "words_without_frames": {m: 0 for m in others},
             "fold_videos_without_labels": unlabelled}
    without_words = []
    seqs = {}  # modality -> CsdVideos: one video in memory at a time
    try:
        for m, p in paths.items():
            seqs[m] = CsdVideos(p)
        for video, segs in segments.items():
            split = owner.get(video)
            if split is None:
                stats["videos_not_in_folds"] += 1
                continue
            absent = [m for m in paths if video not in seqs[m]]
            if absent:
                if missing == "error":
                    raise data_error(os.fspath(paths[absent[0]]), f"data/{video}", "an entry for every labelled video",
                                     "no such entry")
                for m in absent:
                    stats["videos_missing"][m] = stats["videos_missing"].get(m, 0) + 1
                continue
            w_int, w_feat = seqs[reference].video(video)
            words, feats, st = alignment.align_to_words(
                w_int, w_feat, {m: seqs[m].video(video) for m in others}, epsilon=epsilon, empty=empty,
                nonfinite=nonfinite,
            )
            stats["words_dropped_short"] += st["dropped_short"]
            stats["words_dropped_empty"] += st["dropped_empty"]
            for m in others:
                stats["words_without_frames"][m] += st["empty"][m]
            feats = {reference: feats[None], **{m: feats[m] for m in others}}
            for seg_id, span, y in segs:
                idx = alignment.overlapping(words, span, epsilon)
                if idx.size == 0:
                    if segments_without_words == "error":
                        raise data_error(label_path, f"data/{seg_id}/intervals",
                                         f"a segment that overlaps at least one word of {os.fspath(paths[reference])} "
                                         "(or segments_without_words='drop')", f"no word in {span.tolist()}")
                    stats["segments_without_words"] += 1
                    without_words.append(seg_id)
                    continue
                r = rows[split]
                for m in paths:
                    padded, n = alignment.pad_sequence(feats[m][idx], seq_len, padding, truncating)
                    r[m].append(padded)
                r["lengths"].append(n)
                r["ids"].append(seg_id)
                r["labels"].append(y)
    finally:
        for videos in seqs.values():
            videos.close()
    if stats["videos_missing"]:
        warn(f"{label_path}: labelled videos missing from some csd files were skipped: {stats['videos_missing']}.")
    if without_words:
        warn(f"{label_path}: {len(without_words)} labelled segments overlap no word of "
             f"{os.fspath(paths[reference])} and were dropped (no features): {_first(without_words)}. "
             "Pass segments_without_words='error' to refuse them.")

    splits, sizes = {}, {}
    for s in SPLITS:
        r = rows[s]
        sizes[s] = len(r["ids"])
        if s not in folds:
            continue
        if not r["ids"]:
            raise data_error(label_path, s, f"at least one segment of the {s} fold's videos", "0 segments")
        y = np.stack(r["labels"])
        sentiment = y[:, 0].astype("float32")
        if sentiment.min() < -3 or sentiment.max() > 3:
            raise data_error(label_path, f"data/*/features[:, 0] ({s})", "sentiment scores in [-3, 3]",
                             f"range [{sentiment.min():.3f}, {sentiment.max():.3f}]")
        labels = {"sentiment": sentiment}
        if width == 7:
            emo = y[:, 1:]
            if not np.isfinite(emo).all() or emo.min() < 0:
                raise data_error(label_path, f"data/*/features[:, 1:] ({s})", "emotion intensities >= 0",
                                 "negative or non-finite values")
            if clip_emotions is not None:
                stats["emotions_clipped"] = stats.get("emotions_clipped", 0) + int(np.sum(emo > clip_emotions))
                emo = np.minimum(emo, clip_emotions)
            labels["emotions"] = emo.astype("float32")
        if not np.isfinite(sentiment).all():
            raise data_error(label_path, f"data/*/features[:, 0] ({s})", "finite sentiment", "NaN or inf")
        lengths = np.asarray(r["lengths"], dtype="int32")
        features = {m: np.stack(r[m]).astype("float32") for m in paths}
        for m, x in features.items():
            if not np.isfinite(x).all():
                raise data_error(os.fspath(paths[m]), f"data/* ({s})", "finite features after alignment",
                                 "NaN or inf (use nonfinite='after' or 'before')")
        splits[s] = make_split(s, features, {m: lengths.copy() for m in paths}, labels, np.array(r["ids"]),
                               padding=padding, level="segment", source=label_path)
    check_sizes(sizes, resolve_expected(expected_sizes, None), label_path, "segments")
    info = {
        "format": "csd",
        "source": {m: os.fspath(p) for m, p in paths.items()},
        "labels_source": label_path,
        "folds_source": folds_source,
        "seq_len": seq_len,
        "reference": reference,
        "label_kind": "sentiment+emotions" if width == 7 else "sentiment",
        "alignment": {"empty": empty, "nonfinite": nonfinite, "epsilon": epsilon},
        "stats": stats,
    }
    if width == 7:
        info["emotion_names"] = tuple(emotion_names)
    return MSADataset(name, splits, info)
