"""The in-memory data contract shared by every reader, model and recipe.

One :class:`MSASplit` holds one split (train / valid / test) of one dataset:

* ``features``: ``{"text" | "audio" | "vision": float32 array (N, T, d)}``.
  ``T`` is the word / frame steps of one segment (``level="segment"``) or the
  utterances of one video (``level="context"``).
* ``lengths``: ``{modality: int32 array (N,)}``, the number of real (unpadded)
  steps of every sample; ``padding`` says on which side the padding sits
  (``"pre"``: zeros first, the last step is real, as in the CMU SDK / MulT /
  MFN; ``"post"``: real steps first).
* ``labels``: named arrays whose first axis is N (and second axis T for context
  data). Names in use: ``"sentiment"`` (continuous score), ``"emotions"``
  (intensities, (..., 6)), ``"class"`` (int class ids), ``"onehot"``.
* ``ids``: array (N,) of str, the segment or video ids.
* ``utterance_ids`` (context data only): array (N, T) of str, "" on padding.
* ``label_ranges``: ``{label key: (low, high)}`` checked on load; the default
  checks ``"sentiment"`` in [-3, 3] (MMMO readers add ``"score": (1, 5)``).
* ``extras``: per-sample arrays that are not model features (raw text, BERT
  token ids, ...), first axis N.

:class:`MSADataset` groups the splits with dataset-level information.
"""

import dataclasses
from typing import Optional

import numpy as np

MODALITIES = ("text", "audio", "vision")
PADDING_SIDES = ("pre", "post")
LEVELS = ("segment", "context")


class DataValidationError(ValueError):
    """Raised when a data file or array does not match the documented layout.

    The message always names the file (or source), the key, the expected value
    and what was found.
    """


def data_error(source, key, expected, found):
    """Build a :class:`DataValidationError` with the standard message layout."""
    return DataValidationError(f"{source}: key {key!r}: expected {expected}, found {found}.")


def _check_integers(values, source, key, expected):
    """Refuse a non-numeric, boolean or fractional array where whole numbers are expected (no truncation)."""
    if values.dtype.kind not in "iuf":
        found = f"dtype {values.dtype}"
        if values.size:
            first = values.reshape(-1)[0]
            found += f" (first value {first.item() if isinstance(first, np.generic) else first!r})"
        raise data_error(source, key, expected, found)
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            i = int(np.flatnonzero(bad.reshape(-1))[0])
            raise data_error(source, key, expected, f"{values.reshape(-1)[i].item()!r} at index {i}")


def move_steps(y, lengths, from_side, to_side, fill=0):
    """Move the ``lengths[i]`` real steps of ``y[i]`` (N, T, ...) from one padding side to the other."""
    T = y.shape[1]
    out = np.full_like(y, fill)
    for i, n in enumerate(lengths):
        n = int(n)
        if n == 0:
            continue
        real = y[i, :n] if from_side == "post" else y[i, T - n:]
        if to_side == "post":
            out[i, :n] = real
        else:
            out[i, T - n:] = real
    return out


