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
    TensorFlow tensors (or a dict of them for dict-output models).
    """
    import tensorflow as tf

    loaded = tf.saved_model.load(path)

    def serve(inputs):
        return loaded.serve(inputs)

    serve.saved_model = loaded  # keeps the object (and its variables) alive
    return serve
