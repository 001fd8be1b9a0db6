"""Load reference PyTorch ``state_dict``s into the TMA-family Keras models.

The names and shapes are those of ``shared/reference/state_dict_names.md``:

* TMA repository (``qianfan1996/TMA`` ``models.py``): ``MFN`` (window 1),
  ``TMAN1`` = MFN(TMA), ``MARN``, ``TMAN2`` = MARN(TMA) - names such as
  ``lstm_l.weight_ih``, ``lsthm_a.W.weight``, ``att.0.weight``,
  ``nn_v.3.bias``, ``reduce_dim_nn_l.0.weight``, ``fc.3.weight``,
  ``nn_gmma1.0.weight``, ``nn_out.3.bias``;
* original MFN (``pliang279/MFN`` ``test_mosi.py::MFN``, window 2):
  ``att1_fc1.weight``, ``att2_fc2.bias``, ``gamma1_fc1.weight``,
  ``out_fc2.bias``, ...

Suffixes ``l`` / ``a`` / ``v`` are the text / audio / vision modalities; a
model built on a subset of modalities expects only its modalities' names.
PyTorch ``Linear.weight`` is ``(out, in)`` and is transposed into the Keras
kernel; the LSTM and LSTHM gate layouts are kept as in the reference (the
Keras cells use the same layouts), so no gate reordering is needed. A model
built with ``lstm_recurrent_bias=False`` receives ``bias_ih + bias_hh``.
"""

import numpy as np

MODALITIES = ("text", "audio", "vision")
SUFFIX = {"text": "l", "audio": "a", "vision": "v"}
NAMINGS = ("auto", "tma", "mfn")


class _Target:
    """One Keras variable filled from one or more reference tensors."""

    def __init__(self, variable, names, torch_shapes, convert):
        self.variable = variable
        self.names = list(names)
        self.torch_shapes = [tuple(s) for s in torch_shapes]
        self.convert = convert


def _kernel_bias(prefix, kernel, bias):
    """A ``Linear`` ``{prefix}.weight`` (transposed) / ``{prefix}.bias`` into ``kernel`` / ``bias``."""
    n_in, n_out = kernel.shape
    return [
        _Target(kernel, [f"{prefix}.weight"], [(n_out, n_in)], lambda arrays: arrays[0].T),
        _Target(bias, [f"{prefix}.bias"], [(n_out,)], lambda arrays: arrays[0]),
    ]


def _linear(prefix, dense):
    return _kernel_bias(prefix, dense.kernel, dense.bias)


def _mlp(mlp, first, second):
    return _linear(first, mlp._hidden_dense) + _linear(second, mlp._output_dense)


def _seq_mlp(prefix, mlp):
    """``nn.Sequential(Linear, ReLU, Dropout, Linear)`` -> ``prefix.0`` / ``prefix.3``."""
    return _mlp(mlp, f"{prefix}.0", f"{prefix}.3")


def _fc_mlp(prefix, mlp):
    """Original MFN naming: ``{prefix}_fc1`` / ``{prefix}_fc2``."""
    return _mlp(mlp, f"{prefix}_fc1", f"{prefix}_fc2")


def _lstm(prefix, cell):
    four_h, h = cell.recurrent_kernel.shape[1], cell.units
    d = cell.kernel.shape[0]
    targets = [
        _Target(cell.kernel, [f"{prefix}.weight_ih"], [(four_h, d)], lambda arrays: arrays[0].T),
        _Target(cell.recurrent_kernel, [f"{prefix}.weight_hh"], [(four_h, h)], lambda arrays: arrays[0].T),
    ]
    if cell.use_recurrent_bias:
        targets += [
            _Target(cell.bias, [f"{prefix}.bias_ih"], [(four_h,)], lambda arrays: arrays[0]),
            _Target(cell.recurrent_bias, [f"{prefix}.bias_hh"], [(four_h,)], lambda arrays: arrays[0]),
        ]
    else:
        targets.append(
            _Target(cell.bias, [f"{prefix}.bias_ih", f"{prefix}.bias_hh"], [(four_h,), (four_h,)],
                    lambda arrays: arrays[0] + arrays[1])
        )
    return targets


