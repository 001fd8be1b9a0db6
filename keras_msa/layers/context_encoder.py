"""The Bi-GRU context branch of the MMMU-BA / CIM / CIA lineage."""

import keras

from keras_msa._checks import check_bool
from keras_msa._checks import check_positive_int
from keras_msa._checks import check_rate
from keras_msa.layers.initializers import keras2_hard_sigmoid


def get_recurrent_activation(identifier):
    """Resolve an activation, accepting ``"keras2_hard_sigmoid"`` by name."""
    if identifier == "keras2_hard_sigmoid":
        return keras2_hard_sigmoid
    return keras.activations.get(identifier)


def serialize_activation(identifier):
    """String identifiers stay strings; callables go through Keras."""
    if isinstance(identifier, (str, dict)):
        return identifier
    return keras.activations.serialize(identifier)


@keras.saving.register_keras_serializable(package="keras_msa")
class ContextEncoder(keras.layers.Layer):
    """Bidirectional-GRU context encoder followed by a per-step dense layer.

    The unimodal (and, in CIA, IIM-code) context branch of the MMMU-BA / CIM /
    CIA scripts::

        Bidirectional(GRU(units, return_sequences=True, dropout=d,
                          recurrent_dropout=rd), merge_mode="concat")
        -> Dropout(output_dropout) -> Dense(dense_units, relu) per step
        -> Dropout(dense_dropout)

    run over the utterances of a video (context level) or the word steps of
    one segment (the CIA YouTube script).

    Keras 2 parity: the scripts create the GRU with Keras 2.2 defaults, i.e.
    ``recurrent_activation=hard_sigmoid`` with slope 0.2 and
    ``reset_after=False`` (one bias vector; ``3 * (n*u + u*u + u)``
    parameters per direction). These are the defaults here
    (``recurrent_activation="keras2_hard_sigmoid"``, ``reset_after=False``);
    Keras 3's defaults are ``"sigmoid"`` / ``True``.

    Masking: ``mask`` marks the real steps; the GRU skips padded steps and
    (Keras 3 ``Bidirectional`` with ``return_sequences``) outputs zeros there.
    The dense layer is applied to every step, so padded outputs become
    ``relu(bias)`` (as in the reference). The output carries the mask.

    Args:
        units: int. GRU units per direction (output width ``2 * units``
            before the dense layer). Defaults to ``50`` (the CIA run).
        dense_units: int or None. Width of the per-step dense layer; ``None``
            returns the Bi-GRU output (after ``output_dropout``). Defaults to
            ``200``.
        dropout: float. GRU input dropout. Defaults to ``0.3``.
        recurrent_dropout: float. GRU recurrent dropout. Defaults to ``0.3``.
        output_dropout: float. Dropout on the Bi-GRU output (``drop0`` of the
            CIA script). Defaults to ``0.5``.
        dense_dropout: float. Dropout after the dense layer (``drop1``).
            Defaults to ``0.5``.
        dense_activation: activation of the dense layer. Defaults to
            ``"relu"`` (CIA; MMMU-BA used tanh).
        recurrent_activation: GRU gate activation; ``"keras2_hard_sigmoid"``
            (Keras 2 default, parity) or any Keras activation. Defaults to
            ``"keras2_hard_sigmoid"``.
        reset_after: bool. GRU reset-gate convention. Defaults to ``False``
            (Keras 2).
        kernel_initializer: initializer of the dense kernel. Defaults to
            ``"glorot_uniform"``.
        seed: optional int, seed of the dropout masks.
        **kwargs: base layer keyword arguments.

    Call arguments:
        inputs: float tensor ``(batch_size, steps, features)``.
        mask: optional ``(batch_size, steps)`` bool or 0/1 tensor, 1 = real
            step. Filled from the Keras mask of ``inputs`` if present.
        training: bool.

    Returns:
        ``(batch_size, steps, dense_units)`` (or ``2 * units`` when
        ``dense_units=None``).

    Example:

    >>> enc = ContextEncoder(units=50, dense_units=200)
    >>> enc(np.ones((2, 63, 100)), mask=np.ones((2, 63))).shape
    (2, 63, 200)

    Reference:
        D. Ghosal et al., "Contextual Inter-modal Attention for Multi-modal
        Sentiment Analysis", EMNLP 2018; D. S. Chauhan et al., "Context-aware
        Interactive Attention for Multi-modal Sentiment and Emotion
        Analysis", EMNLP-IJCNLP 2019 (Alg. 1, ``biGRU``).
    """

    def __init__(
        self,
        units=50,
        dense_units=200,
        dropout=0.3,
        recurrent_dropout=0.3,
        output_dropout=0.5,
        dense_dropout=0.5,
        dense_activation="relu",
        recurrent_activation="keras2_hard_sigmoid",
        reset_after=False,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.dense_units = None if dense_units is None else check_positive_int("dense_units", dense_units)
        self.dropout = check_rate("dropout", dropout)
        self.recurrent_dropout = check_rate("recurrent_dropout", recurrent_dropout)
        self.output_dropout = check_rate("output_dropout", output_dropout)
        self.dense_dropout = check_rate("dense_dropout", dense_dropout)
        self.dense_activation = keras.activations.get(dense_activation)
        self.recurrent_activation = recurrent_activation
        self.reset_after = check_bool("reset_after", reset_after)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = seed
        self.supports_masking = True

        def gru(go_backwards, name):
            return keras.layers.GRU(
                self.units,
                return_sequences=True,
                dropout=self.dropout,
                recurrent_dropout=self.recurrent_dropout,
                recurrent_activation=get_recurrent_activation(recurrent_activation),
                reset_after=self.reset_after,
                go_backwards=go_backwards,
                seed=None if seed is None else seed + (1 if go_backwards else 0),
                dtype=self.dtype_policy,
                name=name,
            )

        self._bigru = keras.layers.Bidirectional(
            gru(False, "forward_gru"),
            backward_layer=gru(True, "backward_gru"),
            merge_mode="concat",
            dtype=self.dtype_policy,
            name="bigru",
        )
        self._output_dropout = keras.layers.Dropout(
            self.output_dropout, seed=None if seed is None else seed + 2, dtype=self.dtype_policy,
            name="output_dropout",
        )
        if self.dense_units is not None:
            self._dense = keras.layers.Dense(
                self.dense_units,
                activation=self.dense_activation,
                kernel_initializer=self.kernel_initializer,
                dtype=self.dtype_policy,
                name="dense",
            )
            self._dense_dropout = keras.layers.Dropout(
                self.dense_dropout, seed=None if seed is None else seed + 3, dtype=self.dtype_policy,
                name="dense_dropout",
            )
        else:
            self._dense = None
            self._dense_dropout = None

    def build(self, inputs_shape):
        inputs_shape = tuple(inputs_shape)
        self._bigru.build(inputs_shape)
        shape = inputs_shape[:-1] + (2 * self.units,)
        self._output_dropout.build(shape)
        if self._dense is not None:
            self._dense.build(shape)
            self._dense_dropout.build(shape[:-1] + (self.dense_units,))
        self.built = True

    def call(self, inputs, mask=None, training=None):
        if mask is not None:
            mask = keras.ops.cast(mask, "bool")
        x = self._bigru(inputs, mask=mask, training=training)
        x = self._output_dropout(x, training=training)
        if self._dense is not None:
            x = self._dense_dropout(self._dense(x), training=training)
        return x

    def compute_mask(self, inputs, previous_mask):
        if previous_mask is None:
            return None
        return keras.ops.cast(previous_mask, "bool")

    def compute_output_shape(self, inputs_shape):
        width = 2 * self.units if self.dense_units is None else self.dense_units
        return tuple(inputs_shape)[:-1] + (width,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "dense_units": self.dense_units,
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "output_dropout": self.output_dropout,
                "dense_dropout": self.dense_dropout,
                "dense_activation": keras.activations.serialize(self.dense_activation),
                "recurrent_activation": serialize_activation(self.recurrent_activation),
                "reset_after": self.reset_after,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "seed": self.seed,
            }
        )
        return config
