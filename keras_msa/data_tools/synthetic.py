"""Deterministic synthetic datasets with the shapes of the real MSA datasets.

Every recipe runs on one of these when no ``--data-dir`` is given, and the
tests use them. The data carry a *planted multimodal signal*: each sample has
one latent factor per modality, ``z_text``, ``z_audio``, ``z_vision`` ~ N(0, 1);
each modality's real steps carry only its own factor (along a fixed random
direction, plus noise), and the sentiment score is

    score = clip(1.2 z_text + 1.0 z_audio + 0.8 z_vision + noise, -3, 3)
            (+ a per-video offset for utterance-context data).

So a model that reads one modality explains only part of the score (about
half of the variance for text alone), a working multimodal model explains most
of it, and a model whose features are broken stays at chance. For context data
every utterance of a video also carries a noisy copy of the per-video offset,
so pooling over the utterances of a video (context) helps further.

Labels derived from the score follow each dataset's convention: MOSI / MOSEI
``sentiment`` in [-3, 3] (MOSEI also 6 emotion intensities in [0, 3]); MMMO
``score`` in [1, 5] on half steps (binary task: > 3.5); YouTube 3 classes
(``class`` ints, ``onehot``; 0 = negative, 1 = neutral, 2 = positive); IEMOCAP 4
binary emotions ``emotions`` (Neutral, Happy, Sad, Angry) and their one-hot
pairs ``onehot`` (N, 4, 2) as in the MulT pickles.
"""

import dataclasses

import numpy as np

from keras_msa._checks import check_whole_number
from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.dataset import MSASplit

MODALITY_WEIGHTS = {"text": 1.2, "audio": 1.0, "vision": 0.8}
EMOTION_NAMES = ("happy", "sad", "anger", "surprise", "disgust", "fear")
IEMOCAP_EMOTIONS = ("neutral", "happy", "sad", "angry")


@dataclasses.dataclass(frozen=True)
class SyntheticSpec:
    """Shape of one synthetic dataset (mirrors a real release)."""

    dataset: str
    level: str  # "segment" | "context"
    steps: dict  # modality -> T
    dims: dict  # modality -> d
    padding: str
    label_kind: str  # "sentiment" | "score_1_5" | "class3" | "emotions4"
    real_sizes: tuple  # (train, valid, test) samples (videos for context data)
    default_sizes: tuple
    emotions: bool = False
    description: str = ""


def _spec(dataset, level, steps, dims, padding, label_kind, real, default, emotions=False, description=""):
    names = ("text", "audio", "vision")
    return SyntheticSpec(
        dataset, level, dict(zip(names, steps)), dict(zip(names, dims)), padding, label_kind,
        tuple(real), tuple(default), emotions, description,
    )


