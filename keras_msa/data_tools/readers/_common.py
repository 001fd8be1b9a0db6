"""Shared loading and validation helpers of the dataset readers."""

import logging
import os
import pickle
import warnings

import numpy as np

from keras_msa.data_tools.dataset import MODALITIES
from keras_msa.data_tools.dataset import DataValidationError
from keras_msa.data_tools.dataset import MSASplit
from keras_msa.data_tools.dataset import data_error
from keras_msa.data_tools.dataset import detect_padding
from keras_msa.data_tools.dataset import lengths_from_padding
from keras_msa.data_tools.dataset import move_steps

logger = logging.getLogger("keras_msa.data")

SPLITS = ("train", "valid", "test")
#: Prefix of the ids a reader makes up when the file has none (MulT pickles without ``id``):
#: they say nothing of the videos, so :func:`group_by_video` refuses them.
GENERATED_ID_PREFIX = "<no id>/"


# ---------------------------------------------------------------- files
def require_path(path, key="<file>", what="an existing file"):
    """Raise a DataValidationError naming ``path`` if it does not exist."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise data_error(path, key, what, "no such file or directory")
    return path


#: The only globals a data pickle may name: numpy arrays, scalars and dtypes (numpy 1 and 2 module
#: paths, in-band protocol-5 buffers) and plain containers. Unpickling runs whatever callable a pickle
#: names, so anything else is refused (``shared/reference/data_and_metrics.md``, pitfall 10).
PICKLE_GLOBALS = frozenset(
    [(core, name) for core in ("numpy.core.multiarray", "numpy._core.multiarray") for name in ("_reconstruct", "scalar")]
    + [("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"), ("numpy", "ndarray"),
       ("numpy", "dtype"), ("collections", "OrderedDict"), ("_codecs", "encode")]
    + [(builtins, name) for builtins in ("builtins", "__builtin__") for name in ("set", "frozenset", "complex")]
)


class _DataUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`PICKLE_GLOBALS` (data, never code)."""

    def find_class(self, module, name):
        if (module, name) not in PICKLE_GLOBALS:
            raise pickle.UnpicklingError(
                f"the pickle names {module}.{name}, which a data file of these layouts does not need (expected "
                "numpy arrays, numpy scalars and plain containers only); it was not loaded, because unpickling "
                "runs the callables a pickle names"
            )
        return super().find_class(module, name)


def load_pickle(path, encoding="latin1"):
    """Load a (Python 2 or 3) data pickle; corrupt, truncated or code-naming files raise DataValidationError.

    Only numpy arrays / scalars / dtypes and plain Python containers are
    reconstructed (:data:`PICKLE_GLOBALS`): a pickle that names any other
    global (a class or function, which unpickling would call) is refused
    before anything runs, naming the global.
    """
    path = require_path(path)
    try:
        with open(path, "rb") as f:
            return _DataUnpickler(f, encoding=encoding).load()
    except Exception as e:  # EOFError, UnpicklingError, ValueError from numpy, ...
        raise data_error(path, "<pickle>", "a complete pickle of numpy arrays and containers",
                         f"an unreadable file ({type(e).__name__}: {e})") from e


def read_h5_dataset(path, key):
    """Read the dataset ``key`` of an HDF5 file into memory."""
    import h5py

    path = require_path(path)
    try:
        f = h5py.File(path, "r")
    except Exception as e:
        raise data_error(path, "<hdf5>", "a readable HDF5 file", f"an unreadable file ({type(e).__name__}: {e})") from e
    with f:
        if key not in f:
            raise data_error(path, key, f"an HDF5 dataset named {key!r}", f"keys {sorted(f.keys())}")
        try:
            return f[key][()]
        except Exception as e:
            raise data_error(path, key, "a readable dataset", f"{type(e).__name__}: {e}") from e


def load_npz(path, allow_pickle=False):
    """Open an ``.npz`` archive and return ``{key: array}`` (all arrays read)."""
    path = require_path(path)
    try:
        archive = np.load(path, allow_pickle=allow_pickle)
    except Exception as e:
        found = f"an unreadable file ({type(e).__name__}: {e})"
        raise data_error(path, "<npz>", "a readable .npz archive", found) from e
    if not hasattr(archive, "files"):
        raise data_error(path, "<npz>", "an .npz archive of named arrays", type(archive).__name__)
    out = {}
    with archive:
        for k in archive.files:
            try:
                out[k] = archive[k]
            except ValueError as e:
                if "allow_pickle" in str(e):
                    out[k] = None  # object array; caller decides
                    continue
                raise data_error(path, k, "a readable array", f"{type(e).__name__}: {e}") from e
            except Exception as e:
                raise data_error(path, k, "a readable array", f"{type(e).__name__}: {e}") from e
    return out


