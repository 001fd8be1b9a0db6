"""Standard train / valid / test folds (video-id lists) and splitting by video id.

The CMU-MultimodalSDK standard folds (``cmu_mosi_std_folds.py``,
``cmu_mosei_std_folds.py``) are lists of **video** ids; segments belong to the
fold of their video. :func:`load_folds` reads them from a JSON file
``{"train": [...], "valid": [...], "test": [...]}`` (extra keys such as
``source_repo`` / ``commit`` are kept as metadata); the path is always an
argument: the package ships no fold files and needs none.

Segment ids come in several spellings, all mapped to their video id by
:func:`video_id_of`:

* ``"<video>_<clip>"`` (MOSI bc-LSTM / MFN; video ids may contain ``_``),
* ``"<video>$_$<clip>"`` (MMSA),
* ``"<video>[<k>]"`` (SDK keys after ``align``),
* ``(video, start, end)`` rows / bytes (MulT pickles: the first field),
* the video id itself (utterance-context data: one sample per video).
"""

import json
import os

import numpy as np

from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.dataset import MSASplit
from keras_msa.data_tools.dataset import data_error

__all__ = ["FOLD_NAMES", "load_folds", "video_id_of", "fold_indices", "split_by_folds", "concat_splits"]

FOLD_NAMES = ("train", "valid", "test")