@dataclasses.dataclass
class MSASplit:
    """One split of a multimodal sentiment dataset (see module docstring)."""

    name: str
    features: dict
    lengths: dict
    labels: dict
    ids: np.ndarray
    padding: str = "post"
    level: str = "segment"
    utterance_ids: Optional[np.ndarray] = None
    source: str = "<memory>"
    label_ranges: Optional[dict] = None
    extras: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.ids = np.asarray(self.ids)
        self.validate()

    # ------------------------------------------------------------------ shape
    @property
    def num_samples(self):
        return int(len(self.ids))

    def __len__(self):
        return self.num_samples

    @property
    def modalities(self):
        return tuple(m for m in MODALITIES if m in self.features)

    @property
    def num_steps(self):
        """Steps of the longest modality (all modalities share it for aligned data)."""
        return int(max(x.shape[1] for x in self.features.values()))

    def steps_of(self, modality):
        return int(self.features[modality].shape[1])

    @property
    def feature_dims(self):
        return {m: int(self.features[m].shape[-1]) for m in self.modalities}

    # ------------------------------------------------------------------ masks
    def step_mask(self, modality=None):
        """Boolean (N, T) mask of real steps of ``modality``.

        With ``modality=None`` the mask of the longest modality per sample is
        returned (for context data all modalities share the utterance mask);
        this needs all modalities to have the same number of steps.
        """
        if modality is None:
            steps_per_modality = {m: self.steps_of(m) for m in self.modalities}
            if len(set(steps_per_modality.values())) > 1:
                raise ValueError(
                    "step_mask() without a modality needs aligned modalities; found steps "
                    f"{steps_per_modality}. Pass the modality name."
                )
            lengths = np.max(np.stack([self.lengths[m] for m in self.modalities]), axis=0)
            T = self.num_steps
        else:
            lengths = self.lengths[modality]
            T = self.steps_of(modality)
        steps = np.arange(T)[None, :]
        lengths = lengths[:, None]
        if self.padding == "post":
            return steps < lengths
        return steps >= T - lengths

    @property
    def utterance_mask(self):
        """float32 (N, T) mask of real utterances (context data)."""
        return self.step_mask().astype("float32")

    # ----------------------------------------------------------- conversions
    def to_inputs(self, modalities=None, mask_name=None):
        """Model inputs as a dict keyed by input name.

        Args:
            modalities: iterable of modality names (default: all present).
            mask_name: if given, also return ``step_mask()`` as float32 under
                this key (for example ``"utterance_mask"``).
        """
        modalities = self.modalities if modalities is None else tuple(modalities)
        inputs = {}
        for m in modalities:
            if m not in self.features:
                raise data_error(
                    self.source, m, f"one of the modalities {list(self.modalities)}", "it is missing"
                )
            inputs[m] = self.features[m]
        if mask_name is not None:
            inputs[mask_name] = self.utterance_mask
        return inputs

    def model_inputs(self, model):
        """The arrays for exactly ``model``'s named inputs (a functional Keras model).

        Keras refuses a dict with extra keys with an unrelated shape error, so
        this picks the model's inputs by name: a modality for each modality
        input, ``utterance_mask`` for a context model's mask input, and checks
        the feature dimensions.

        Raises:
            DataValidationError: naming the input the split cannot provide or
                whose feature dimension differs.
        """
        structure = model.input
        tensors = structure if isinstance(structure, dict) else {t.name: t for t in model.inputs}
        inputs = {}
        for name, tensor in tensors.items():
            if name in self.features:
                x = self.features[name]
                want = tensor.shape[-1]
                if want is not None and x.shape[-1] != want:
                    raise data_error(self.source, name, f"feature dimension {want} (model {model.name!r})",
                                     x.shape[-1])
                inputs[name] = x
            elif name == "utterance_mask":
                inputs[name] = self.utterance_mask
            else:
                raise data_error(self.source, name, f"a modality named as model {model.name!r}'s input",
                                 f"the modalities {list(self.modalities)}")
        return inputs

    def take(self, indices, name=None):
        """Return a new split with the samples at ``indices`` (first axis)."""
        indices = np.asarray(indices)
        return MSASplit(
            name=name or self.name,
            features={m: v[indices] for m, v in self.features.items()},
            lengths={m: v[indices] for m, v in self.lengths.items()},
            labels={k: v[indices] for k, v in self.labels.items()},
            ids=self.ids[indices],
            padding=self.padding,
            level=self.level,
            utterance_ids=None if self.utterance_ids is None else self.utterance_ids[indices],
            source=self.source,
            label_ranges=self.label_ranges,
            extras={k: np.asarray(v)[indices] for k, v in self.extras.items()},
        )

    def select_modalities(self, modalities):
        """Return a split restricted to ``modalities`` (order as given)."""
        missing = [m for m in modalities if m not in self.features]
        if missing:
            raise data_error(
                self.source, ",".join(missing), f"modalities among {list(self.modalities)}", "missing"
            )
        return dataclasses.replace(
            self,
            features={m: self.features[m] for m in modalities},
            lengths={m: self.lengths[m] for m in modalities},
        )

    def repad(self, side):
        """Return a copy whose padding is on ``side`` ("pre" or "post").

        Moves the features, the per-step labels and the ``utterance_ids`` of
        context data.
        """
        if side not in PADDING_SIDES:
            raise ValueError(f"`side` must be one of {PADDING_SIDES}. Received: side={side!r}")
        if side == self.padding:
            return self
        features = {m: move_steps(x, self.lengths[m], self.padding, side) for m, x in self.features.items()}
        labels = {}
        T = self.num_steps
        lengths = np.max(np.stack([self.lengths[m] for m in self.modalities]), axis=0)
        for k, y in self.labels.items():
            if self.level == "context" and y.ndim >= 2 and y.shape[1] == T:
                labels[k] = move_steps(y, lengths, self.padding, side)
            else:
                labels[k] = y
        uids = self.utterance_ids
        if uids is not None and self.level == "context":
            uids = move_steps(np.asarray(uids), lengths, self.padding, side, fill="")
        return dataclasses.replace(self, features=features, labels=labels, utterance_ids=uids, padding=side)

    # ------------------------------------------------------------ validation
    def validate(self):
        """Check shapes, dtypes, finiteness and lengths; raise on the first problem."""
        src = self.source
        if self.padding not in PADDING_SIDES:
            raise data_error(src, "padding", f"one of {PADDING_SIDES}", repr(self.padding))
        if self.level not in LEVELS:
            raise data_error(src, "level", f"one of {LEVELS}", repr(self.level))
        if not self.features:
            raise data_error(src, "features", "at least one modality", "none")
        n = self.num_samples
        if n == 0:
            raise data_error(src, f"{self.name}/ids", "at least one sample", "0 samples")
        if self.ids.ndim != 1:
            raise data_error(src, f"{self.name}/ids", "a 1-D array", f"shape {self.ids.shape}")
        T = None
        for m, x in self.features.items():
            key = f"{self.name}/{m}"
            if m not in MODALITIES:
                raise data_error(src, key, f"a modality name in {MODALITIES}", repr(m))
            if not isinstance(x, np.ndarray) or x.ndim != 3:
                shape = getattr(x, "shape", type(x).__name__)
                raise data_error(src, key, "a 3-D array (N, T, d)", f"shape {shape}")
            if x.shape[0] != n:
                raise data_error(src, key, f"{n} samples (as the ids)", f"{x.shape[0]}")
            if T is None:
                T = x.shape[1]
            elif x.shape[1] != T and self.level == "context":
                raise data_error(src, key, f"{T} utterance steps like the other modalities", x.shape[1])
            if x.dtype != np.float32:
                raise data_error(src, key, "dtype float32", str(x.dtype))
            bad = ~np.isfinite(x)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                kind = "NaN" if np.isnan(x[idx]) else "inf"
                raise data_error(src, key, "finite values", f"{int(bad.sum())} non-finite ({kind} at index {idx})")
            if m not in self.lengths:
                raise data_error(src, f"{self.name}/{m}_lengths", "per-sample lengths", "none")
            lengths = np.asarray(self.lengths[m])
            if lengths.shape != (n,):
                raise data_error(src, f"{self.name}/{m}_lengths", f"shape ({n},)", f"shape {lengths.shape}")
            _check_integers(lengths, src, f"{self.name}/{m}_lengths", "integer lengths")
            if lengths.min() < 0 or lengths.max() > x.shape[1]:
                raise data_error(
                    src, f"{self.name}/{m}_lengths", f"values in [0, {x.shape[1]}]",
                    f"range [{lengths.min()}, {lengths.max()}]",
                )
            self.lengths[m] = lengths.astype("int32")
        if self.utterance_ids is not None:
            uids = np.asarray(self.utterance_ids)
            key = f"{self.name}/utterance_ids"
            if self.level != "context":
                raise data_error(src, key, "None (utterance ids belong to context-level data)",
                                 f"an array of shape {uids.shape} for level {self.level!r}")
            if uids.shape != (n, T):
                raise data_error(src, key, f"shape ({n}, {T}) (one id per sample and utterance step)",
                                 f"shape {uids.shape}")
            self.utterance_ids = uids
        if self.level == "context":
            lengths = np.max(np.stack([self.lengths[m] for m in self.modalities]), axis=0)
            empty = np.flatnonzero(lengths == 0)
            if empty.size:
                raise data_error(
                    src, f"{self.name}/lengths", "at least one utterance per video",
                    f"empty video {str(self.ids[empty[0]])!r}",
                )
        for k, y in self.labels.items():
            key = f"{self.name}/{k}"
            y = np.asarray(y)
            if y.shape[0] != n:
                raise data_error(src, key, f"{n} labels (one per sample)", f"{y.shape[0]}")
            if self.level == "context" and (y.ndim < 2 or y.shape[1] != T):
                raise data_error(src, key, f"per-utterance labels of shape ({n}, {T}, ...)", f"shape {y.shape}")
            if y.dtype.kind == "f" and not np.isfinite(y).all():
                raise data_error(src, key, "finite labels", f"{int((~np.isfinite(y)).sum())} non-finite")
            ranges = {"sentiment": (-3.0, 3.0)} if self.label_ranges is None else self.label_ranges
            if k in ranges and y.dtype.kind in "fiu":
                low, high = ranges[k]
                valid = y if self.level == "segment" else y[self.step_mask()]
                if valid.size and (valid.min() < low - 1e-6 or valid.max() > high + 1e-6):
                    raise data_error(
                        src, key, f"{k} values in [{low:g}, {high:g}]", f"range [{valid.min():.3f}, {valid.max():.3f}]"
                    )
            self.labels[k] = y
        for k, v in self.extras.items():
            if len(v) != n:
                raise data_error(src, f"{self.name}/{k}", f"{n} rows (one per sample)", f"{len(v)}")


