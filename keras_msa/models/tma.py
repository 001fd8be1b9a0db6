"""MARN, MARN(TMA), MFN (window 2 and window 1) and MFN(TMA): builders and presets.

Every builder returns an uncompiled functional ``keras.Model`` with one named
input per modality (``"text"``, ``"audio"``, ``"vision"``, batch-major
``(N, T, d)``, any non-empty subset, always in that order), concatenated on
the feature axis as in the reference code, a coupled recurrence layer named
``"recurrence"`` (:class:`~keras_msa.layers.MARNRecurrence` or
:class:`~keras_msa.layers.MFNRecurrence`) and the output MLP ``"output_mlp"``
(``Dense -> ReLU -> Dropout -> Dense``) on the last-step states. The output is
one regression value (MOSI, ICT-MMMO; train with L1) or ``output_dim`` logits
(YouTube: 3; train with cross-entropy on logits).

Presets (``keras_msa.models.get_model(name, preset)``) hold the per-dataset
hyperparameters of the reference code (``shared/reference/recurrent.md``
section 7): ``mosi``, ``mmmo``, ``youtube``; ``mosi_paper`` uses the paper's
74-d audio / 35-d visual input sizes on MOSI instead of the code's 5 / 20;
``mfn`` also has ``mosi_mfn_mae`` and ``mosi_mfn_acc``, the configurations of
the original MFN's released checkpoints. The reference's 35-d visual features
(FACET) are 36-d in the public MFN h5 release: pass
``input_dims={"vision": 36, ...}`` (the recipes take the sizes from the data).
"""

import keras

from keras_msa.layers.memory_fusion import MLPBlock
from keras_msa.layers.recurrent_fusion import MARNRecurrence
from keras_msa.layers.recurrent_fusion import MFNRecurrence
from keras_msa.models.registry import register_model
from keras_msa.models.tma_weights import load_tma_state_dict

MODALITIES = ("text", "audio", "vision")
TMA_MODEL_NAMES = ("marn", "marn_tma", "mfn", "mfn_window1", "mfn_tma")


# ----------------------------------------------------------------- helpers
def _resolve_modalities(modalities):
    if isinstance(modalities, str):
        modalities = [m.strip() for m in modalities.split(",") if m.strip()]
    modalities = list(modalities)
    unknown = [m for m in modalities if m not in MODALITIES]
    if unknown or not modalities or len(set(modalities)) != len(modalities):
        raise ValueError(
            f"`modalities` must be a non-empty subset of {MODALITIES} without repeats. "
            f"Received: modalities={modalities!r}"
        )
    return tuple(m for m in MODALITIES if m in modalities)


def _per_modality(name, value, modalities, allow_scalar=False):
    """Pick the entries of ``value`` for ``modalities``.

    ``value`` may be a dict keyed by modality name, a sequence of 3 in the
    order text, audio, vision, a sequence aligned with ``modalities``, or (if
    ``allow_scalar``) one value for all modalities.
    """
    if isinstance(value, dict):
        missing = [m for m in modalities if m not in value]
        if missing:
            raise ValueError(f"`{name}` has no entry for {missing}. Received: {name}={value!r}")
        return [value[m] for m in modalities]
    if isinstance(value, (list, tuple)):
        if len(value) == len(modalities):
            return list(value)
        if len(value) == len(MODALITIES):
            return [value[MODALITIES.index(m)] for m in modalities]
        raise ValueError(
            f"`{name}` must have one entry per modality ({len(modalities)} for {list(modalities)}, or 3 in "
            f"the order text, audio, vision). Received: {name}={value!r}"
        )
    if allow_scalar and value is not None:
        return [value] * len(modalities)
    raise ValueError(f"`{name}` must be a dict or list with one entry per modality. Received: {name}={value!r}")


def _int_dims(name, value, modalities):
    return [int(v) for v in _per_modality(name, value, modalities)]


def _tma_kwargs(modalities, subspace_dim, projection_hidden_dims, projection_dropouts, attention_hidden_dim,
                attention_dropout, tma_input):
    """The ``tma_*`` arguments of :class:`MARNRecurrence` / :class:`MFNRecurrence`."""
    return dict(
        tma_subspace_dim=subspace_dim,
        tma_projection_hidden_dims=_per_modality(
            "projection_hidden_dims", projection_hidden_dims, modalities, allow_scalar=True),
        tma_projection_dropouts=_per_modality(
            "projection_dropouts", projection_dropouts, modalities, allow_scalar=True),
        tma_attention_hidden_dim=attention_hidden_dim,
        tma_attention_dropout=attention_dropout,
        tma_input=tma_input,
    )


