"""Readers of the "processed" segment-level pickles: MulT (the de-facto CMU processed
data) and MMSA. Layouts: ``data_and_metrics.md`` §2.2 and §2.3.
"""

import os

import numpy as np

from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.readers._common import GENERATED_ID_PREFIX
from keras_msa.data_tools.readers._common import SPLITS
from keras_msa.data_tools.readers._common import as_numeric
from keras_msa.data_tools.readers._common import check_modalities
from keras_msa.data_tools.readers._common import check_shape
from keras_msa.data_tools.readers._common import check_sizes
from keras_msa.data_tools.readers._common import data_error
from keras_msa.data_tools.readers._common import decode_ids
from keras_msa.data_tools.readers._common import get_key
from keras_msa.data_tools.readers._common import load_pickle
from keras_msa.data_tools.readers._common import logger
from keras_msa.data_tools.readers._common import make_split
from keras_msa.data_tools.readers._common import resolve_expected
from keras_msa.data_tools.readers._common import resolve_padding
from keras_msa.data_tools.readers._common import to_float32
from keras_msa.data_tools.readers._common import to_lengths

MULT_SIZES = {
    "mosi": {"train": 1284, "valid": 229, "test": 686},
    "mosei": {"train": 16326, "valid": 1871, "test": 4659},
    "iemocap": {"train": 2717, "valid": 798, "test": 938},
}
#: Feature dims of the MulT pickles (text GloVe, audio COVAREP, vision FACET), data_and_metrics.md §2.2.
MULT_DIMS = {
    "mosi": {"text": 300, "audio": 5, "vision": 20},
    "mosei": {"text": 300, "audio": 74, "vision": 35},
    "iemocap": {"text": 300, "audio": 74, "vision": 35},
}
MMSA_SIZES = {
    "mosi": {"train": 1284, "valid": 229, "test": 686},
    "mosei": {"train": 16326, "valid": 1871, "test": 4659},
}
#: Emotion order of the MulT IEMOCAP labels (N, 4, 2).
IEMOCAP_EMOTIONS = ("neutral", "happy", "sad", "angry")
_MODALITY_KEYS = ("text", "audio", "vision")


def _guess_dataset(path, mmsa=False):
    if mmsa:
        parts = [p.lower() for p in os.path.normpath(os.fspath(path)).split(os.sep)]
        for name in ("mosei", "mosi", "simsv2", "sims"):
            if name in parts:
                return name
        return None
    base = os.path.basename(os.fspath(path)).lower()
    for name in ("mosei", "mosi", "iemocap"):
        if base.startswith(name):
            return name
    return None


def _top_level(data, path):
    if not isinstance(data, dict):
        raise data_error(path, "<pickle>", "a dict {'train', 'valid', 'test'}", type(data).__name__)
    for s in SPLITS:
        get_key(data, s, path)
    return data


def _sentiment_labels(y, path, key, n, low=-3.0, high=3.0):
    y = to_float32(y, path, key, allow_bool=False)
    if y.size != n or (y.ndim > 1 and any(d != 1 for d in y.shape[1:])) or y.ndim == 0:
        raise data_error(path, key, f"shape ({n},), ({n}, 1) or ({n}, 1, 1)", f"shape {y.shape}")
    y = y.reshape(n)
    if y.min() < low or y.max() > high:
        raise data_error(path, key, f"sentiment scores in [{low}, {high}]", f"range [{y.min():.3f}, {y.max():.3f}]")
    return y


def _split_features(d, path, split, modalities, stats):
    feats, n = {}, None
    for m in modalities:
        key = f"{split}/{m}"
        x = to_float32(get_key(d, m, path, split), path, key, shape=(None, None, None),
                       allow_neginf=(m == "audio"), stats=stats)
        if n is None:
            n = x.shape[0]
        elif x.shape[0] != n:
            raise data_error(path, key, f"{n} samples (as {split}/{modalities[0]})", x.shape[0])
        feats[m] = x
    return feats, n


