"""Label conventions of the MSA papers and train-only feature normalisation.

Sentiment scores are the mean annotator scores in [-3, 3] (MOSI / MOSEI),
ICT-MMMO scores in [1, 5], YouTube one-hot vectors. Every class rule of the
field (``shared/reference/data_and_metrics.md`` §3) is one function here;
:func:`sentiment_classes` dispatches on a convention name so a recipe can pick
one with a flag. Rounding is numpy's half-to-even (``np.round``: 2.5 -> 2,
-0.5 -> -0, 3.5 -> 4), as in every reference script.

Functions accept arrays of any shape (segment labels (N,), context labels
(N, T)); a trailing axis of size 1 ((N, 1), (N, 1, 1) as in the MulT pickles)
is kept, so the output has the input's shape.

:class:`FeatureNormalizer` fits normalisation statistics on the training split
only and applies them to every split, keeping padded steps at zero.
"""

import numpy as np

from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.dataset import MSASplit
from keras_msa.data_tools.dataset import data_error

__all__ = [
    "SDK_EMOTION_ORDER",
    "IITP_EMOTION_ORDER",
    "LABEL_CONVENTIONS",
    "check_label_range",
    "binary_has_zero",
    "binary_non_zero",
    "mosei_2way",
    "mosei_3way",
    "round_classes",
    "mosei_7class_binned",
    "dmsa_3class",
    "mmmo_binary",
    "youtube_argmax",
    "sentiment_classes",
    "to_onehot",
    "clip_emotion_intensities",
    "emotion_multihot",
    "reorder_emotions",
    "FeatureNormalizer",
    "apply_preprocessing",
    "with_preprocessing_step",
]

#: Emotion columns of the CMU-MultimodalSDK MOSEI "All Labels" (after the sentiment column).
SDK_EMOTION_ORDER = ("happy", "sad", "anger", "surprise", "disgust", "fear")
#: Emotion column names of the IITP (CIM / CIA) result files (alphabetical).
IITP_EMOTION_ORDER = ("anger", "disgust", "fear", "happy", "sad", "surprise")


def _array(y, name):
    a = np.asarray(y)
    if a.dtype == bool:
        a = a.astype("int64")
    if a.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must be a numeric array; found dtype {a.dtype}.")
    if a.size == 0:
        raise ValueError(f"`{name}` is empty: expected at least one label, found shape {a.shape}.")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(f"`{name}` must be finite; found {int((~np.isfinite(a)).sum())} NaN/inf value(s).")
    return a


def _bool_mask(mask, shape, name="mask"):
    """``mask`` as a boolean array after checking it is 0/1 and matches the leading axes ``shape``."""
    m = np.asarray(mask)
    if m.dtype != bool:
        if m.dtype.kind not in "iuf" or not np.isin(m, (0, 1)).all():
            found = f"dtype {m.dtype}" if m.dtype.kind not in "iuf" else f"values {np.unique(m)[:10].tolist()}"
            raise ValueError(f"`{name}` must contain only 0 and 1 (or booleans); found {found}.")
        m = m.astype(bool)
    if m.shape != tuple(shape):
        raise ValueError(f"`{name}` must have shape {tuple(shape)} (the leading axes of the labels); found {m.shape}.")
    return m


def check_label_range(y, low, high, name="labels", source="<memory>", mask=None, atol=1e-6):
    """Raise a :class:`DataValidationError` unless every label lies in [low, high].

    Args:
        y: label array.
        low, high: inclusive bounds (for example -3, 3 for sentiment, 0, 3 for
            MOSEI emotion intensities *after* clipping, 1, 5 for ICT-MMMO).
        name: key named in the error.
        source: file or source named in the error.
        mask: optional (N, T) mask; only positions with mask == 1 are checked
            (padded utterances may hold anything).
        atol: tolerance for float round-off.

    Returns:
        ``y`` as a numpy array (unchanged).
    """
    a = np.asarray(y)
    if a.size == 0:
        raise data_error(source, name, "at least one label", "an empty array")
    if a.dtype.kind not in "iufb":
        raise data_error(source, name, "numeric labels", f"dtype {a.dtype}")
    values = a if mask is None else a[_bool_mask(mask, a.shape[:np.ndim(mask)])]
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise data_error(source, name, "finite labels", f"{int((~np.isfinite(values)).sum())} NaN/inf")
    if values.size == 0:
        return a
    lo, hi = values.min(), values.max()
    if lo < low - atol or hi > high + atol:
        n_out = int(np.sum((values < low - atol) | (values > high + atol)))
        raise data_error(source, name, f"labels in [{low}, {high}]",
                         f"range [{lo:.4g}, {hi:.4g}] ({n_out} value(s) outside)")
    return a