def _memory_kwargs(proposal_hidden_dim, proposal_dropout, retain_hidden_dim, retain_dropout, update_hidden_dim,
                   update_dropout, lstm_recurrent_bias):
    """The gated-memory and LSTM arguments of :class:`MFNRecurrence`."""
    return dict(
        proposal_hidden_dim=proposal_hidden_dim,
        proposal_dropout=proposal_dropout,
        retain_hidden_dim=retain_hidden_dim,
        retain_dropout=retain_dropout,
        update_hidden_dim=update_hidden_dim,
        update_dropout=update_dropout,
        lstm_recurrent_bias=lstm_recurrent_bias,
    )


def _assemble(name, modalities, input_dims, num_steps, recurrence, output_hidden_dim, output_dim,
              output_dropout, use_mask, init_style, seed):
    if num_steps is None or int(num_steps) <= 0:
        raise ValueError(
            f"`num_steps` must be a positive integer (the recurrence is unrolled over it). "
            f"Received: num_steps={num_steps!r}"
        )
    inputs = {m: keras.Input(shape=(int(num_steps), int(d)), name=m) for m, d in zip(modalities, input_dims)}
    tensors = [inputs[m] for m in modalities]
    x = keras.layers.Concatenate(axis=-1, name="concatenate_modalities")(tensors) if len(tensors) > 1 else tensors[0]
    if use_mask:
        x = keras.layers.Masking(mask_value=0.0, name="padding_mask")(x)
    outputs = recurrence(x)
    representation = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    head = MLPBlock(
        output_hidden_dim,
        output_dim,
        dropout=output_dropout,
        init_style=init_style,
        seed=None if seed is None else seed + 9000,
        name="output_mlp",
    )
    prediction = head(representation)
    return keras.Model(inputs, prediction, name=name)


# ----------------------------------------------------------------- builders
def build_marn(
    input_dims,
    hidden_dims,
    reduce_dims,
    num_attentions=4,
    map_hidden_dim=32,
    map_dropout=0.0,
    mab_softmax="per_attention",
    output_hidden_dim=64,
    output_dropout=0.0,
    output_dim=1,
    modalities=MODALITIES,
    num_steps=20,
    use_mask=False,
    init_style="torch",
    seed=None,
    name="marn",
):
    """MARN: LSTHMs + Multi-attention Block (TMA code ``models.py::MARN``).

    Args:
        input_dims: per-modality feature sizes (dict keyed by modality, or a
            list in the order text, audio, vision / in ``modalities`` order).
        hidden_dims: per-modality LSTHM sizes (same forms).
        reduce_dims: per-modality MAB reduce sizes (same forms).
        num_attentions: int. Number of attentions K. Defaults to `4`.
        map_hidden_dim: int. Hidden width of the MAB map network ``G``.
        map_dropout: float. Dropout inside ``G``.
        mab_softmax: ``"per_attention"`` (TMA code) or ``"global"`` (SDK).
        output_hidden_dim: int. Hidden width of the output MLP. Defaults to 64.
        output_dropout: float. Dropout inside the output MLP.
        output_dim: int. 1 (regression) or the number of classes (logits).
        modalities: subset of ``("text", "audio", "vision")``.
        num_steps: int. Static number of steps T. Defaults to `20`.
        use_mask: bool. Mask all-zero (padded) steps; off in the reference.
        init_style: ``"torch"`` (reference parity) or ``"keras"``.
        seed: int or None. Initializer / dropout seed.
        name: model name (the registry uses it to find the weight loader).

    Returns:
        Functional ``keras.Model``.
    """
    modalities = _resolve_modalities(modalities)
    d = _int_dims("input_dims", input_dims, modalities)
    recurrence = MARNRecurrence(
        d,
        _int_dims("hidden_dims", hidden_dims, modalities),
        fusion="mab",
        mab_num_attentions=num_attentions,
        mab_reduce_dims=_int_dims("reduce_dims", reduce_dims, modalities),
        mab_map_hidden_dim=map_hidden_dim,
        mab_map_dropout=map_dropout,
        mab_softmax=mab_softmax,
        use_mask=use_mask,
        init_style=init_style,
        seed=seed,
        name="recurrence",
    )
    return _assemble(name, modalities, d, num_steps, recurrence, output_hidden_dim, output_dim, output_dropout,
                     use_mask, init_style, seed)


