"""Turn segment-level splits into utterance-context splits (videos x utterances).

Context models (bc-LSTM, MMMU-BA, CIM, CIA) run over the utterances of one
video. Segment-level data (MulT / MMSA pickles: one segment of T word / frame
steps per sample) are grouped by video id, ordered by clip, and every segment
is pooled to one vector per modality.
"""

import dataclasses
import re

import numpy as np

from keras_msa._checks import check_whole_number
from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.dataset import MSASplit
from keras_msa.data_tools.dataset import data_error
from keras_msa.data_tools.readers._common import GENERATED_ID_PREFIX
from keras_msa.data_tools.readers._common import check_unique_ids

POOLINGS = ("mean", "last", "none")
OVERFLOWS = ("error", "truncate", "split")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _order_value(text):
    return (0, float(text), "") if _NUMBER.match(text) else (1, 0.0, text)


def parse_segment_id(segment_id):
    """``(video_id, order_key)`` of a segment id.

    Understood spellings (see also :func:`keras_msa.data_tools.video_id_of`):
    ``"<video>$_$<clip>"`` (MMSA) and ``"<video>$_$<start>$_$<end>"`` (MulT
    ids as written by :func:`read_mult_pickle`), ``"<video>[<k>]"`` (SDK),
    ``"<video>_<clip>"`` (bc-LSTM; integer clip). The order key sorts clips
    numerically. Returns None for anything else.
    """
    sid = segment_id.decode("utf-8") if isinstance(segment_id, bytes) else str(segment_id)
    if "$_$" in sid:
        video, *rest = sid.split("$_$")
        return video, tuple(_order_value(r) for r in rest)
    if sid.endswith("]") and "[" in sid:
        i = sid.rindex("[")
        return sid[:i], (_order_value(sid[i + 1:-1]),)
    head, sep, tail = sid.rpartition("_")
    if sep and head and tail.isdigit():
        return head, (_order_value(tail),)
    return None


def _pool(split, m, pooling):
    x = split.features[m]
    N, T, d = x.shape
    if pooling == "none":
        if T != 1:
            raise data_error(split.source, f"{split.name}/{m}", "one step per segment for pooling='none'",
                             f"{T} steps")
        return x[:, 0, :]
    # The modality's own T (unaligned data): MSASplit.step_mask uses the first modality's T.
    lengths = split.lengths[m]
    steps = np.arange(T)[None, :]
    mask = steps < lengths[:, None] if split.padding == "post" else steps >= T - lengths[:, None]
    if pooling == "mean":
        n = mask.sum(axis=1, keepdims=True).astype("float32")
        total = np.einsum("nt,ntd->nd", mask.astype("float32"), x)
        return np.where(n > 0, total / np.maximum(n, 1.0), 0.0).astype("float32")
    idx = np.full(N, T - 1) if split.padding == "pre" else np.maximum(lengths - 1, 0)
    out = x[np.arange(N), idx]
    return np.where((lengths > 0)[:, None], out, 0.0).astype("float32")


