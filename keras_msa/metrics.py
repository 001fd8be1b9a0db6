"""Metrics of the multimodal sentiment analysis papers, as the reference code computes them.

Every function takes ``(pred, y)`` in that order (prediction first, truth
second) plus an optional ``mask``. The order matters for the asymmetric
metrics (weighted F1, W-Acc): ``y`` is always the ground truth whose class
supports weight the average. (MulT's ``eval_metrics.py`` swaps the arguments of
``f1_score``; :func:`regression_report` can mirror that with
``mult_f1_arg_order=True``.)

Masks. Utterance-context data hold one label per utterance of a video:
arrays of shape ``(N, T)`` or ``(N, T, ...)`` plus a 0/1 mask ``(N, T)``.
With ``mask`` given, every function first keeps the positions where
``mask == 1`` (flattened, row-major) and computes the metric on those only,
as the IITP / MMMU-BA code does (``calc_valid_result_*``).

Conventions (``shared/reference/data_and_metrics.md`` §3-§4):

* Regression scores (sentiment in [-3, 3]):
  :func:`mae` (unclipped), :func:`pearson_r` (``np.corrcoef``),
  :func:`acc2` with ``mode="has_zero"`` (``y >= 0`` vs ``pred >= 0`` on all
  samples: MFN, TMA, MMSA ``Has0``, CIM) or ``mode="non_zero"`` (drop
  ``y == 0``, then ``y > 0`` vs ``pred > 0``: MulT, MMSA ``Non0``),
  :func:`acc7` / :func:`acc5` (``round(clip(x))`` on prediction *and* truth
  with numpy half-to-even rounding; ``clip=False`` mirrors TMA / MFN, where
  ``|pred| > 3.5`` rounds to +-4 and counts as wrong), :func:`mmmo_binary`
  (``> 3.5`` on both sides, ICT-MMMO).
* Class labels: :func:`accuracy` / :func:`acc3` (argmax when scores are given),
  :func:`f1` (``"binary"``: F1 of class 1, TMA; ``"weighted"``: sum over
  classes of ``support_in_y / n * F1_c``; ``"macro"``: mean F1 over the classes
  present in ``y`` or ``pred``; a class with no predicted and no true sample
  gets F1 0, scikit-learn's ``zero_division=0``, the behaviour of the
  scikit-learn versions the reference code ran on),
  :func:`weighted_accuracy` (Tong et al. 2017, IITP ``weighted_accuracy``:
  ``(TP * N / P + TN) / (2 N) = (TP / P + TN / N) / 2``, the balanced accuracy
  of one binary column), :func:`balanced_accuracy` (multi-class "UA").
* Multi-label emotions (IITP): :func:`multilabel_report` binarises
  ``prob >= threshold`` and reports per-column accuracy, weighted F1 and W-Acc
  with their averages (one threshold for all columns, or one per column);
  :func:`threshold_sweep` chooses the threshold (shared, or per column) on the
  **validation** split and applies it to test; :func:`emotion_report` gives
  the CIA paper's fixed thresholds (0.4 for F1, 0.18 for W-Acc), averages over
  the 6 emotions (CIA paper arithmetic) and over all 7 columns (CIM code,
  with the "No Class" column) and, given validation data, the
  validation-selected variant.

W-Acc is undefined when a column has no positive or no negative truth (the
reference divides by zero): :func:`weighted_accuracy` returns NaN then, and
every average here skips NaN entries (``np.nanmean``); an average whose entries
are all NaN is NaN.

All metrics return Python floats in [0, 1] (MAE and r in their own units);
the ``*_report`` functions take ``percent=True`` to multiply accuracies, F1 and
W-Acc by 100 (MAE and r stay as they are, as the papers print them).
"""

import numpy as np

__all__ = [
    "IITP_THRESHOLDS",
    "PAPER_F1_THRESHOLD",
    "PAPER_WACC_THRESHOLD",
    "EMOTION_NAMES",
    "NO_EMOTION_NAME",
    "flatten_masked",
    "mae",
    "pearson_r",
    "acc2",
    "acc5",
    "acc7",
    "rounded_accuracy",
    "mmmo_binary",
    "accuracy",
    "acc3",
    "f1",
    "f1_from_scores",
    "weighted_accuracy",
    "balanced_accuracy",
    "multilabel_report",
    "threshold_sweep",
    "regression_report",
    "classification_report",
    "mmmo_report",
    "emotion_report",
]

#: Thresholds swept by the IITP code (CIM ``trimodal_multitask.py``).
IITP_THRESHOLDS = (0.10, 0.15, 0.16, 0.17, 0.18, 0.19, 0.20, 0.21, 0.22, 0.23,
                   0.24, 0.25, 0.30, 0.35, 0.40, 0.50)
