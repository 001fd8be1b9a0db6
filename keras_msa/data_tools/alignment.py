"""Word-level alignment of time-stamped feature sequences.

The field's word-aligned data (MFN / MulT "aligned" pickles, the CMU-MultimodalSDK
``align(words, collapse_functions=[avg])`` recipe) turn frame-level features
(COVAREP at 100 Hz, FACET at 30 fps, ...) into one vector per word: every frame
whose time interval overlaps the word's interval is averaged. Then each opinion
segment keeps its last ``seq_len`` words, zero-padded at the front.

Semantics (mirroring ``mmsdk/mmdatasdk/dataset/dataset.py`` @ ``fd18d71``):

* a frame ``[s, e]`` belongs to a word ``[ws, we]`` when their intersection is
  longer than ``epsilon``: ``min(e, we) - max(s, ws) > epsilon``
  (the SDK's ``__intersect_and_copy``);
* the collapse is the plain (unweighted) mean of those frames (the SDK ``avg``
  collapse function used by the MFN / MulT preprocessing);
* words shorter than ``epsilon`` are dropped (the SDK skips them);
* a word with no overlapping frame has no value in that modality. The SDK then
  drops the word from every modality (``hard_unify``); the MFN loader kept zeros.
  Both are offered (``empty="zero"`` default, ``empty="drop"``).
* NaN / +-inf (COVAREP) are replaced by 0 *after* averaging by default (a word
  whose frames contain ``-inf`` gets 0 in that dimension, as MFN's
  ``data_loader.py`` does); ``nonfinite="before"`` zeroes the frames first.
"""

import numpy as np

NONFINITE_MODES = ("after", "before", "keep")
EMPTY_MODES = ("zero", "drop")


def _as_intervals(intervals, name):
    intervals = np.asarray(intervals, dtype="float64")
    if intervals.ndim != 2 or intervals.shape[1] != 2:
        raise ValueError(f"`{name}` must have shape (n, 2) = [start, end]. Received: shape={intervals.shape}")
    return intervals


def overlapping(intervals, span, epsilon=1e-6):
    """Indices of the rows of ``intervals`` (n, 2) that overlap ``span`` = (start, end).

    Overlap means an intersection longer than ``epsilon`` (SDK semantics).
    Indices are returned in order of increasing start time (stable).
    """
    intervals = _as_intervals(intervals, "intervals")
    start, end = float(span[0]), float(span[1])
    inter = np.minimum(intervals[:, 1], end) - np.maximum(intervals[:, 0], start)
    idx = np.flatnonzero(inter > epsilon)
    return idx[np.argsort(intervals[idx, 0], kind="stable")]


def average_frames(word_intervals, frame_intervals, frame_features, epsilon=1e-6, nonfinite="after"):
    """Average the frames that overlap each word interval.

    Args:
        word_intervals: float array (W, 2), [start, end] of each word (seconds).
        frame_intervals: float array (F, 2), [start, end] of each frame.
        frame_features: array (F, d) of frame features.
        epsilon: minimal overlap (seconds) for a frame to count (SDK default 1e-6).
        nonfinite: "after" (average, then set NaN / +-inf results to 0; MFN),
            "before" (set non-finite frame values to 0, then average) or
            "keep" (leave them; the MulT pickles' -inf audio comes from this).

    Returns:
        ``(means, counts)``: float64 (W, d) averages (0 where no frame
        overlaps) and int (W,) number of frames averaged per word.
    """
    if nonfinite not in NONFINITE_MODES:
        raise ValueError(f"`nonfinite` must be one of {NONFINITE_MODES}. Received: nonfinite={nonfinite!r}")
    words = _as_intervals(word_intervals, "word_intervals")
    frames = _as_intervals(frame_intervals, "frame_intervals")
    feats = np.asarray(frame_features, dtype="float64")
    if feats.ndim == 1:
        feats = feats[:, None]
    if feats.ndim != 2 or feats.shape[0] != frames.shape[0]:
        raise ValueError(
            "`frame_features` must have shape (F, d) with F = len(frame_intervals). "
            f"Received: features {feats.shape}, intervals {frames.shape}"
        )
    W, d = words.shape[0], feats.shape[1]
    means = np.zeros((W, d), dtype="float64")
    counts = np.zeros((W,), dtype="int64")
    if W == 0 or frames.shape[0] == 0:
        return means, counts
    if nonfinite == "before":
        feats = np.where(np.isfinite(feats), feats, 0.0)

    order = np.argsort(frames[:, 0], kind="stable")
    frames, feats = frames[order], feats[order]
    starts, ends = frames[:, 0], frames[:, 1]
    if np.all(np.diff(ends) >= 0) and np.all(ends - starts > epsilon):
        # Regular frame streams: frames overlapping a word form a contiguous
        # run [lo, hi), found with two binary searches; sums via reduceat.
        lo = np.searchsorted(ends, words[:, 0] + epsilon, side="right")
        hi = np.searchsorted(starts, words[:, 1] - epsilon, side="left")
        # Exact SDK test on the two boundary frames of the run (intersection
        # longer than epsilon once clipped to the word).
        for _ in range(2):
            fix_lo = (lo < hi) & (
                np.minimum(ends[np.minimum(lo, len(ends) - 1)], words[:, 1])
                - np.maximum(starts[np.minimum(lo, len(ends) - 1)], words[:, 0])
                <= epsilon
            )
            lo = lo + fix_lo
            last = np.maximum(hi - 1, 0)
            fix_hi = (lo < hi) & (
                np.minimum(ends[last], words[:, 1]) - np.maximum(starts[last], words[:, 0]) <= epsilon
            )
            hi = hi - fix_hi
        counts = np.maximum(hi - lo, 0)
        nonempty = counts > 0
        if nonempty.any():
            padded = np.concatenate([feats, np.zeros((1, d))], axis=0)
            idx = np.stack([lo[nonempty], hi[nonempty]], axis=1).reshape(-1)
            with np.errstate(invalid="ignore", over="ignore"):
                sums = np.add.reduceat(padded, idx, axis=0)[::2]
                means[nonempty] = sums / counts[nonempty, None]
    else:
        for w in range(W):
            inter = np.minimum(ends, words[w, 1]) - np.maximum(starts, words[w, 0])
            sel = inter > epsilon
            counts[w] = int(sel.sum())
            if counts[w]:
                with np.errstate(invalid="ignore", over="ignore"):
                    means[w] = feats[sel].mean(axis=0)
    if nonfinite == "after":
        means = np.where(np.isfinite(means), means, 0.0)
    return means, counts