def build_marn_tma(
    input_dims,
    hidden_dims,
    subspace_dim,
    projection_hidden_dims,
    attention_hidden_dim,
    projection_dropouts=0.0,
    attention_dropout=0.0,
    tma_input="cell",
    output_hidden_dim=64,
    output_dropout=0.0,
    output_dim=1,
    modalities=MODALITIES,
    num_steps=20,
    use_mask=False,
    init_style="torch",
    seed=None,
    name="marn_tma",
):
    """MARN(TMA): LSTHMs + Temporal Modality Attention (TMA code ``TMAN2``).

    Args:
        input_dims, hidden_dims: per-modality sizes (see :func:`build_marn`).
        subspace_dim: int. Sentiment-subspace size S (also the LSTHMs'
            hybrid-memory size).
        projection_hidden_dims: per-modality hidden widths of ``D_m`` (or one
            int for all).
        attention_hidden_dim: int. Hidden width of ``D_p``.
        projection_dropouts: per-modality dropouts of ``D_m`` (or one float).
        attention_dropout: float. Dropout inside ``D_p``.
        tma_input: ``"cell"`` (code) or ``"hidden"`` (paper text).
        output_hidden_dim, output_dropout, output_dim, modalities, num_steps,
        use_mask, init_style, seed, name: see :func:`build_marn`.

    Returns:
        Functional ``keras.Model``; ``modality_weights_model(model)`` gives
        the per-step modality weights (paper Figure 2).
    """
    modalities = _resolve_modalities(modalities)
    d = _int_dims("input_dims", input_dims, modalities)
    recurrence = MARNRecurrence(
        d,
        _int_dims("hidden_dims", hidden_dims, modalities),
        fusion="tma",
        **_tma_kwargs(modalities, subspace_dim, projection_hidden_dims, projection_dropouts, attention_hidden_dim,
                      attention_dropout, tma_input),
        use_mask=use_mask,
        return_modality_weights=True,
        init_style=init_style,
        seed=seed,
        name="recurrence",
    )
    return _assemble(name, modalities, d, num_steps, recurrence, output_hidden_dim, output_dim, output_dropout,
                     use_mask, init_style, seed)


def build_mfn(
    input_dims,
    hidden_dims,
    memory_dim,
    attention_hidden_dim,
    proposal_hidden_dim,
    retain_hidden_dim,
    update_hidden_dim,
    attention_dropout=0.0,
    proposal_dropout=0.0,
    retain_dropout=0.0,
    update_dropout=0.0,
    window=2,
    lstm_recurrent_bias=True,
    output_hidden_dim=64,
    output_dropout=0.0,
    output_dim=1,
    modalities=MODALITIES,
    num_steps=20,
    use_mask=False,
    init_style="torch",
    seed=None,
    name="mfn",
):
    """MFN: system of LSTMs + Delta-memory Attention + Multi-view Gated Memory.

    ``window=2`` is the original MFN (``pliang279/MFN``), ``window=1`` the TMA
    code's baseline (``models.py::MFN``, registered as ``mfn_window1``).

    Args:
        input_dims, hidden_dims: per-modality sizes (see :func:`build_marn`).
        memory_dim: int. Memory size M.
        attention_hidden_dim, attention_dropout: DMAN attention MLP
            (reference ``att1`` / ``att``).
        proposal_hidden_dim, proposal_dropout: memory proposal MLP
            (``att2`` / ``nn_p``).
        retain_hidden_dim, retain_dropout: retain gate (``gamma1``).
        update_hidden_dim, update_dropout: update gate (``gamma2``).
        window: int, 1 or 2. DMAN window.
        lstm_recurrent_bias: bool. PyTorch's two LSTM biases (reference
            parameter count) or Keras' one (``-4 * sum(hidden_dims)``).
        output_hidden_dim, output_dropout, output_dim, modalities, num_steps,
        use_mask, init_style, seed, name: see :func:`build_marn`.

    Returns:
        Functional ``keras.Model``.
    """
    modalities = _resolve_modalities(modalities)
    d = _int_dims("input_dims", input_dims, modalities)
    recurrence = MFNRecurrence(
        d,
        _int_dims("hidden_dims", hidden_dims, modalities),
        memory_dim=memory_dim,
        fusion="dman",
        dman_window=window,
        dman_hidden_dim=attention_hidden_dim,
        dman_dropout=attention_dropout,
        **_memory_kwargs(proposal_hidden_dim, proposal_dropout, retain_hidden_dim, retain_dropout,
                         update_hidden_dim, update_dropout, lstm_recurrent_bias),
        use_mask=use_mask,
        init_style=init_style,
        seed=seed,
        name="recurrence",
    )
    return _assemble(name, modalities, d, num_steps, recurrence, output_hidden_dim, output_dim, output_dropout,
                     use_mask, init_style, seed)