#: Fixed thresholds of the CIA paper (EMNLP 2019, Sec. 4): F1 at 0.4, W-Acc at 0.18.
PAPER_F1_THRESHOLD = 0.4
PAPER_WACC_THRESHOLD = 0.18
#: Column names of the IITP result files (alphabetical order; see labels.py for the SDK order).
EMOTION_NAMES = ("Anger", "Disgust", "Fear", "Happy", "Sad", "Surprise")
NO_EMOTION_NAME = "No Class"

_HAS_ZERO = ("has_zero", "has0", "ge0")
_NON_ZERO = ("non_zero", "non0", "nonzero")
_F1_AVERAGES = ("binary", "weighted", "macro")


# --------------------------------------------------------------------- input checks
def _as_array(x, name, check_finite=True):
    """numpy array of ``x`` with a clear error for empty / non-numeric / non-finite input."""
    if x is None:
        raise ValueError(f"`{name}` is None: expected a numeric array.")
    a = np.asarray(x)
    if a.dtype == bool:
        a = a.astype("int64")
    if a.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must be a numeric array; found dtype {a.dtype}.")
    if a.ndim == 0:
        raise ValueError(f"`{name}` must be an array with one entry per sample; found a scalar.")
    if a.size == 0:
        raise ValueError(f"`{name}` is empty: expected at least one sample, found shape {a.shape}.")
    if check_finite:
        _check_finite(a, name)
    return a


def _check_finite(a, name, where=""):
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        bad = int((~np.isfinite(a)).sum())
        raise ValueError(f"`{name}` must be finite; found {bad} NaN/inf value(s){where} in shape {a.shape}.")


def _check_mask(mask):
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"`mask` must be a 2-D (N, T) array of 0/1; found shape {m.shape}.")
    if m.dtype != bool:
        if m.dtype.kind not in "iuf":
            raise ValueError(f"`mask` must be numeric or boolean; found dtype {m.dtype}.")
        if not np.isin(m, (0, 1)).all():
            raise ValueError(f"`mask` must contain only 0 and 1; found values {np.unique(m)[:10].tolist()}.")
        m = m.astype(bool)
    if not m.any():
        raise ValueError(f"`mask` selects no position (all zero, shape {m.shape}): nothing to evaluate.")
    return m


def flatten_masked(x, mask, name="x"):
    """Return ``x[mask == 1]``: the valid positions of ``x`` (N, T, ...) as (M, ...).

    Args:
        x: array whose first two axes equal ``mask.shape``.
        mask: (N, T) array of 0/1 (or bool). ``None`` returns ``x`` unchanged.
        name: argument name used in error messages.
    """
    a = _as_array(x, name, check_finite=mask is None)
    if mask is None:
        return a
    m = _check_mask(mask)
    if a.shape[:2] != m.shape:
        raise ValueError(
            f"`{name}` must start with the mask shape {m.shape} (N, T); found shape {a.shape}."
        )
    # Padded positions may hold anything: only the selected ones must be finite.
    _check_finite(a[m], name, where=" at positions where `mask` is 1")
    return a[m]


def _scores(x, name, mask):
    """1-D float64 scores from (N,), (N, 1), (N, 1, 1) or masked (N, T[, 1])."""
    original = np.shape(x)
    a = flatten_masked(x, mask, name)
    while a.ndim > 1 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 1:
        expected = "(N, T) or (N, T, 1) (with the (N, T) mask)" if mask is not None else "(N,) or (N, 1)"
        raise ValueError(f"`{name}` must hold one score per sample: expected shape {expected}; found {original}.")
    return a.astype("float64")


def _score_pair(pred, y, mask):
    p = _scores(pred, "pred", mask)
    t = _scores(y, "y", mask)
    if p.shape != t.shape:
        raise ValueError(
            f"`pred` and `y` must hold the same number of samples; found {p.shape[0]} predictions "
            f"(shape {np.shape(pred)}) and {t.shape[0]} truths (shape {np.shape(y)})."
        )
    return p, t


def _labels(x, name, mask):
    """1-D int class ids from ids (N,) / (N, 1), or argmax of scores / one-hot (N, C)."""
    original = np.shape(x)
    a = flatten_masked(x, mask, name)
    while a.ndim > 1 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 2:
        one_hot = np.isin(a, (0, 1)).all() and np.all(a.sum(axis=-1) == 1)
        if a.dtype.kind != "f" and not one_hot:
            raise ValueError(
                f"`{name}` is neither class ids nor one-hot rows: expected (N,) class ids, (N, C) float scores "
                f"or one-hot rows, or (N, T) ids together with the (N, T) `mask`; found integer shape {original} "
                "without a mask, rows not one-hot."
            )
        return np.argmax(a, axis=-1).astype("int64"), a.shape[-1]
    if a.ndim != 1:
        raise ValueError(
            f"`{name}` must be class ids (N,) or class scores / one-hot (N, C)"
            f"{' (N, T[, C]) with the mask' if mask is not None else ''}; found shape {original}."
        )
    if a.dtype.kind == "f":
        if not np.all(a == np.round(a)):
            raise ValueError(
                f"`{name}` must be integer class ids or (N, C) scores; found non-integer values in shape {original}."
            )
    if a.min() < 0:
        raise ValueError(f"`{name}` class ids must be >= 0; found minimum {a.min()}.")
    return a.astype("int64"), None


