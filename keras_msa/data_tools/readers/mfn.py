"""Reader of the word-aligned MFN release (``pliang279/MFN`` @ ``b0453fb6``), T = 20 words.

Layouts (``data_and_metrics.md`` §2.7):

* ICT-MMMO / YouTube (``new_data/{mmmo,youtube}/``): one float64 HDF5 dataset
  ``d1`` per file: ``audio_{split}.h5`` (N, 20, 74) COVAREP,
  ``video_{split}.h5`` (N, 20, 36) FACET, ``text_{split}_emb.h5`` (N, 20, 300)
  GloVe, ``y_{split}.h5``: MMMO (N,) scores in [1, 5], YouTube (N, 3) one-hot.
  The public release has no ``text_train_emb.h5``.
* MOSI (``data/``): ``X_{split}.h5`` (N, 20, 325) = [GloVe 300 | COVAREP 5 |
  FACET 20] and ``y_{split}.h5`` (N,) in [-3, 3], dataset ``data``.
"""

import os

import numpy as np

from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.dataset import lengths_from_padding
from keras_msa.data_tools.labels import FeatureNormalizer
from keras_msa.data_tools.readers._common import GENERATED_ID_PREFIX
from keras_msa.data_tools.readers._common import SPLITS
from keras_msa.data_tools.readers._common import check_modalities
from keras_msa.data_tools.readers._common import check_sizes
from keras_msa.data_tools.readers._common import data_error
from keras_msa.data_tools.readers._common import detect_side
from keras_msa.data_tools.readers._common import nonzero_steps
from keras_msa.data_tools.readers._common import read_h5_dataset
from keras_msa.data_tools.readers._common import require_path
from keras_msa.data_tools.readers._common import repad
from keras_msa.data_tools.readers._common import resolve_expected
from keras_msa.data_tools.readers._common import make_split
from keras_msa.data_tools.readers._common import to_float32
from keras_msa.data_tools.readers._common import warn

MFN_SIZES = {
    "mmmo": {"train": 220, "valid": 40, "test": 80},
    "youtube": {"train": 173, "valid": 36, "test": 60},
    "mosi": {"train": 1284, "valid": 229, "test": 686},
}
MFN_DIMS = {"text": 300, "audio": 74, "vision": 36}
MFN_MOSI_DIMS = {"text": 300, "audio": 5, "vision": 20}
MFN_FILES = {"text": "text_{split}_emb.h5", "audio": "audio_{split}.h5", "vision": "video_{split}.h5"}
MMMO_RANGE = (1.0, 5.0)
MMMO_THRESHOLD = 3.5


def _dataset_dir(root, dataset, probe):
    """The folder holding ``probe``: ``root/dataset``, ``root/data`` (MOSI) or ``root``."""
    root = os.fspath(root)
    candidates = [os.path.join(root, dataset), root]
    if dataset == "mosi":
        candidates.insert(1, os.path.join(root, "data"))
    for c in candidates:
        if os.path.exists(os.path.join(c, probe)):
            return c
    raise data_error(
        os.path.join(candidates[0], probe), "<file>", f"the MFN {dataset} file {probe} (looked in {candidates})",
        "no such file",
    )


def _labels_mmmo(y, path, key):
    y = to_float32(y, path, key, allow_bool=False)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise data_error(path, key, "shape (N,) of ICT-MMMO scores", f"shape {y.shape}")
    lo, hi = MMMO_RANGE
    if y.min() < lo or y.max() > hi:
        raise data_error(path, key, f"ICT-MMMO scores in [{lo}, {hi}]", f"range [{y.min()}, {y.max()}]")
    return {"score": y, "class": (y > MMMO_THRESHOLD).astype("int32")}


def _labels_youtube(y, path, key):
    y = to_float32(y, path, key, allow_bool=False)
    if y.ndim != 2 or y.shape[1] != 3:
        raise data_error(path, key, "shape (N, 3) one-hot YouTube labels", f"shape {y.shape}")
    if not (np.isin(y, (0.0, 1.0)).all() and np.all(y.sum(axis=1) == 1)):
        bad = int(np.flatnonzero(~(np.isin(y, (0.0, 1.0)).all(axis=1) & (y.sum(axis=1) == 1)))[0])
        raise data_error(path, key, "one-hot rows", f"row {bad} = {y[bad].tolist()}")
    return {"onehot": y, "class": np.argmax(y, axis=1).astype("int32")}


def _labels_mosi(y, path, key):
    y = to_float32(y, path, key, allow_bool=False)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise data_error(path, key, "shape (N,) of sentiment scores", f"shape {y.shape}")
    if y.min() < -3 or y.max() > 3:
        raise data_error(path, key, "sentiment scores in [-3, 3]", f"range [{y.min()}, {y.max()}]")
    return {"sentiment": y}