# --------------------------------------------------------------------- sentiment classes
def binary_has_zero(y):
    """Has-zero binary label: ``1`` where ``y >= 0`` (MFN, TMA, bc-LSTM, CIM)."""
    return (_array(y, "y") >= 0).astype("int64")


def binary_non_zero(y):
    """Non-zero binary label: ``(y > 0, keep)`` with ``keep = y != 0``.

    Samples with ``y == 0`` are dropped by the non-zero protocol (MulT, MMSA
    ``Non0``): use ``labels[keep]`` or multiply ``keep`` into a sample-weight /
    utterance mask. Returns int64 labels (0 where dropped) and a bool mask.
    """
    a = _array(y, "y")
    return (a > 0).astype("int64"), a != 0


def mosei_2way(y):
    """ACL-17 MOSEI 2-way: ``y > 0 -> 1``, ``y <= 0 -> 0`` (``createOneHotMosei2way``)."""
    return (_array(y, "y") > 0).astype("int64")


def mosei_3way(y):
    """ACL-17 MOSEI 3-way: ``y > 0 -> 1`` (pos), ``y < 0 -> 0`` (neg), ``y == 0 -> 2`` (neutral)."""
    a = _array(y, "y")
    out = np.full(a.shape, 2, dtype="int64")
    out[a > 0] = 1
    out[a < 0] = 0
    return out


def round_classes(y, num_classes=7, clip=True):
    """Clip-and-round classes: ``round(clip(y, -k, k)) + k``, ``k = (num_classes - 1) / 2``.

    MulT / MMSA Acc7 (``num_classes=7``, k = 3) and Acc5 (5, k = 2), numpy
    half-to-even rounding (-2.5 -> -2, -0.5 -> -0, 2.5 -> 2). With
    ``clip=False`` (TMA / MFN Acc7) the class of a score beyond +-(k + 0.5) is
    outside [0, num_classes - 1] (3.6 -> class 7 for k = 3); those ids only make
    sense for comparing predictions with truths, not as targets.
    """
    if num_classes < 3 or num_classes % 2 == 0:
        raise ValueError(f"`num_classes` must be an odd number >= 3 (5 or 7); found {num_classes}.")
    k = (num_classes - 1) // 2
    a = _array(y, "y").astype("float64")
    if clip:
        a = np.clip(a, -k, k)
    return (np.round(a) + k).astype("int64")


def mosei_7class_binned(y):
    """Third-party CIA / CIM MOSEI 7-class binning (not the MulT rounding).

    ``y < -2 -> 0``; ``[-2, -1) -> 1``; ``[-1, 0) -> 2``; ``== 0 -> 3``;
    ``(0, 1] -> 4``; ``(1, 2] -> 5``; ``> 2 -> 6``.
    """
    a = _array(y, "y")
    out = np.full(a.shape, 3, dtype="int64")
    out[a < -2] = 0
    out[(a >= -2) & (a < -1)] = 1
    out[(a >= -1) & (a < 0)] = 2
    out[(a > 0) & (a <= 1)] = 4
    out[(a > 1) & (a <= 2)] = 5
    out[a > 2] = 6
    return out


def dmsa_3class(y):
    """DMSA 3-class: ``[-3, -1) -> 0`` (neg), ``[-1, 1] -> 1`` (neutral), ``(1, 3] -> 2`` (pos)."""
    a = _array(y, "y")
    out = np.ones(a.shape, dtype="int64")
    out[a < -1] = 0
    out[a > 1] = 2
    return out


def mmmo_binary(y, threshold=3.5):
    """ICT-MMMO binary label: ``y > 3.5`` (TMA code, MITRL loader)."""
    return (_array(y, "y") > threshold).astype("int64")