def _label_pair(pred, y, mask):
    p, cp = _labels(pred, "pred", mask)
    t, ct = _labels(y, "y", mask)
    if p.shape != t.shape:
        raise ValueError(
            f"`pred` and `y` must hold the same number of samples; found {p.shape[0]} predictions "
            f"(shape {np.shape(pred)}) and {t.shape[0]} truths (shape {np.shape(y)})."
        )
    if cp is not None and ct is not None and cp != ct:
        raise ValueError(f"`pred` has {cp} class columns but `y` has {ct}.")
    columns = cp if cp is not None else ct
    if columns is not None:
        for name, ids, has_columns in (("pred", p, cp is not None), ("y", t, ct is not None)):
            if not has_columns and ids.max() >= columns:
                raise ValueError(f"`{name}` class ids must be < {columns} (the number of score columns of the other "
                                 f"argument); found maximum {ids.max()}.")
    return p, t, columns


def _binary_column(x, name):
    if not np.isin(x, (0, 1)).all():
        raise ValueError(f"`{name}` must be binary (0/1); found values {np.unique(x)[:10].tolist()}.")
    return x.astype("int64")


def _mode(mode):
    if mode in _HAS_ZERO:
        return "has_zero"
    if mode in _NON_ZERO:
        return "non_zero"
    raise ValueError(f"`mode` must be 'has_zero' or 'non_zero'; found {mode!r}.")


def _percent(value, percent):
    return float(value) * 100.0 if percent else float(value)


def _nanmean(values):
    values = np.asarray(values, dtype="float64")
    if values.size == 0 or np.isnan(values).all():
        return float("nan")
    return float(np.nanmean(values))


# --------------------------------------------------------------------- regression metrics
def mae(pred, y, mask=None):
    """Mean absolute error ``mean |pred - y|`` (no clipping)."""
    p, t = _score_pair(pred, y, mask)
    return float(np.mean(np.abs(p - t)))


def pearson_r(pred, y, mask=None):
    """Pearson correlation ``np.corrcoef(pred, y)[0, 1]``.

    NaN when fewer than two samples remain or either side is constant (the
    reference code's ``np.corrcoef`` returns NaN with a warning there).
    """
    p, t = _score_pair(pred, y, mask)
    if p.size < 2:
        return float("nan")
    pc, tc = p - p.mean(), t - t.mean()
    denom = np.sqrt(np.sum(pc * pc) * np.sum(tc * tc))
    if denom == 0:
        return float("nan")
    return float(np.clip(np.sum(pc * tc) / denom, -1.0, 1.0))


def _acc2_labels(p, t, mode):
    if mode == "has_zero":
        return (p >= 0).astype("int64"), (t >= 0).astype("int64")
    keep = t != 0
    return (p[keep] > 0).astype("int64"), (t[keep] > 0).astype("int64")


def acc2(pred, y, mode="has_zero", mask=None):
    """Binary accuracy of sentiment scores.

    Args:
        pred, y: scores (N,) / (N, 1), or (N, T[, 1]) with ``mask``.
        mode: ``"has_zero"`` (aliases ``"has0"``, ``"ge0"``): ``y >= 0`` vs
            ``pred >= 0`` on all samples. ``"non_zero"`` (``"non0"``,
            ``"nonzero"``): samples with ``y == 0`` dropped, ``y > 0`` vs
            ``pred > 0``.
        mask: optional (N, T) 0/1 mask.

    Returns:
        float; NaN in ``"non_zero"`` mode when every truth is 0.
    """
    mode = _mode(mode)
    p, t = _score_pair(pred, y, mask)
    pb, tb = _acc2_labels(p, t, mode)
    if tb.size == 0:
        return float("nan")
    return float(np.mean(pb == tb))


def rounded_accuracy(pred, y, num_classes, clip=True, mask=None):
    """``mean(round(clip(pred)) == round(clip(y)))`` with clip range +-(num_classes - 1) / 2.

    Rounding is numpy's half-to-even (2.5 -> 2, -0.5 -> -0, 3.5 -> 4). With
    ``clip=False`` (TMA / MFN Acc7) a prediction of 3.6 rounds to 4 and never
    matches a truth in [-3, 3].
    """
    if num_classes < 2 or num_classes % 2 == 0:
        raise ValueError(f"`num_classes` must be an odd number >= 3 (5 or 7); found {num_classes}.")
    p, t = _score_pair(pred, y, mask)
    if clip:
        k = (num_classes - 1) / 2.0
        p, t = np.clip(p, -k, k), np.clip(t, -k, k)
    return float(np.mean(np.round(p) == np.round(t)))


