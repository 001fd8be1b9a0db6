"""SavedModel export and reload helpers.

``model.export(path)`` (Keras 3) writes a TensorFlow SavedModel whose ``serve``
endpoint runs the inference graph (``training=False``: no dropout, no
auxiliary losses). Serving code that has not imported ``keras_msa`` can load
it with ``tensorflow.saved_model.load(path).serve(inputs)``; inputs are passed
the way the model takes them (a dict keyed by input name for the keras_msa
models).
"""


def export_saved_model(model, path, verbose=False):
    """Export ``model`` as a TF SavedModel at ``path`` and return ``path``."""
    model.export(path, format="tf_saved_model", verbose=verbose)
    return path


def load_saved_model(path):
    """Load an exported SavedModel and return its ``serve`` function.

    The returned callable takes the same inputs as the Keras model and returns
    TensorFlow tensors (or a dict of them for dict-output models). Inputs that
    do not match the exported signature (a missing or unknown key, another
    shape: the exported step axis is fixed when the model was built with
    ``num_steps``) raise one ``ValueError`` naming the input, the expected and
    the found value, instead of TensorFlow's binding error.
    """
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    signature = _input_signature(loaded)

    def serve(inputs):
        if signature is not None:
            _check_inputs(inputs, signature)
        return loaded.serve(inputs)

    serve.saved_model = loaded  # keeps the object (and its variables) alive
    return serve


def _input_signature(loaded):
    """The structure of TensorSpecs ``loaded.serve`` takes (its one argument), or None if it is not one."""
    functions = list(getattr(loaded.serve, "concrete_functions", None) or ())
    if len(functions) != 1:
        return None
    args, kwargs = functions[0].structured_input_signature
    return args[0] if len(args) == 1 and not kwargs else None


def _check_inputs(inputs, signature):
    import numpy as np
    import tensorflow as tf

    if isinstance(signature, dict):
        expected = sorted(signature)
        if not isinstance(inputs, dict):
            raise ValueError(f"serve: expected a dict of inputs with the keys {expected}, "
                             f"found {type(inputs).__name__}.")
        found = sorted(inputs)
        for key in expected:
            if key not in inputs:
                raise ValueError(f"serve: input {key!r} is missing: expected the keys {expected}, found {found}.")
        for key in inputs:
            if key not in signature:
                raise ValueError(f"serve: input {key!r} is not an input of the model: expected the keys {expected}, "
                                 f"found {found}.")
        items = [(key, inputs[key], signature[key]) for key in expected]
    elif isinstance(signature, tf.TensorSpec):
        items = [(signature.name or "inputs", inputs, signature)]
    else:
        return
    for key, value, spec in items:
        shape = getattr(value, "shape", None)
        shape = tuple(tf.TensorShape(np.shape(value) if shape is None else shape).as_list())
        if not spec.shape.is_compatible_with(shape):
            raise ValueError(f"serve: input {key!r}: expected shape {tuple(spec.shape.as_list())} (None = any size), "
                             f"found {shape}.")