@dataclasses.dataclass
class MSADataset:
    """A dataset: named splits plus dataset-level information.

    Attributes:
        name: dataset name (``"mosi"``, ``"mosei"``, ``"mmmo"``, ``"youtube"``, ...).
        splits: ``{"train": MSASplit, "valid": MSASplit, "test": MSASplit}``
            (``"valid"`` may be absent, see :func:`carve_validation`).
        info: free-form metadata (``format``, ``source``, ``label_kind``,
            ``num_classes``, ``emotion_names``, ``synthetic``...).
    """

    name: str
    splits: dict
    info: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if "train" not in self.splits or "test" not in self.splits:
            raise data_error(
                self.info.get("source", self.name), "splits", "at least 'train' and 'test'", sorted(self.splits)
            )
        dims = None
        for split in self.splits.values():
            if dims is None:
                dims = split.feature_dims
            elif split.feature_dims != dims and set(split.feature_dims) == set(dims):
                raise data_error(split.source, split.name, f"feature dims {dims}", split.feature_dims)

    @property
    def train(self):
        return self.splits["train"]

    @property
    def valid(self):
        return self.splits.get("valid")

    @property
    def test(self):
        return self.splits["test"]

    @property
    def modalities(self):
        common = [m for m in MODALITIES if all(m in s.features for s in self.splits.values())]
        return tuple(common)

    @property
    def feature_dims(self):
        return {m: self.train.feature_dims[m] for m in self.modalities if m in self.train.features}

    def select_modalities(self, modalities):
        """Dataset restricted to ``modalities`` in every split."""
        return MSADataset(
            self.name, {k: s.select_modalities(modalities) for k, s in self.splits.items()}, dict(self.info)
        )

    def summary(self):
        rows = [f"{self.name} ({self.info.get('format', '?')})"]
        for k, s in self.splits.items():
            dims = ", ".join(f"{m} {s.features[m].shape}" for m in s.modalities)
            rows.append(f"  {k}: {len(s)} samples; {dims}; padding={s.padding}; level={s.level}")
        return "\n".join(rows)