def get_key(mapping, key, source, where=""):
    """``mapping[key]`` or a DataValidationError listing the keys found."""
    if not isinstance(mapping, dict):
        raise data_error(source, where or key, "a dict", type(mapping).__name__)
    if key not in mapping:
        full = f"{where}/{key}" if where else key
        raise data_error(source, full, "this key to be present", f"keys {sorted(map(str, mapping))}")
    return mapping[key]


# ---------------------------------------------------------------- arrays
def as_numeric(x, source, key, allow_bool=True):
    """``x`` as a numeric array. ``allow_bool=False`` (labels, lengths, token ids)
    refuses booleans, which would otherwise silently become 0 / 1 values."""
    try:
        arr = np.asarray(x)
    except Exception as e:
        raise data_error(source, key, "a numeric array", f"{type(x).__name__} ({e})") from e
    if arr.dtype.kind == "b" and not allow_bool:
        raise data_error(source, key, "a numeric (int or float) array, not bool", f"dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        found = f"dtype {arr.dtype}"
        if arr.size:  # name the first value that is not a number
            flat = arr.reshape(-1)
            i = next((i for i, v in enumerate(flat) if isinstance(v, (bool, np.bool_))
                      or not isinstance(v, (int, float, np.number))), 0)
            v = flat[i].item() if isinstance(flat[i], np.generic) else flat[i]
            found += f" (value {v!r} at index {tuple(int(k) for k in np.unravel_index(i, arr.shape))})"
        raise data_error(source, key, "a numeric array", found)
    return arr


def check_shape(x, source, key, shape):
    """``shape`` is a tuple of ints or None (free); checks ndim and fixed sizes."""
    if x.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, x.shape)):
        wanted = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise data_error(source, key, f"shape {wanted}", f"shape {x.shape}")


def to_float32(x, source, key, shape=None, allow_neginf=False, stats=None, allow_bool=True):
    """Validate and cast a feature array to float32.

    NaN and +inf are errors. ``-inf`` is an error unless ``allow_neginf``
    (MulT / MMSA audio), in which case it is replaced by 0 and counted in
    ``stats[key]``. Pass ``allow_bool=False`` for labels (see :func:`as_numeric`).
    """
    x = as_numeric(x, source, key, allow_bool=allow_bool)
    if shape is not None:
        check_shape(x, source, key, shape)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        if nan.any():
            idx = tuple(int(i) for i in np.argwhere(nan)[0])
            raise data_error(source, key, "no NaN values", f"{int(nan.sum())} NaN (first at index {idx})")
        posinf = np.isposinf(x)
        if posinf.any():
            idx = tuple(int(i) for i in np.argwhere(posinf)[0])
            raise data_error(source, key, "no +inf values", f"{int(posinf.sum())} +inf (first at index {idx})")
        neginf = np.isneginf(x)
        if neginf.any():
            if not allow_neginf:
                idx = tuple(int(i) for i in np.argwhere(neginf)[0])
                raise data_error(source, key, "no -inf values", f"{int(neginf.sum())} -inf (first at index {idx})")
            count = int(neginf.sum())
            x = np.where(neginf, 0.0, x)
            logger.info("%s: key %r: replaced %d -inf values with 0.", source, key, count)
            if stats is not None:
                stats[key] = stats.get(key, 0) + count
    out = x.astype("float32")
    if not np.isfinite(out).all():
        raise data_error(source, key, "values within the float32 range", "values that overflow to inf in float32")
    return out


def to_lengths(x, source, key, n, max_len):
    x = as_numeric(x, source, key, allow_bool=False)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.shape != (n,):
        raise data_error(source, key, f"shape ({n},)", f"shape {x.shape}")
    if x.dtype.kind == "f" and (not np.isfinite(x).all() or np.any(x != np.round(x))):
        i = int(np.flatnonzero(~np.isfinite(x) | (x != np.round(x)))[0])
        raise data_error(source, key, "integer lengths", f"non-integer values ({x[i].item()!r} at index {i})")
    x = x.astype("int64")
    if x.size and (x.min() < 0 or x.max() > max_len):
        raise data_error(source, key, f"lengths in [0, {max_len}]", f"range [{x.min()}, {x.max()}]")
    return x.astype("int32")


