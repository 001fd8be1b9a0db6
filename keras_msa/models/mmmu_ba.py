"""MMMU-BA: multi-modal multi-utterance bimodal attention (Ghosal et al., EMNLP 2018).

The baseline of the CIA lineage (MMMU-BA -> CIM -> CIA; CIA's paper compares
with it in Table 5b) and the model behind the 82.31 reported on the bc-LSTM
MOSI release. One builder, :func:`build_mmmu_ba`, mirrors the authors'
``contextual_attention_model(mode)`` (``shared/reference/context_and_fusion.md``
§1.1)::

    per modality: Bi-GRU(300 / direction, dropout 0.5, recurrent 0.5)
                  -> Dropout(0.7) -> per-step Dense(100, tanh) -> Dropout(0.7)
    MMMU_BA: concat[BA(v, t), BA(a, v), BA(t, a), v, a, t]    (900 features)
             BA(x, y) = concat[Att(x, y), Att(y, x)],
             Att(p, q) = (softmax_lastaxis(p q^T) q) * p    (ContextAwareAttention)
    MMUU_SA: concat[SelfAtt over (v, a, t) of each utterance, v, a, t]
    MU_SA:   concat[Att(a, a), Att(v, v), Att(t, t), v, a, t]
    None:    concat[v, a, t]
    -> per-utterance Dense(2, softmax)

The concatenation orders are the script's (video first), so that a kernel of
the output layer has the script's row layout. The CIM multi-task graph
(Akhtar et al., NAACL 2019; §1.2: one-directional attention for all six
ordered pairs, ReLU dense, GRU 200, dropouts 0.3, sentiment + emotion heads)
is the same computation: the three bimodal blocks are the six ordered pairs.
It is the ``"cim"`` preset; its attention outputs follow the MMMU-BA order
(the CIM script's order of the six pairs is not documented), which only
permutes the rows of the heads' kernels.
"""

import keras

from keras_msa._checks import check_bool
from keras_msa.layers.context_attention import ContextAwareAttention
from keras_msa.layers.context_attention import ModalitySelfAttention
from keras_msa.layers.context_encoder import ContextEncoder
from keras_msa.models.cia import HEADS  # noqa: F401  (the same heads as CIA)
from keras_msa.models.cia import check_feature_dims
from keras_msa.models.cia import check_heads
from keras_msa.models.registry import register_model

MODALITIES = ("text", "audio", "vision")
#: The script's modality order (``dense_video, dense_audio, dense_text``).
SCRIPT_ORDER = ("vision", "audio", "text")
#: The script's bimodal pairs, in order: ``vt_att``, ``av_att``, ``ta_att``.
BIMODAL_PAIRS = (("vision", "text"), ("audio", "vision"), ("text", "audio"))
#: The script's ``MU_SA`` order: ``aa_att, vv_att, tt_att``.
SELF_ORDER = ("audio", "vision", "text")
#: ``attention`` values and the script's ``mode`` names.
ATTENTION_MODES = {"bimodal": "MMMU_BA", "modality_self": "MMUU_SA", "utterance_self": "MU_SA", "none": "None"}