SPECS = {
    "mosi": _spec("mosi", "segment", (50, 50, 50), (300, 5, 20), "pre", "sentiment",
                  (1284, 229, 686), (512, 128, 256), description="MulT aligned mosi_data.pkl"),
    "mosi_unaligned": _spec("mosi", "segment", (50, 375, 500), (300, 5, 20), "pre", "sentiment",
                            (1284, 229, 686), (256, 64, 128), description="MulT mosi_data_noalign.pkl"),
    "mosi_mfn": _spec("mosi", "segment", (20, 20, 20), (300, 5, 20), "pre", "sentiment",
                      (1284, 229, 686), (512, 128, 256), description="MFN data/X_*.h5 (TMA MOSI)"),
    "mosei": _spec("mosei", "segment", (50, 50, 50), (300, 74, 35), "pre", "sentiment",
                   (16326, 1871, 4659), (1024, 256, 512), emotions=True,
                   description="MulT aligned mosei_senti_data.pkl"),
    "mosei_unaligned": _spec("mosei", "segment", (50, 500, 500), (300, 74, 35), "pre", "sentiment",
                             (16326, 1871, 4659), (256, 64, 128), emotions=True,
                             description="MulT mosei_senti_data_noalign.pkl"),
    "iemocap": _spec("iemocap", "segment", (20, 20, 20), (300, 74, 35), "pre", "emotions4",
                     (2717, 798, 938), (512, 128, 256), description="MulT iemocap_data.pkl"),
    "iemocap_unaligned": _spec("iemocap", "segment", (20, 400, 500), (300, 74, 35), "pre", "emotions4",
                               (2717, 798, 938), (256, 64, 128), description="MulT iemocap_data_noalign.pkl"),
    "youtube": _spec("youtube", "segment", (20, 20, 20), (300, 74, 36), "post", "class3",
                     (173, 36, 60), (173, 36, 60), description="MFN new_data/youtube h5"),
    "mmmo": _spec("mmmo", "segment", (20, 20, 20), (300, 74, 36), "post", "score_1_5",
                  (220, 40, 80), (220, 40, 80), description="MFN new_data/mmmo h5"),
    "mosi_context": _spec("mosi", "context", (63, 63, 63), (100, 73, 100), "post", "sentiment",
                          (52, 10, 31), (52, 10, 31), description="bc-LSTM utterance features, 63 utterances"),
    "mosei_context": _spec("mosei", "context", (98, 98, 98), (300, 74, 35), "post", "sentiment",
                           (2249, 300, 678), (192, 48, 96), emotions=True,
                           description="CIM/CIA MOSEI npz, videos x utterances"),
}


def available_synthetic():
    """Names of the synthetic dataset shapes."""
    return sorted(SPECS)


def make_synthetic(name, seed=0, sizes=None, signal=1.0, noise=1.0, modalities=None):
    """Build a synthetic :class:`MSADataset` with the shape of a real release.

    Args:
        name: str. One of ``available_synthetic()``.
        seed: int >= 0. Everything is deterministic given the seed.
        sizes: ``None`` (the spec's small default sizes), ``"real"`` (the real
            release's split sizes) or 3 positive integers ``(train, valid, test)``
            (a tuple, list or 1-D integer array; videos for context data).
        signal: float. Amplitude of the planted factor in the features.
        noise: float. Standard deviation of the feature noise.
        modalities: optional non-empty list or tuple of distinct names from
            ``("text", "audio", "vision")`` (a plain string is refused).

    Returns:
        ``MSADataset`` with ``info["synthetic"] = True``.
    """
    if name not in SPECS:
        raise ValueError(f"Unknown synthetic dataset {name!r}. Expected one of {available_synthetic()}.")
    spec = SPECS[name]
    seed = check_whole_number("seed", seed, 0)
    for arg, value in (("signal", signal), ("noise", noise)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
                np.isfinite(value) and value >= 0):
            raise ValueError(f"`{arg}` must be a finite number >= 0. Received: {arg}={value!r}")
    sizes = _check_sizes(spec, sizes)
    modalities = _check_modalities(spec, modalities)
    # Fixed directions (shared across splits) from the seed.
    rng = np.random.default_rng(seed)
    directions = {}
    for m in ("text", "audio", "vision"):
        d = rng.normal(size=spec.dims[m])
        directions[m] = (d / np.linalg.norm(d) * np.sqrt(spec.dims[m])).astype("float32")
    context_dir = {m: rng.normal(size=spec.dims[m]).astype("float32") for m in ("text", "audio", "vision")}
    emotion_w = rng.normal(size=(3, 6)).astype("float32")
    splits = {}
    for split_name, n, offset in zip(("train", "valid", "test"), sizes, (1, 2, 3)):
        split_rng = np.random.default_rng([seed, offset])
        splits[split_name] = _make_split(spec, split_name, n, split_rng, directions, context_dir,
                                         emotion_w, signal, noise, modalities, name)
    info = {
        "format": "synthetic", "synthetic": True, "synthetic_name": name, "seed": seed,
        "label_kind": spec.label_kind, "source": f"synthetic:{name}",
        "description": spec.description,
    }
    if spec.label_kind == "class3":
        info["num_classes"] = 3
    if spec.emotions:
        info["emotion_names"] = EMOTION_NAMES
    if spec.label_kind == "emotions4":
        info["emotion_names"] = IEMOCAP_EMOTIONS
    return MSADataset(spec.dataset, splits, info)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_sizes(spec, sizes):
    """``sizes`` of :func:`make_synthetic` as a tuple of 3 ints (or one ValueError naming ``sizes``)."""
    if sizes is None:
        return spec.default_sizes
    if isinstance(sizes, str) and sizes == "real":
        return spec.real_sizes
    message = ('`sizes` must be None, "real" or 3 positive integers (train, valid, test). '
               f"Received: sizes={sizes!r}")
    if isinstance(sizes, np.ndarray):
        if sizes.ndim != 1:
            raise ValueError(message)
        sizes = sizes.tolist()
    if not isinstance(sizes, (list, tuple)) or len(sizes) != 3 or not all(_is_int(n) and n >= 1 for n in sizes):
        raise ValueError(message)
    return tuple(int(n) for n in sizes)


