"""Batching helpers: ``tf.data`` pipelines and a resumable epoch-seeded batcher.

``to_tf_dataset`` turns the dict arrays of a split into a ``tf.data.Dataset``
(batching, seeded shuffling, prefetch). ``EpochBatches`` is what the recipe
runner feeds to ``model.fit``: the sample order of epoch ``e`` depends only on
``(seed, e)``, so a run interrupted after epoch ``k`` and resumed from its
backup sees exactly the batches an uninterrupted run would have seen.
"""

import numpy as np

import keras

from keras_msa._checks import check_bool
from keras_msa._checks import check_whole_number

SHUFFLE_MODES = ("epoch", "once", "none")


def count_samples(structure, names=None):
    """The shared first dimension of the arrays in ``structure`` (dicts, lists of arrays).

    ``names``: optional names of the entries of ``structure`` (a sequence), used in the error message
    (e.g. ``("x", "y", "sample_weight")``). With ``names``, a whole entry may be ``None`` (no ``y``, no
    ``sample_weight``); a ``None`` inside a dict or list is refused: it would silently feed nothing.
    """
    if names is None:
        leaves = _leaves(structure, "")
    else:
        leaves = [leaf for name, part in zip(names, structure) if part is not None for leaf in _leaves(part, name)]
    if not leaves:
        raise ValueError("No arrays were given.")
    first, n = leaves[0][0], len(leaves[0][1])
    for path, a in leaves:
        if len(a) != n:
            raise ValueError(
                f"All arrays must have the same first dimension (samples): expected {n} (the length of "
                f"{first or 'the first array'}), found {len(a)} for {path or 'another array'}."
            )
    return n


def _leaves(structure, path):
    """``(path, array)`` pairs of the leaves of ``structure``; ``path`` is e.g. ``x['text']``."""
    if structure is None:
        raise ValueError(f"{path or 'The data'}: expected an array, found None (a None entry would feed nothing).")
    if isinstance(structure, dict):
        out = []
        for k in sorted(structure):
            out.extend(_leaves(structure[k], f"{path}[{k!r}]"))
        return out
    if isinstance(structure, (list, tuple)):
        out = []
        for i, v in enumerate(structure):
            out.extend(_leaves(v, f"{path}[{i}]"))
        return out
    array = np.asarray(structure)
    if array.ndim == 0:
        shown = repr(structure)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise ValueError(f"{path or 'The data'}: expected an array whose first axis is the samples (or a dict / list "
                         f"of such arrays), found {type(structure).__name__} {shown} (no samples axis).")
    return [(path, array)]


def _check_x(x):
    if x is None:
        raise ValueError("`x` must be an array or a dict / list of arrays (first axis = samples). Received: x=None")


def _check_sample_weight(y, sample_weight):
    if y is None and sample_weight is not None:
        raise ValueError(
            "`sample_weight` needs targets: expected `y` (not None) when `sample_weight` is given. "
            "Received: y=None with a sample_weight (it would be dropped)."
        )


def _gather(structure, idx):
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {k: _gather(v, idx) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_gather(v, idx) for v in structure)
    return np.asarray(structure)[idx]


def epoch_order(num_samples, seed, epoch, shuffle="epoch"):
    """Sample order of one epoch: a function of (seed, epoch) only."""
    if not (isinstance(shuffle, str) and shuffle in SHUFFLE_MODES):
        raise ValueError(f"`shuffle` must be one of {SHUFFLE_MODES}. Received: shuffle={shuffle!r}")
    if shuffle == "none":
        return np.arange(num_samples)
    key = [int(seed), int(epoch)] if shuffle == "epoch" else [int(seed), 0]
    return np.random.default_rng(key).permutation(num_samples)