def acc7(pred, y, mask=None, clip=True):
    """7-class accuracy ``round(clip(x, -3, 3))``; ``clip=False`` mirrors TMA / MFN."""
    return rounded_accuracy(pred, y, 7, clip=clip, mask=mask)


def acc5(pred, y, mask=None, clip=True):
    """5-class accuracy ``round(clip(x, -2, 2))`` (MulT, MMSA)."""
    return rounded_accuracy(pred, y, 5, clip=clip, mask=mask)


def mmmo_binary(pred, y, mask=None, threshold=3.5):
    """ICT-MMMO binary accuracy: ``y > threshold`` vs ``pred > threshold`` (TMA code, 3.5)."""
    p, t = _score_pair(pred, y, mask)
    return float(np.mean((p > threshold) == (t > threshold)))


# --------------------------------------------------------------------- classification metrics
def accuracy(pred, y, mask=None):
    """Accuracy of class predictions; scores / one-hot (N, C) are argmax-ed first."""
    p, t, _ = _label_pair(pred, y, mask)
    return float(np.mean(p == t))


def acc3(pred, y, mask=None):
    """YouTube Acc3 (TMA, CIA): ``argmax(pred) == argmax(y)``; same as :func:`accuracy`."""
    return accuracy(pred, y, mask=mask)


def _f1_per_class(p, t, classes):
    out = []
    for c in classes:
        tp = np.sum((p == c) & (t == c))
        fp = np.sum((p == c) & (t != c))
        fn = np.sum((p != c) & (t == c))
        denom = 2 * tp + fp + fn
        out.append(0.0 if denom == 0 else 2.0 * tp / denom)
    return np.asarray(out, dtype="float64")


def _f1_ids(p, t, average, pos_label=1):
    if average not in _F1_AVERAGES:
        raise ValueError(f"`average` must be one of {_F1_AVERAGES}; found {average!r}.")
    if average == "binary":
        present = np.union1d(p, t)
        if present.size > 2 or not np.isin(present, (0, 1, pos_label)).all():
            raise ValueError(
                f"average='binary' needs binary labels (0/1); found classes {present.tolist()}. "
                "Use average='weighted' or 'macro' for more classes."
            )
        return float(_f1_per_class(p, t, [pos_label])[0])
    classes = np.union1d(p, t)
    scores = _f1_per_class(p, t, classes)
    if average == "macro":
        return float(np.mean(scores))
    support = np.array([np.sum(t == c) for c in classes], dtype="float64")
    return float(np.sum(scores * support) / t.size)


def f1(pred, y, average="binary", mask=None, pos_label=1):
    """F1 of class predictions (scores / one-hot (N, C) are argmax-ed first).

    Args:
        pred, y: predicted and true class ids (or scores / one-hot).
        average: ``"binary"`` (F1 of ``pos_label``; TMA MOSI / MMMO),
            ``"weighted"`` (per-class F1 weighted by the class support in
            ``y``; MFN paper, MMSA, IITP) or ``"macro"`` (plain mean over
            classes; TMA YouTube). Equal to scikit-learn's ``f1_score(y, pred,
            average=..., zero_division=0)``.
        mask: optional (N, T) mask.
        pos_label: positive class for ``"binary"``.
    """
    p, t, _ = _label_pair(pred, y, mask)
    return _f1_ids(p, t, average, pos_label)


def f1_from_scores(pred, y, mode="has_zero", average="weighted", mask=None, swap_arguments=False):
    """F1 of the :func:`acc2` decisions of regression scores (same ``mode`` rules).

    ``swap_arguments=True`` mirrors MulT's ``f1_score(pred, truth)`` (the
    prediction's classes weight the average); only for parity studies.
    NaN in ``"non_zero"`` mode when every truth is 0.
    """
    mode = _mode(mode)
    p, t = _score_pair(pred, y, mask)
    pb, tb = _acc2_labels(p, t, mode)
    if tb.size == 0:
        return float("nan")
    if swap_arguments:
        pb, tb = tb, pb
    return _f1_ids(pb, tb, average)