def build_mfn_window1(window=1, name="mfn_window1", **kwargs):
    """MFN as the TMA code's baseline (window 1); see :func:`build_mfn`."""
    return build_mfn(window=window, name=name, **kwargs)


def build_mfn_tma(
    input_dims,
    hidden_dims,
    memory_dim,
    subspace_dim,
    projection_hidden_dims,
    attention_hidden_dim,
    proposal_hidden_dim,
    retain_hidden_dim,
    update_hidden_dim,
    projection_dropouts=0.0,
    attention_dropout=0.0,
    proposal_dropout=0.0,
    retain_dropout=0.0,
    update_dropout=0.0,
    tma_input="cell",
    lstm_recurrent_bias=True,
    output_hidden_dim=64,
    output_dropout=0.0,
    output_dim=1,
    modalities=MODALITIES,
    num_steps=20,
    use_mask=False,
    init_style="torch",
    seed=None,
    name="mfn_tma",
):
    """MFN(TMA): system of LSTMs + Temporal Modality Attention + gated memory.

    The TMA code's ``TMAN1``: the TMA output replaces the DMAN output as the
    input of the Multi-view Gated Memory.

    Args:
        input_dims, hidden_dims, memory_dim: see :func:`build_mfn`.
        subspace_dim, projection_hidden_dims, attention_hidden_dim,
        projection_dropouts, attention_dropout, tma_input: the TMA (see
            :func:`build_marn_tma`).
        proposal_*, retain_*, update_*, lstm_recurrent_bias: see
            :func:`build_mfn`.
        output_hidden_dim, output_dropout, output_dim, modalities, num_steps,
        use_mask, init_style, seed, name: see :func:`build_marn`.

    Returns:
        Functional ``keras.Model``; ``modality_weights_model(model)`` gives
        the per-step modality weights.
    """
    modalities = _resolve_modalities(modalities)
    d = _int_dims("input_dims", input_dims, modalities)
    recurrence = MFNRecurrence(
        d,
        _int_dims("hidden_dims", hidden_dims, modalities),
        memory_dim=memory_dim,
        fusion="tma",
        **_tma_kwargs(modalities, subspace_dim, projection_hidden_dims, projection_dropouts, attention_hidden_dim,
                      attention_dropout, tma_input),
        **_memory_kwargs(proposal_hidden_dim, proposal_dropout, retain_hidden_dim, retain_dropout,
                         update_hidden_dim, update_dropout, lstm_recurrent_bias),
        use_mask=use_mask,
        return_modality_weights=True,
        init_style=init_style,
        seed=seed,
        name="recurrence",
    )
    return _assemble(name, modalities, d, num_steps, recurrence, output_hidden_dim, output_dim, output_dropout,
                     use_mask, init_style, seed)


def modality_weights_model(model):
    """Model mapping the inputs of a TMA model to its per-step modality weights.

    Args:
        model: a ``marn_tma`` or ``mfn_tma`` model (built or reloaded).

    Returns:
        ``keras.Model`` with the same inputs and output `(N, T, M)`: the
        softmax weights of the M modalities at every step (paper Figure 2),
        in inference mode when called with ``predict``.
    """
    try:
        recurrence = model.get_layer("recurrence")
    except ValueError:
        raise ValueError(f"Model {model.name!r} has no layer named 'recurrence'; is it a TMA-family model?") from None
    if not getattr(recurrence, "return_modality_weights", False):
        raise ValueError(
            f"Model {model.name!r} has no temporal modality attention (fusion={recurrence.fusion!r}); "
            "modality weights exist for marn_tma and mfn_tma only."
        )
    return keras.Model(model.inputs, recurrence.output[1], name=f"{model.name}_modality_weights")