def decode_ids(ids, source, key, n, unique=False):
    """Turn an id array ((N,) or (N, k) of str / bytes / numbers) into (N,) str.

    Multi-field ids (MulT: video id, start, end) are joined with ``"$_$"``,
    so that the video id stays the first field (see ``parse_segment_id``).
    ``unique=True`` refuses repeated ids (one row per video, e.g. the CIM
    npz). Segment-level files may repeat an id (a segment labelled twice);
    grouping them into videos refuses that instead (``group_by_video``).
    """
    arr = np.asarray(ids, dtype=object)
    if arr.ndim == 0 or arr.shape[0] != n:
        raise data_error(source, key, f"{n} ids (one per sample)", f"shape {arr.shape}")

    def one(v):
        if isinstance(v, bytes):
            return v.decode("utf-8", errors="replace")
        if isinstance(v, (np.ndarray, list, tuple)):
            return "$_$".join(one(u) for u in np.asarray(v, dtype=object).reshape(-1))
        return str(v)

    out = np.array([one(v) for v in arr], dtype=str)
    if unique:
        check_unique_ids(out, source, key)
    return out


def check_unique_ids(ids, source, key):
    """Raise one DataValidationError naming the duplicated ids of ``ids`` and their counts."""
    values, counts = np.unique(np.asarray(ids, dtype=str), return_counts=True)
    dup = counts > 1
    if dup.any():
        shown = {str(v): int(c) for v, c in list(zip(values[dup], counts[dup]))[:5]}
        more = f" and {int(dup.sum()) - len(shown)} more" if dup.sum() > len(shown) else ""
        raise data_error(source, key, "unique ids (one per sample)",
                         f"{int(dup.sum())} duplicated ids (id: count) {shown}{more}")


def check_sizes(sizes, expected, source, unit="samples"):
    """``expected`` = ``{split: int}`` or None; raise on the first mismatch."""
    if not expected:
        return
    for split, n in expected.items():
        if split not in sizes:
            raise data_error(source, split, f"a {split!r} split of {n} {unit}", "no such split")
        if sizes[split] != n:
            raise data_error(source, split, f"{n} {unit}", f"{sizes[split]} {unit}")


def resolve_expected(expected_sizes, known):
    """``"auto"`` -> ``known`` (may be None); None / False -> no check; dict -> itself."""
    if isinstance(expected_sizes, str):
        if expected_sizes != "auto":
            raise ValueError(f"`expected_sizes` must be 'auto', None or a dict. Received: {expected_sizes!r}")
        return known
    if not expected_sizes:
        return None
    return dict(expected_sizes)


def check_modalities(modalities, allowed=MODALITIES):
    if modalities is None:
        return None
    if isinstance(modalities, str):
        modalities = (modalities,)
    modalities = tuple(modalities)
    bad = [m for m in modalities if m not in allowed]
    if bad or not modalities:
        raise ValueError(f"`modalities` must be a non-empty subset of {allowed}. Received: modalities={modalities!r}")
    return modalities


# ---------------------------------------------------------------- padding
def nonzero_steps(x):
    return np.any(x != 0, axis=-1)


def side_from_lengths(x, lengths):
    """Padding side of ``x`` given its true lengths: where the zero block sits.

    Returns "pre", "post" or None (no sample is shorter than T, or the padded
    region is not zero under either hypothesis).
    """
    T = x.shape[1]
    nz = nonzero_steps(x)
    pre = post = 0
    for i, n in enumerate(lengths):
        n = int(n)
        if n >= T:
            continue
        if not nz[i, n:].any():
            post += 1
        if not nz[i, : T - n].any():
            pre += 1
    if pre == post:
        return None
    return "pre" if pre > post else "post"


def repad(x, lengths, from_side, to_side):
    """Move the real steps of ``x`` (N, T, ...) from one padding side to the other."""
    if from_side == to_side:
        return x
    return move_steps(x, lengths, from_side, to_side)


def check_widths(features, source):
    """Every modality of ``{split: {modality: (N, T, d)}}`` has the same width d and steps T in every split."""
    splits = list(features)
    for m in MODALITIES:
        have = [s for s in splits if m in features[s]]
        if not have:
            continue
        first = features[have[0]][m]
        for s in have[1:]:
            x = features[s][m]
            if x.shape[2] != first.shape[2]:
                raise data_error(source, f"{s}/{m}", f"feature dimension {first.shape[2]} (as {have[0]}/{m})",
                                 f"{x.shape[2]} (shape {x.shape})")
            if x.shape[1] != first.shape[1]:
                raise data_error(source, f"{s}/{m}", f"shape (*, {first.shape[1]}, {first.shape[2]}) "
                                 f"({first.shape[1]} steps as {have[0]}/{m})", f"shape {x.shape}")