def _wacc_ids(p, t):
    positives = t == 1
    n_pos = int(positives.sum())
    n_neg = int(t.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    tp = int(np.sum(positives & (p == 1)))
    tn = int(np.sum(~positives & (p == 0)))
    return 0.5 * (tp / n_pos + tn / n_neg)


def weighted_accuracy(pred, y, mask=None):
    """Weighted accuracy of Tong et al. (2017) for one binary column (IITP code).

    ``W-Acc = (TP * N / P + TN) / (2 N) = (TP / P + TN / N) / 2`` with ``P`` /
    ``N`` the positives / negatives of ``y``: the balanced accuracy of the
    column. NaN when ``y`` has no positive or no negative (the reference
    divides by zero); averages in this module skip NaN.

    Args:
        pred, y: 0/1 arrays (N,) (or (N, T) with ``mask``), or (N, 2)
            scores / one-hot that are argmax-ed.
    """
    p, t, _ = _label_pair(pred, y, mask)
    return _wacc_ids(_binary_column(p, "pred"), _binary_column(t, "y"))


def balanced_accuracy(pred, y, mask=None):
    """Mean per-class recall over the classes present in ``y`` ("UA" of Gu et al.).

    For a binary column this equals :func:`weighted_accuracy` (when both
    classes are present). Equals scikit-learn's ``balanced_accuracy_score``.
    """
    p, t, _ = _label_pair(pred, y, mask)
    recalls = [np.mean(p[t == c] == c) for c in np.unique(t)]
    return float(np.mean(recalls))


# --------------------------------------------------------------------- multi-label (emotions)
def _multilabel_pair(pred, y, mask):
    p = flatten_masked(pred, mask, "pred")
    t = flatten_masked(y, mask, "y")
    if p.ndim != 2:
        raise ValueError(
            "`pred` must be (N, C) probabilities (or (N, T, C) with the (N, T) mask); "
            f"found shape {np.shape(pred)}."
        )
    if t.shape != p.shape:
        raise ValueError(
            f"`y` must have the shape of `pred` {np.shape(pred)}; found {np.shape(y)}. "
            "(A 7-column head needs 7-column targets: labels.emotion_multihot(..., no_emotion=True).)"
        )
    if not np.isin(t, (0, 1)).all():
        raise ValueError(
            "`y` must be multi-hot 0/1 (emotion presence); found other values "
            f"{np.unique(t)[:10].tolist()} (intensities? use labels.emotion_multihot)."
        )
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"`pred` must hold probabilities in [0, 1] (the sigmoid outputs); found values in "
            f"[{p.min():.4g}, {p.max():.4g}] (logits? apply a sigmoid first)."
        )
    # Keep float32 predictions in float32: the CIM code compares Keras' float32
    # outputs with Python-float thresholds, which numpy does in float32.
    precision = "float32" if p.dtype.kind == "f" and p.dtype.itemsize <= 4 else "float64"
    return p.astype(precision), t.astype("int64")


def _check_threshold(threshold, name):
    value = float(threshold)
    if not (0.0 < value < 1.0):
        raise ValueError(f"`{name}` must be a probability threshold in (0, 1); found {threshold!r}.")
    return value


def _check_thresholds(threshold, num_columns, name="threshold"):
    """One threshold (a float) or one per column (a list of ``num_columns`` floats), each in (0, 1)."""
    if np.ndim(threshold) == 0:
        return _check_threshold(threshold, name)
    values = [float(v) for v in np.asarray(threshold, dtype="float64")] if np.ndim(threshold) == 1 else None
    if values is None or len(values) != num_columns:
        raise ValueError(f"`{name}` must be one threshold or one per column ({num_columns}); found shape "
                         f"{np.shape(threshold)}.")
    return [_check_threshold(v, f"{name}[{i}]") for i, v in enumerate(values)]


def _column_names(num_columns, names):
    if names is None:
        if num_columns == len(EMOTION_NAMES):
            return list(EMOTION_NAMES)
        if num_columns == len(EMOTION_NAMES) + 1:
            return list(EMOTION_NAMES) + [NO_EMOTION_NAME]
        return [f"class_{i}" for i in range(num_columns)]
    names = list(names)
    if len(names) != num_columns:
        raise ValueError(f"`names` must have {num_columns} entries (one per column); found {len(names)}.")
    return names


def _multilabel_scores(p, t, threshold):
    """Per-column (Acc, weighted F1, W-Acc) at ``prob >= threshold``.

    ``threshold`` is one float or one per column. The comparison runs at the
    precision of ``p`` (float32 for model outputs), as numpy does it in the CIM
    code: a float32 probability equal to ``float32(0.16)`` is positive at 0.16
    although it is below 0.16 in float64.
    """
    b = (p >= np.asarray(threshold, dtype=p.dtype)).astype("int64")
    acc, f1w, wacc = [], [], []
    for c in range(p.shape[1]):
        acc.append(float(np.mean(b[:, c] == t[:, c])))
        f1w.append(_f1_ids(b[:, c], t[:, c], "weighted"))
        wacc.append(_wacc_ids(b[:, c], t[:, c]))
    return np.array(acc), np.array(f1w), np.array(wacc)