def _check_modalities(spec, modalities):
    """``modalities`` of :func:`make_synthetic` as a tuple of distinct known names (or one ValueError)."""
    if modalities is None:
        return tuple(spec.dims)
    expected = f"a list or tuple of distinct names from {tuple(spec.dims)}"
    if not isinstance(modalities, (list, tuple)):
        raise ValueError(f"`modalities` must be {expected}. Received: modalities={modalities!r}")
    for m in modalities:
        if not isinstance(m, str) or m not in spec.dims:
            raise ValueError(f"`modalities` must be {expected}; found the unknown modality {m!r}. "
                             f"Received: modalities={modalities!r}")
    if len(set(modalities)) != len(modalities):
        raise ValueError(f"`modalities` must be {expected}; found a repeated name. Received: modalities={modalities!r}")
    if not modalities:
        raise ValueError(f"`modalities` must name at least one modality of {tuple(spec.dims)}. "
                         f"Received: modalities={modalities!r}")
    return tuple(modalities)


def _lengths(rng, n, T, level):
    if level == "context":
        return rng.integers(max(2, T // 8), T // 2 + 1, size=n).astype("int32")
    return rng.integers(max(1, T // 2), T + 1, size=n).astype("int32")


def _place(x_real, lengths, T, padding):
    """Put per-sample real steps (N, T, d) (first L valid) onto the padding side."""
    out = np.zeros_like(x_real)
    for i, n in enumerate(lengths):
        if padding == "post":
            out[i, :n] = x_real[i, :n]
        else:
            out[i, T - n:] = x_real[i, :n]
    return out


def _make_split(spec, split_name, n, rng, directions, context_dir, emotion_w, signal, noise, modalities, name):
    level = spec.level
    T_main = spec.steps["text"]
    if level == "context":
        # n videos x T utterances; every utterance has its own factors.
        lengths = _lengths(rng, n, T_main, level)
        z = rng.normal(size=(n, T_main, 3)).astype("float32")
        video_offset = rng.normal(scale=0.8, size=(n, 1)).astype("float32")
        base = z @ np.array([MODALITY_WEIGHTS[m] for m in ("text", "audio", "vision")], "float32")
        score = base + video_offset + rng.normal(scale=0.3, size=(n, T_main)).astype("float32")
        features, feat_lengths = {}, {}
        for k, m in enumerate(("text", "audio", "vision")):
            d = spec.dims[m]
            x = noise * rng.normal(size=(n, T_main, d)).astype("float32")
            x += signal * z[:, :, k:k + 1] * directions[m][None, None, :] / np.sqrt(d) * 2.0
            x += 0.5 * signal * (video_offset[:, :, None] + rng.normal(scale=0.5, size=(n, T_main, 1))) \
                * context_dir[m][None, None, :]
            if m in modalities:
                features[m] = _place(x, lengths, T_main, spec.padding).astype("float32")
                feat_lengths[m] = lengths.copy()
        score = np.clip(score, -3.0, 3.0).astype("float32")
        mask_real = np.arange(T_main)[None, :] < lengths[:, None]
        score = np.where(mask_real, score, 0.0).astype("float32")
        labels = {"sentiment": _place(score[..., None], lengths, T_main, spec.padding)[..., 0]}
        if spec.emotions:
            emo = _emotions(z, emotion_w, rng)
            emo = np.where(mask_real[..., None], emo, 0.0)
            labels["emotions"] = _place(emo, lengths, T_main, spec.padding).astype("float32")
        ids = np.array([f"{name}_{split_name}_video{i:04d}" for i in range(n)])
        utt = np.array([[f"{ids[i]}_{j + 1}" if j < lengths[i] else "" for j in range(T_main)]
                        for i in range(n)])
        if spec.padding == "pre":
            utt = np.array([np.roll(row, T_main - lengths[i]) for i, row in enumerate(utt)])
        return MSASplit(split_name, features, feat_lengths, labels, ids, padding=spec.padding,
                        level="context", utterance_ids=utt, source=f"synthetic:{name}/{split_name}")

    z = rng.normal(size=(n, 3)).astype("float32")
    weights = np.array([MODALITY_WEIGHTS[m] for m in ("text", "audio", "vision")], "float32")
    raw = z @ weights + rng.normal(scale=0.3, size=n).astype("float32")
    features, feat_lengths = {}, {}
    for k, m in enumerate(("text", "audio", "vision")):
        T, d = spec.steps[m], spec.dims[m]
        lengths = _lengths(rng, n, T, level)
        x = noise * rng.normal(size=(n, T, d)).astype("float32")
        # The factor is present at every real step (words / frames of the segment).
        x += signal * z[:, k][:, None, None] * directions[m][None, None, :] / np.sqrt(d) * 2.0
        if m in modalities:
            features[m] = _place(x, lengths, T, spec.padding).astype("float32")
            feat_lengths[m] = lengths
    labels = {}
    if spec.label_kind == "sentiment":
        labels["sentiment"] = np.clip(raw, -3.0, 3.0).astype("float32")
        if spec.emotions:
            labels["emotions"] = _emotions(z, emotion_w, rng).astype("float32")
    elif spec.label_kind == "score_1_5":
        score = np.clip(np.round((3.0 + raw * 2.0 / 3.0) * 2.0) / 2.0, 1.0, 5.0)
        labels["score"] = score.astype("float32")
    elif spec.label_kind == "class3":
        cls = np.digitize(raw, [-0.7, 0.7]).astype("int32")
        labels["class"] = cls
        labels["onehot"] = np.eye(3, dtype="float32")[cls]
    elif spec.label_kind == "emotions4":
        logits = np.stack([-np.abs(raw) + 0.5, raw - 0.5, -raw - 0.5, z[:, 1] - z[:, 0] - 0.5], axis=-1)
        present = (logits > 0).astype("int32")
        labels["emotions"] = present.astype("float32")
        labels["onehot"] = np.eye(2, dtype="float32")[present]
    ids = np.array([f"{name}_{split_name}_{i:05d}" for i in range(n)])
    return MSASplit(split_name, features, feat_lengths, labels, ids, padding=spec.padding,
                    level="segment", source=f"synthetic:{name}/{split_name}")


def _emotions(z, emotion_w, rng):
    """Six emotion intensities in [0, 3] driven by the modality factors."""
    logits = z @ emotion_w + rng.normal(scale=0.3, size=z.shape[:-1] + (6,)) - 0.3
    return np.clip(np.round(np.maximum(logits, 0.0) * 3.0) / 3.0, 0.0, 3.0).astype("float32")
