"""Shared layer-test helper used by every layer test of keras_msa.

``run_layer_test`` checks, for one layer class and one set of inputs:

1. config round trip (JSON-serialisable, ``from_config(get_config())`` gives
   the same config and the same public attributes);
2. symbolic vs eager output shapes and dtypes (also for masks);
3. the expected number of trainable / non-trainable weights and losses;
4. ``.keras`` save and reload of a functional model wrapping the layer gives
   identical outputs;
5. one ``fit`` step runs and changes the trainable weights;
6. float16 mixed precision (``mixed_float16``) builds, runs and gives finite
   outputs in float16;
7. mask propagation (``compute_mask`` / ``_keras_mask``) with the expected shape.
"""

import json
import os
import tempfile

import keras
import numpy as np
from keras import ops

import keras_msa  # noqa: F401  (registers the custom objects)
from keras_msa.runner import build_training_state


def _flatten(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    if isinstance(x, (list, tuple)):
        out = []
        for item in x:
            out.extend(_flatten(item))
        return out
    return [x]


def _structure_shapes(x):
    return [tuple(t.shape) for t in _flatten(x) if t is not None]


def _assert_same_shape(symbolic, eager, what):
    sym = _structure_shapes(symbolic)
    eag = _structure_shapes(eager)
    assert len(sym) == len(eag), f"{what}: {len(sym)} symbolic vs {len(eag)} eager tensors"
    for s, e in zip(sym, eag):
        assert len(s) == len(e), f"{what}: rank {s} vs {e}"
        for a, b in zip(s, e):
            assert a is None or a == b, f"{what}: symbolic shape {s} vs eager shape {e}"


def _make_layer(layer_cls, init_kwargs):
    return layer_cls(**init_kwargs)


def _call(layer, input_data, call_kwargs, training=None):
    kwargs = dict(call_kwargs or {})
    if training is not None:
        kwargs["training"] = training
    return layer(**input_data, **kwargs)


def _to_tensors(input_data):
    return {k: ops.convert_to_tensor(v) for k, v in input_data.items()}


def _functional_model(layer, input_data, call_kwargs):
    inputs = {
        k: keras.Input(shape=v.shape[1:], batch_size=None, dtype=str(v.dtype), name=k)
        for k, v in input_data.items()
    }
    outputs = _call(layer, inputs, call_kwargs)
    return keras.Model(inputs, outputs), inputs


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_data,
    call_kwargs=None,
    expected_output_shape=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    expected_num_losses=0,
    expected_mask_shape=None,
    run_training_check=True,
    run_mixed_precision_check=True,
    run_saving_check=True,
):
    """Run the standard battery of layer checks.

    Args:
        layer_cls: the layer class.
        init_kwargs: dict of constructor arguments.
        input_data: dict ``{call-argument name: numpy array}`` (batch first).
        call_kwargs: extra non-tensor call keyword arguments (for example
            ``{"return_attention_scores": True}``).
        expected_output_shape: shape tuple, or a list / dict of shapes matching
            the output structure.
        expected_num_trainable_weights: int or None.
        expected_num_non_trainable_weights: int or None.
        expected_num_losses: number of ``add_loss`` losses after one call.
        expected_mask_shape: if not None, the output must carry a Keras mask
            of this shape (for masking layers).
        run_training_check: run one ``fit`` step and check weights move.
        run_mixed_precision_check: build and run under ``mixed_float16``.
        run_saving_check: ``.keras`` round trip with identical outputs.

    Returns:
        The eager outputs of a fresh layer, for further checks by the caller.
    """
    call_kwargs = call_kwargs or {}
    input_data = {k: np.asarray(v) for k, v in input_data.items()}

    # 1. Config round trip.
    layer = _make_layer(layer_cls, init_kwargs)
    config = layer.get_config()
    json.dumps(keras.saving.serialize_keras_object(layer))  # must be JSON-serialisable
    revived = layer_cls.from_config(config)
    assert revived.get_config() == config, "get_config does not round-trip"
    public = sorted(a for a in vars(layer) if not a.startswith("_"))
    public_revived = sorted(a for a in vars(revived) if not a.startswith("_"))
    assert public == public_revived, f"public attributes differ after from_config: {public} vs {public_revived}"

    # 2. Eager call.
    eager_layer = _make_layer(layer_cls, init_kwargs)
    eager_out = _call(eager_layer, _to_tensors(input_data), call_kwargs)
    if expected_output_shape is not None:
        got = _structure_shapes(eager_out)
        want = _structure_shapes_from_spec(expected_output_shape)
        assert got == want, f"eager output shapes {got} != expected {want}"
    if expected_num_trainable_weights is not None:
        n = len(eager_layer.trainable_weights)
        assert n == expected_num_trainable_weights, f"{n} trainable weights, expected {expected_num_trainable_weights}"
    if expected_num_non_trainable_weights is not None:
        n = len(eager_layer.non_trainable_weights)
        assert n == expected_num_non_trainable_weights, (
            f"{n} non-trainable weights, expected {expected_num_non_trainable_weights}"
        )
    assert len(eager_layer.losses) == expected_num_losses, (
        f"{len(eager_layer.losses)} losses after a call, expected {expected_num_losses}"
    )
    if expected_mask_shape is not None:
        mask = getattr(_flatten(eager_out)[0], "_keras_mask", None)
        assert mask is not None, "the output carries no mask"
        assert tuple(mask.shape) == tuple(expected_mask_shape), f"mask shape {tuple(mask.shape)}"

    # 3. Symbolic call: same shapes as eager.
    sym_layer = _make_layer(layer_cls, init_kwargs)
    model, _ = _functional_model(sym_layer, input_data, call_kwargs)
    symbolic_out = model.outputs if len(model.outputs) > 1 else model.outputs[0]
    _assert_same_shape(model.output, eager_out, "symbolic vs eager output")
    del symbolic_out

    # 4. Saving round trip with identical outputs.
    if run_saving_check:
        reference = model.predict(input_data, verbose=0)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "layer_model.keras")
            model.save(path)
            reloaded = keras.saving.load_model(path)
        again = reloaded.predict(input_data, verbose=0)
        for a, b in zip(_flatten(reference), _flatten(again)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=0)

    # 5. One training step moves the weights.
    if run_training_check and model.trainable_weights:
        train_layer = _make_layer(layer_cls, init_kwargs)
        train_model, _ = _functional_model(train_layer, input_data, call_kwargs)
        outputs = train_model.outputs
        targets = [np.zeros([d if d is not None else len(next(iter(input_data.values()))) for d in o.shape])
                   for o in outputs]
        train_model.compile(optimizer=keras.optimizers.SGD(0.1), loss=["mse"] * len(outputs))
        before = [ops.convert_to_numpy(w) for w in train_model.trainable_weights]
        y = targets if len(targets) > 1 else targets[0]
        build_training_state(train_model, (input_data, y))
        history = train_model.fit(input_data, y, batch_size=len(next(iter(input_data.values()))),
                                  epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0]), "non-finite training loss"
        after = [ops.convert_to_numpy(w) for w in train_model.trainable_weights]
        assert any(not np.array_equal(a, b) for a, b in zip(before, after)), "no weight changed after one fit step"

    # 6. Mixed precision.
    if run_mixed_precision_check:
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_float16")
        try:
            mp_layer = _make_layer(layer_cls, init_kwargs)
            mp_out = _call(mp_layer, _to_tensors({
                k: v.astype("float16") if v.dtype.kind == "f" else v for k, v in input_data.items()
            }), call_kwargs)
            for t in _flatten(mp_out):
                arr = np.asarray(ops.convert_to_numpy(t))
                assert np.isfinite(arr.astype("float32")).all(), "non-finite output under mixed_float16"
            main = _flatten(mp_out)[0]
            assert keras.backend.standardize_dtype(main.dtype) == "float16", (
                f"mixed_float16 output dtype {main.dtype}, expected float16"
            )
        finally:
            keras.config.set_dtype_policy(previous)

    return eager_out


def _structure_shapes_from_spec(spec):
    if isinstance(spec, dict):
        return [tuple(spec[k]) for k in sorted(spec)]
    if isinstance(spec, list):
        return [tuple(s) for s in spec]
    return [tuple(spec)]
