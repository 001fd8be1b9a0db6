"""CIA: Context-aware Interactive Attention (Chauhan et al., EMNLP 2019).

Two graphs from one builder, :func:`build_cia`:

* ``level="context"`` (default): the paper's model for utterance-context data
  (videos x utterances x features, ``utterance_mask``), with per-utterance
  heads ``"sentiment"`` (softmax), ``"intensity"`` (tanh) and ``"emotions"``
  (sigmoid multi-label), any subset. This is the §2.3 construct of
  ``shared/reference/context_and_fusion.md``: the authors' public graph put
  onto the CIM data and training conventions (masks, per-utterance sample
  weights); the authors published no utterance-level script.
* ``level="segment"``: the exact graph of the authors' public YouTube script
  (time axis = the word steps of one segment, ``MeanOverTime`` pooling, one
  softmax label per segment).

Graph (T+A+V, the script)::

    IIM X->Y (6 ordered pairs)          -> ContextEncoder -> C_XY
    raw X (3 modalities)                -> ContextEncoder -> U_X
    per pair (t,a), (a,v), (v,t): BimodalInteraction(U_X, U_Y, C_XY, C_YX)
        = concat[CAM(BI, M), CAM(M, BI)]
    concat (6 CAMs, 6 * td) -> Dense(td, relu) -> heads

The CIA - IIM ablation (``use_iim=False``) replaces every pair's output by
``CAM(BI, BI)``. Modality subsets use the pairs among the chosen modalities;
a single modality has no pair and uses ``CAM(U_X, U_X)`` (not specified by the
paper; chosen so that the unimodal rows of Table 1 come from the same
attention machinery).
"""

import keras
import numpy as np

from keras_msa.data_tools import labels as label_tools
from keras_msa.data_tools.dataset import data_error

from keras_msa._checks import check_bool
from keras_msa._checks import check_positive_int
from keras_msa.layers.bimodal_interaction import BimodalInteraction
from keras_msa.layers.context_attention import ContextAwareAttention
from keras_msa.layers.context_encoder import ContextEncoder
from keras_msa.layers.interactive_autoencoder import InterModalAutoencoder
from keras_msa.models.registry import register_model

MODALITIES = ("text", "audio", "vision")
PAIRS = (("text", "audio"), ("audio", "vision"), ("vision", "text"))
HEADS = ("sentiment", "intensity", "emotions")
LEVELS = ("context", "segment")
RECONSTRUCTION_MODES = ("add_loss", "outputs", "none")


def check_feature_dims(feature_dims, modalities, order=MODALITIES):
    """Validate a context builder's ``feature_dims`` / ``modalities`` (shared by CIA and MMMU-BA).

    Returns:
        ``(modalities, dims)``: the used modalities in ``order`` and their
        sizes as ints. ``modalities=None`` = every modality of ``feature_dims``.
    """
    if not isinstance(feature_dims, dict) or not feature_dims:
        raise ValueError(f"`feature_dims` must be a dict {{modality: size}}. Received: feature_dims={feature_dims!r}")
    unknown = sorted(set(feature_dims) - set(MODALITIES))
    if unknown:
        raise ValueError(
            f"`feature_dims` keys must be among {MODALITIES}; found {unknown}. Received: feature_dims={feature_dims}"
        )
    modalities = tuple(m for m in MODALITIES if m in feature_dims) if modalities is None else tuple(modalities)
    if not modalities or any(m not in MODALITIES for m in modalities) or len(set(modalities)) != len(modalities):
        raise ValueError(
            f"`modalities` must be a non-empty subset of {MODALITIES} without repeats. "
            f"Received: modalities={modalities}"
        )
    missing = [m for m in modalities if m not in feature_dims]
    if missing:
        raise ValueError(
            f"`feature_dims` has no size for modality {missing[0]!r}. Received: feature_dims={feature_dims}"
        )
    used = tuple(m for m in order if m in modalities)
    return used, {m: check_positive_int(f"feature_dims[{m!r}]", feature_dims[m]) for m in used}