def youtube_argmax(onehot):
    """YouTube class id: ``argmax`` of the one-hot (N, 3) label (class order as released)."""
    a = _array(onehot, "onehot")
    if a.ndim < 2:
        raise ValueError(f"`onehot` must be (..., C) one-hot labels; found shape {a.shape}.")
    rows_ok = np.isin(a, (0, 1)).all(axis=-1) & (a.sum(axis=-1) == 1)
    if not rows_ok.all():
        bad = np.argwhere(~rows_ok)[0].tolist()
        raise ValueError(f"`onehot` must have exactly one 1 per row; {int((~rows_ok).sum())} row(s) are not one-hot "
                         f"(first at index {bad}: {a[tuple(bad)].tolist()}).")
    return np.argmax(a, axis=-1).astype("int64")


#: name -> (function, number of classes, description); used by :func:`sentiment_classes`.
LABEL_CONVENTIONS = {
    "has_zero": (binary_has_zero, 2, "y >= 0 -> 1 (MFN, TMA, CIM)"),
    "mosei_2way": (mosei_2way, 2, "y > 0 -> 1 (ACL-17 MOSEI 2-way)"),
    "mosei_3way": (mosei_3way, 3, "neg 0 / pos 1 / zero 2 (ACL-17 MOSEI 3-way)"),
    "round5": (lambda y: round_classes(y, 5), 5, "round(clip(y, -2, 2)) + 2 (MulT, MMSA)"),
    "round7": (lambda y: round_classes(y, 7), 7, "round(clip(y, -3, 3)) + 3 (MulT, MMSA)"),
    "binned7": (mosei_7class_binned, 7, "third-party CIA/CIM MOSEI 7-class bins"),
    "dmsa3": (dmsa_3class, 3, "[-3,-1) / [-1,1] / (1,3] (DMSA)"),
    "mmmo": (mmmo_binary, 2, "y > 3.5 (ICT-MMMO)"),
    "youtube": (youtube_argmax, 3, "argmax of the one-hot label (YouTube)"),
}


def sentiment_classes(y, convention):
    """Class ids of ``y`` under a named convention (keys of :data:`LABEL_CONVENTIONS`).

    The non-zero binary protocol drops samples, so it is not a convention here:
    use :func:`binary_non_zero`.
    """
    if convention not in LABEL_CONVENTIONS:
        raise ValueError(f"`convention` must be one of {sorted(LABEL_CONVENTIONS)}; found {convention!r}.")
    return LABEL_CONVENTIONS[convention][0](y)


def to_onehot(classes, num_classes, dtype="float32"):
    """One-hot encode int class ids (any shape) into (..., num_classes)."""
    c = _array(classes, "classes")
    if c.dtype.kind == "f":
        if not np.all(c == np.round(c)):
            raise ValueError("`classes` must be integer class ids; found non-integer values.")
        c = c.astype("int64")
    if c.min() < 0 or c.max() >= num_classes:
        raise ValueError(f"`classes` must lie in [0, {num_classes - 1}]; found range [{c.min()}, {c.max()}].")
    return np.eye(num_classes, dtype=dtype)[c]


# --------------------------------------------------------------------- MOSEI emotions
def clip_emotion_intensities(x, max_value=3.0):
    """Clip MOSEI emotion intensities to [0, max_value] (SDK issue #218: values > 3 exist)."""
    a = _array(x, "intensities").astype("float32")
    if a.min() < 0:
        raise ValueError(f"`intensities` must be >= 0; found minimum {a.min():.4g}.")
    return np.minimum(a, max_value)


def emotion_multihot(intensities, no_emotion=False, mask=None, clip=3.0, dtype="float32"):
    """Multi-hot emotion presence from MOSEI intensities (CIM / CIA).

    Args:
        intensities: (..., 6) intensities in [0, 3] (values above ``clip`` are
            clipped first; presence does not change).
        no_emotion: append a 7th "No Class" column that is 1 where all six
            intensities are 0 (CIM ``seventhClass``).
        mask: optional (N, T) utterance mask; padded utterances get all-zero
            rows, including the 7th column, as in the CIM code.
        clip: clip value (None: no clipping).

    Returns:
        (..., 6) or (..., 7) array of 0/1 with dtype ``dtype``.
    """
    a = _array(intensities, "intensities").astype("float32")
    if a.shape[-1] != 6:
        raise ValueError(f"`intensities` must have 6 emotion columns on the last axis; found shape {a.shape}.")
    if a.min() < 0:
        raise ValueError(f"`intensities` must be >= 0; found minimum {a.min():.4g}.")
    if clip is not None:
        a = np.minimum(a, clip)
    present = (a > 0).astype(dtype)
    if no_emotion:
        none = (~present.astype(bool).any(axis=-1, keepdims=True)).astype(dtype)
        present = np.concatenate([present, none], axis=-1)
    if mask is not None:
        present = present * _bool_mask(mask, present.shape[:-1])[..., None].astype(dtype)
    return present