# ----------------------------------------------------------------- presets
_MOSI_DIMS = {"text": 300, "audio": 5, "vision": 20}
_MOSI_PAPER_DIMS = {"text": 300, "audio": 74, "vision": 35}
_MMMO_DIMS = {"text": 300, "audio": 74, "vision": 35}
_MOSI_HIDDEN = {"text": 128, "audio": 16, "vision": 64}
_MMMO_HIDDEN = {"text": 128, "audio": 64, "vision": 64}


def _lav(l, a, v):
    return {"text": l, "audio": a, "vision": v}


def _preset(dims, hidden, out, output_dim, **middle):
    """Input / hidden sizes, the model-specific entries, then the output MLP."""
    return {
        "input_dims": dict(dims),
        "hidden_dims": dict(hidden),
        **middle,
        "output_hidden_dim": out[0],
        "output_dropout": out[1],
        "output_dim": output_dim,
    }


def _tma_entries(subspace, d_p, d_l, d_a, d_v):
    return {
        "subspace_dim": subspace,
        "attention_hidden_dim": d_p[0],
        "attention_dropout": d_p[1],
        "projection_hidden_dims": _lav(d_l[0], d_a[0], d_v[0]),
        "projection_dropouts": _lav(d_l[1], d_a[1], d_v[1]),
    }


def _memory_entries(nn_p, gamma1, gamma2):
    return {
        "proposal_hidden_dim": nn_p[0],
        "proposal_dropout": nn_p[1],
        "retain_hidden_dim": gamma1[0],
        "retain_dropout": gamma1[1],
        "update_hidden_dim": gamma2[0],
        "update_dropout": gamma2[1],
    }


def _mfn_preset(dims, hidden, memory, att, nn_p, gamma1, gamma2, out, output_dim):
    return _preset(dims, hidden, out, output_dim, memory_dim=memory, attention_hidden_dim=att[0],
                   attention_dropout=att[1], **_memory_entries(nn_p, gamma1, gamma2))


def _mfn_tma_preset(dims, hidden, memory, subspace, d_p, d_l, d_a, d_v, nn_p, gamma1, gamma2, out, output_dim):
    return _preset(dims, hidden, out, output_dim, memory_dim=memory, **_tma_entries(subspace, d_p, d_l, d_a, d_v),
                   **_memory_entries(nn_p, gamma1, gamma2))


def _marn_preset(dims, hidden, k, reduce, g, out, output_dim):
    return _preset(dims, hidden, out, output_dim, num_attentions=k, reduce_dims=_lav(*reduce), map_hidden_dim=g[0],
                   map_dropout=g[1])


def _marn_tma_preset(dims, hidden, subspace, d_p, d_l, d_a, d_v, out, output_dim):
    return _preset(dims, hidden, out, output_dim, **_tma_entries(subspace, d_p, d_l, d_a, d_v))


def _with_dims(preset, dims):
    preset = dict(preset)
    preset["input_dims"] = dict(dims)
    return preset