def _group_split(split, max_utterances, pooling, overflow, id_parser, padding):
    if split.level != "segment":
        raise data_error(split.source, f"{split.name}/level", "segment-level data to group", split.level)
    parse = id_parser or parse_segment_id
    generated = np.char.startswith(np.asarray(split.ids, dtype=str), GENERATED_ID_PREFIX)
    if generated.any():
        first = str(split.ids[int(np.flatnonzero(generated)[0])])
        raise data_error(split.source, f"{split.name}/id",
                         "segment ids naming their video (the file's 'id' key) to group segments into videos",
                         f"no 'id' key: {int(generated.sum())} generated ids such as {first!r}")
    check_unique_ids(split.ids, split.source, f"{split.name}/ids")
    videos = {}
    for i, sid in enumerate(split.ids):
        parsed = parse(sid)
        if parsed is None:
            raise data_error(
                split.source, f"{split.name}/ids",
                "segment ids naming their video and clip ('<video>$_$<clip>', '<video>[<k>]', '<video>_<clip>')",
                repr(str(sid)),
            )
        video, order = parsed
        videos.setdefault(video, []).append((order, i))
    rows, row_ids = [], []
    for video, items in videos.items():
        items.sort(key=lambda t: (t[0], t[1]))
        idx = [i for _, i in items]
        if max_utterances is not None and len(idx) > max_utterances:
            if overflow == "error":
                raise data_error(split.source, f"{split.name}/{video}", f"at most max_utterances={max_utterances} "
                                 "segments per video (or overflow='truncate' / 'split')", f"{len(idx)} segments")
            if overflow == "truncate":
                idx = idx[:max_utterances]
            else:
                for k in range(0, len(idx), max_utterances):
                    rows.append(idx[k:k + max_utterances])
                    row_ids.append(f"{video}#{k // max_utterances}")
                continue
        rows.append(idx)
        row_ids.append(video)
    U = max(len(r) for r in rows) if max_utterances is None else int(max_utterances)
    V = len(rows)
    pos = np.full((V, U), -1, dtype="int64")
    lengths = np.zeros(V, dtype="int32")
    for v, idx in enumerate(rows):
        n = len(idx)
        lengths[v] = n
        if padding == "post":
            pos[v, :n] = idx
        else:
            pos[v, U - n:] = idx
    real = pos >= 0
    safe = np.where(real, pos, 0)

    def gather(a):
        out = a[safe]
        mask = real.reshape(real.shape + (1,) * (a.ndim - 1))
        return np.where(mask, out, np.zeros((), dtype=a.dtype))

    features = {m: gather(_pool(split, m, pooling)) for m in split.modalities}
    labels = {k: gather(np.asarray(y)) for k, y in split.labels.items()}
    uids = np.where(real, np.asarray(split.ids, dtype=str)[safe], "")
    return MSASplit(
        name=split.name,
        features=features,
        lengths={m: lengths.copy() for m in split.modalities},
        labels=labels,
        ids=np.array(row_ids),
        padding=padding,
        level="context",
        utterance_ids=uids,
        source=split.source,
    )


def group_by_video(data, max_utterances=None, pooling="mean", overflow="error", padding="post", id_parser=None):
    """Group segment-level samples into videos x utterances (utterance-context data).

    Segments are grouped by the video id of their id and sorted by clip
    (clip index, SDK index, or start time); each segment becomes one
    utterance vector per modality. Used to run the context models (CIA, CIM)
    on MulT / MMSA pickles.

    Args:
        data: a segment-level :class:`MSASplit` or :class:`MSADataset`.
        max_utterances: utterance axis length U; default the longest video
            of each split.
        pooling: how a segment's (T, d) steps become one (d,) vector:
            "mean" over its real steps (default), "last" real step, or
            "none" (the data already have T = 1).
        overflow: when a video has more than ``max_utterances`` segments:
            "error", "truncate" (keep the first ones) or "split" (consecutive
            chunks become rows ``"<video>#<k>"``).
        padding: side of the utterance padding ("post", as the IITP data, or "pre").
        id_parser: optional callable ``id -> (video, sortable order)``.

    Returns:
        the same type as ``data``, at level "context": features (V, U, d),
        labels (V, U, ...), ``ids`` = video ids, ``utterance_ids`` = segment
        ids ("" on padding), lengths = utterances per video.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"`pooling` must be one of {POOLINGS}. Received: pooling={pooling!r}")
    if overflow not in OVERFLOWS:
        raise ValueError(f"`overflow` must be one of {OVERFLOWS}. Received: overflow={overflow!r}")
    if padding not in ("pre", "post"):
        raise ValueError(f"`padding` must be 'pre' or 'post'. Received: padding={padding!r}")
    if max_utterances is not None:
        max_utterances = check_whole_number("max_utterances", max_utterances, 1)
    kwargs = dict(max_utterances=max_utterances, pooling=pooling, overflow=overflow, id_parser=id_parser,
                  padding=padding)
    if isinstance(data, MSASplit):
        return _group_split(data, **kwargs)
    if isinstance(data, MSADataset):
        splits = {k: _group_split(s, **kwargs) for k, s in data.splits.items()}
        info = dict(data.info, level="context", grouped_from="segment", pooling=pooling)
        return dataclasses.replace(data, splits=splits, info=info)
    raise TypeError(f"`data` must be an MSASplit or MSADataset. Received: {type(data).__name__}")