def detect_side(arrays):
    """Padding side of a list of (N, T, d) arrays with the same T (stacked on N)."""
    return detect_padding(np.concatenate(arrays, axis=0))


def union_lengths(features, padding):
    """Lengths of the union of non-zero steps across same-T modalities."""
    stacked = np.concatenate([nonzero_steps(x)[..., None] for x in features.values()], axis=-1)
    return lengths_from_padding(stacked.astype("float32"), padding)


def make_split(name, features, lengths, labels, ids, padding, level, source, utterance_ids=None,
               label_ranges=None, extras=None):
    """Build an MSASplit; contract errors already name the source and key."""
    return MSASplit(
        label_ranges=label_ranges,
        extras=dict(extras or {}),
        name=name,
        features=features,
        lengths=lengths,
        labels=labels,
        ids=ids,
        padding=padding,
        level=level,
        utterance_ids=utterance_ids,
        source=os.fspath(source),
    )


def warn(message):
    warnings.warn(message, stacklevel=3)


__all__ = [
    "DataValidationError",
    "SPLITS",
    "data_error",
    "logger",
]


def resolve_padding(features, given_lengths, given_sides, padding, lengths_mode, source):
    """Choose one padding side for a dataset of several modalities and compute lengths.

    Args:
        features: ``{split: {modality: (N, T_m, d) float32}}``.
        given_lengths: ``{split: {modality: (N,) int}}`` for modalities whose
            lengths are stored in the file (MMSA ``*_lengths``, BERT masks).
        given_sides: ``{modality: side}`` known from the file (BERT mask).
        padding: None (detect) or "pre" / "post" (target side).
        lengths_mode: "auto", "shared" or "per_modality".
        source: file name for messages.

    Returns:
        ``(target_side, features, lengths, sides)`` where ``features`` are
        repadded to ``target_side`` where their detected side differs and
        ``sides`` maps each modality to the side detected in the file.
    """
    if padding not in (None, "pre", "post"):
        raise ValueError(f"`padding` must be None, 'pre' or 'post'. Received: padding={padding!r}")
    if lengths_mode not in ("auto", "shared", "per_modality"):
        raise ValueError(f"`lengths` must be 'auto', 'shared' or 'per_modality'. Received: lengths={lengths_mode!r}")
    check_widths(features, source)
    splits = list(features)
    mods = [m for m in MODALITIES if all(m in features[s] for s in splits)]
    sides = {}
    for m in mods:
        if m in given_sides:
            sides[m] = given_sides[m]
        elif all(m in given_lengths.get(s, {}) for s in splits):
            x = np.concatenate([features[s][m] for s in splits])
            n = np.concatenate([given_lengths[s][m] for s in splits])
            sides[m] = side_from_lengths(x, n) or "post"
        else:
            sides[m] = detect_padding(np.concatenate([features[s][m] for s in splits]))
    if padding is not None:
        target = padding
    elif len(set(sides.values())) == 1:
        target = next(iter(sides.values()))
    elif "text" in sides:
        target = sides["text"]
    else:
        values = list(sides.values())
        target = "post" if values.count("post") > values.count("pre") else "pre"
    same_T = len({features[splits[0]][m].shape[1] for m in mods}) == 1
    derived = [m for m in mods if not all(m in given_lengths.get(s, {}) for s in splits)]
    shared = lengths_mode == "shared" or (
        lengths_mode == "auto" and same_T and len(set(sides.values())) == 1 and len(derived) == len(mods)
    )
    if lengths_mode == "shared" and (not same_T or len(set(sides.values())) != 1):
        raise data_error(source, "lengths", "modalities with the same steps and padding side for lengths='shared'",
                         {m: (features[splits[0]][m].shape[1], sides[m]) for m in mods})
    lengths = {}
    out = {}
    for s in splits:
        lengths[s] = {}
        if shared:
            union = np.stack([nonzero_steps(features[s][m]) for m in mods], axis=-1).astype("float32")
            common = lengths_from_padding(union, sides[mods[0]])
        for m in mods:
            if m in given_lengths.get(s, {}):
                lengths[s][m] = np.asarray(given_lengths[s][m], dtype="int32")
            elif shared:
                lengths[s][m] = common.copy()
            else:
                lengths[s][m] = lengths_from_padding(features[s][m], sides[m])
        out[s] = {m: repad(features[s][m], lengths[s][m], sides[m], target) for m in mods}
    return target, out, lengths, sides