def reorder_emotions(x, from_order=SDK_EMOTION_ORDER, to_order=IITP_EMOTION_ORDER):
    """Permute the last axis of emotion arrays between column orders (names are case-insensitive)."""
    src = [s.lower() for s in from_order]
    dst = [s.lower() for s in to_order]
    if sorted(src) != sorted(dst):
        raise ValueError(f"`from_order` {list(from_order)} and `to_order` {list(to_order)} must hold the same names.")
    a = np.asarray(x)
    if a.shape[-1] != len(src):
        raise ValueError(f"`x` must have {len(src)} emotion columns on the last axis; found shape {a.shape}.")
    return a[..., [src.index(name) for name in dst]]


# --------------------------------------------------------------------- normalisation
_NORM_MODES = ("none", "standard", "robust", "max_abs", "split_max", "split_standard", "unit_norm", "clip")
# The interquartile range of a normal distribution is 1.349 of its std: IQR / 1.349 estimates the std.
_IQR_PER_STD = 1.3489795003921634


class FeatureNormalizer:
    """Per-modality feature normalisation fitted on the training split only.

    Statistics are computed over the **real** steps (mask == 1) of the split
    passed to :meth:`fit` and applied to any split by :meth:`transform`;
    padded steps stay exactly zero (so ``Masking(0)`` and padding detection keep
    working).

    Modes:

    * ``"none"``: identity.
    * ``"standard"``: ``(x - mean) / std`` per feature dimension (std below
      ``epsilon`` is replaced by 1).
    * ``"robust"``: ``(x - median) / (IQR / 1.349)`` per feature dimension:
      the z-score of a normal feature, but a few extreme values (ICT-MMMO's
      saturated -255 audio: 5 values take one column's std from 0.08 to 8.85
      and flatten all its other values) move neither statistic. A dimension
      with IQR below ``epsilon`` (mostly one value) falls back to its std,
      then to 1.
    * ``"max_abs"``: ``x / max|x|`` per feature dimension (MFN scales FACET by
      its train max-abs; zero maxima are replaced by 1).
    * ``"split_max"``: legacy CIA script (``youTube,py``): **every split is
      divided by its own global** ``np.max`` (one scalar over the whole padded
      array, not max-abs). This uses statistics of the split being
      transformed (valid / test included), i.e. it leaks test information and
      does not map negative features into [-1, 1]; offered only to mirror the
      script. :meth:`fit` stores nothing for it.
    * ``"split_standard"``: ``(x - mean) / std`` per feature dimension with
      the mean and std of **the split being transformed** (its real steps).
      Transductive like ``"split_max"`` (uses the unlabelled features of
      valid / test, never their labels): it aligns the feature scale of data
      an extractor was trained on with data it has not seen (bc-LSTM MOSI:
      the test text / video features have 0.71 / 0.54 times the training
      spread). It also removes any overall shift of a split's features,
      label-prior shifts included (on bc-LSTM MOSI it costs CIA 4 points of
      Acc2: the test split is more positive than train). :meth:`fit` stores
      nothing for it.
    * ``"unit_norm"``: every step's feature vector divided by its L2 norm
      (per sample, no statistics; inductive).
    * ``"clip"``: clip to [-clip_value, clip_value] only (MMMO audio saturates
      at +-255).

    ``clip_value`` (if given) is applied before the scaling in every mode.

    Zero vectors inside the real steps (``zero_steps``): some releases mark a
    missing measurement of a real step by an all-zero feature vector (MFN
    ICT-MMMO: 4 % of the real audio steps and 16 % of the video steps; FACET
    found no face, COVAREP a silent word). With ``"real"`` (default) they are
    ordinary values: they enter the statistics and are scaled like any other
    step (a z-score turns them into a constant non-zero vector, a "missing"
    code the model can learn). With ``"missing"`` they are left out of the
    statistics and stay exactly zero, as under the authors' max scaling
    (the CIA script, MFN), which maps zero to zero.

    Args:
        mode: one of the modes above.
        modalities: modalities to normalise (default all present at fit time).
        clip_value: optional float.
        epsilon: floor of std / max-abs.
        zero_steps: ``"real"`` or ``"missing"`` (see above).

    Example:
        >>> norm = FeatureNormalizer("standard").fit(dataset.train)
        >>> dataset = norm.transform(dataset)    # every split, train statistics
    """

    def __init__(self, mode="standard", modalities=None, clip_value=None, epsilon=1e-8, zero_steps="real"):
        if mode not in _NORM_MODES:
            raise ValueError(f"`mode` must be one of {_NORM_MODES}; found {mode!r}.")
        if zero_steps not in ("real", "missing"):
            raise ValueError(f"`zero_steps` must be 'real' or 'missing'; found {zero_steps!r}.")
        if mode == "clip" and clip_value is None:
            raise ValueError("mode='clip' needs `clip_value` (for example 255.0); found None.")
        if clip_value is not None and clip_value <= 0:
            raise ValueError(f"`clip_value` must be > 0; found {clip_value}.")
        self.mode = mode
        self.modalities = None if modalities is None else tuple(modalities)
        self.clip_value = clip_value
        self.epsilon = epsilon
        self.zero_steps = zero_steps
        self.stats = {}
        self.fitted = False

    # -- inputs -------------------------------------------------------------
    @staticmethod
    def _items(data, mask):
        """``{modality: (array, bool mask of real steps or None)}`` from the accepted inputs."""
        if isinstance(data, MSASplit):
            return {m: (data.features[m], data.step_mask(m)) for m in data.modalities}
        if isinstance(data, dict):
            out = {}
            for m, x in data.items():
                mk = mask.get(m) if isinstance(mask, dict) else mask
                out[m] = (np.asarray(x), _step_mask(mk, m))
            return out
        x = np.asarray(data)
        return {"x": (x, _step_mask(mask, "x"))}

    def _real_mask(self, x, mask, key):
        if x.ndim not in (2, 3):
            raise ValueError(f"{key}: expected a (N, d) or (N, T, d) array; found shape {x.shape}.")
        if x.ndim == 2 and mask is not None:
            raise ValueError(f"{key}: a mask needs a 3-D (N, T, d) array; found shape {x.shape}.")
        if mask is not None and mask.shape != x.shape[:2]:
            raise ValueError(f"{key}: mask shape {mask.shape} does not match the (N, T) of features {x.shape}.")
        nonzero = np.any(x != 0, axis=-1)
        if mask is None:
            # (N, d): every sample is real; (N, T, d): all-zero steps are padding (as Masking(0) sees them)
            return np.ones(x.shape[:1], dtype=bool) if x.ndim == 2 and self.zero_steps == "real" else nonzero
        return mask & nonzero if self.zero_steps == "missing" else mask

    def _selected(self, items):
        names = self.modalities if self.modalities is not None else tuple(items)
        missing = [m for m in names if m not in items]
        if missing:
            raise ValueError(f"modalities {missing} to normalise are missing; found {list(items)}.")
        return names

    # -- API ----------------------------------------------------------------
    def fit(self, data, mask=None):
        """Compute statistics on ``data`` (the TRAIN split).

        Args:
            data: an :class:`MSASplit` (its per-modality step masks are used),
                a dict ``{modality: array}`` or one array (N, d) / (N, T, d).
            mask: for arrays, (N, T) real-step mask (or a dict per modality);
                default: steps that are not all zero.
        """
        items = self._items(data, mask)
        self.stats = {}
        for m in self._selected(items):
            x, mk = items[m]
            x = np.asarray(x, dtype="float64")
            real = self._real_mask(x, mk, m)
            if self.clip_value is not None:
                x = np.clip(x, -self.clip_value, self.clip_value)
            values = x[real]  # (M, d)
            if values.shape[0] == 0:
                raise ValueError(f"{m}: no real step to fit the normaliser on.")
            if self.mode == "standard":
                std = values.std(axis=0)
                self.stats[m] = {"mean": values.mean(axis=0), "scale": np.where(std < self.epsilon, 1.0, std)}
            elif self.mode == "robust":
                q1, median, q3 = np.percentile(values, [25, 50, 75], axis=0)
                spread = (q3 - q1) / _IQR_PER_STD
                std = values.std(axis=0)
                scale = np.where(spread < self.epsilon, np.where(std < self.epsilon, 1.0, std), spread)
                self.stats[m] = {"mean": median, "scale": scale}
            elif self.mode == "max_abs":
                mx = np.abs(values).max(axis=0)
                self.stats[m] = {"mean": np.zeros_like(mx), "scale": np.where(mx < self.epsilon, 1.0, mx)}
            else:
                self.stats[m] = {}
        self.fitted = True
        return self

    def _transform_array(self, x, mk, key):
        if key not in self.stats:
            return x
        x = np.asarray(x)
        out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype("float32")
        real = self._real_mask(x, mk, key)
        y = x.astype("float64")
        if self.clip_value is not None:
            y = np.clip(y, -self.clip_value, self.clip_value)
        if self.mode in ("standard", "robust", "max_abs"):
            st = self.stats[key]
            if y.shape[-1] != st["mean"].shape[0]:
                raise ValueError(f"{key}: fitted on {st['mean'].shape[0]} features, found {y.shape[-1]}.")
            y = (y - st["mean"]) / st["scale"]
        elif self.mode == "split_max":
            peak = np.max(y)
            if peak == 0:
                raise ValueError(f"{key}: mode 'split_max' divides by the split's max, which is 0.")
            y = y / peak
        elif self.mode == "split_standard":
            values = y[real]
            if values.shape[0] == 0:
                raise ValueError(f"{key}: mode 'split_standard' needs real steps in the split; found none.")
            std = values.std(axis=0)
            y = (y - values.mean(axis=0)) / np.where(std < self.epsilon, 1.0, std)
        elif self.mode == "unit_norm":
            norm = np.linalg.norm(y, axis=-1, keepdims=True)
            y = y / np.where(norm < self.epsilon, 1.0, norm)
        y = y * real[..., None]  # padding (and missing zero vectors) stay exactly zero
        return y.astype(out_dtype)

    def transform(self, data, mask=None):
        """Apply the fitted statistics; returns the same kind of object as ``data``.

        ``data`` may also be an :class:`MSADataset` (every split transformed).
        """
        if not self.fitted:
            raise ValueError("FeatureNormalizer.transform called before fit (fit it on the train split).")
        if isinstance(data, MSADataset):
            return MSADataset(data.name, {k: self.transform(s) for k, s in data.splits.items()},
                              with_preprocessing_step(dict(data.info, normalization=self.mode), self.to_dict()))
        items = self._items(data, mask)
        if isinstance(data, MSASplit):
            features = dict(data.features)
            for m, (x, mk) in items.items():
                features[m] = self._transform_array(x, mk, m).astype("float32")
            return MSASplit(
                name=data.name, features=features, lengths=dict(data.lengths), labels=dict(data.labels),
                ids=data.ids, padding=data.padding, level=data.level, utterance_ids=data.utterance_ids,
                source=data.source,
            )
        if isinstance(data, dict):
            return {m: self._transform_array(x, mk, m) for m, (x, mk) in items.items()}
        x, mk = items["x"]
        return self._transform_array(x, mk, "x")

    def fit_transform(self, data, mask=None):
        """``fit(data)`` then ``transform(data)`` (only for the train split)."""
        return self.fit(data, mask).transform(data, mask)

    def to_dict(self):
        """JSON-serialisable state (mode, options, statistics)."""
        return {
            "mode": self.mode, "modalities": None if self.modalities is None else list(self.modalities),
            "clip_value": self.clip_value, "epsilon": self.epsilon, "zero_steps": self.zero_steps,
            "stats": {m: {k: v.tolist() for k, v in st.items()} for m, st in self.stats.items()},
            "fitted": self.fitted,
        }

    @classmethod
    def from_dict(cls, state):
        """Rebuild a normaliser saved by :meth:`to_dict`."""
        norm = cls(state["mode"], state.get("modalities"), state.get("clip_value"), state.get("epsilon", 1e-8),
                   state.get("zero_steps", "real"))
        norm.stats = {m: {k: np.asarray(v, dtype="float64") for k, v in st.items()} for m, st in state["stats"].items()}
        norm.fitted = bool(state.get("fitted", True))
        return norm


