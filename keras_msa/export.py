"""SavedModel export and reload helpers.

``model.export(path)`` (Keras 3) writes a TensorFlow SavedModel whose ``serve``
endpoint runs the inference graph (``training=False``: no dropout, no
auxiliary losses). Serving code that has not imported ``keras_msa`` can load
it with ``tensorflow.saved_model.load(path).serve(inputs)``; inputs are passed
the way the model takes them (a dict keyed by input name for the keras_msa
models).
"""


def export_saved_model(model, path, verbose=False):
    """Export ``model`` as a TF SavedModel at ``path`` and return ``path``.

    On the TensorFlow and JAX backends this is ``model.export(path,
    format="tf_saved_model")``. Keras cannot do that on the torch backend for
    the keras_msa models: its torch exporter needs ``torch_xla`` and takes one
    tensor per input, not a dict of inputs. There the model is saved as a
    ``.keras`` file (the format is the same on every backend) and exported by
    ``python -m keras_msa.export`` in a fresh process on the TensorFlow
    backend, which must be installed (it is a keras_msa dependency). A failure
    of that process raises one ``RuntimeError`` with the end of its output.
    """
    import keras

    if keras.backend.backend() != "torch":
        model.export(path, format="tf_saved_model", verbose=verbose)
        return path
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        keras_file = os.path.join(tmp, "model.keras")
        model.save(keras_file)
        env = dict(os.environ, KERAS_BACKEND="tensorflow")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        command = [sys.executable, "-m", "keras_msa.export", keras_file, path] + (["--verbose"] if verbose else [])
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"export_saved_model: exporting {path!r} on the tensorflow backend (the torch backend "
                           f"cannot export a SavedModel) failed with exit code {done.returncode}:\n"
                           + (done.stderr or done.stdout)[-3000:])
    if verbose:
        print(done.stdout, end="")
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


def main(argv=None):
    """``python -m keras_msa.export MODEL.keras OUTPUT_DIR``: a saved ``.keras`` model as a SavedModel."""
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m keras_msa.export", description=main.__doc__)
    parser.add_argument("keras_file", help="a model saved with model.save(...) (.keras)")
    parser.add_argument("output_dir", help="where to write the SavedModel")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not args.keras_file.endswith(".keras") or not os.path.isfile(args.keras_file):
        parser.error(f"keras_file: expected an existing .keras file, found {args.keras_file!r}")
    import keras

    import keras_msa  # noqa: F401  (registers the keras_msa layers for loading)

    model = keras.saving.load_model(args.keras_file)
    export_saved_model(model, args.output_dir, verbose=args.verbose)
    print(f"wrote {args.output_dir}")


if __name__ == "__main__":
    main()