def pad_sequence(x, seq_len, padding="pre", truncating=None):
    """Pad or cut a (n, d) sequence to (seq_len, d) with zeros.

    Args:
        x: array (n, d).
        seq_len: target number of steps.
        padding: "pre" (zeros first, SDK ``get_tensors`` default) or "post".
        truncating: which end to cut when n > seq_len: "pre" drops the first
            steps (keeps the last ``seq_len`` words), "post" drops the last.
            Default: the SDK's pairing ("pre" for pre-padding, "post" for
            post-padding, ``lpad(direction)``).

    Returns:
        ``(padded, length)`` with ``length = min(n, seq_len)``.
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"`padding` must be 'pre' or 'post'. Received: padding={padding!r}")
    truncating = padding if truncating is None else truncating
    if truncating not in ("pre", "post"):
        raise ValueError(f"`truncating` must be 'pre' or 'post'. Received: truncating={truncating!r}")
    x = np.asarray(x)
    n = x.shape[0]
    if n > seq_len:
        x = x[n - seq_len:] if truncating == "pre" else x[:seq_len]
        n = seq_len
    out = np.zeros((seq_len,) + x.shape[1:], dtype=x.dtype)
    if n:
        if padding == "pre":
            out[seq_len - n:] = x
        else:
            out[:n] = x
    return out, n


def align_to_words(word_intervals, word_features, others, epsilon=1e-6, empty="zero", nonfinite="after"):
    """Word-align several frame-level modalities of one video.

    Args:
        word_intervals: (W, 2) intervals of the reference entries (words).
        word_features: (W, d_ref) features of the words (for example GloVe).
        others: ``{name: (frame_intervals (F, 2), frame_features (F, d))}``.
        epsilon: overlap tolerance in seconds.
        empty: "zero" keeps words that no frame of some modality overlaps (zeros
            there); "drop" removes such words from every modality (SDK unify).
        nonfinite: see :func:`average_frames`; also applied to ``word_features``
            (except "keep").

    Returns:
        ``(intervals (W', 2), {"<reference>": (W', d_ref), name: (W', d)}, stats)``
        where the reference features are under the key ``None`` and ``stats``
        counts ``dropped_short`` (words shorter than epsilon), ``empty``
        (per modality: words with no frame) and ``dropped_empty``.
    """
    if empty not in EMPTY_MODES:
        raise ValueError(f"`empty` must be one of {EMPTY_MODES}. Received: empty={empty!r}")
    words = _as_intervals(word_intervals, "word_intervals")
    ref = np.asarray(word_features)
    if ref.shape[0] != words.shape[0]:
        raise ValueError(
            "`word_features` must have one row per word interval. "
            f"Received: {ref.shape[0]} rows for {words.shape[0]} intervals"
        )
    order = np.argsort(words[:, 0], kind="stable")
    words, ref = words[order], ref[order]
    keep = np.abs(words[:, 1] - words[:, 0]) >= epsilon
    stats = {"dropped_short": int((~keep).sum()), "empty": {}, "dropped_empty": 0}
    words, ref = words[keep], ref[keep].astype("float64")
    if nonfinite != "keep":
        ref = np.where(np.isfinite(ref), ref, 0.0)
    out = {None: ref}
    found = np.ones(words.shape[0], dtype=bool)
    for name, (intervals, features) in others.items():
        means, counts = average_frames(words, intervals, features, epsilon=epsilon, nonfinite=nonfinite)
        out[name] = means
        stats["empty"][name] = int((counts == 0).sum())
        found &= counts > 0
    if empty == "drop" and not found.all():
        stats["dropped_empty"] = int((~found).sum())
        words = words[found]
        out = {k: v[found] for k, v in out.items()}
    return words, out, stats