def _columns_index(columns, num_columns):
    if columns is None:
        return np.arange(num_columns)
    idx = np.asarray(list(columns), dtype="int64")
    if idx.size == 0 or idx.min() < 0 or idx.max() >= num_columns:
        raise ValueError(f"`columns` must index the {num_columns} columns; found {idx.tolist()}.")
    return idx


def multilabel_report(pred, y, threshold=0.5, mask=None, names=None, columns=None):
    """Per-column metrics of a multi-label (sigmoid) head at its thresholds (IITP code).

    The prediction of column c is ``pred[:, c] >= threshold`` (or
    ``>= threshold[c]``); per column: accuracy, weighted F1 (supports of both
    classes of the column) and W-Acc.

    Args:
        pred: probabilities (N, C), or (N, T, C) with ``mask``.
        y: multi-hot 0/1 targets, same shape.
        threshold: float (one for every column, as the IITP code) or a
            sequence of C floats (one per column).
        mask: optional (N, T) mask.
        names: column names (default: the 6 IITP emotion names, plus
            ``"No Class"`` for 7 columns).
        columns: indices of the columns averaged in ``"average"`` (default all).

    Returns:
        ``{"threshold": t (float, or list of C floats), "per_class": {name:
        {"Acc", "F1", "WAcc"}}, "average": {"Acc", "F1", "WAcc"}}``; NaN W-Acc
        columns are skipped in the average.
    """
    p, t = _multilabel_pair(pred, y, mask)
    threshold = _check_thresholds(threshold, p.shape[1])
    names = _column_names(p.shape[1], names)
    idx = _columns_index(columns, p.shape[1])
    acc, f1w, wacc = _multilabel_scores(p, t, threshold)
    per_class = {n: {"Acc": acc[i], "F1": f1w[i], "WAcc": wacc[i]} for i, n in enumerate(names)}
    per_class = {n: {k: float(v) for k, v in d.items()} for n, d in per_class.items()}
    average = {"Acc": _nanmean(acc[idx]), "F1": _nanmean(f1w[idx]), "WAcc": _nanmean(wacc[idx])}
    return {"threshold": threshold, "per_class": per_class, "average": average}


def threshold_sweep(valid_pred, valid_y, test_pred, test_y, valid_mask=None, test_mask=None,
                    thresholds=IITP_THRESHOLDS, criteria=("F1", "WAcc"), columns=None, names=None,
                    per_column=False):
    """Choose multi-label thresholds on the validation split, apply them on test.

    For every candidate threshold the metric is computed on the
    **validation** data, and the threshold with the highest value is selected
    per criterion (ties: the first in ``thresholds``); the test data are then
    scored at the selected threshold(s). The test data never influence the
    choice. (The IITP code swept the same list on test and picked from the
    test log; mirror that only by passing the test data as ``valid_*``.)

    Two ways to select:

    * ``per_column=False`` (the IITP code): one threshold for all columns,
      the one with the best validation metric averaged over ``columns``;
    * ``per_column=True``: one threshold per column, each the best for that
      column's own validation metric (a column whose metric is undefined at
      every threshold, W-Acc without a positive or negative sample, gets the
      first candidate).

    Args:
        valid_pred, valid_y: validation probabilities and multi-hot targets.
        test_pred, test_y: test probabilities and multi-hot targets.
        valid_mask, test_mask: optional (N, T) masks.
        thresholds: candidate thresholds (default: the IITP list).
        criteria: metrics to select on, among ``"Acc"``, ``"F1"``, ``"WAcc"``.
        columns: indices of the columns averaged for the selection (shared
            threshold) and the reported averages (default all;
            :func:`emotion_report` uses the 6 emotions).
        names: column names.
        per_column: bool, see above. Defaults to ``False``.

    Returns:
        ``{"thresholds": [...], "valid_scores": {criterion: [...]},
        "selected": {criterion: threshold}, "test": {criterion:
        multilabel_report(test at the selected threshold(s))}}``. With
        ``per_column=False`` a valid score is the column average and a
        selected threshold a float; with ``per_column=True`` a valid score is
        the list of per-column values and a selected threshold the list of the
        per-column thresholds.
    """
    vp, vt = _multilabel_pair(valid_pred, valid_y, valid_mask)
    tp_, tt = _multilabel_pair(test_pred, test_y, test_mask)
    if vp.shape[1] != tp_.shape[1]:
        raise ValueError(f"valid and test must have the same columns; found {vp.shape[1]} and {tp_.shape[1]}.")
    thresholds = [_check_threshold(th, f"thresholds[{i}]") for i, th in enumerate(thresholds)]
    if not thresholds:
        raise ValueError("`thresholds` is empty: expected at least one threshold.")
    for c in criteria:
        if c not in ("Acc", "F1", "WAcc"):
            raise ValueError(f"`criteria` entries must be 'Acc', 'F1' or 'WAcc'; found {c!r}.")
    idx = _columns_index(columns, vp.shape[1])
    per_threshold = {c: [] for c in criteria}  # (thresholds, columns) validation values
    for th in thresholds:
        acc, f1w, wacc = _multilabel_scores(vp, vt, th)
        values = {"Acc": acc, "F1": f1w, "WAcc": wacc}
        for c in criteria:
            per_threshold[c].append(values[c])
    valid_scores, selected, test = {}, {}, {}
    for c in criteria:
        table = np.array(per_threshold[c], dtype="float64")
        if per_column:
            valid_scores[c] = table.tolist()
            best = np.argmax(np.where(np.isnan(table), -np.inf, table), axis=0)
            selected[c] = [thresholds[int(i)] for i in best]
        else:
            valid_scores[c] = [_nanmean(row[idx]) for row in table]
            scores = np.array(valid_scores[c], dtype="float64")
            selected[c] = thresholds[int(np.argmax(np.where(np.isnan(scores), -np.inf, scores)))]
        test[c] = multilabel_report(tp_, tt, threshold=selected[c], names=names, columns=columns)
    return {"thresholds": thresholds, "valid_scores": valid_scores, "selected": selected, "test": test}