def read_mfn_h5(
    root,
    dataset="mmmo",
    modalities=None,
    audio_clip=None,
    padding=None,
    lengths="shared",
    expected_sizes="auto",
):
    """Read the MFN word-aligned h5 release (ICT-MMMO, YouTube, or MOSI ``X_*.h5``).

    Args:
        root: folder holding ``{dataset}/`` (the ``mfn_h5`` / ``new_data``
            folder), or the dataset folder itself. For MOSI: the folder holding
            ``X_{split}.h5`` (or its parent with ``data/``).
        dataset: "mmmo", "youtube" or "mosi".
        modalities: modalities to load. Default: every modality whose files
            exist for all three splits; modalities missing somewhere are left
            out with a warning (the release has no ``text_train_emb.h5``). A
            requested modality whose file is missing raises an error naming it.
        audio_clip: None, or c > 0 to clip audio to [-c, c]. ICT-MMMO audio
            holds saturated +-255 values (column 0 at +255, column 7 at -255);
            the MFN code used them as they are, hence the default None.
        padding: "pre" / "post", or None to detect it from where the all-zero
            word steps sit (one side for the whole dataset; MFN YouTube text is
            post-padded, MOSI pre-padded, MMMO mixed with a post majority).
            Lengths are always measured on the detected side; a requested side
            that differs moves the real steps there.
        lengths: "shared" (default: a word step is real when any loaded
            modality is non-zero there, the steps being word-aligned) or
            "per_modality" (each modality's own zero steps).
        expected_sizes: "auto" = the release's 220/40/80 (MMMO), 173/36/60
            (YouTube), 1284/229/686 (MOSI); a dict, or None to skip.

    Returns:
        segment-level MSADataset named ``dataset``. Labels: MMMO "score"
        (float32 in [1, 5], not "sentiment", whose contract range is [-3, 3])
        and "class" (int32, score > 3.5, the TMA / MITRL binary task); YouTube
        "onehot" (N, 3) and "class" (argmax; class order undocumented); MOSI
        "sentiment". ``info["padding_detected"]`` (the side used when ``padding``
        is None), ``info["padding_detected_per_modality"]``,
        ``info["padding_other_side"]`` (per split, the samples whose zero steps
        sit on the other side; counted as real steps, with a warning),
        ``info["audio_clipped"]``,
        ``info["missing_files"]`` record what was found.
    """
    if dataset not in MFN_SIZES:
        raise ValueError(f"`dataset` must be one of {sorted(MFN_SIZES)}. Received: dataset={dataset!r}")
    if padding not in (None, "pre", "post"):
        raise ValueError(f"`padding` must be None, 'pre' or 'post'. Received: padding={padding!r}")
    if lengths not in ("shared", "per_modality"):
        raise ValueError(f"`lengths` must be 'shared' or 'per_modality'. Received: lengths={lengths!r}")
    if audio_clip is not None and (isinstance(audio_clip, (bool, np.bool_))
                                   or not isinstance(audio_clip, (int, float, np.integer, np.floating))
                                   or not 0 < audio_clip < np.inf):
        raise ValueError(f"`audio_clip` must be None or a finite number > 0. Received: audio_clip={audio_clip!r}")
    requested = check_modalities(modalities)
    features, labels, sources, missing = {s: {} for s in SPLITS}, {}, {}, []
    files = {s: {} for s in SPLITS}  # the file of every loaded array, for messages

    if dataset == "mosi":
        folder = _dataset_dir(root, dataset, "X_train.h5")
        wanted = requested or tuple(MFN_MOSI_DIMS)
        for s in SPLITS:
            path = os.path.join(folder, f"X_{s}.h5")
            x = to_float32(read_h5_dataset(path, "data"), path, "data", shape=(None, None, sum(MFN_MOSI_DIMS.values())))
            start = 0
            for m, d in MFN_MOSI_DIMS.items():
                if m in wanted:
                    features[s][m] = np.ascontiguousarray(x[..., start:start + d])
                    files[s][m] = path
                start += d
            ypath = os.path.join(folder, f"y_{s}.h5")
            labels[s] = _labels_mosi(read_h5_dataset(ypath, "data"), ypath, "data")
            sources[s] = path
        dims, key = MFN_MOSI_DIMS, "data"
    else:
        folder = _dataset_dir(root, dataset, "y_train.h5")
        available = [m for m in MFN_FILES if all(os.path.exists(os.path.join(folder, MFN_FILES[m].format(split=s)))
                                                  for s in SPLITS)]
        for m in MFN_FILES:
            for s in SPLITS:
                p = os.path.join(folder, MFN_FILES[m].format(split=s))
                if not os.path.exists(p):
                    missing.append(p)
        if requested is None:
            wanted = tuple(available)
            dropped = [m for m in MFN_FILES if m not in available]
            if dropped:
                warn(f"{folder}: modalities {dropped} left out: missing files {missing}. "
                     "Pass `modalities` to choose explicitly.")
            if not wanted:
                raise data_error(folder, "<files>", "at least one modality with files for all splits",
                                 f"missing {missing}")
        else:
            wanted = requested
            for m in wanted:
                for s in SPLITS:
                    require_path(os.path.join(folder, MFN_FILES[m].format(split=s)), "d1",
                                 f"the {m} file of the {s} split (requested modality {m!r})")
        parse = _labels_mmmo if dataset == "mmmo" else _labels_youtube
        for s in SPLITS:
            for m in wanted:
                path = os.path.join(folder, MFN_FILES[m].format(split=s))
                features[s][m] = to_float32(read_h5_dataset(path, "d1"), path, "d1", shape=(None, None, MFN_DIMS[m]))
                files[s][m] = path
            ypath = os.path.join(folder, f"y_{s}.h5")
            labels[s] = parse(read_h5_dataset(ypath, "d1"), ypath, "d1")
            sources[s] = folder
        dims, key = MFN_DIMS, "d1"

    sizes = {}
    for s in SPLITS:
        n = len(next(iter(labels[s].values())))
        for m, x in features[s].items():
            if x.shape[0] != n:
                raise data_error(files[s][m], key, f"{n} samples (as the labels)", x.shape[0])
            if x.shape[1] != next(iter(features[s].values())).shape[1]:
                raise data_error(files[s][m], key, "the same number of word steps in every modality",
                                 x.shape[1])
            first = next(t for t in SPLITS if m in features[t])
            T = features[first][m].shape[1]
            if x.shape[1] != T:
                raise data_error(files[s][m], key, f"shape (*, {T}, {x.shape[2]}) ({T} word steps as "
                                 f"{files[first][m]})", f"shape {x.shape}")
        sizes[s] = n
    check_sizes(sizes, resolve_expected(expected_sizes, MFN_SIZES[dataset]), folder)

    clipped = 0
    if audio_clip is not None:
        if not any("audio" in features[s] for s in SPLITS):
            raise ValueError(f"`audio_clip` clips the audio, which is not loaded (modalities "
                             f"{sorted(features['train'])}). Received: audio_clip={audio_clip!r}")
        for s in SPLITS:
            if "audio" in features[s]:
                a = features[s]["audio"]
                clipped += int(np.sum(np.abs(a) > audio_clip))
                features[s]["audio"] = np.clip(a, -audio_clip, audio_clip)

    # One padding side for the whole dataset, from where the all-zero steps sit.
    order = [m for m in ("text", "audio", "vision") if m in features["train"] or m in features["test"]]
    union = [np.stack([nonzero_steps(features[s][m]) for m in order], axis=-1).astype("float32") for s in SPLITS]
    detected = detect_side(union)
    side = padding or detected
    per_modality = {m: detect_side([features[s][m] for s in SPLITS if m in features[s]]) for m in order}
    # Samples padded on the other side (MMMO mixes both): their zero block lies inside the measured length.
    other_side = {}
    for s, u in zip(SPLITS, union):
        real = u.any(axis=-1)
        edge = real[:, 0] if detected == "post" else real[:, -1]
        count = int(np.sum(real.any(axis=1) & ~edge))
        if count:
            other_side[s] = count
    if other_side:
        opposite = "leading" if detected == "post" else "trailing"
        warn(f"{folder}: {sum(other_side.values())} samples {other_side} have {opposite} all-zero word steps "
             f"although the files' padding is detected as {detected!r} (where the zero steps sit in the h5 "
             "files; the splits may be re-padded to another side afterwards): their lengths count those steps as real "
             "(and a normaliser fitted on real steps makes them non-zero unless it is built with "
             "zero_steps='missing', recipe flag --zero-steps missing). "
             "info['padding_other_side'] records the counts.")

    splits = {}
    for s in SPLITS:
        # Lengths where the data sit (the detected side), then the steps move to the requested side.
        if lengths == "shared":
            shared = lengths_from_padding(union[SPLITS.index(s)], detected)
            lens = {m: shared.copy() for m in features[s]}
        else:
            lens = {m: lengths_from_padding(x, detected) for m, x in features[s].items()}
        features[s] = {m: repad(x, lens[m], detected, side) for m, x in features[s].items()}
        # The release has no segment ids: made-up ones, which group_by_video refuses (they name no video).
        ids = np.array([f"{GENERATED_ID_PREFIX}{dataset}/{s}/{i}" for i in range(sizes[s])])
        ranges = {"score": MMMO_RANGE} if dataset == "mmmo" else None
        splits[s] = make_split(s, features[s], lens, labels[s], ids, padding=side, level="segment",
                               source=sources[s], label_ranges=ranges)

    info = {
        "format": "mfn_h5",
        "source": os.fspath(root),
        "dataset": dataset,
        "feature_dims": {m: dims[m] for m in order},
        "label_kind": {"mmmo": "score", "youtube": "class", "mosi": "sentiment"}[dataset],
        "padding_detected": detected,
        "padding_detected_per_modality": per_modality,
        "padding_other_side": other_side,
        "audio_clipped": clipped,
        "missing_files": missing,
    }
    if audio_clip is not None:  # recorded like the recipes' normalisers, for apply_preprocessing
        audio = next(features[s]["audio"] for s in SPLITS if "audio" in features[s])
        clip = FeatureNormalizer("clip", modalities=["audio"], clip_value=float(audio_clip)).fit({"audio": audio})
        info["preprocessing"] = [clip.to_dict()]
    if dataset == "youtube":
        info["num_classes"] = 3
    if dataset == "mmmo":
        info["num_classes"] = 2
        info["score_range"] = MMMO_RANGE
    return MSADataset(dataset, splits, info)