def build_mmmu_ba(
    feature_dims,
    modalities=None,
    num_steps=None,
    attention="bimodal",
    heads=("sentiment",),
    num_classes=2,
    num_emotions=7,
    rnn_units=300,
    dense_units=100,
    dense_activation="tanh",
    dropout=0.7,
    dense_dropout=None,
    recurrent_dropout=0.5,
    mask_attention_keys=False,
    recurrent_activation="keras2_hard_sigmoid",
    reset_after=False,
    return_attention=False,
    input_noise=0.0,
    seed=None,
    name="mmmu_ba",
):
    """Build an MMMU-BA functional model (utterance-context data).

    Args:
        feature_dims: dict ``{modality: feature size}`` (``"text"``,
            ``"audio"``, ``"vision"``); at least the used modalities.
        modalities: tuple of the modalities to use (a non-empty subset of
            ``("text", "audio", "vision")``). ``None`` = all in
            ``feature_dims``. With two modalities ``"bimodal"`` uses their one
            pair; with one modality it has no pair and concatenates the
            unimodal features only (not in the script, which is tri-modal).
        num_steps: int or None. Utterances per video; ``None`` allows any
            number (then the attention over padded utterances depends on how
            many there are, unless ``mask_attention_keys=True``).
        attention: ``"bimodal"`` (MMMU-BA, the paper's model; the script's
            ``MMMU_BA``), ``"modality_self"`` (``MMUU_SA``: attention among
            the modalities of each utterance), ``"utterance_self"``
            (``MU_SA``: each modality attends over its own utterances) or
            ``"none"`` (concatenation only).
        heads: tuple, subset of ``("sentiment", "intensity", "emotions")``;
            each is a per-utterance Dense on the merged features (the script
            has the 2-class softmax only; intensity = tanh on score / 3,
            emotions = sigmoid multi-label, as in :func:`build_cia`).
        num_classes: int. Sentiment classes. Defaults to 2 (the script).
        num_emotions: int. Emotion outputs, 6 or 7 ("no emotion" column, CIM).
        rnn_units: int. GRU units per direction. Defaults to 300 (script).
        dense_units: int. Per-step dense width. Defaults to 100 (script).
        dense_activation: activation of the per-step dense layer. Defaults
            to ``"tanh"`` (script; CIM uses ReLU).
        dropout: float. Dropout after every Bi-GRU (``drop_rnn``). Defaults
            to 0.7 (script).
        dense_dropout: float or None. Dropout after the dense layers
            (``drop_dense``); ``None`` = ``dropout`` (script: both 0.7).
        recurrent_dropout: float. GRU input and recurrent dropout. Defaults
            to 0.5 (script).
        mask_attention_keys: bool. Exclude padded key utterances from the
            attention softmax (not in the script, whose merge layers drop
            the mask; ``False`` = parity). No effect on ``"modality_self"``
            and ``"none"``, which attend across no utterances.
        recurrent_activation: GRU gates: ``"keras2_hard_sigmoid"`` (Keras 2
            default, parity) or a Keras activation.
        reset_after: bool. GRU convention; ``False`` = Keras 2 parity.
        return_attention: bool. Also output the attention weights:
            ``"attention_<x>_<y>"`` ``(B, T, T)`` (query ``x``, keys ``y``)
            per attention, or ``"attention_modalities"`` ``(B, T, M, M)``.
        input_noise: float in [0, 1]. Standard deviation of Gaussian noise on
            the inputs during training (not in the script; 0 = off, parity).
            The same regulariser as :func:`build_cia`'s, for comparisons
            under one protocol.
        seed: optional int, base seed of the dropout masks.
        name: model name. Defaults to ``"mmmu_ba"``.

    Returns:
        A ``keras.Model`` with dict inputs (the modalities, ``(B, T, d)``, and
        ``"utterance_mask"`` ``(B, T)``, 1 = real utterance) and dict outputs:
        the heads (``"sentiment"`` ``(B, T, C)`` softmax, ``"intensity"``
        ``(B, T, 1)`` tanh, ``"emotions"`` ``(B, T, E)`` sigmoid) and the
        optional attention weights. Train with the utterance mask as sample
        weight (Keras 2 ``sample_weight_mode="temporal"``; see
        :func:`keras_msa.models.cia.cia_losses`).

    Reference:
        D. Ghosal, M. S. Akhtar, D. Chauhan, S. Poria, A. Ekbal,
        P. Bhattacharyya. "Contextual Inter-modal Attention for Multi-modal
        Sentiment Analysis", EMNLP 2018.
    """
    if attention not in ATTENTION_MODES:
        raise ValueError(f"`attention` must be one of {tuple(ATTENTION_MODES)}. Received: attention={attention!r}")
    used, dims = check_feature_dims(feature_dims, modalities, order=SCRIPT_ORDER)
    heads = check_heads(heads, num_classes, num_emotions)
    mask_attention_keys = check_bool("mask_attention_keys", mask_attention_keys)
    return_attention = check_bool("return_attention", return_attention)
    if not 0.0 <= float(input_noise) <= 1.0:
        raise ValueError(f"`input_noise` must be in [0, 1]. Received: input_noise={input_noise}")
    dense_dropout = dropout if dense_dropout is None else dense_dropout

    def sub_seed(i):
        return None if seed is None else int(seed) + 10 * i

    inputs = {m: keras.Input(shape=(num_steps, dims[m]), name=m) for m in MODALITIES if m in used}
    mask = keras.Input(shape=(num_steps,), name="utterance_mask")
    inputs["utterance_mask"] = mask

    dense = {}
    for i, m in enumerate(used):
        x = inputs[m]
        if input_noise:
            x = keras.layers.GaussianNoise(float(input_noise), seed=sub_seed(100 + i), name=f"input_noise_{m}")(x)
        dense[m] = ContextEncoder(
            units=rnn_units,
            dense_units=dense_units,
            dropout=recurrent_dropout,
            recurrent_dropout=recurrent_dropout,
            output_dropout=dropout,
            dense_dropout=dense_dropout,
            dense_activation=dense_activation,
            recurrent_activation=recurrent_activation,
            reset_after=reset_after,
            seed=sub_seed(i),
            name=f"context_{m}",
        )(x, mask=mask)

    outputs = {}
    key_mask = mask if mask_attention_keys else None

    def attend(x, y):
        layer = ContextAwareAttention(mask_keys=mask_attention_keys, name=f"attention_{x}_{y}")
        kwargs = {"value_mask": key_mask} if key_mask is not None else {}
        if return_attention:
            out, weights = layer(dense[x], dense[y], return_attention_scores=True, **kwargs)
            outputs[f"attention_{x}_{y}"] = weights
            return out
        return layer(dense[x], dense[y], **kwargs)

    attended = []
    if attention == "bimodal":
        for x, y in BIMODAL_PAIRS:
            if x in used and y in used:
                attended += [attend(x, y), attend(y, x)]
    elif attention == "utterance_self":
        attended = [attend(m, m) for m in SELF_ORDER if m in used]
    elif attention == "modality_self":
        side_by_side = keras.layers.Concatenate(name="modalities_side_by_side")([dense[m] for m in used])
        layer = ModalitySelfAttention(num_modalities=len(used), name="modality_self_attention")
        if return_attention:
            out, weights = layer(side_by_side, return_attention_scores=True)
            outputs["attention_modalities"] = weights
        else:
            out = layer(side_by_side)
        attended = [out]
    features = attended + [dense[m] for m in used]
    merged = features[0] if len(features) == 1 else keras.layers.Concatenate(name="merged")(features)

    if "sentiment" in heads:
        outputs["sentiment"] = keras.layers.Dense(int(num_classes), activation="softmax", name="sentiment")(merged)
    if "intensity" in heads:
        outputs["intensity"] = keras.layers.Dense(1, activation="tanh", name="intensity")(merged)
    if "emotions" in heads:
        outputs["emotions"] = keras.layers.Dense(int(num_emotions), activation="sigmoid", name="emotions")(merged)
    return keras.Model(inputs, outputs, name=name)


# ------------------------------------------------------------------- presets
_SCRIPT = {"rnn_units": 300, "dense_units": 100, "dense_activation": "tanh", "dropout": 0.7,
           "recurrent_dropout": 0.5}

PRESETS = {
    # trimodal_attention_models.py on the bc-LSTM MOSI release
    "mosi": dict(_SCRIPT, attention="bimodal", heads=("sentiment",), num_classes=2),
    # trimodal_multitask.py (CIM) on MOSEI: sentiment + 7-column emotions
    "cim": {"rnn_units": 200, "dense_units": 100, "dense_activation": "relu", "dropout": 0.3,
            "recurrent_dropout": 0.3, "attention": "bimodal", "heads": ("sentiment", "emotions"),
            "num_classes": 2, "num_emotions": 7},
}

register_model(
    "mmmu_ba",
    build_mmmu_ba,
    PRESETS,
    description="MMMU-BA: contextual inter-modal (bimodal) attention over utterances (EMNLP 2018); CIA's baseline",
)