# --------------------------------------------------------------------- reports used by recipes
_MODE_SUFFIX = {"has_zero": "has0", "non_zero": "non0"}


def regression_report(pred, y, mask=None, acc2_modes=("has_zero", "non_zero"), acc7_clip=True,
                      mult_f1_arg_order=False, percent=False):
    """All sentiment-regression metrics in one dict.

    Keys: ``"MAE"``, ``"Corr"``; per Acc2 mode (suffix ``has0`` / ``non0``):
    ``"Acc2_<s>"``, ``"F1_<s>"`` (weighted F1: MFN paper, MMSA, MulT) and
    ``"F1_binary_<s>"`` (F1 of the positive class: TMA); ``"Acc5"`` (clipped),
    ``"Acc7"`` (clipped unless ``acc7_clip=False``, the TMA / MFN code).

    Args:
        pred, y: scores (N,) / (N, 1) or (N, T[, 1]) with ``mask``.
        mask: optional (N, T) mask.
        acc2_modes: Acc2 variants to report (both by default: they differ by
            2-3 points on MOSI / MOSEI).
        acc7_clip: clip to [-3, 3] before rounding (False = TMA / MFN).
        mult_f1_arg_order: compute the weighted F1 with MulT's swapped
            ``f1_score(pred, truth)`` (parity only).
        percent: multiply accuracies and F1 by 100.
    """
    p, t = _score_pair(pred, y, mask)
    out = {"MAE": mae(p, t), "Corr": pearson_r(p, t)}
    for mode in acc2_modes:
        mode = _mode(mode)
        s = _MODE_SUFFIX[mode]
        out[f"Acc2_{s}"] = _percent(acc2(p, t, mode=mode), percent)
        out[f"F1_{s}"] = _percent(
            f1_from_scores(p, t, mode=mode, average="weighted", swap_arguments=mult_f1_arg_order), percent
        )
        out[f"F1_binary_{s}"] = _percent(f1_from_scores(p, t, mode=mode, average="binary"), percent)
    out["Acc5"] = _percent(acc5(p, t, clip=True), percent)
    out["Acc7"] = _percent(acc7(p, t, clip=acc7_clip), percent)
    return out


def classification_report(pred, y, mask=None, percent=False):
    """Accuracy and F1 of a classification head (argmax of (N, C) scores).

    Keys: ``"Acc"``, ``"F1_weighted"`` (IITP, MMSA), ``"F1_macro"`` (TMA
    YouTube); for two classes also ``"F1_binary"`` (class 1) and ``"WAcc"``
    (Tong et al.; NaN when ``y`` holds one class only).
    """
    p, t, num_classes = _label_pair(pred, y, mask)
    out = {
        "Acc": _percent(np.mean(p == t), percent),
        "F1_weighted": _percent(_f1_ids(p, t, "weighted"), percent),
        "F1_macro": _percent(_f1_ids(p, t, "macro"), percent),
    }
    binary = (num_classes == 2) if num_classes is not None else np.isin(np.union1d(p, t), (0, 1)).all()
    if binary:
        out["F1_binary"] = _percent(_f1_ids(p, t, "binary"), percent)
        out["WAcc"] = _percent(_wacc_ids(p, t), percent)
    return out


def mmmo_report(pred, y, mask=None, threshold=3.5, f1_average="binary", percent=False):
    """ICT-MMMO metrics of the TMA code: MAE, Corr, Acc2 (``> 3.5``) and F1 (binary)."""
    p, t = _score_pair(pred, y, mask)
    pb, tb = (p > threshold).astype("int64"), (t > threshold).astype("int64")
    return {
        "MAE": mae(p, t),
        "Corr": pearson_r(p, t),
        "Acc2": _percent(np.mean(pb == tb), percent),
        "F1": _percent(_f1_ids(pb, tb, f1_average), percent),
    }