def check_heads(heads, num_classes, num_emotions):
    """Validate ``heads`` (a name or a tuple of ``HEADS``) and the class / emotion counts they use."""
    heads = (heads,) if isinstance(heads, str) else tuple(heads)
    if not heads or any(h not in HEADS for h in heads) or len(set(heads)) != len(heads):
        raise ValueError(f"`heads` must be a non-empty subset of {HEADS}. Received: heads={heads}")
    if "sentiment" in heads and check_positive_int("num_classes", num_classes) < 2:
        raise ValueError(f"`num_classes` must be >= 2. Received: num_classes={num_classes}")
    if "emotions" in heads and check_positive_int("num_emotions", num_emotions) not in (6, 7):
        raise ValueError(f"`num_emotions` must be 6 or 7. Received: num_emotions={num_emotions!r}")
    return heads


def build_cia(
    feature_dims,
    modalities=None,
    num_steps=None,
    level="context",
    heads=("sentiment",),
    num_classes=2,
    num_emotions=7,
    rnn_units=50,
    dense_units=200,
    dropout=0.5,
    dense_dropout=None,
    recurrent_dropout=0.3,
    iim_dropout=None,
    use_iim=True,
    reconstruction="add_loss",
    reconstruction_weight=1.0,
    attention_directions="both",
    context_dense=True,
    mask_attention_keys=False,
    recurrent_activation="keras2_hard_sigmoid",
    reset_after=False,
    return_attention=False,
    input_noise=0.0,
    input_dropout=0.0,
    seed=None,
    name="cia",
):
    """Build a CIA functional model.

    Args:
        feature_dims: dict ``{modality: feature size}`` (``"text"``,
            ``"audio"``, ``"vision"``); at least the used modalities.
        modalities: tuple of the modalities to use (any non-empty subset of
            ``("text", "audio", "vision")``, Table 1 rows). ``None`` = all in
            ``feature_dims`` in that order.
        num_steps: int or None. Utterances per video (context) or word steps
            per segment (segment); ``None`` allows any length.
        level: ``"context"`` or ``"segment"`` (see module docstring).
        heads: tuple, subset of ``("sentiment", "intensity", "emotions")``.
            At segment level the heads act on the time-averaged features.
        num_classes: int. Sentiment classes (2, 3, 5 or 7).
        num_emotions: int. Emotion outputs: 6, or 7 with the "no emotion"
            column (CIM code; CIA's no-emotion class). Defaults to 7.
        rnn_units: int. GRU units per direction (``r_units``; CIA run 50).
        dense_units: int. ``td_units`` (CIA run 200): IIM code width (IIM
            hidden widths ``3*td``, ``2*td``), context dense, BI dense and
            fusion dense width.
        dropout: float. ``drop0``, dropout after every Bi-GRU (CIA run 0.5).
        dense_dropout: float or None. ``drop1``, dropout after the dense
            layers; ``None`` = ``dropout`` (the run used the same value).
        recurrent_dropout: float. GRU input and recurrent dropout (``rdrop``,
            CIA run 0.3).
        iim_dropout: float or None. Dropout inside the IIMs; ``None`` =
            ``dense_dropout`` (the script uses ``drop1``).
        use_iim: bool. ``False`` builds the CIA - IIM ablation.
        reconstruction: ``"add_loss"`` (each IIM adds its masked MSE, weight
            ``reconstruction_weight``), ``"outputs"`` (six extra outputs
            ``"recon_<x>_<y>"`` with targets = modality y, to be given an
            ``"mse"`` loss and the utterance mask as sample weight), or
            ``"none"`` (IIMs trained by the task loss only; no decoder weights).
        reconstruction_weight: float. Weight of the ``add_loss`` terms
            (script: 1, no loss weights). With ``reconstruction="outputs"``
            the reconstruction losses are compiled ones: weigh them with
            ``compile(loss_weights=...)``; a weight other than 1 is refused
            here (it would have no effect).
        attention_directions: ``"both"`` (script) or ``"paper"`` (Alg. 1).
        context_dense: bool. ``True`` (script): every Bi-GRU (``C_XY``,
            ``U_X``) is followed by ``drop0``, a per-step ``Dense(td, relu)``
            and ``drop1``. ``False`` (paper Alg. 1, reference §2.5 item 3):
            ``C_XY`` / ``U_X`` are the Bi-GRU outputs (width
            ``2 * rnn_units``, after ``drop0``) and BI is the
            ``FullyConnected(relu)`` of width ``2 * rnn_units``, so that
            ``M`` and ``BI`` can be multiplied in the CAM; the fusion dense
            keeps width ``td``.
        mask_attention_keys: bool. Exclude padded utterances from the
            attention softmax (improvement; the reference attends to them).
            Only at context level (refused at segment level).
        recurrent_activation: ``"keras2_hard_sigmoid"`` (Keras 2 parity) or a
            Keras activation.
        reset_after: bool. GRU convention; ``False`` = Keras 2 parity.
        return_attention: bool. Also output the attention matrices
            ``"attention_<x>_<y>"`` (``(B, n, T, T)``) for Figure 3.
        input_noise: float, or dict modality -> float. Standard deviation of
            Gaussian noise added to the modality inputs during training, in
            [0, 1] (0 = off, the reference); a dict sets it per modality
            (missing modalities get 0).
            Not in the paper or the code: a regulariser for features that are
            cleaner on the training videos than on unseen ones (the bc-LSTM
            MOSI release, whose extractors were trained on the training
            videos). The IIM reconstruction targets stay noise-free
            (denoising). Adds no weights.
        input_dropout: float. Dropout rate on every modality input during
            training (after the noise; 0 = off, the reference). Same purpose
            and treatment as ``input_noise``.
        seed: optional int, base seed of the dropout masks.
        name: model name. Defaults to ``"cia"`` (the registry name).

    Returns:
        A ``keras.Model`` with dict inputs (the modalities, plus
        ``"utterance_mask"`` ``(B, T)`` at context level) and dict outputs
        (the heads, optional reconstructions and attention matrices):
        ``"sentiment"`` ``(B, T, C)`` softmax, ``"intensity"`` ``(B, T, 1)``
        tanh (target: score / 3), ``"emotions"`` ``(B, T, E)`` sigmoid
        (``(B, C)`` etc. at segment level).
    """
    if level not in LEVELS:
        raise ValueError(f"`level` must be one of {LEVELS}. Received: level={level!r}")
    modalities, feature_dims = check_feature_dims(feature_dims, modalities)  # canonical order
    use_iim = check_bool("use_iim", use_iim)
    mask_attention_keys = check_bool("mask_attention_keys", mask_attention_keys)
    return_attention = check_bool("return_attention", return_attention)
    context_dense = check_bool("context_dense", context_dense)
    if mask_attention_keys and level == "segment":
        raise ValueError("`mask_attention_keys=True` needs the utterance mask of level='context'; the segment "
                         "graph (the authors' script) has no mask. Received: level='segment'")
    heads = check_heads(heads, num_classes, num_emotions)
    if reconstruction not in RECONSTRUCTION_MODES:
        raise ValueError(
            f"`reconstruction` must be one of {RECONSTRUCTION_MODES}. Received: reconstruction={reconstruction!r}"
        )
    if reconstruction == "outputs" and float(reconstruction_weight) != 1.0:
        raise ValueError(
            "`reconstruction_weight` weighs the IIMs' add_loss terms; with reconstruction='outputs' the recon_* "
            "outputs get their weight from compile(loss_weights=...). "
            f"Received: reconstruction_weight={reconstruction_weight!r}"
        )
    if isinstance(input_noise, dict):
        unknown = sorted(set(input_noise) - set(modalities))
        if unknown:
            raise ValueError(
                f"`input_noise` keys must be among the modalities {tuple(modalities)}. Received: {unknown}"
            )
        noise_std = {m: float(input_noise.get(m, 0.0)) for m in modalities}
    else:
        noise_std = {m: float(input_noise) for m in modalities}
    if any(not 0.0 <= v <= 1.0 for v in noise_std.values()):
        raise ValueError(
            f"`input_noise` must be in [0, 1] (keras.layers.GaussianNoise). Received: input_noise={input_noise}"
        )
    if not 0.0 <= float(input_dropout) < 1.0:
        raise ValueError(f"`input_dropout` must be in [0, 1). Received: input_dropout={input_dropout}")
    dense_dropout = dropout if dense_dropout is None else dense_dropout
    iim_dropout = dense_dropout if iim_dropout is None else iim_dropout
    td = check_positive_int("dense_units", dense_units)
    # Width of C_XY, U_X and BI: td after the script's dense layer, the Bi-GRU's 2 * r without it (paper).
    context_width = td if context_dense else 2 * check_positive_int("rnn_units", rnn_units)

    def sub_seed(i):
        return None if seed is None else int(seed) + 10 * i

    inputs = {
        m: keras.Input(shape=(num_steps, int(feature_dims[m])), name=m) for m in modalities
    }
    mask = None
    if level == "context":
        mask = keras.Input(shape=(num_steps,), name="utterance_mask")
        inputs["utterance_mask"] = mask

    # Inputs of the encoders: optionally noised during training; reconstruction targets stay clean.
    features = dict(inputs)
    for i, m in enumerate(modalities):
        if noise_std[m]:
            features[m] = keras.layers.GaussianNoise(
                noise_std[m], seed=sub_seed(1000 + i), name=f"input_noise_{m}"
            )(features[m])
        if input_dropout:
            features[m] = keras.layers.Dropout(
                float(input_dropout), seed=sub_seed(2000 + i), name=f"input_dropout_{m}"
            )(features[m])

    def encoder(layer_name, i):
        return ContextEncoder(
            units=rnn_units,
            dense_units=td if context_dense else None,
            dropout=recurrent_dropout,
            recurrent_dropout=recurrent_dropout,
            output_dropout=dropout,
            dense_dropout=dense_dropout,
            dense_activation="relu",
            recurrent_activation=recurrent_activation,
            reset_after=reset_after,
            seed=sub_seed(i),
            name=layer_name,
        )

    outputs = {}
    counter = iter(range(1, 10_000))
    pairs = [p for p in PAIRS if p[0] in modalities and p[1] in modalities]
    iim_enabled = use_iim and len(modalities) > 1

    # IIMs and their context encoders (C_XY), in the script's order.
    interaction = {}
    if iim_enabled:
        ordered = [(x, y) for x in MODALITIES for y in MODALITIES if x != y and x in modalities and y in modalities]
        for x, y in ordered:
            iim = InterModalAutoencoder(
                output_dim=int(feature_dims[y]),
                code_dim=td,
                dropout=iim_dropout,
                reconstruction_weight=reconstruction_weight,
                return_reconstruction=reconstruction == "outputs",
                use_decoder=reconstruction != "none",
                seed=sub_seed(next(counter)),
                name=f"iim_{x}_{y}",
            )
            if reconstruction == "add_loss":
                code = iim(features[x], target=inputs[y], mask=mask)
            elif reconstruction == "outputs":
                code, rec = iim(features[x])
                outputs[f"recon_{x}_{y}"] = rec
            else:
                code = iim(features[x])
            interaction[(x, y)] = encoder(f"context_{x}_{y}", next(counter))(code, mask=mask)

    # Unimodal context (U_X).
    unimodal = {m: encoder(f"context_{m}", next(counter))(features[m], mask=mask) for m in modalities}

    # Pairwise interaction + CAM.
    attention_mask = mask if (mask_attention_keys and level == "context") else None
    attended = []
    for x, y in pairs:
        block = BimodalInteraction(
            units=context_width,
            dropout=dense_dropout,
            attention_directions=attention_directions,
            mask_attention_keys=attention_mask is not None,
            seed=sub_seed(next(counter)),
            name=f"bimodal_{x}_{y}",
        )
        args = [unimodal[x], unimodal[y]]
        if iim_enabled:
            args += [interaction[(x, y)], interaction[(y, x)]]
        kwargs = {"mask": attention_mask} if attention_mask is not None else {}
        if return_attention:
            out, weights = block(*args, return_attention_scores=True, **kwargs)
            outputs[f"attention_{x}_{y}"] = weights
        else:
            out = block(*args, **kwargs)
        attended.append(out)
    if len(modalities) == 1:
        m = modalities[0]
        cam = ContextAwareAttention(mask_keys=attention_mask is not None, name=f"self_attention_{m}")
        kwargs = {"value_mask": attention_mask} if attention_mask is not None else {}
        if return_attention:
            out, weights = cam(unimodal[m], unimodal[m], return_attention_scores=True, **kwargs)
            outputs[f"attention_{m}"] = weights
        else:
            out = cam(unimodal[m], unimodal[m], **kwargs)
        attended.append(out)

    merged = attended[0] if len(attended) == 1 else keras.layers.Concatenate(name="merged")(attended)
    fused = keras.layers.Dense(td, activation="relu", name="fusion_dense")(merged)
    if level == "segment":
        fused = keras.layers.GlobalAveragePooling1D(name="mean_over_time")(fused)

    if "sentiment" in heads:
        outputs["sentiment"] = keras.layers.Dense(int(num_classes), activation="softmax", name="sentiment")(fused)
    if "intensity" in heads:
        outputs["intensity"] = keras.layers.Dense(1, activation="tanh", name="intensity")(fused)
    if "emotions" in heads:
        outputs["emotions"] = keras.layers.Dense(int(num_emotions), activation="sigmoid", name="emotions")(fused)
    return keras.Model(inputs, outputs, name=name)


