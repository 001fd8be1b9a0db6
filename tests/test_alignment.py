"""Word-level alignment (keras_msa.data_tools.alignment): hand-computed values and
agreement with a brute-force implementation of the SDK semantics."""

import numpy as np
import pytest

from keras_msa.data_tools import alignment


def brute_force(words, frames, feats, eps=1e-6):
    """SDK semantics, one word at a time: mean of frames whose clipped overlap > eps."""
    out = np.zeros((len(words), feats.shape[1]))
    counts = np.zeros(len(words), dtype=int)
    for w, (ws, we) in enumerate(words):
        sel = [i for i, (s, e) in enumerate(frames) if min(e, we) - max(s, ws) > eps]
        counts[w] = len(sel)
        if sel:
            out[w] = feats[sel].mean(axis=0)
    return out, counts


def regular_frames(n, rate, d=1):
    starts = np.arange(n) / rate
    return np.stack([starts, starts + 1.0 / rate], axis=1), np.arange(n * d, dtype="float64").reshape(n, d)


def test_average_frames_hand_values():
    frames, feats = regular_frames(10, 10.0)  # frame i = [i/10, (i+1)/10], value i
    words = np.array([[0.15, 0.35], [0.2, 0.3], [0.0, 0.05], [2.0, 3.0]])
    means, counts = alignment.average_frames(words, frames, feats)
    # [0.15, 0.35] overlaps frames 1, 2, 3 -> 2.0; [0.2, 0.3] only frame 2 (touching
    # frames 1 and 3 have zero-length overlap); [0, 0.05] frame 0; [2, 3] none -> 0.
    np.testing.assert_allclose(means[:, 0], [2.0, 2.0, 0.0, 0.0])
    np.testing.assert_array_equal(counts, [3, 1, 1, 0])


@pytest.mark.parametrize("regular", [True, False])
def test_average_frames_matches_brute_force(regular):
    rng = np.random.default_rng(0)
    if regular:
        frames, _ = regular_frames(300, 100.0)  # COVAREP-like 100 Hz stream
    else:  # irregular, overlapping frames (non-monotone ends): fallback path
        starts = np.sort(rng.uniform(0, 3, size=200))
        frames = np.stack([starts, starts + rng.uniform(0.001, 0.3, size=200)], axis=1)
    feats = rng.normal(size=(len(frames), 4))
    ws = np.sort(rng.uniform(0, 4.0, size=40))  # some words after the last frame
    words = np.stack([ws, ws + rng.uniform(0.0, 0.4, size=40)], axis=1)
    means, counts = alignment.average_frames(words, frames, feats)
    ref, ref_counts = brute_force(words, frames, feats)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_allclose(means, ref, rtol=1e-10, atol=1e-12)
    assert (counts == 0).any() and (counts > 1).any()  # both cases exercised


def test_average_frames_nonfinite_modes():
    frames, _ = regular_frames(4, 10.0)
    feats = np.array([[1.0, 1.0], [-np.inf, 3.0], [np.nan, 5.0], [2.0, 7.0]])
    words = np.array([[0.0, 0.2], [0.2, 0.4], [0.3, 0.4]])
    after, _ = alignment.average_frames(words, frames, feats, nonfinite="after")
    np.testing.assert_allclose(after, [[0.0, 2.0], [0.0, 6.0], [2.0, 7.0]])
    before, _ = alignment.average_frames(words, frames, feats, nonfinite="before")
    np.testing.assert_allclose(before, [[0.5, 2.0], [1.0, 6.0], [2.0, 7.0]])
    keep, _ = alignment.average_frames(words, frames, feats, nonfinite="keep")
    assert np.isneginf(keep[0, 0]) and np.isnan(keep[1, 0])
    with pytest.raises(ValueError, match="nonfinite"):
        alignment.average_frames(words, frames, feats, nonfinite="drop")


def test_overlapping_order_and_epsilon():
    intervals = np.array([[2.0, 3.0], [0.0, 1.0], [1.0, 2.0], [0.5, 0.5 + 1e-7]])
    np.testing.assert_array_equal(alignment.overlapping(intervals, (0.5, 2.5)), [1, 2, 0])
    # a touching interval (overlap 0) does not count; a tiny one (< eps) neither
    np.testing.assert_array_equal(alignment.overlapping(intervals, (1.0, 2.0)), [2])


def test_pad_sequence_sides_and_truncation():
    x = np.arange(5, dtype="float32")[:, None] + 1
    pre, n = alignment.pad_sequence(x, 3)
    assert n == 3 and pre[:, 0].tolist() == [3, 4, 5]  # SDK: keeps the last words
    post, n = alignment.pad_sequence(x, 3, padding="post")
    assert n == 3 and post[:, 0].tolist() == [1, 2, 3]
    mixed, _ = alignment.pad_sequence(x, 3, padding="post", truncating="pre")
    assert mixed[:, 0].tolist() == [3, 4, 5]
    short, n = alignment.pad_sequence(x[:2], 4)
    assert n == 2 and short[:, 0].tolist() == [0, 0, 1, 2]
    short, n = alignment.pad_sequence(x[:2], 4, padding="post")
    assert short[:, 0].tolist() == [1, 2, 0, 0]
    with pytest.raises(ValueError, match="padding"):
        alignment.pad_sequence(x, 3, padding="left")


def test_align_to_words_empty_modes_and_short_words():
    words = np.array([[0.0, 0.2], [0.2, 0.2], [0.5, 0.7], [0.2, 0.4]])  # one zero-length word
    glove = np.array([[1.0], [2.0], [3.0], [4.0]])
    frames, feats = regular_frames(4, 10.0)  # covers [0, 0.4] only
    kept, out, stats = alignment.align_to_words(words, glove, {"audio": (frames, feats)})
    assert stats["dropped_short"] == 1 and stats["empty"]["audio"] == 1
    np.testing.assert_allclose(kept[:, 0], [0.0, 0.2, 0.5])  # sorted by start
    np.testing.assert_allclose(out[None][:, 0], [1.0, 4.0, 3.0])
    np.testing.assert_allclose(out["audio"][:, 0], [0.5, 2.5, 0.0])
    kept, out, stats = alignment.align_to_words(words, glove, {"audio": (frames, feats)}, empty="drop")
    assert stats["dropped_empty"] == 1 and len(kept) == 2
    np.testing.assert_allclose(out[None][:, 0], [1.0, 4.0])