def emotion_report(pred, y, mask=None, valid=None, f1_threshold=PAPER_F1_THRESHOLD,
                   wacc_threshold=PAPER_WACC_THRESHOLD, thresholds=IITP_THRESHOLDS,
                   num_emotions=6, names=None, percent=False, per_emotion_thresholds=False):
    """MOSEI multi-label emotion metrics as the CIA paper and the CIM code report them.

    Fixed thresholds (paper): F1 at ``f1_threshold`` (0.4), W-Acc at
    ``wacc_threshold`` (0.18); accuracy at the F1 threshold. Averages over the
    first ``num_emotions`` columns (``*_avg6``, the CIA paper's Table 5
    arithmetic) and, when the head has a "No Class" column, over all columns
    (``*_avg7``, the CIM code). With ``valid=(valid_pred, valid_y[,
    valid_mask])`` the thresholds are also chosen on validation
    (:func:`threshold_sweep` from ``thresholds``: one F1 and one W-Acc
    threshold for all columns, the best for the 6-emotion average, or with
    ``per_emotion_thresholds=True`` one of each per column) and the same
    metrics are reported at them with the suffix ``_validsel``.

    Returns:
        flat dict: ``Emo_F1_avg6``, ``Emo_WAcc_avg6``, ``Emo_Acc_avg6``,
        (``Emo_*_avg7``), ``Emo_F1_<name>``, ``Emo_WAcc_<name>``,
        ``Emo_F1_threshold``, ``Emo_WAcc_threshold``, and with ``valid`` the
        same keys ending in ``_validsel`` (``Emo_F1_avg6_validsel``,
        ``Emo_F1_Anger_validsel``, ..., ``Emo_F1_threshold_validsel``; with
        per-emotion thresholds ``Emo_F1_threshold_<name>_validsel`` instead of
        ``Emo_F1_threshold_validsel``).
    """
    f1_threshold = _check_threshold(f1_threshold, "f1_threshold")
    wacc_threshold = _check_threshold(wacc_threshold, "wacc_threshold")
    p, t = _multilabel_pair(pred, y, mask)
    c = p.shape[1]
    if not 1 <= num_emotions <= c:
        raise ValueError(f"`num_emotions` must be in [1, {c}] (the number of columns); found {num_emotions}.")
    names = _column_names(c, names)
    emo_idx = list(range(num_emotions))
    avgs = [("avg6" if num_emotions == 6 else f"avg{num_emotions}", emo_idx)]
    if c > num_emotions:
        avgs.append((f"avg{c}", list(range(c))))

    def summary(rep_f1, rep_wacc, suffix=""):
        out = {}
        for crit, rep in (("F1", rep_f1), ("WAcc", rep_wacc)):
            th = rep["threshold"]
            if np.ndim(th) == 0:
                out[f"Emo_{crit}_threshold{suffix}"] = float(th)
            else:
                out.update({f"Emo_{crit}_threshold_{n}{suffix}": float(v) for n, v in zip(names, th)})
        for tag, idx in avgs:
            cols = [names[i] for i in idx]
            out[f"Emo_F1_{tag}{suffix}"] = _percent(_nanmean([rep_f1["per_class"][n]["F1"] for n in cols]), percent)
            out[f"Emo_WAcc_{tag}{suffix}"] = _percent(
                _nanmean([rep_wacc["per_class"][n]["WAcc"] for n in cols]), percent)
            out[f"Emo_Acc_{tag}{suffix}"] = _percent(_nanmean([rep_f1["per_class"][n]["Acc"] for n in cols]), percent)
        for n in names:
            out[f"Emo_F1_{n}{suffix}"] = _percent(rep_f1["per_class"][n]["F1"], percent)
            out[f"Emo_WAcc_{n}{suffix}"] = _percent(rep_wacc["per_class"][n]["WAcc"], percent)
        return out

    out = summary(multilabel_report(p, t, threshold=f1_threshold, names=names),
                  multilabel_report(p, t, threshold=wacc_threshold, names=names))
    if valid is not None:
        if len(valid) not in (2, 3):
            raise ValueError(f"`valid` must be (valid_pred, valid_y) or (valid_pred, valid_y, valid_mask); "
                             f"found a sequence of length {len(valid)}.")
        valid_mask = valid[2] if len(valid) == 3 else None
        sweep = threshold_sweep(valid[0], valid[1], p, t, valid_mask=valid_mask, thresholds=thresholds,
                                criteria=("F1", "WAcc"), columns=emo_idx, names=names,
                                per_column=per_emotion_thresholds)
        out.update(summary(sweep["test"]["F1"], sweep["test"]["WAcc"], suffix="_validsel"))
    return out