def _lsthm(prefix, cell):
    targets = []
    for torch_name, keras_name in (("W", "input"), ("U", "recurrent"), ("V", "hybrid")):
        targets += _kernel_bias(f"{prefix}.{torch_name}", getattr(cell, f"{keras_name}_kernel"),
                                getattr(cell, f"{keras_name}_bias"))
    return targets


def _tma(tma, suffixes):
    targets = []
    for suffix, projection in zip(suffixes, tma._projections):
        targets += _seq_mlp(f"nn_{suffix}", projection)
    targets += _seq_mlp("att", tma._modality_attention)
    return targets


def _model_modalities(model):
    names = set()
    for tensor in model.inputs:
        names.add(tensor.name.split(":")[0])
    found = [m for m in MODALITIES if m in names]
    if not found:
        raise ValueError(
            f"Model {model.name!r} has no input named text, audio or vision "
            f"(inputs: {sorted(names)}); it is not a TMA-family model."
        )
    return found


def _to_numpy(value):
    if hasattr(value, "detach"):  # a torch tensor, when torch happens to be installed
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _detect_naming(state_dict):
    original = sum(1 for k in state_dict if k.split("_fc")[0] in ("att1", "att2", "gamma1", "gamma2", "out"))
    return "mfn" if original > 0 else "tma"


def reference_targets(model, naming="auto", state_dict=None):
    """Return the list of ``_Target`` of ``model`` for the given naming."""
    try:
        recurrence = model.get_layer("recurrence")
        head = model.get_layer("output_mlp")
    except ValueError:
        raise ValueError(
            f"Model {model.name!r} has no 'recurrence' / 'output_mlp' layers; load_tma_state_dict expects a "
            "model built by keras_msa.models.tma (marn, marn_tma, mfn, mfn_window1, mfn_tma)."
        ) from None
    if naming not in NAMINGS:
        raise ValueError(f"`naming` must be one of {NAMINGS}. Received: naming={naming!r}")
    suffixes = [SUFFIX[m] for m in _model_modalities(model)]
    if len(suffixes) != len(recurrence.input_dims):
        raise ValueError(
            f"Model {model.name!r}: {len(suffixes)} modality inputs but the recurrence has "
            f"{len(recurrence.input_dims)} modalities."
        )
    kind = type(recurrence).__name__
    targets = []
    if kind == "MARNRecurrence":
        if naming == "mfn":
            raise ValueError("naming='mfn' (original MFN names) applies to MFN models only.")
        for suffix, cell in zip(suffixes, recurrence._cells):
            targets += _lsthm(f"lsthm_{suffix}", cell)
        fusion = recurrence._fusion_layer
        if recurrence.fusion == "mab":
            targets += _linear("att.0", fusion._attention)
            for suffix, dense in zip(suffixes, fusion._reduce):
                targets += _linear(f"reduce_dim_nn_{suffix}.0", dense)
            targets += _seq_mlp("fc", fusion._map)
        else:
            targets += _tma(fusion, suffixes)
        targets += _seq_mlp("nn_out", head)
    elif kind == "MFNRecurrence":
        for suffix, cell in zip(suffixes, recurrence._cells):
            targets += _lstm(f"lstm_{suffix}", cell)
        fusion, memory = recurrence._fusion_layer, recurrence._memory
        if naming == "auto":
            naming = _detect_naming(state_dict or {}) if recurrence.fusion == "dman" else "tma"
        if naming == "mfn":
            if recurrence.fusion != "dman":
                raise ValueError("naming='mfn' (original MFN names) applies to the DMAN models mfn / mfn_window1.")
            targets += _fc_mlp("att1", fusion._attention)
            targets += _fc_mlp("att2", memory._proposal)
            targets += _fc_mlp("gamma1", memory._retain_gate)
            targets += _fc_mlp("gamma2", memory._update_gate)
            targets += _fc_mlp("out", head)
        else:
            if recurrence.fusion == "dman":
                targets += _seq_mlp("att", fusion._attention)
            else:
                targets += _tma(fusion, suffixes)
            targets += _seq_mlp("nn_p", memory._proposal)
            targets += _seq_mlp("nn_gmma1", memory._retain_gate)
            targets += _seq_mlp("nn_gmma2", memory._update_gate)
            targets += _seq_mlp("nn_out", head)
    else:
        raise ValueError(f"Model {model.name!r}: unsupported recurrence layer {kind}.")
    return targets