def read_mult_pickle(
    path, dataset=None, modalities=None, padding=None, lengths="auto", expected_sizes="auto", expected_dims="auto"
):
    """Read a MulT processed pickle (``mosi_data.pkl``, ``mosei_senti_data_noalign.pkl``, ...).

    Layout: ``dict{train, valid, test} -> dict{vision, audio, text, labels, id}``;
    arrays (N, T, d), zero padding at the *front* (SDK default), ``-inf`` in
    audio (replaced by 0 and counted: ``info["neginf_replaced"]``, as every
    loader of the field does; ``-inf`` elsewhere, NaN and +inf are errors).
    Labels (N, 1, 1) sentiment in [-3, 3], or IEMOCAP (N, 4, 2): for each of
    [neutral, happy, sad, angry] a 2-way one-hot [absent, present].

    Args:
        path: the pickle file.
        dataset: dataset name ("mosi", "mosei", "iemocap"); default guessed
            from the file name (``mosi_*``, ``mosei_*``, ``iemocap_*``).
        modalities: subset of ("text", "audio", "vision").
        padding: None keeps the side detected in the file ("pre" for MulT
            data); "pre" / "post" repads every modality to that side.
        lengths: "auto" (one shared length per sample when all modalities
            have the same T and side, i.e. aligned data; per modality
            otherwise), "shared" or "per_modality". Lengths come from the
            all-zero padded steps.
        expected_sizes: "auto" = 1284/229/686 (MOSI), 16326/1871/4659 (MOSEI),
            2717/798/938 (IEMOCAP) when the dataset is known; dict; None.
        expected_dims: "auto" = text / audio / vision dims 300 / 5 / 20 (MOSI),
            300 / 74 / 35 (MOSEI, IEMOCAP) when the dataset is known; dict
            ``{modality: d}``; None.

    Returns:
        segment-level MSADataset. Labels "sentiment" (N,), or for IEMOCAP
        "onehot" (N, 4, 2) float32 and "class" (N, 4) int32 (1 = present).
        Multi-field ids (video, start, end) become ``"video$_$start$_$end"``.
        A split without ``id`` (optional in MulT) gets ids ``"<no id>/<split>/<i>"``:
        fine at segment level, refused by :func:`group_by_video` (no video ids).
    """
    path = os.fspath(path)
    modalities = check_modalities(modalities) or _MODALITY_KEYS
    data = _top_level(load_pickle(path), path)
    name = dataset or _guess_dataset(path) or "dataset"
    stats, features, labels, ids, sizes = {}, {}, {}, {}, {}
    kind = None
    for s in SPLITS:
        d = data[s]
        features[s], n = _split_features(d, path, s, modalities, stats)
        sizes[s] = n
        y = as_numeric(get_key(d, "labels", path, s), path, f"{s}/labels", allow_bool=False)
        if y.ndim == 3 and y.shape[1:] == (len(IEMOCAP_EMOTIONS), 2):
            y = to_float32(y, path, f"{s}/labels", shape=(n, len(IEMOCAP_EMOTIONS), 2))
            if not (np.isin(y, (0.0, 1.0)).all() and np.all(y.sum(axis=-1) == 1)):
                raise data_error(path, f"{s}/labels", "one-hot (absent, present) pairs per emotion", "other values")
            labels[s] = {"onehot": y, "class": np.argmax(y, axis=-1).astype("int32")}
            this = "emotions4"
        else:
            labels[s] = {"sentiment": _sentiment_labels(y, path, f"{s}/labels", n)}
            this = "sentiment"
        if kind not in (None, this):
            raise data_error(path, f"{s}/labels", f"{kind} labels like the other splits", f"{this} labels")
        kind = this
        if "id" in d:
            ids[s] = decode_ids(d["id"], path, f"{s}/id", n)
        else:
            logger.info("%s: split %r has no 'id' key; using generated ids (not groupable by video).", path, s)
            ids[s] = np.array([f"{GENERATED_ID_PREFIX}{s}/{i}" for i in range(n)])
    check_sizes(sizes, resolve_expected(expected_sizes, MULT_SIZES.get(name)), path)
    dims = resolve_expected(expected_dims, MULT_DIMS.get(name)) or {}
    for s in SPLITS:
        for m, x in features[s].items():
            if m in dims and x.shape[2] != dims[m]:
                raise data_error(path, f"{s}/{m}", f"feature dimension {dims[m]} ({name} MulT data)",
                                 f"{x.shape[2]} (shape {x.shape})")
    side, features, lens, sides = resolve_padding(features, {}, {}, padding, lengths, path)
    splits = {
        s: make_split(s, features[s], lens[s], labels[s], ids[s], padding=side, level="segment", source=path)
        for s in SPLITS
    }
    info = {
        "format": "mult",
        "source": path,
        "dataset": name,
        "aligned": len({x.shape[1] for x in features["train"].values()}) == 1,
        "label_kind": "sentiment" if kind == "sentiment" else "emotions4",
        "padding_detected": sides,
        "neginf_replaced": stats,
    }
    if kind == "emotions4":
        info["emotion_names"] = IEMOCAP_EMOTIONS
    return MSADataset(name, splits, info)