class EpochBatches(keras.utils.PyDataset):
    """Batches of ``(x, y[, sample_weight])`` whose order depends on (seed, epoch).

    Args:
        x: dict (or array) of inputs, first axis = samples.
        y: targets (array or dict) or None.
        sample_weight: None, array or dict.
        batch_size: int.
        seed: int. Seed of the shuffling.
        shuffle: ``"epoch"`` (new permutation every epoch), ``"once"`` (one
            permutation for the whole run: the TMA / MFN reference scripts) or
            ``"none"``.
        drop_remainder: bool. Drop the last partial batch (TMA / MFN scripts).
        start_epoch: int. Epoch index of the first epoch served (set by the
            runner when it resumes from a backup).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, seed=0, shuffle="epoch",
                 drop_remainder=False, start_epoch=0):
        super().__init__()
        _check_x(x)
        _check_sample_weight(y, sample_weight)
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size = check_whole_number("batch_size", batch_size, 1)
        self.seed = check_whole_number("seed", seed, 0)
        if not (isinstance(shuffle, str) and shuffle in SHUFFLE_MODES):
            raise ValueError(f"`shuffle` must be one of {SHUFFLE_MODES}. Received: shuffle={shuffle!r}")
        self.shuffle = shuffle
        self.drop_remainder = check_bool("drop_remainder", drop_remainder)
        self.num_samples = count_samples([x, y, sample_weight], names=("x", "y", "sample_weight"))
        if self.drop_remainder and self.num_samples < self.batch_size:
            raise ValueError(
                f"drop_remainder=True with {self.num_samples} samples and batch_size={self.batch_size} "
                "would give no batch at all."
            )
        self.epoch = check_whole_number("start_epoch", start_epoch, 0)
        self._order = epoch_order(self.num_samples, self.seed, self.epoch, self.shuffle)

    def set_epoch(self, epoch):
        self.epoch = int(epoch)
        self._order = epoch_order(self.num_samples, self.seed, self.epoch, self.shuffle)

    def __len__(self):
        if self.drop_remainder:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)

    def __getitem__(self, index):
        idx = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        batch = (_gather(self.x, idx),)
        if self.y is not None:
            batch += (_gather(self.y, idx),)
            if self.sample_weight is not None:
                batch += (_gather(self.sample_weight, idx),)
        return batch

    def on_epoch_end(self):
        self.set_epoch(self.epoch + 1)


def to_tf_dataset(x, y=None, sample_weight=None, batch_size=32, shuffle=False, seed=None,
                  drop_remainder=False, prefetch=True):
    """Build a ``tf.data.Dataset`` of ``(x, y[, sample_weight])`` batches.

    Args:
        x: dict of arrays keyed by model input name (or one array).
        y: targets or None.
        sample_weight: per-sample (or per-step) weights or None.
        batch_size: int.
        shuffle: bool or one of ``SHUFFLE_MODES``. ``True`` / ``"epoch"``: shuffle the whole split
            every epoch (seeded); ``"once"``: one shuffled order reused every epoch; ``False`` /
            ``"none"``: keep the order.
        seed: None or a whole number >= 0: the seed of the shuffle (required for reproducible runs).
        drop_remainder: bool.
        prefetch: bool. Add ``prefetch(AUTOTUNE)``.
    """
    import tensorflow as tf

    _check_x(x)
    _check_sample_weight(y, sample_weight)
    batch_size = check_whole_number("batch_size", batch_size, 1)
    if seed is not None:
        seed = check_whole_number("seed", seed, 0)
    if isinstance(shuffle, (bool, np.bool_)):
        shuffle = "epoch" if shuffle else "none"
    elif not (isinstance(shuffle, str) and shuffle in SHUFFLE_MODES):
        raise ValueError(
            f"`shuffle` must be True, False or one of {SHUFFLE_MODES}. Received: shuffle={shuffle!r}"
        )
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    prefetch = check_bool("prefetch", prefetch)
    n = count_samples([x, y, sample_weight], names=("x", "y", "sample_weight"))
    if drop_remainder and n < batch_size:
        raise ValueError(
            f"drop_remainder=True with {n} samples and batch_size={batch_size} would give no batch at all."
        )
    parts = (x,) if y is None else ((x, y) if sample_weight is None else (x, y, sample_weight))
    ds = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])
    if shuffle != "none":
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=shuffle == "epoch")
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds
