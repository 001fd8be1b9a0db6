"""Shared parts of the CIA-paper recipes (``cia_mosei.py``, ``cia_mosi.py``,
``cia_youtube.py``, ``cia_mmmo.py``).

Two kinds of recipe:

* **context** (MOSEI, MOSI): videos x utterances with an utterance mask; the
  CIA model with per-utterance heads (sentiment classes, intensity, emotions),
  every loss a mean over real utterances (the CIM / CIA ``sample_weight_mode=
  "temporal"`` convention), reconstruction losses masked too;
* **segment** (YouTube, ICT-MMMO): the authors' public script (word steps of
  one segment, mean over time, one softmax label).

Paper numbers: CIA (EMNLP 2019) Table 1 (modality subsets), Table 3 (CIA -
IIM ablation), Table 5a (per-emotion MOSEI). The paper's MOSI numbers are on
the CMU standard folds with other features; the MOSI recipe runs on the
bc-LSTM release (62 / 31 videos) and also prints the numbers reported on that
exact data (bc-LSTM 80.3, MMMU-BA 82.31).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_msa import metrics  # noqa: E402
from keras_msa.data_tools.dataset import MSADataset  # noqa: E402
from keras_msa.data_tools.dataset import MSASplit  # noqa: E402
from keras_msa.runner import RecipeError  # noqa: E402
from keras_msa.runner import dropout_rate  # noqa: E402
from keras_msa.runner import non_negative_float  # noqa: E402
from keras_msa.runner import non_negative_int  # noqa: E402
from keras_msa.runner import parse_sizes  # noqa: E402
from keras_msa.runner import positive_float  # noqa: E402
from keras_msa.runner import positive_int  # noqa: E402

MODALITIES = ("text", "audio", "vision")
SHORT = {"text": "T", "audio": "A", "vision": "V"}

# ------------------------------------------------------------------ paper tables
_T1_COLUMNS = (
    ("mosei", ("Emo_F1", "Emo_WAcc", "F1", "Acc2", "Acc5", "Acc7", "MAE", "r")),
    ("mosi", ("F1", "Acc2", "Acc7", "MAE", "r")),
    ("mmmo", ("F1", "Acc2")),
    ("youtube", ("F1", "Acc3")),
    ("moud", ("F1", "Acc2")),
)
_T1_ROWS = {
    "T": (77.66, 60.13, 77.22, 79.45, 48.50, 48.87, 0.695, 0.572, 77.43, 77.69, 37.75, 0.996, 0.658,
          71.80, 77.50, 48.27, 49.15, 72.24, 73.58),
    "A": (76.14, 57.68, 74.64, 77.27, 45.02, 44.97, 0.782, 0.433, 59.30, 59.32, 23.17, 1.423, 0.165,
          77.90, 78.34, 43.12, 44.06, 45.46, 60.37),
    "V": (75.03, 57.59, 69.13, 75.04, 42.22, 42.51, 0.804, 0.317, 50.48, 51.31, 23.03, 1.465, 0.122,
          78.28, 78.75, 49.79, 50.84, 62.47, 62.76),
    "T+V": (78.01, 57.10, 77.31, 79.51, 48.98, 49.84, 0.685, 0.592, 77.70, 78.13, 38.19, 0.946, 0.673,
            80.10, 81.25, 53.11, 53.91, 78.40, 79.24),
    "T+A": (77.53, 60.69, 77.80, 80.06, 48.66, 49.08, 0.694, 0.579, 78.98, 79.15, 39.35, 0.952, 0.671,
            78.99, 80.01, 48.82, 49.37, 72.93, 74.52),
    "A+V": (76.60, 59.47, 74.76, 77.38, 45.32, 45.87, 0.775, 0.437, 49.30, 53.49, 24.19, 1.464, 0.189,
            79.12, 81.25, 51.93, 52.54, 64.41, 65.09),
    "T+A+V": (79.02, 62.97, 78.23, 80.37, 49.15, 50.14, 0.683, 0.594, 79.54, 79.88, 38.92, 0.914, 0.689,
              81.47, 82.75, 55.13, 55.93, 82.07, 82.41),
    # Table 3: CIA - IIM (tri-modal).
    "T+A+V -IIM": (77.81, 61.86, 77.69, 79.53, 48.02, 49.16, 0.714, 0.566, 39.32, 55.24, 34.40, 0.941, 0.652,
                   80.10, 81.25, 50.02, 52.54, 78.14, 78.30),
}
# Table 5a: per-emotion F1 / W-Acc of CIA (T+A+V) on MOSEI.
PAPER_EMOTIONS = {"Anger": (74.7, 67.4), "Disgust": (81.8, 74.1), "Fear": (87.8, 63.9), "Happy": (71.3, 51.9),
                  "Sad": (72.6, 61.8), "Surprise": (86.0, 58.2)}
# Reported on the bc-LSTM MOSI release (62 / 31 videos), tri-modal accuracy.
BCLSTM_MOSI_REFERENCE = {"bc-LSTM (ACL 2017)": 80.3, "MMMU-BA (EMNLP 2018, test-selected)": 82.31}


def paper_table1(dataset, modalities, use_iim=True):
    """The paper's Table 1 (or Table 3) numbers of ``dataset`` for a modality subset."""
    row = "+".join(SHORT[m] for m in MODALITIES if m in modalities)
    if not use_iim:
        if row != "T+A+V":
            return {}
        row = "T+A+V -IIM"
    values = list(_T1_ROWS[row])
    out = {}
    for name, columns in _T1_COLUMNS:
        block = values[: len(columns)]
        values = values[len(columns):]
        if name == dataset:
            out = dict(zip(columns, block))
    if dataset == "mosei" and row == "T+A+V":
        for emotion, (f1, wacc) in PAPER_EMOTIONS.items():
            out[f"Emo_F1_{emotion}"] = f1
            out[f"Emo_WAcc_{emotion}"] = wacc
    return out


def table_row_name(modalities, use_iim=True):
    row = "+".join(SHORT[m] for m in MODALITIES if m in modalities)
    return row + ("" if use_iim else " (CIA - IIM)")


# ------------------------------------------------------------------ flags
def _parse_subset(text, allowed, flag, shown):
    """The names in ``text`` (comma-separated, no repeats), in ``allowed``'s order; one error line otherwise."""
    names = [n.strip() for n in str(text).split(",") if n.strip()]
    if not names or any(n not in allowed for n in names) or len(set(names)) != len(names):
        raise RecipeError(f"{flag}: expected a comma-separated subset of {shown}, found {text!r}")
    return tuple(n for n in allowed if n in names)


def parse_heads(text, allowed, flag="--heads"):
    """The heads named in ``text``, in ``allowed``'s order."""
    return _parse_subset(text, allowed, flag, ",".join(allowed))


def parse_modalities(text, available=MODALITIES, flag="--modalities"):
    if text is None:
        return tuple(m for m in MODALITIES if m in available)
    mods = _parse_subset(text, MODALITIES, flag, list(MODALITIES))
    missing = [m for m in mods if m not in available]
    if missing:
        raise RecipeError(f"{flag}: {missing} not in the data (available: {list(available)})")
    return tuple(m for m in MODALITIES if m in mods)


def add_model_arguments(parser, default_preset, default_reconstruction="add_loss"):
    """Flags shared by every CIA recipe (model variant and normalisation)."""
    parser.add_argument("--modalities", default=None,
                        help="Comma-separated subset of text,audio,vision (paper Table 1 rows). Default: all "
                             "modalities of the data.")
    parser.add_argument("--no-iim", action="store_true", help="CIA - IIM ablation (paper Table 3).")
    parser.add_argument("--preset", default=default_preset,
                        help=f"Hyperparameter preset of keras_msa.models 'cia' (default {default_preset!r}; "
                             "'cia' = the published run r=50, td=200, dropout 0.5, recurrent 0.3; "
                             "'cim' = r=200, td=100, dropout 0.3).")
    parser.add_argument("--rnn-units", type=positive_int, default=None, help="Override the preset's GRU units.")
    parser.add_argument("--dense-units", type=positive_int, default=None, help="Override the preset's td units.")
    parser.add_argument("--dropout", type=dropout_rate, default=None, help="Override drop0 = drop1.")
    parser.add_argument("--recurrent-dropout", type=dropout_rate, default=None, help="Override rdrop.")
    parser.add_argument("--reconstruction", choices=("add_loss", "outputs", "none"), default=default_reconstruction,
                        help="IIM reconstruction loss: add_loss (masked MSE inside each IIM), outputs (six "
                             "logged recon_* outputs with their own MSE), none.")
    parser.add_argument("--reconstruction-weight", type=non_negative_float, default=1.0,
                        help="Weight of the six IIM reconstruction losses (script: 1).")
    parser.add_argument("--attention", choices=("both", "paper"), default="both",
                        help="CAM directions: both (the authors' script) or paper (Alg. 1, CAM(M, BI) only).")
    parser.add_argument("--context-branch", choices=("script", "paper"), default="script",
                        help="After every Bi-GRU: script (drop0, Dense(td, relu), drop1, the authors' code) or "
                             "paper (Alg. 1: the Bi-GRU output itself, BI a FullyConnected of width 2 * r).")
    parser.add_argument("--mask-attention-keys", action="store_true",
                        help="Exclude padded utterances from the attention softmax (the reference attends to "
                             "them; context data only).")
    parser.add_argument("--keras3-gru", action="store_true",
                        help="Keras 3 GRU defaults (sigmoid gates, reset_after=True) instead of the Keras 2 "
                             "parity (hard sigmoid slope 0.2, reset_after=False).")
    parser.add_argument("--input-noise", type=non_negative_float, default=0.0,
                        help="Gaussian noise (std) on the input features during training (not in the paper; "
                             "a regulariser for features that are cleaner on the training data than on unseen "
                             "data, e.g. the bc-LSTM MOSI release). Default %(default)s (0 is the reference).")
    parser.add_argument("--input-dropout", type=dropout_rate, default=0.0,
                        help="Dropout on the input features during training (not in the paper). Default 0.")
    parser.add_argument("--synthetic-sizes", default=None,
                        help="train,valid,test sizes of the synthetic data (default: the recipe's).")


def model_overrides(args):
    out = {}
    for flag, key in (("rnn_units", "rnn_units"), ("dense_units", "dense_units"), ("dropout", "dropout"),
                      ("recurrent_dropout", "recurrent_dropout")):
        value = getattr(args, flag)
        if value is not None:
            out[key] = value
    if args.input_noise:
        out["input_noise"] = args.input_noise
    if args.input_dropout:
        out["input_dropout"] = args.input_dropout
    if args.context_branch == "paper":
        out["context_dense"] = False
    if args.keras3_gru:
        out.update(recurrent_activation="sigmoid", reset_after=True)
    return out


def cia_model_kwargs(dataset, args, level, heads, num_classes, mask_attention_keys, **extra):
    """``get_model("cia", ...)`` keyword arguments: the ``--preset``, the data's shapes, the common flags."""
    from keras_msa.models import get_preset

    try:
        kwargs = get_preset("cia", args.preset)
    except ValueError as exc:
        raise RecipeError(f"--preset: {exc}")
    # Outputs that ignore the padded utterances (--mask-attention-keys) do not depend on how many there are:
    # such models take any number of utterances (T = None), so that longer videos can be served. The
    # reference attends to the padding, so its T stays the training data's.
    num_steps = None if mask_attention_keys and level == "context" else dataset.train.num_steps
    kwargs.update(
        feature_dims=dataset.feature_dims, modalities=dataset.modalities, num_steps=num_steps,
        level=level, heads=tuple(heads), num_classes=num_classes, use_iim=not args.no_iim,
        reconstruction=args.reconstruction,
        # add_loss: the IIMs weigh their own MSE; outputs: compile's loss_weights do (compile_losses())
        reconstruction_weight=args.reconstruction_weight if args.reconstruction == "add_loss" else 1.0,
        attention_directions=args.attention, mask_attention_keys=mask_attention_keys, seed=args.seed, **extra,
    )
    kwargs.update(model_overrides(args))
    return kwargs


def build_cia_model(kwargs):
    """The CIA model of ``kwargs``; a bad setting becomes a one-line :class:`RecipeError`."""
    from keras_msa.models import get_model

    try:
        return get_model("cia", **kwargs)
    except ValueError as exc:
        raise RecipeError(f"model: {exc}")


def synthetic_sizes(args, default):
    return parse_sizes(args.synthetic_sizes) if args.synthetic_sizes else default


def set_default_epochs(args, real, synthetic, real_reason="the paper"):
    """``--epochs`` defaults to ``real`` on real data (``real_reason`` says why), a short run on synthetic data."""
    if args.epochs is None:
        args.epochs = real if args.data_dir is not None else synthetic
        print(f"note: --epochs not given: {args.epochs} epochs "
              f"({real_reason if args.data_dir is not None else 'short synthetic run'}).")


# ------------------------------------------------------------------ data
def fit_utterance_axis(dataset):
    """Pad / cut every split's utterance axis to the longest real video over all splits.

    Videos are post-padded (repadded if needed); only all-padding columns are
    removed, so no utterance is lost. Keeps the GRUs from running over
    utterance slots no video uses (MOSEI npz / pickles pad to 98).
    """
    splits = {k: (s if s.padding == "post" else s.repad("post")) for k, s in dataset.splits.items()}
    longest = max(int(np.max(np.stack([s.lengths[m] for m in s.modalities]))) for s in splits.values())
    out = {}
    for k, s in splits.items():
        T = s.num_steps

        def fit(a):
            a = np.asarray(a)
            if T >= longest:
                return a[:, :longest]
            pad = [(0, 0), (0, longest - T)] + [(0, 0)] * (a.ndim - 2)
            return np.pad(a, pad)

        labels = {n: (fit(v) if np.ndim(v) >= 2 and np.shape(v)[1] == T else v) for n, v in s.labels.items()}
        utt = None
        if s.utterance_ids is not None:
            utt = fit(s.utterance_ids) if T >= longest else np.pad(
                s.utterance_ids, [(0, 0), (0, longest - T)], constant_values="")
        out[k] = MSASplit(name=s.name, features={m: fit(v) for m, v in s.features.items()},
                          lengths=dict(s.lengths), labels=labels, ids=s.ids, padding="post", level="context",
                          utterance_ids=utt, source=s.source)
    return MSADataset(dataset.name, out, dict(dataset.info, utterances=longest))


def normalize(dataset, mode, clip=None, train=None, zero_steps="real"):
    """Feature normalisation fitted on the training split only (``split_max`` = script parity).

    ``mode="standard_tanh"``: z-score on train, clip to [-clip, clip] (default
    3) and divide by clip, so every feature lies in [-1, 1], the range of the
    IIMs' tanh reconstructions (context_and_fusion.md §2.5 item 8).
    ``mode="split_standard_tanh"``: the same with every split z-scored by its
    own statistics (transductive: unlabelled valid / test features, as the
    authors' script's per-split scaling).
    ``mode="robust_tanh"``: the same with the median and the IQR (train) in
    place of the mean and the std (``FeatureNormalizer("robust")``).
    ``zero_steps="missing"``: all-zero feature vectors inside the real steps
    are missing measurements, left out of the statistics and kept at zero
    (``FeatureNormalizer(zero_steps=...)``).
    """
    from keras_msa.data_tools.labels import FeatureNormalizer
    from keras_msa.data_tools.labels import with_preprocessing_step

    train = dataset.train if train is None else train
    if mode == "none":
        return dataset
    if mode in ("standard_tanh", "split_standard_tanh", "robust_tanh"):
        c = 3.0 if clip is None else float(clip)
        base = {"standard_tanh": "standard", "split_standard_tanh": "split_standard", "robust_tanh": "robust"}[mode]
        data = FeatureNormalizer(base, zero_steps=zero_steps).fit(train).transform(dataset)
        splits = {}
        for k, s in data.splits.items():
            feats = {m: (np.clip(v, -c, c) / c).astype("float32") for m, v in s.features.items()}
            splits[k] = MSASplit(name=s.name, features=feats, lengths=dict(s.lengths), labels=dict(s.labels),
                                 ids=s.ids, padding=s.padding, level=s.level, utterance_ids=s.utterance_ids,
                                 source=s.source)
        info = with_preprocessing_step(dict(data.info, normalization=f"{mode}(clip={c})"),
                                       {"mode": "clip_divide", "value": c})
        return MSADataset(data.name, splits, info)
    if clip is not None and mode != "clip":
        dataset = FeatureNormalizer("clip", clip_value=clip).fit(train).transform(dataset)
    return FeatureNormalizer(mode, clip_value=clip if mode == "clip" else None,
                             zero_steps=zero_steps).fit(train).transform(dataset)


# ------------------------------------------------------------------ context recipes
def context_inputs(split, modalities):
    x = {m: split.features[m] for m in modalities}
    x["utterance_mask"] = split.utterance_mask
    return x


def context_arrays(split, heads, modalities, reconstruction, use_iim, sentiment_convention="has_zero",
                   num_emotions=7, emotion_order=None):
    """``(x, y, sample_weight)`` of a context split for :func:`keras_msa.models.cia.build_cia` models."""
    from keras_msa.models.cia import cia_targets

    x = context_inputs(split, modalities)
    y, w = cia_targets(split, heads, sentiment_convention=sentiment_convention, num_emotions=num_emotions,
                       emotion_order=emotion_order)
    if reconstruction == "outputs" and use_iim and len(modalities) > 1:
        for a in modalities:
            for b in modalities:
                if a != b:
                    y[f"recon_{a}_{b}"] = split.features[b]
                    w[f"recon_{a}_{b}"] = split.utterance_mask
    return x, y, w


INTENSITY_LOSSES = ("mse", "mae")


def loss_dict(heads, modalities, reconstruction, use_iim, sparse_labels=True, intensity_loss="mse"):
    """Per-output losses of a CIA model, every one a mean over real utterances.

    ``intensity_loss``: ``"mse"`` (the paper, Table 4) or ``"mae"`` (L1, the
    MOSI regression lineage: MFN, MulT, TMA).
    """
    import keras

    if intensity_loss not in INTENSITY_LOSSES:
        raise RecipeError(f"--intensity-loss: expected one of {list(INTENSITY_LOSSES)}, found {intensity_loss!r}")

    reduction = "mean_with_sample_weight"
    losses = {}
    if reconstruction == "outputs" and use_iim and len(modalities) > 1:
        for a in modalities:
            for b in modalities:
                if a != b:
                    losses[f"recon_{a}_{b}"] = keras.losses.MeanSquaredError(reduction=reduction)
    if "sentiment" in heads:
        cls = keras.losses.SparseCategoricalCrossentropy if sparse_labels else keras.losses.CategoricalCrossentropy
        losses["sentiment"] = cls(reduction=reduction)
    if "intensity" in heads:
        cls = keras.losses.MeanSquaredError if intensity_loss == "mse" else keras.losses.MeanAbsoluteError
        losses["intensity"] = cls(reduction=reduction)
    if "emotions" in heads:
        losses["emotions"] = keras.losses.BinaryCrossentropy(reduction=reduction)
    return losses


def compile_losses(losses, reconstruction_weight):
    """``compile`` keyword arguments: ``loss=losses``, plus ``loss_weights`` carrying ``--reconstruction-weight``.

    With ``--reconstruction outputs`` the six reconstruction MSEs are compiled
    losses, not the IIMs' ``add_loss`` terms, so the weight given to
    :func:`build_cia` does not reach them. No ``loss_weights`` when ``losses``
    has no ``recon_*`` output or the weight is 1 (the script).
    """
    weight = float(reconstruction_weight)
    if weight == 1.0 or not any(k.startswith("recon_") for k in losses):
        return {"loss": losses}
    return {"loss": losses, "loss_weights": {k: (weight if k.startswith("recon_") else 1.0) for k in losses}}


EMOTION_THRESHOLDS = ("validation", "validation_per_emotion", "paper")


def add_emotion_threshold_argument(parser):
    """``--emotion-thresholds``: how the emotion head's probabilities become decisions."""
    parser.add_argument("--emotion-thresholds", choices=EMOTION_THRESHOLDS, default="validation",
                        help="Decision thresholds of the emotion head: validation (default; one F1 and one W-Acc "
                             "threshold chosen on the validation split from the IITP code's list, the best for "
                             "the 6-emotion average), validation_per_emotion (one of each per emotion, each the "
                             "best for its emotion on validation) or paper (the paper's fixed 0.4 for F1 and 0.18 "
                             "for W-Acc). The unchosen variant is reported too (suffix _fixed or _validsel).")


def context_report(model, dataset, heads, modalities, num_emotions=7, emotion_order=None,
                   sentiment_convention="has_zero", emotion_thresholds="validation"):
    """Test metrics of a context CIA model, in the paper's units (percent; MAE, r raw).

    * sentiment head: ``Acc2`` (or ``Acc<C>``) and ``F1`` (weighted F1, the
      lineage's choice; the paper does not state the averaging) from the class
      head, on real utterances only, and for 2 classes ``WAcc`` (the CIM
      code's weighted accuracy, (TP/P + TN/N) / 2); ``Acc2`` follows ``sentiment_convention``
      (has-zero by default) and, where the split has sentiment scores,
      ``Acc2_non0`` scores the same head on the utterances with a non-zero
      score (class 1 = score > 0);
    * intensity head: ``MAE``, ``r`` on ``3 * prediction`` vs the score,
      ``Acc5`` / ``Acc7`` by clip-and-round of ``3 * prediction`` (and
      ``Acc2_intensity`` / ``F1_intensity`` (weighted) from its sign,
      has-zero);
    * emotion head: F1 and W-Acc averaged over the 6 emotions (``Emo_F1``,
      ``Emo_WAcc``, paper arithmetic), over all 7 columns (``*_avg7``, CIM
      code) and per emotion (``Emo_F1_Anger``, ...), at the thresholds
      ``emotion_thresholds`` names (``Emo_F1_threshold``,
      ``Emo_WAcc_threshold``, or ``Emo_F1_threshold_<emotion>`` per
      emotion): ``"validation"`` (chosen on the validation split, one for
      all emotions), ``"validation_per_emotion"`` (chosen on the validation
      split per emotion) or ``"paper"`` (fixed 0.4 / 0.18). The same rows at
      the paper's fixed thresholds carry the suffix ``_fixed``; with
      ``"paper"`` the validation-chosen ones carry ``_validsel``.
    """
    from keras_msa.models.cia import cia_targets

    test = dataset.test
    pred = model.predict(context_inputs(test, modalities), verbose=0, batch_size=64)
    y, _ = cia_targets(test, heads, sentiment_convention=sentiment_convention, num_emotions=num_emotions,
                       emotion_order=emotion_order)
    mask = test.utterance_mask
    out = {}
    if "sentiment" in heads:
        rep = metrics.classification_report(pred["sentiment"], y["sentiment"], mask=mask, percent=True)
        num_classes = pred["sentiment"].shape[-1]
        out[f"Acc{num_classes}"] = rep["Acc"]
        if num_classes == 2:
            out["F1"] = rep["F1_weighted"]
            out["F1_binary"] = rep["F1_binary"]
            out["WAcc"] = rep["WAcc"]  # the CIM code's sentiment W-Acc: (TP/P + TN/N) / 2
            if "sentiment" in test.labels:  # the other Acc2 convention (data_and_metrics.md: report both)
                scores = np.asarray(test.labels["sentiment"], "float32")
                non_zero = mask.astype(bool) & (scores != 0)
                out["Acc2_non0"] = metrics.classification_report(
                    pred["sentiment"], (scores > 0).astype("int64"), mask=non_zero, percent=True)["Acc"]
        else:
            out[f"F1_weighted_{num_classes}class"] = rep["F1_weighted"]
    if "intensity" in heads:
        scores = np.asarray(test.labels["sentiment"], "float32")
        rep = metrics.regression_report(3.0 * pred["intensity"][..., 0], scores, mask=mask,
                                        acc2_modes=("has_zero", "non_zero"), percent=True)
        out.update({"MAE": rep["MAE"], "r": rep["Corr"], "Acc2_intensity": rep["Acc2_has0"],
                    "Acc2_intensity_non0": rep["Acc2_non0"], "F1_intensity": rep["F1_has0"]})
        for k in ("Acc5", "Acc7"):  # the class head's own Acc5 / Acc7 take precedence
            out[k if k not in out else f"{k}_intensity"] = rep[k]
    if "emotions" in heads:
        if emotion_thresholds not in EMOTION_THRESHOLDS:
            raise RecipeError(f"--emotion-thresholds: expected one of {list(EMOTION_THRESHOLDS)}, "
                              f"found {emotion_thresholds!r}")
        valid = None
        if dataset.valid is not None:
            vpred = model.predict(context_inputs(dataset.valid, modalities), verbose=0, batch_size=64)
            vy, _ = cia_targets(dataset.valid, ("emotions",), num_emotions=num_emotions, emotion_order=emotion_order)
            valid = (vpred["emotions"], vy["emotions"], dataset.valid.utterance_mask)
        elif emotion_thresholds != "paper":
            raise RecipeError(f"--emotion-thresholds {emotion_thresholds}: the data have no validation split to "
                              "choose the emotion thresholds on; use --emotion-thresholds paper (fixed 0.4 / 0.18)")
        per_emotion = emotion_thresholds == "validation_per_emotion"
        rep = metrics.emotion_report(pred["emotions"], y["emotions"], mask=mask, valid=valid, num_emotions=6,
                                     percent=True, per_emotion_thresholds=per_emotion)
        fixed = {k: v for k, v in rep.items() if not k.endswith("_validsel")}
        chosen = {k[:-len("_validsel")]: v for k, v in rep.items() if k.endswith("_validsel")}
        headline, other, suffix = (fixed, chosen, "_validsel") if emotion_thresholds == "paper" else \
            (chosen, fixed, "_fixed")
        for rows, end in ((headline, ""), (other, suffix)):
            for key, value in rows.items():
                # the 6-emotion averages are the paper's Emo_F1 / Emo_WAcc (Table 5a)
                key = {"Emo_F1_avg6": "Emo_F1", "Emo_WAcc_avg6": "Emo_WAcc"}.get(key, key)
                out[key + end] = value
    return out


def mosi_report(model, dataset, heads, sentiment_convention="has_zero"):
    """:func:`context_report` for the MOSI recipes: without a class head, ``Acc2`` / ``F1`` come from the
    intensity head's sign (the MOSI regression lineage)."""
    out = context_report(model, dataset, heads, dataset.modalities, sentiment_convention=sentiment_convention)
    if "intensity" in heads and "Acc2" not in out:
        out["Acc2"] = out.pop("Acc2_intensity")
        out["F1"] = out.pop("F1_intensity")
    return out


def attention_model(model, build_kwargs):
    """A copy of a context CIA model that also outputs its attention matrices (Figure 3)."""
    from keras_msa.models.cia import build_cia

    twin = build_cia(**dict(build_kwargs, return_attention=True))
    # Copied layer by layer, by name: the extra outputs change the functional
    # model's layer order, so the flat weight lists of the two models differ.
    for layer in twin.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return twin


def add_class_arguments(parser, choices, help):
    """``--num-classes`` (one of ``choices``, default 2; ``help`` says what they mean) and ``--seven-class``."""
    parser.add_argument("--num-classes", type=int, choices=choices, default=2, help=help)
    parser.add_argument("--seven-class", choices=("round7", "binned7"), default="round7",
                        help="7-class labels: round(clip(score)) (MulT, the MOSI lineage) or the third-party "
                             "CIA/CIM bins.")


def sentiment_convention(args):
    """The label convention of the class head for ``--num-classes`` / ``--seven-class``."""
    return {2: "has_zero", 5: "round5", 7: args.seven_class}[args.num_classes]


def add_attention_argument(parser):
    """``--attention-videos N`` of the context recipes (paper Figure 3)."""
    parser.add_argument("--attention-videos", type=non_negative_int, default=0,
                        help="Write the CAM attention matrices of this many test videos (cia_attention.npz) and, "
                             "with matplotlib, their heatmaps (cia_attention.png; paper Figure 3). Default 0.")


def write_attention(model, build_kwargs, split, modalities, num_videos, output_dir):
    """Save the CAM attention matrices of the first test videos (paper Figure 3).

    Writes ``cia_attention.npz`` (``attention_{x}_{y}``: (videos, directions,
    steps, steps), ``lengths``, ``video_ids``) and, when matplotlib is
    installed, the heatmaps ``cia_attention.png`` (:func:`plot_attention`);
    returns the paths written.
    """
    twin = attention_model(model, build_kwargs)
    n = int(min(num_videos, len(split)))
    x = {k: v[:n] for k, v in context_inputs(split, modalities).items()}
    out = twin.predict(x, verbose=0)
    arrays = {k: v for k, v in out.items() if k.startswith("attention_")}
    arrays["lengths"] = split.utterance_mask[:n].sum(-1).astype("int32")
    arrays["video_ids"] = np.asarray(split.ids[:n]).astype(str)
    paths = [os.path.join(output_dir, "cia_attention.npz")]
    np.savez(paths[0], **arrays)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("note: matplotlib is not installed, so only the matrices were written "
              "(pip install 'keras_msa[plot]' for the Figure-3 heatmaps)")
    else:
        paths.append(plot_attention(arrays, os.path.join(output_dir, "cia_attention.png")))
    print("wrote " + ", ".join(paths))
    return paths


DIRECTION_TITLES = {2: ("CAM(BI, M)", "CAM(M, BI)"), 1: ("CAM(M, BI)",)}


def plot_attention(arrays, path):
    """Figure-3 heatmaps: one row per video, one panel per modality pair and CAM direction.

    ``arrays`` holds ``attention_{x}_{y}`` of shape (videos, directions,
    steps, steps) (or (videos, steps, steps) for one modality), ``lengths``
    and ``video_ids``. Each panel shows the real utterances only: cell (i, j)
    is the weight of utterance j when utterance i is classified, on the
    panel's own colour scale (the weights of one row sum to 1 over the
    attended slots, padded ones included unless the keys are masked). The
    directions are labelled as in :class:`BimodalInteraction` ("both" gives
    CAM(BI, M) then CAM(M, BI); "paper" and the CIA - IIM ablation one).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for key in sorted(k for k in arrays if k.startswith("attention_")):
        weights = np.asarray(arrays[key])
        if weights.ndim == 3:
            weights = weights[:, None]
        name = "-".join(SHORT.get(m, m) for m in key[len("attention_"):].split("_"))
        titles = DIRECTION_TITLES.get(weights.shape[1], tuple(f"direction {d}" for d in range(weights.shape[1])))
        if weights.shape[1] == 1 and "_" not in key[len("attention_"):]:
            titles = ("self-attention",)
        panels += [(f"{name}: {titles[d]}", weights[:, d]) for d in range(weights.shape[1])]
    lengths = np.asarray(arrays["lengths"])
    ids = np.asarray(arrays["video_ids"])
    rows, cols = len(lengths), len(panels)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for i, n in enumerate(lengths):
        n = int(n)
        ticks = [f"u{k + 1}" for k in range(n)]
        step = max(1, n // 12)
        for j, (title, weights) in enumerate(panels):
            ax = axes[i, j]
            image = ax.imshow(weights[i, :n, :n], cmap="viridis", aspect="equal")  # own colour scale per panel
            ax.set_xticks(range(0, n, step), ticks[::step], fontsize=6, rotation=90)
            ax.set_yticks(range(0, n, step), ticks[::step], fontsize=6)
            ax.set_title(f"{ids[i]}\n{title}" if j == 0 else title, fontsize=8)
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ------------------------------------------------------------------ segment recipes (the authors' script)
SEGMENT_TITLES = {"youtube": "YouTube", "mmmo": "ICT-MMMO"}
SEGMENT_CLASSES = {"youtube": 3, "mmmo": 2}


def make_segment_recipe(dataset_name):
    """The :class:`Recipe` of the authors' segment-level script on ``dataset_name`` ("youtube", "mmmo").

    The script's setup (``GussailRaat/EMNLP-19-IIM``, ``youTube,py``): the time
    axis is the word steps of one segment, ``MeanOverTime`` pooling, one softmax
    label, six IIM reconstruction outputs with an MSE each and no loss
    weights, batch 16, 50 epochs, the weights of the epoch with the best
    validation accuracy kept (``ModelCheckpoint``, strict improvement), early
    stopping on the validation task loss with patience 20.
    """
    from keras_msa.runner import Recipe

    title = SEGMENT_TITLES[dataset_name]
    num_classes = SEGMENT_CLASSES[dataset_name]
    state = {}

    def add_arguments(parser):
        add_model_arguments(parser, default_preset=dataset_name, default_reconstruction="outputs")
        parser.add_argument("--normalize",
                            choices=("none", "standard", "standard_tanh", "robust_tanh", "max_abs", "split_max"),
                            default="standard_tanh",
                            help="Feature normalisation. Default standard_tanh: z-score fitted on train, clipped "
                                 "at 3 and divided by 3 (features in [-1, 1], the IIMs' tanh range). The clip "
                                 "bounds the saturated +-255 audio of the MFN ICT-MMMO release, but those values still "
                                 "inflate their column's training std (ICT-MMMO audio column 7: 0.08 -> 8.85), "
                                 "which flattens the column's other values; robust_tanh scales by the median "
                                 "and the IQR instead, which those values do not move. split_max = the script "
                                 "(every split divided by its own maximum; uses test statistics).")
        parser.add_argument("--audio-clip", type=positive_float, default=None,
                            help="Clip audio to [-c, c] before normalising (ICT-MMMO audio saturates at +-255).")
        parser.add_argument("--zero-steps", choices=("real", "missing"), default="real",
                            help="All-zero audio / video vectors inside the real word steps (ICT-MMMO: 4 %% of "
                                 "the audio, 16 %% of the video steps). real (default): normalised like any value "
                                 "(the z-score makes them a constant 'missing' code); missing: left out of the "
                                 "statistics and kept at zero, as the script's max scaling keeps them.")
        parser.add_argument("--patience", type=non_negative_int, default=20,
                            help="Early stopping patience on the validation task loss (script: 20; 0 = off).")

    def load_data(args):
        from keras_msa.data_tools.labels import mmmo_binary

        set_default_epochs(args, real=50, synthetic=10)
        if args.data_dir is None:
            from keras_msa.data_tools.synthetic import make_synthetic

            sizes = synthetic_sizes(args, None)
            data = make_synthetic(dataset_name, seed=args.seed, sizes=sizes)
        else:
            from keras_msa.data_tools.readers import read_mfn_h5

            requested = None if args.modalities is None else parse_modalities(args.modalities)
            # the reader clips the audio and counts the clipped values (info["audio_clipped"], results.json)
            clip = args.audio_clip if requested is None or "audio" in requested else None
            data = read_mfn_h5(args.data_dir, dataset=dataset_name, modalities=requested, audio_clip=clip)
        mods = parse_modalities(args.modalities, data.modalities)
        data = data.select_modalities(mods)
        if dataset_name == "mmmo" and "class" not in data.train.labels:
            splits = {}
            for k, s in data.splits.items():
                labels = dict(s.labels, **{"class": mmmo_binary(s.labels["score"]).astype("int32")})
                splits[k] = MSASplit(name=s.name, features=s.features, lengths=s.lengths, labels=labels, ids=s.ids,
                                     padding=s.padding, level=s.level, source=s.source)
            data = MSADataset(data.name, splits, dict(data.info))
        if args.audio_clip is not None and args.data_dir is None and "audio" in mods:  # synthetic data
            from keras_msa.data_tools.labels import FeatureNormalizer

            data = FeatureNormalizer("clip", modalities=["audio"], clip_value=args.audio_clip).fit(
                data.train).transform(data)
        if args.normalize == "split_max":
            from keras_msa.data_tools.labels import FeatureNormalizer

            print("note: --normalize split_max divides every split (test included) by its own maximum, "
                  "as the authors' script does.")
            data = FeatureNormalizer("split_max").fit(data.train).transform(data)
        else:
            data = normalize(data, args.normalize, zero_steps=args.zero_steps)
        state["modalities"] = data.modalities
        return data

    def build_kwargs(dataset, args):
        return cia_model_kwargs(dataset, args, "segment", ("sentiment",), num_classes, mask_attention_keys=False)

    def build_model(dataset, args):
        if args.mask_attention_keys:
            raise RecipeError("--mask-attention-keys applies to utterance-context data only (the script has no mask)")
        state["model"] = build_cia_model(build_kwargs(dataset, args))
        return state["model"]

    def make_arrays(split, args):
        mods = state["modalities"]
        x = {m: split.features[m] for m in mods}
        y = {"sentiment": np.asarray(split.labels["class"]).astype("int32")}
        if args.reconstruction == "outputs" and not args.no_iim and len(mods) > 1:
            for a in mods:
                for b in mods:
                    if a != b:
                        y[f"recon_{a}_{b}"] = split.features[b]
        return x, y, None

    def compile_args(args):
        losses = loss_dict(("sentiment",), state["modalities"], args.reconstruction, not args.no_iim)
        return dict(compile_losses(losses, args.reconstruction_weight), metrics={"sentiment": ["accuracy"]})

    def callbacks(args):
        import keras

        if args.patience <= 0:
            return []
        from keras_msa.runner import logged_name

        monitor = logged_name(state["model"], "val_sentiment_loss")
        return [keras.callbacks.EarlyStopping(monitor=monitor, mode="min", patience=args.patience)]

    def evaluate(model, dataset, args):
        mods = state["modalities"]
        test = dataset.test
        pred = model.predict({m: test.features[m] for m in mods}, verbose=0, batch_size=64)["sentiment"]
        rep = metrics.classification_report(pred, np.asarray(test.labels["class"]), percent=True)
        out = {f"Acc{num_classes}": rep["Acc"], "F1": rep["F1_weighted"], "F1_macro": rep["F1_macro"]}
        if num_classes == 2:
            out["F1_binary"] = rep["F1_binary"]
        return out

    def paper_results(args):
        mods = parse_modalities(args.modalities, state.get("modalities", MODALITIES))
        print(f"paper: CIA Table 1 / 3, {title}, row {table_row_name(mods, not args.no_iim)} "
              "(the paper's splits: YouTube 169/41/59, ICT-MMMO 220/40/80; F1 averaging not stated, ours weighted)")
        return paper_table1(dataset_name, mods, use_iim=not args.no_iim)

    return Recipe(
        name=f"cia_{dataset_name}",
        description=f"CIA (EMNLP 2019) on {title}: the authors' segment-level script setup (Table 1 / 3)",
        load_data=load_data,
        build_model=build_model,
        make_arrays=make_arrays,
        compile_args=compile_args,
        evaluate=evaluate,
        paper_results=paper_results,
        defaults={"epochs": None, "batch_size": 16, "learning_rate": 1e-3, "adam_epsilon": 1e-7,
                  "monitor": "val_sentiment_accuracy", "monitor_mode": "max", "keep_ties": "earlier",
                  "format": "mfn_h5"},
        add_arguments=add_arguments,
        formats=("mfn_h5",),
        callbacks=callbacks,
    )