def expected_state_dict_shapes(model, naming="tma"):
    """``{reference parameter name: torch shape}`` that ``model`` expects."""
    return _shapes(reference_targets(model, naming=naming))


def _shapes(targets):
    shapes = {}
    for target in targets:
        shapes.update(dict(zip(target.names, target.torch_shapes)))
    return shapes


def load_tma_state_dict(model, state_dict, naming="auto"):
    """Load a reference ``state_dict`` into a TMA-family model.

    Args:
        model: a model from ``keras_msa.models.get_model`` with name in
            ``marn``, ``marn_tma``, ``mfn``, ``mfn_window1``, ``mfn_tma``.
        state_dict: mapping ``{parameter name: array}`` (numpy arrays, or
            torch tensors if torch is installed).
        naming: ``"tma"`` (TMA repository names), ``"mfn"`` (original MFN
            names, DMAN models only) or ``"auto"`` (detect from the keys).

    Returns:
        ``model`` with its weights replaced.

    Raises:
        ValueError: listing every missing, unexpected and mis-shaped name
            (nothing is assigned in that case).
    """
    if not hasattr(state_dict, "items"):
        raise ValueError(f"`state_dict` must be a mapping {{name: array}}. Received: {type(state_dict).__name__}")
    arrays = {str(k): _to_numpy(v) for k, v in state_dict.items()}
    targets = reference_targets(model, naming=naming, state_dict=arrays)
    expected = _shapes(targets)
    missing = sorted(n for n in expected if n not in arrays)
    unexpected = sorted(n for n in arrays if n not in expected)
    misshaped = sorted(
        f"{n}: expected {expected[n]}, found {tuple(arrays[n].shape)}"
        for n in expected
        if n in arrays and tuple(arrays[n].shape) != expected[n]
    )
    if missing or unexpected or misshaped:
        lines = [f"Cannot load the reference state_dict into model {model.name!r}:"]
        if missing:
            lines.append(f"  missing ({len(missing)}): {', '.join(missing)}")
        if unexpected:
            lines.append(f"  unexpected ({len(unexpected)}): {', '.join(unexpected)}")
        if misshaped:
            lines.append(f"  mis-shaped ({len(misshaped)}): " + "; ".join(misshaped))
        raise ValueError("\n".join(lines))
    for target in targets:
        value = target.convert([arrays[n] for n in target.names])
        target.variable.assign(np.asarray(value, dtype=target.variable.dtype))
    return model


def state_dict_from_torch_file(path):
    """Read a ``.pt`` file into ``{name: numpy array}`` (needs torch).

    Accepts a saved ``state_dict`` or a pickled whole module (as the TMA
    repository saves them; torch must then be able to import the module's
    class). A pickled module runs code when it is loaded (``torch.load`` with
    ``weights_only=False``): read only files you trust. torch is never a
    dependency of keras_msa: this function raises a clear error when it is not
    installed.
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ImportError(
            f"Reading {path!r} needs PyTorch, which is not installed (it is not a keras_msa dependency). "
            "Convert the checkpoint elsewhere with "
            "`{k: v.numpy() for k, v in torch.load(path).state_dict().items()}` and pass that dict."
        ) from None
    obj = torch.load(path, map_location="cpu", weights_only=False)
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not hasattr(obj, "items"):
        raise ValueError(f"{path}: expected a state_dict or a torch module, found {type(obj).__name__}.")
    return {k: _to_numpy(v) for k, v in obj.items()}