def carve_validation(dataset, fraction=0.1, seed=0):
    """Move a random ``fraction`` of the training samples (videos for context
    data) into a new ``"valid"`` split. Used where a release has no valid split
    (bc-LSTM MOSI: 62 / 31 videos)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`fraction` must be in (0, 1). Received: fraction={fraction}")
    train = dataset.train
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    n_valid = max(1, int(round(fraction * len(train))))
    splits = dict(dataset.splits)
    splits["valid"] = train.take(np.sort(order[:n_valid]), name="valid")
    splits["train"] = train.take(np.sort(order[n_valid:]), name="train")
    return MSADataset(dataset.name, splits, dict(dataset.info, valid_from_train=fraction))


def lengths_from_padding(x, padding):
    """Infer per-sample lengths of an (N, T, d) array from all-zero padded steps.

    A step counts as padding only if it is all-zero *and* lies in the padded
    block (leading block for ``"pre"``, trailing block for ``"post"``), so
    zero steps inside the sequence are kept.
    """
    nonzero = np.any(x != 0, axis=-1)
    T = x.shape[1]
    if padding == "pre":
        first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), T)
        return (T - first).astype("int32")
    if padding == "post":
        last = np.where(nonzero.any(axis=1), T - nonzero[:, ::-1].argmax(axis=1), 0)
        return last.astype("int32")
    raise ValueError(f"`padding` must be one of {PADDING_SIDES}. Received: padding={padding!r}")


def detect_padding(x):
    """Return "pre" or "post" from where the all-zero steps of ``x`` sit.

    Counts samples whose first step is zero but last is not (pre) and the
    opposite (post); ties go to "pre" (the CMU SDK default).
    """
    nonzero = np.any(x != 0, axis=-1)
    pre = int(np.sum(~nonzero[:, 0] & nonzero[:, -1]))
    post = int(np.sum(nonzero[:, 0] & ~nonzero[:, -1]))
    return "post" if post > pre else "pre"