# ---------------------------------------------------------------- training helpers
def cia_losses(model, sparse_labels=True):
    """Per-output losses for ``model.compile`` (dict keyed by output name).

    Every loss uses ``reduction="mean_with_sample_weight"``: with the
    utterance mask as ``sample_weight`` the loss is the mean over real
    utterances, Keras 2 ``sample_weight_mode="temporal"`` semantics.
    Attention outputs get ``None`` (no loss).

    Args:
        model: a model from :func:`build_cia`.
        sparse_labels: bool. Sentiment targets as int class ids (True) or
            one-hot (False, the reference scripts).
    """
    reduction = "mean_with_sample_weight"
    losses = {}
    names = list(model.output.keys()) if isinstance(model.output, dict) else list(model.output_names)
    for name in names:
        if name == "sentiment":
            cls = keras.losses.SparseCategoricalCrossentropy if sparse_labels else keras.losses.CategoricalCrossentropy
            losses[name] = cls(reduction=reduction)
        elif name == "intensity" or name.startswith("recon_"):
            losses[name] = keras.losses.MeanSquaredError(reduction=reduction)
        elif name == "emotions":
            losses[name] = keras.losses.BinaryCrossentropy(reduction=reduction)
        else:
            losses[name] = None
    return losses


def cia_targets(split, heads, sentiment_convention="has_zero", num_emotions=7, emotion_order=None):
    """Targets and sample weights of a context-level :class:`MSASplit`.

    Args:
        split: context-level split with ``labels["sentiment"]`` (scores in
            [-3, 3]) or ``labels["class"]`` (int ids), and ``labels["emotions"]``
            (6 intensities) for the emotion head.
        heads: the model's heads.
        sentiment_convention: a ``keras_msa.data_tools.labels`` convention
            for continuous scores (``"has_zero"``: score >= 0, CIM; ``"round5"``,
            ``"round7"``, ``"binned7"``, ...). Class ids from the scores when
            the split has them; ``labels["class"]`` (taken as they are) only
            without scores, and then only with ``"has_zero"`` (a split's own
            class ids cannot be re-binned into another convention).
        num_emotions: 6, or 7 with the "no emotion" column.
        emotion_order: optional ``(from_order, to_order)`` to permute the six
            emotion columns (e.g. SDK order -> the IITP alphabetical order of
            the paper's Table 5).

    Returns:
        ``(y, sample_weight)`` dicts keyed by head: sentiment class ids
        ``(N, T)``, intensity ``score / 3`` ``(N, T, 1)``, emotions
        ``(N, T, E)``; every sample weight is the utterance mask ``(N, T)``.
        Padded utterances get label 0 and weight 0.
    """
    mask = split.utterance_mask
    real = mask > 0
    y, weights = {}, {}
    for head in heads:
        if head == "sentiment":
            if "sentiment" in split.labels:  # the scores follow the requested convention
                scores = np.where(real, np.asarray(split.labels["sentiment"], "float32"), 0.0)
                y[head] = np.where(real, label_tools.sentiment_classes(scores, sentiment_convention), 0)
                y[head] = y[head].astype("int32")
            elif "class" in split.labels:
                if sentiment_convention != "has_zero":
                    raise data_error(split.source, f"{split.name}/sentiment",
                                     f"continuous sentiment scores for the {sentiment_convention!r} classes",
                                     f"only class ids (labels {sorted(split.labels)})")
                y[head] = np.where(real, np.asarray(split.labels["class"]), 0).astype("int32")
            else:
                raise data_error(split.source, f"{split.name}/sentiment", "'sentiment' or 'class' labels",
                                 sorted(split.labels))
        elif head == "intensity":
            if "sentiment" not in split.labels:
                raise data_error(split.source, f"{split.name}/sentiment", "continuous sentiment scores",
                                 sorted(split.labels))
            scores = np.asarray(split.labels["sentiment"], "float32")
            y[head] = (np.where(real, scores, 0.0) / 3.0)[..., None].astype("float32")
        elif head == "emotions":
            if "emotions" not in split.labels:
                raise data_error(split.source, f"{split.name}/emotions", "6 emotion intensities",
                                 sorted(split.labels))
            emotions = np.asarray(split.labels["emotions"], "float32")
            if emotion_order is not None:
                emotions = label_tools.reorder_emotions(emotions, *emotion_order)
            y[head] = label_tools.emotion_multihot(
                np.where(real[..., None], emotions, 0.0), no_emotion=num_emotions == 7, mask=real
            )
        else:
            raise ValueError(f"Unknown head {head!r}; expected one of {HEADS}.")
        weights[head] = mask
    return y, weights


# ------------------------------------------------------------------- presets
_CIA_RUN = {"rnn_units": 50, "dense_units": 200, "dropout": 0.5, "recurrent_dropout": 0.3}
_CIM = {"rnn_units": 200, "dense_units": 100, "dropout": 0.3, "recurrent_dropout": 0.3}

PRESETS = {
    "cia": dict(_CIA_RUN),
    "cim": dict(_CIM),
    "youtube": dict(_CIA_RUN, level="segment", heads=("sentiment",), num_classes=3),
    "mmmo": dict(_CIA_RUN, level="segment", heads=("sentiment",), num_classes=2),
    "mosi": dict(_CIA_RUN, level="context", heads=("sentiment",), num_classes=2),
    "mosei": dict(
        _CIA_RUN, level="context", heads=("sentiment", "intensity", "emotions"), num_classes=2, num_emotions=7
    ),
}

register_model(
    "cia",
    build_cia,
    PRESETS,
    description="CIA: inter-modal interactive autoencoders + context-aware attention (EMNLP 2019)",
)