# (width, dropout) pairs from the TMA scripts test_{mosi,mmmo,youtube}.py (recurrent.md section 7).
MFN_WINDOW1_PRESETS = {
    "mosi": _mfn_preset(_MOSI_DIMS, _MOSI_HIDDEN, 100, (200, 0.9), (200, 0.7), (50, 0.0), (100, 0.9), (64, 0.7), 1),
    "mmmo": _mfn_preset(_MMMO_DIMS, _MMMO_HIDDEN, 100, (100, 0.3), (50, 0.7), (32, 0.3), (64, 0.7), (64, 0.3), 1),
    "youtube": _mfn_preset(_MMMO_DIMS, _MMMO_HIDDEN, 100, (64, 0.3), (64, 0.5), (256, 0.0), (64, 0.7), (64, 0.5), 3),
}
MFN_TMA_PRESETS = {
    "mosi": _mfn_tma_preset(_MOSI_DIMS, _MOSI_HIDDEN, 100, 32, (64, 0.9), (32, 0.9), (32, 0.3), (50, 0.3),
                            (32, 0.9), (64, 0.5), (100, 0.5), (64, 0.3), 1),
    "mmmo": _mfn_tma_preset(_MMMO_DIMS, _MMMO_HIDDEN, 100, 200, (64, 0.9), (200, 0.0), (50, 0.7), (64, 0.5),
                            (256, 0.9), (32, 0.7), (200, 0.0), (64, 0.5), 1),
    "youtube": _mfn_tma_preset(_MMMO_DIMS, _MMMO_HIDDEN, 100, 32, (64, 0.3), (128, 0.7), (8, 0.7), (128, 0.0),
                               (64, 0.0), (32, 0.7), (128, 0.9), (64, 0.7), 3),
}
MARN_PRESETS = {
    "mosi": _marn_preset(_MOSI_DIMS, _MOSI_HIDDEN, 4, (16, 128, 100), (32, 0.0), (64, 0.3), 1),
    "mmmo": _marn_preset(_MMMO_DIMS, _MMMO_HIDDEN, 4, (32, 128, 32), (256, 0.3), (64, 0.0), 1),
    "youtube": _marn_preset(_MMMO_DIMS, _MMMO_HIDDEN, 4, (8, 64, 80), (200, 0.0), (64, 0.3), 3),
}
MARN_TMA_PRESETS = {
    # MOSI: unverified in the reference (its checkpoint is mislabelled), taken from test_mosi.py.
    "mosi": _marn_tma_preset(_MOSI_DIMS, _MOSI_HIDDEN, 128, (256, 0.3), (128, 0.9), (200, 0.5), (100, 0.5),
                             (64, 0.0), 1),
    "mmmo": _marn_tma_preset(_MMMO_DIMS, _MMMO_HIDDEN, 128, (32, 0.9), (200, 0.9), (32, 0.0), (100, 0.9),
                             (64, 0.3), 1),
    "youtube": _marn_tma_preset(_MMMO_DIMS, _MMMO_HIDDEN, 32, (200, 0.3), (16, 0.7), (128, 0.9), (32, 0.5),
                                (64, 0.9), 3),
}
# Original MFN (window 2): the TMA-code widths with window 2, plus the two released checkpoints.
MFN_PRESETS = {name: dict(preset, window=2) for name, preset in MFN_WINDOW1_PRESETS.items()}
MFN_PRESETS["mosi_mfn_mae"] = dict(
    _mfn_preset(_MOSI_DIMS, _lav(64, 48, 32), 400, (32, 0.7), (32, 0.2), (64, 0.0), (32, 0.5), (64, 0.0), 1),
    window=2,
)
MFN_PRESETS["mosi_mfn_acc"] = dict(
    _mfn_preset(_MOSI_DIMS, _lav(156, 80, 16), 300, (256, 0.5), (64, 0.0), (128, 0.0), (32, 0.0), (64, 0.7), 1),
    window=2,
)
for _presets in (MFN_WINDOW1_PRESETS, MFN_TMA_PRESETS, MARN_PRESETS, MARN_TMA_PRESETS, MFN_PRESETS):
    _presets["mosi_paper"] = _with_dims(_presets["mosi"], _MOSI_PAPER_DIMS)

PRESETS = {
    "marn": MARN_PRESETS,
    "marn_tma": MARN_TMA_PRESETS,
    "mfn": MFN_PRESETS,
    "mfn_window1": MFN_WINDOW1_PRESETS,
    "mfn_tma": MFN_TMA_PRESETS,
}

register_model("marn", build_marn, MARN_PRESETS, weight_loader=load_tma_state_dict,
               description="MARN: LSTHM + multi-attention block (TMA code baseline)")
register_model("marn_tma", build_marn_tma, MARN_TMA_PRESETS, weight_loader=load_tma_state_dict,
               description="MARN(TMA): LSTHM + temporal modality attention (TMA paper)")
register_model("mfn", build_mfn, MFN_PRESETS, weight_loader=load_tma_state_dict,
               description="MFN (original, window 2): LSTMs + delta-memory attention + gated memory")
register_model("mfn_window1", build_mfn_window1, MFN_WINDOW1_PRESETS, weight_loader=load_tma_state_dict,
               description="MFN as the TMA code's baseline (window 1)")
register_model("mfn_tma", build_mfn_tma, MFN_TMA_PRESETS, weight_loader=load_tma_state_dict,
               description="MFN(TMA): LSTMs + temporal modality attention + gated memory (TMA paper)")