def load_folds(path):
    """Read a folds JSON file and validate it.

    Args:
        path: path of a JSON object with lists of video ids under ``"train"``,
            ``"valid"`` and ``"test"`` (``"valid"`` may be absent).

    Returns:
        dict ``{"train": [str], "valid": [str], "test": [str], "meta": {...}}``
        (``"meta"`` holds the other keys of the file).

    Raises:
        DataValidationError: missing file, invalid JSON, missing / empty /
            non-list fold, non-string id, duplicate ids or an id in two folds.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise data_error(path, "<file>", "an existing folds JSON file", "no such file")
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise data_error(path, "<file>", "valid JSON", f"a parse error ({exc})") from None
    if not isinstance(raw, dict):
        raise data_error(path, "<root>", "a JSON object with train / valid / test lists", type(raw).__name__)
    folds = {}
    for name in FOLD_NAMES:
        if name not in raw:
            if name == "valid":
                continue
            raise data_error(path, name, "a list of video ids", f"keys {sorted(raw)}")
        ids = raw[name]
        if not isinstance(ids, list) or not ids:
            raise data_error(path, name, "a non-empty list of video ids",
                             f"{type(ids).__name__} of length {len(ids) if hasattr(ids, '__len__') else '?'}")
        bad = [v for v in ids if not isinstance(v, str) or not v]
        if bad:
            raise data_error(path, name, "non-empty string video ids", f"{len(bad)} other entries, e.g. {bad[0]!r}")
        if len(set(ids)) != len(ids):
            dup = sorted({v for v in ids if ids.count(v) > 1})
            raise data_error(path, name, "unique video ids", f"{len(dup)} duplicated, e.g. {dup[0]!r}")
        folds[name] = list(ids)
    names = list(folds)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            both = set(folds[a]) & set(folds[b])
            if both:
                raise data_error(path, f"{a}/{b}", "disjoint folds",
                                 f"{len(both)} video id(s) in both, e.g. {sorted(both)[0]!r}")
    folds["meta"] = {k: v for k, v in raw.items() if k not in FOLD_NAMES}
    return folds


def _to_str(x):
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return _to_str(x.item())
        return _to_str(x.reshape(-1)[0])  # MulT: (video, start, end) -> video
    if isinstance(x, (list, tuple)):
        return _to_str(x[0])
    return str(x)


def video_id_of(segment_id, known_videos=None):
    """Video id of one segment id (any spelling listed in the module docstring).

    Args:
        segment_id: str, bytes, or a (video, start, end) row.
        known_videos: optional set of video ids; with it, ``"<a>_<b>"`` ids
            are resolved to the known video (an id that is itself a known
            video is returned unchanged).

    Returns:
        str, the video id (``None`` if ``known_videos`` is given and no
        candidate is known).
    """
    sid = _to_str(segment_id)
    candidates = [sid]
    if "$_$" in sid:
        candidates.append(sid.split("$_$")[0])
    if sid.endswith("]") and "[" in sid:
        candidates.append(sid[: sid.rindex("[")])
    if "_" in sid:
        candidates.append(sid.rsplit("_", 1)[0])
    if known_videos is None:
        if "$_$" in sid or (sid.endswith("]") and "[" in sid):
            return candidates[1]
        # "<video>_<clip>" with an integer clip index; otherwise the id is a video id.
        head, _, tail = sid.rpartition("_")
        return head if head and tail.isdigit() else sid
    for c in candidates:
        if c in known_videos:
            return c
    return None


def fold_indices(ids, folds, on_unknown="error", source="<memory>"):
    """Sample indices of every fold, by the video id of each sample.

    Args:
        ids: array of segment or video ids (N,) (or MulT (N, 3) rows).
        folds: dict from :func:`load_folds` (or any ``{fold: [video ids]}``).
        on_unknown: ``"error"`` (raise when a sample's video is in no fold) or
            ``"drop"`` (leave such samples out).
        source: name used in error messages.

    Returns:
        ``{fold: int64 array of indices in the order of ids}``.
    """
    if on_unknown not in ("error", "drop"):
        raise ValueError(f"`on_unknown` must be 'error' or 'drop'; found {on_unknown!r}.")
    fold_names = [f for f in FOLD_NAMES if f in folds]
    if not fold_names:
        raise ValueError(f"`folds` must hold some of {FOLD_NAMES}; found keys {sorted(folds)}.")
    owner = {}
    for f in fold_names:
        for v in folds[f]:
            owner[v] = f
    rows = list(ids)
    if not rows:
        raise data_error(source, "ids", "at least one sample id", "none")
    out = {f: [] for f in fold_names}
    unknown = []
    for i, sid in enumerate(rows):
        vid = video_id_of(sid, known_videos=owner)
        if vid is None:
            unknown.append(_to_str(sid))
            continue
        out[owner[vid]].append(i)
    if unknown and on_unknown == "error":
        raise data_error(source, "ids", "every sample's video id in one of the folds",
                         f"{len(unknown)} sample(s) whose video is in no fold, e.g. {unknown[0]!r}")
    return {f: np.asarray(v, dtype="int64") for f, v in out.items()}


def concat_splits(splits, name="all"):
    """Concatenate :class:`MSASplit` objects with the same modalities, steps, padding and level."""
    splits = list(splits)
    if not splits:
        raise ValueError("`splits` is empty: expected at least one MSASplit.")
    first = splits[0]
    for s in splits[1:]:
        if (s.modalities != first.modalities or s.num_steps != first.num_steps or s.padding != first.padding
                or s.level != first.level or s.feature_dims != first.feature_dims
                or sorted(s.labels) != sorted(first.labels)):
            raise data_error(s.source, s.name, f"the layout of split {first.name!r} (modalities, T, d, "
                             "padding, level, label names)", "a different layout")
    has_utt = all(s.utterance_ids is not None for s in splits)
    return MSASplit(
        name=name,
        features={m: np.concatenate([s.features[m] for s in splits]) for m in first.modalities},
        lengths={m: np.concatenate([s.lengths[m] for s in splits]) for m in first.modalities},
        labels={k: np.concatenate([s.labels[k] for s in splits]) for k in first.labels},
        ids=np.concatenate([s.ids for s in splits]),
        padding=first.padding,
        level=first.level,
        utterance_ids=np.concatenate([s.utterance_ids for s in splits]) if has_utt else None,
        source=first.source,
    )


def split_by_folds(data, folds, on_unknown="error", name=None):
    """Re-split samples into the folds' train / valid / test by video id.

    Args:
        data: an :class:`MSASplit` holding all samples, or an
            :class:`MSADataset` whose splits are pooled first (same layout).
        folds: dict from :func:`load_folds`, or a path to a folds JSON file.
        on_unknown: ``"error"`` or ``"drop"`` samples whose video is in no fold.
        name: dataset name (default: the dataset's, or ``"dataset"``).

    Returns:
        :class:`MSADataset` with one split per fold, samples in their original
        order; ``info["folds"]`` records the fold source and sizes.
    """
    info = {}
    if isinstance(folds, (str, os.PathLike)):
        info["folds_path"] = os.fspath(folds)
        folds = load_folds(folds)
    if isinstance(data, MSADataset):
        info = dict(data.info, **info)
        name = name or data.name
        pooled = concat_splits(data.splits.values())
    elif isinstance(data, MSASplit):
        pooled = data
        name = name or "dataset"
    else:
        raise TypeError(f"`data` must be an MSASplit or MSADataset; found {type(data).__name__}.")
    idx = fold_indices(pooled.ids, folds, on_unknown=on_unknown, source=pooled.source)
    splits = {}
    for f, ind in idx.items():
        if ind.size == 0:
            raise data_error(pooled.source, f, "at least one sample in the fold", "0 samples (no id matched)")
        splits[f] = pooled.take(ind, name=f)
    info["folds"] = {f: int(len(s)) for f, s in splits.items()}
    return MSADataset(name, splits, info)