def read_mmsa_pickle(path, dataset=None, modalities=None, padding=None, lengths="auto", expected_sizes="auto"):
    """Read an MMSA processed pickle (``MOSI/Processed/unaligned_50.pkl``, ...).

    Per split: ``text`` (N, T, 768) frozen BERT features (not GloVe), optional
    ``text_bert`` (N, 3, T) = [token ids, attention mask, segment ids],
    ``audio`` / ``vision`` (N, T_m, d), optional ``audio_lengths`` /
    ``vision_lengths`` (unaligned files), ``regression_labels`` (N,), ``id``
    (``"<video>$_$<clip>"``), optional ``raw_text``.

    Lengths: text from the BERT attention mask when ``text_bert`` is present
    (BERT features of padding tokens are not zero), audio / vision from the
    stored lengths, else from the all-zero steps. The padding side of each
    modality is detected (MMSA does not document it): from the BERT mask for
    text, from where the zeros sit after / before the stored lengths for audio
    and vision ("post" when that cannot tell, e.g. no sample is shorter than T),
    from the all-zero steps otherwise. All modalities are then brought to one
    side (``padding``, default: the common detected side, else the text side;
    ``info["padding_detected"]`` records each). ``-inf`` in audio -> 0,
    counted (the MMSA loader's rule).

    Args:
        path: the pickle file.
        dataset: name; default guessed from the path ("MOSI" / "MOSEI" / "SIMS" folders).
        modalities: subset of ("text", "audio", "vision").
        padding: None or "pre" / "post".
        lengths: "auto", "shared" or "per_modality" (for modalities whose
            lengths are not stored).
        expected_sizes: "auto" = 1284/229/686 (MOSI), 16326/1871/4659 (MOSEI); dict; None.

    Returns:
        segment-level MSADataset with label "sentiment" (regression labels;
        SIMS scores lie in [-1, 1]); ``info["raw_text"]`` holds ``raw_text``
        per split when present.
    """
    path = os.fspath(path)
    modalities = check_modalities(modalities) or _MODALITY_KEYS
    data = _top_level(load_pickle(path), path)
    name = dataset or _guess_dataset(path, mmsa=True) or "dataset"
    stats, features, labels, ids, sizes, given, raw_text = {}, {}, {}, {}, {}, {}, {}
    given_sides = {}
    for s in SPLITS:
        d = data[s]
        features[s], n = _split_features(d, path, s, modalities, stats)
        sizes[s] = n
        given[s] = {}
        if "text" in modalities and "text_bert" in d:
            key = f"{s}/text_bert"
            tb = as_numeric(d["text_bert"], path, key, allow_bool=False)
            T = features[s]["text"].shape[1]
            check_shape(tb, path, key, (n, 3, T))
            mask = tb[:, 1, :]
            if not np.isin(mask, (0, 1)).all():
                raise data_error(path, key, "an attention mask of 0 / 1 in row 1", "other values")
            n_real = mask.sum(axis=1).astype("int32")
            steps = np.arange(T)[None, :]
            if np.array_equal(mask, steps < n_real[:, None]):
                side = "post"
            elif np.array_equal(mask, steps >= T - n_real[:, None]):
                side = "pre"
            else:
                raise data_error(path, key, "a contiguous attention mask (all padding on one side)", "gaps")
            if given_sides.setdefault("text", side) != side:
                raise data_error(path, key, f"{given_sides['text']}-padding like the other splits", side)
            given[s]["text"] = n_real
        for m in ("audio", "vision"):
            key = f"{m}_lengths"
            if m in modalities and key in d:
                given[s][m] = to_lengths(d[key], path, f"{s}/{key}", n, features[s][m].shape[1])
        labels[s] = {"sentiment": _sentiment_labels(get_key(d, "regression_labels", path, s), path,
                                                    f"{s}/regression_labels", n)}
        ids[s] = decode_ids(get_key(d, "id", path, s), path, f"{s}/id", n)
        if "raw_text" in d:
            raw_text[s] = np.asarray(d["raw_text"], dtype=object)
            if raw_text[s].ndim == 0 or raw_text[s].shape[0] != n:
                raise data_error(path, f"{s}/raw_text", f"{n} rows (one per sample)", f"shape {raw_text[s].shape}")
    for m in ("audio", "vision"):
        present = [m in given[s] for s in SPLITS]
        if any(present) and not all(present):
            missing = [s for s, p in zip(SPLITS, present) if not p]
            raise data_error(path, f"{missing[0]}/{m}_lengths", "lengths in every split (as in the others)", "missing")
    check_sizes(sizes, resolve_expected(expected_sizes, MMSA_SIZES.get(name)), path)
    side, features, lens, sides = resolve_padding(features, given, given_sides, padding, lengths, path)
    splits = {
        s: make_split(s, features[s], lens[s], labels[s], ids[s], padding=side, level="segment", source=path)
        for s in SPLITS
    }
    info = {
        "format": "mmsa",
        "source": path,
        "dataset": name,
        "aligned": len({x.shape[1] for x in features["train"].values()}) == 1,
        "label_kind": "sentiment",
        "text_features": "bert",
        "padding_detected": sides,
        "neginf_replaced": stats,
    }
    if raw_text:
        info["raw_text"] = raw_text
    return MSADataset(name, splits, info)
