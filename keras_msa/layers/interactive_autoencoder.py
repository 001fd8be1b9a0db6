"""Inter-modal Interactive Module (IIM) of CIA: an X -> Y autoencoder."""

import math

import keras
from keras import ops

from keras_msa._checks import check_bool
from keras_msa._checks import check_positive_int
from keras_msa._checks import check_rate


@keras.saving.register_keras_serializable(package="keras_msa")
class InterModalAutoencoder(keras.layers.Layer):
    """Inter-modal interactive autoencoder: encode modality X, decode modality Y.

    The IIM of CIA (Chauhan et al., EMNLP 2019, Alg. 2). Every step (utterance
    or word) of the input sequence of modality X goes through a per-step
    dense encoder ``3*code_dim -> 2*code_dim -> code_dim`` and a mirrored
    decoder ``2*code_dim -> 3*code_dim -> output_dim`` that reconstructs
    modality Y of the same step. The code (the joint X/Y representation
    ``C_XY``) is returned; the reconstruction error trains the encoder
    together with the task loss that reaches the code from above.

    Layer order and dropout placement follow the authors' public script
    (``GussailRaat/EMNLP-19-IIM``, ``youTube,py``): every hidden dense layer,
    the code layer included, is followed by dropout, and the *dropped-out*
    code is both the layer's output and the decoder's input::

        x -> Dense(3c, tanh) -> Drop -> Dense(2c, tanh) -> Drop
          -> Dense(c, tanh) -> Drop = code
          -> Dense(2c, tanh) -> Drop -> Dense(3c, tanh) -> Drop
          -> Dense(output_dim, tanh) = reconstruction

    The dense layers act on the last axis (identical to Keras 2
    ``TimeDistributed(Dense)``, same parameter count).

    Reconstruction loss: when ``target`` (modality Y) is passed to the call,
    the layer registers ``reconstruction_weight * MSE(reconstruction,
    target)`` with ``add_loss``. The MSE is the mean over features, then the
    mean over the steps where ``mask`` is 1 (Keras 2 ``sample_weight_mode=
    "temporal"`` semantics: padded utterances train neither the encoder nor
    the decoder; with no mask every step counts). Paper Alg. 2 says "cross
    entropy" but Table 4 and the code use MSE, which is what is implemented.
    Alternatively ``return_reconstruction=True`` returns the reconstruction as
    a second output so it can get its own (logged, sample-weighted) loss in
    ``compile``; pass no ``target`` then, or the error is counted twice.

    The tanh output bounds the reconstruction to [-1, 1]: scale the target
    features into that range (the authors divide every split by its maximum).

    Args:
        output_dim: int. Feature size of the reconstructed modality Y.
        code_dim: int. Width of the code (``td_units`` of the script; 200 in
            the run published with the paper, 100 in the function default).
            Defaults to ``200``.
        encoder_units: optional tuple of ints, the hidden widths of the
            encoder before the code; the decoder uses them in reverse order.
            ``None`` means ``(3 * code_dim, 2 * code_dim)`` (the script).
            Defaults to ``None``.
        activation: activation of every hidden and code layer. Defaults to
            ``"tanh"`` (paper: "tanh in IIM").
        output_activation: activation of the reconstruction layer. Defaults
            to ``"tanh"`` (script).
        dropout: float. Dropout after each hidden and code layer (``drop1``
            of the script). Defaults to ``0.5``.
        reconstruction_weight: float. Weight of the ``add_loss`` term when a
            target is given (the script sums the six MSEs with weight 1).
            Defaults to ``1.0``.
        return_reconstruction: bool. Return ``(code, reconstruction)``
            instead of ``code``. Defaults to ``False``.
        use_decoder: bool. ``False`` builds the encoder only (no decoder
            weights): an IIM trained by the task loss alone, as in
            ``build_cia(reconstruction="none")``; ``target`` and
            ``return_reconstruction`` are then refused. Defaults to ``True``.
        kernel_initializer: initializer of the dense kernels. Defaults to
            ``"glorot_uniform"`` (Keras 2 default, used by the script).
        bias_initializer: initializer of the dense biases. Defaults to
            ``"zeros"``.
        seed: optional int, seed of the dropout masks.
        **kwargs: base layer keyword arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: float tensor ``(batch_size, steps, input_dim)``, modality X.
        target: optional float tensor ``(batch_size, steps, output_dim)``,
            modality Y (the reconstruction target). When given and
            ``reconstruction_weight != 0``, the masked MSE is added with
            ``add_loss``.
        mask: optional ``(batch_size, steps)`` bool or 0/1 tensor of real
            steps. Only the reconstruction loss uses it; it is passed on as
            the output mask. Must be passed explicitly when ``target`` is
            given (Keras fills ``mask`` automatically only for one-tensor
            calls).
        training: bool, dropout on or off.

    Returns:
        The code, ``(batch_size, steps, code_dim)``; with
        ``return_reconstruction=True`` the tuple ``(code, reconstruction)``,
        the reconstruction of shape ``(batch_size, steps, output_dim)``.

    Example:

    >>> iim = InterModalAutoencoder(output_dim=74, code_dim=200)
    >>> text, audio = np.ones((2, 20, 300)), np.ones((2, 20, 74))
    >>> code = iim(text, target=audio)          # adds the MSE to iim.losses
    >>> code.shape
    (2, 20, 200)

    Reference:
        D. S. Chauhan, M. S. Akhtar, A. Ekbal, P. Bhattacharyya.
        "Context-aware Interactive Attention for Multi-modal Sentiment and
        Emotion Analysis", EMNLP-IJCNLP 2019, Alg. 2 and Fig. 2.
    """

    def __init__(
        self,
        output_dim,
        code_dim=200,
        encoder_units=None,
        activation="tanh",
        output_activation="tanh",
        dropout=0.5,
        reconstruction_weight=1.0,
        return_reconstruction=False,
        use_decoder=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if encoder_units is not None:
            encoder_units = tuple(check_positive_int("encoder_units", u) for u in encoder_units)
        if not (math.isfinite(float(reconstruction_weight)) and float(reconstruction_weight) >= 0):
            raise ValueError(
                f"`reconstruction_weight` must be a finite number >= 0. Received: "
                f"reconstruction_weight={reconstruction_weight!r}"
            )
        self.output_dim = check_positive_int("output_dim", output_dim)
        self.code_dim = check_positive_int("code_dim", code_dim)
        self.encoder_units = None if encoder_units is None else list(encoder_units)
        self.activation = keras.activations.get(activation)
        self.output_activation = keras.activations.get(output_activation)
        self.dropout = check_rate("dropout", dropout)
        self.reconstruction_weight = float(reconstruction_weight)
        self.return_reconstruction = check_bool("return_reconstruction", return_reconstruction)
        self.use_decoder = check_bool("use_decoder", use_decoder)
        if self.return_reconstruction and not self.use_decoder:
            raise ValueError("`return_reconstruction=True` needs the decoder. Received: use_decoder=False")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.supports_masking = True

        hidden = (
            (3 * self.code_dim, 2 * self.code_dim) if encoder_units is None else tuple(encoder_units)
        )
        self._encoder_layers = []
        for i, units in enumerate(hidden + (self.code_dim,)):
            name = "code" if i == len(hidden) else f"encoder_{i}"
            self._encoder_layers.append(self._dense(units, self.activation, name))
        self._decoder_layers = []
        self._output_layer = None
        if self.use_decoder:
            for i, units in enumerate(reversed(hidden)):
                self._decoder_layers.append(self._dense(units, self.activation, f"decoder_{i}"))
            self._output_layer = self._dense(self.output_dim, self.output_activation, "reconstruction")
        self._seed_generator = (
            keras.random.SeedGenerator(seed, name="dropout_seed") if self.dropout > 0 else None
        )

    def _dense(self, units, activation, name):
        return keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer=_clone_initializer(self.kernel_initializer),
            bias_initializer=_clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, inputs_shape, target_shape=None):
        if target_shape is not None:
            if not self.use_decoder:
                raise ValueError("A `target` needs the decoder (it is reconstructed). Received: use_decoder=False")
            if target_shape[-1] is not None and target_shape[-1] != self.output_dim:
                raise ValueError(
                    f"`target` must have output_dim={self.output_dim} features (modality Y). "
                    f"Received: target_shape={tuple(target_shape)}"
                )
        shape = tuple(inputs_shape)
        for layer in self._encoder_layers:
            layer.build(shape)
            shape = shape[:-1] + (layer.units,)
        for layer in self._decoder_layers:
            layer.build(shape)
            shape = shape[:-1] + (layer.units,)
        if self._output_layer is not None:
            self._output_layer.build(shape)
        self.built = True

    def _drop(self, x, training):
        if training and self._seed_generator is not None:
            return keras.random.dropout(x, self.dropout, seed=self._seed_generator)
        return x

    def call(self, inputs, target=None, mask=None, training=None):
        x = inputs
        for layer in self._encoder_layers:
            x = self._drop(layer(x), training)
        code = x
        if target is None and not self.return_reconstruction:
            return code
        for layer in self._decoder_layers:
            x = self._drop(layer(x), training)
        reconstruction = self._output_layer(x)
        if target is not None and self.reconstruction_weight != 0.0:
            loss = masked_mse(target, reconstruction, mask)
            self.add_loss(self.reconstruction_weight * loss)
        if self.return_reconstruction:
            return code, reconstruction
        return code

    def compute_mask(self, inputs, previous_mask):
        if self.return_reconstruction:
            return (previous_mask, previous_mask)
        return previous_mask

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "output_dim": self.output_dim,
                "code_dim": self.code_dim,
                "encoder_units": self.encoder_units,
                "activation": keras.activations.serialize(self.activation),
                "output_activation": keras.activations.serialize(self.output_activation),
                "dropout": self.dropout,
                "reconstruction_weight": self.reconstruction_weight,
                "return_reconstruction": self.return_reconstruction,
                "use_decoder": self.use_decoder,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "seed": self.seed,
            }
        )
        return config


def masked_mse(target, prediction, mask=None):
    """Mean squared error over features, averaged over the steps with mask 1.

    Equals Keras 2 ``mse`` with ``sample_weight_mode="temporal"`` and a 0/1
    sample weight (sum of the weighted per-step errors divided by the number
    of non-zero weights). Returns a float32 scalar (0 when no step is valid).
    """
    target = ops.cast(target, "float32")
    prediction = ops.cast(prediction, "float32")
    per_step = ops.mean(ops.square(prediction - target), axis=-1)
    if mask is None:
        return ops.mean(per_step)
    weights = ops.cast(ops.cast(mask, "bool"), "float32")
    return ops.divide_no_nan(ops.sum(per_step * weights), ops.sum(weights))


def _clone_initializer(initializer):
    """A fresh copy, so sublayers sharing one seeded initializer differ."""
    if isinstance(initializer, keras.initializers.Initializer):
        return initializer.__class__.from_config(initializer.get_config())
    return initializer