def _step_mask(mask, key):
    """``mask`` (1 = real step, 0 = padding) as booleans; other values are refused, not cast."""
    return None if mask is None else _bool_mask(mask, np.shape(mask), f"mask of {key}")


def with_preprocessing_step(info, step):
    """``info`` (a dataset's info dict) with ``step`` appended to its ``"preprocessing"`` list.

    A step is a :meth:`FeatureNormalizer.to_dict` state or ``{"mode":
    "clip_divide", "value": c}`` (clip to [-c, c], divide by c). The runner
    writes the list to ``preprocessing.json`` next to the model, so that raw
    features can be prepared for a saved or exported model with
    :func:`apply_preprocessing`.
    """
    return dict(info, preprocessing=list(info.get("preprocessing", [])) + [step])


def apply_preprocessing(steps, features, mask=None):
    """Replay a recipe's feature preprocessing on raw features.

    Args:
        steps: the list written to ``preprocessing.json`` by a recipe run, or
            the path of that file.
        features: dict ``{modality: array (N, T, d) or (N, d)}`` of raw
            features, zero-padded on the side the model was trained with (the
            TMA recipes pad in front, the CIA context recipes at the end).
            (``split_max`` / ``split_standard`` steps use the statistics of
            ``features`` itself, as they did on each split in training.)
        mask: optional (N, T) array of real steps, or a dict of them per
            modality (``MSASplit.step_mask``). Without it all-zero steps count
            as padding and stay zero; real steps whose raw features are all
            zero (they occur, e.g. silent words in COVAREP audio) then need
            the mask to be scaled as in training (not so for a normaliser
            built with ``zero_steps="missing"``: they stay zero either way).

    Returns:
        dict of float32 arrays, the inputs the saved model expects.
    """
    import json
    import os

    if isinstance(steps, (str, os.PathLike)):
        with open(steps) as f:
            steps = json.load(f)
    # float32 in and after every normaliser, as in training (the MSASplit contract and
    # FeatureNormalizer.transform of a split): float64 raw features give the same inputs.
    out = {m: np.asarray(x).astype("float32") for m, x in features.items()}
    for m, x in out.items():
        bad = ~np.isfinite(x)
        if np.any(bad):
            raise ValueError(f"`features` key {m!r}: expected finite numbers, found {int(bad.sum())} NaN / inf "
                             "values (padding must be zeros).")
    counts = {m: x.shape[0] if x.ndim else None for m, x in out.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(f"`features`: every modality needs the same number of samples (first axis); found {counts}.")
    # A normaliser fitted without a modality list holds statistics for every modality the model takes:
    # any other key (a typo, the model's utterance_mask) would otherwise be scaled or passed on silently.
    known = next((sorted(s["stats"]) for s in steps if s.get("mode") != "clip_divide" and s.get("modalities") is None),
                 None)
    unexpected = [m for m in features if known is not None and m not in known]
    if unexpected:
        raise ValueError(f"`features` key {unexpected[0]!r} is not a modality of the preprocessing: expected the "
                         f"keys {known}, found {sorted(features)}.")
    for i, step in enumerate(steps):
        if step.get("mode") == "clip_divide":
            c = float(step["value"])
            out = {m: (np.clip(x, -c, c) / c).astype("float32") for m, x in out.items()}
            continue
        norm = FeatureNormalizer.from_dict(step)
        missing = [m for m in norm.stats if m not in out]
        if missing:
            raise ValueError(f"preprocessing step {i} ({norm.mode}) needs modalities {missing}; "
                             f"`features` has {sorted(out)}.")
        if isinstance(mask, dict):
            absent = [m for m in norm.stats if m not in mask]
            if absent:
                raise ValueError(f"`mask` has no entry for modality {absent[0]!r} (preprocessing step {i}, "
                                 f"{norm.mode}): expected the keys {sorted(norm.stats)}, found {sorted(mask)}.")
        selected_mask = {m: mask[m] for m in norm.stats} if isinstance(mask, dict) else mask
        out = dict(out, **{m: x.astype("float32") for m, x in
                           norm.transform({m: out[m] for m in norm.stats}, selected_mask).items()})
    return {m: np.asarray(x, dtype="float32") for m, x in out.items()}

