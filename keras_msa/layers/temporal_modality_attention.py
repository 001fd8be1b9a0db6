"""Temporal Modality Attention (TMA) of Qian et al. (the TMA paper)."""

import keras
from keras import ops

from keras_msa._checks import check_positive_int
from keras_msa._checks import check_rate
from keras_msa.layers.memory_fusion import MLPBlock
from keras_msa.layers.memory_fusion import _check_init_style
from keras_msa.layers.memory_fusion import _sub_seed
from keras_msa.layers.multi_attention import _check_int_list
from keras_msa.layers.multi_attention import _check_total_dim
from keras_msa.layers.multi_attention import _split_blocks


def _per_modality(name, value, count, check):
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"`{name}` must have {count} entries (one per modality). Received: {name}={value!r}")
        return [check(name, v) for v in value]
    return [check(name, value)] * count


@keras.saving.register_keras_serializable(package="keras_msa")
class TemporalModalityAttention(keras.layers.Layer):
    """Temporal Modality Attention: one weight per modality at each step.

    For the per-modality states ``s^m`` (blocks of the concatenated input,
    sizes ``input_dims``)::

        p^m   = D_m(s^m)                 projection into the common sentiment
                                         subspace (MLP, linear output, size S)
        alpha = softmax(D_p([s^1; ...; s^M]))      one weight per modality
        z     = sum_m alpha^m p^m

    ``D_m = MLP(h_m, projection_hidden_dims[m], S; projection_dropouts[m])``
    and ``D_p = MLP(T_h, attention_hidden_dim, M; attention_dropout)``, as in
    the reference code (``nn_l``/``nn_a``/``nn_v`` and ``att``). The reference
    hard-codes three modalities; any number ``M >= 1`` works here. ``alpha``
    is the quantity the paper visualises (its Figure 2).

    Args:
        input_dims: list of int. Sizes of the per-modality state blocks.
        subspace_dim: int. Size ``S`` of the common sentiment subspace.
        projection_hidden_dims: int or list of int. Hidden widths of the
            ``D_m`` (one per modality, or one for all).
        attention_hidden_dim: int. Hidden width of ``D_p``.
        projection_dropouts: float or list of float. Dropout inside each
            ``D_m``. Defaults to `0.0`.
        attention_dropout: float. Dropout inside ``D_p``. Defaults to `0.0`.
        init_style: ``"torch"`` or ``"keras"``. Defaults to `"torch"`.
        seed: int or None. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, sum(input_dims))`: the concatenated
            per-modality states (cell states in the reference code).
        training: bool. Whether dropout is active.
        return_modality_weights: bool. Also return ``alpha``,
            shape `(batch_size, M)`.

    Returns:
        ``z`` of shape `(batch_size, subspace_dim)` (and ``alpha``).

    Example:
    >>> tma = TemporalModalityAttention([8, 4, 4], subspace_dim=6, projection_hidden_dims=8,
    ...                                 attention_hidden_dim=8)
    >>> z, alpha = tma(np.zeros((2, 16)), return_modality_weights=True)
    >>> z.shape, alpha.shape
    ((2, 6), (2, 3))

    Reference:
        Qian et al., "Temporal Modality Attention for Multimodal Sentiment
        Analysis" (Eqs. 2-4); code ``qianfan1996/TMA`` ``models.py``
        (``TMAN1``, ``TMAN2``).
    """

    def __init__(
        self,
        input_dims,
        subspace_dim,
        projection_hidden_dims,
        attention_hidden_dim,
        projection_dropouts=0.0,
        attention_dropout=0.0,
        init_style="torch",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dims = _check_int_list("input_dims", input_dims)
        count = len(self.input_dims)
        self.subspace_dim = check_positive_int("subspace_dim", subspace_dim)
        self.projection_hidden_dims = _per_modality(
            "projection_hidden_dims", projection_hidden_dims, count, check_positive_int
        )
        self.attention_hidden_dim = check_positive_int("attention_hidden_dim", attention_hidden_dim)
        self.projection_dropouts = _per_modality("projection_dropouts", projection_dropouts, count, check_rate)
        self.attention_dropout = check_rate("attention_dropout", attention_dropout)
        self.init_style = _check_init_style(init_style)
        self.seed = seed
        self._projections = [
            MLPBlock(
                width,
                self.subspace_dim,
                dropout=rate,
                init_style=self.init_style,
                seed=_sub_seed(seed, 10 * i),
                dtype=self.dtype_policy,
                name=f"projection_{i}",
            )
            for i, (width, rate) in enumerate(zip(self.projection_hidden_dims, self.projection_dropouts))
        ]
        self._modality_attention = MLPBlock(
            self.attention_hidden_dim,
            count,
            dropout=self.attention_dropout,
            init_style=self.init_style,
            seed=_sub_seed(seed, 100),
            dtype=self.dtype_policy,
            name="modality_attention",
        )

    def build(self, input_shape):
        _check_total_dim(self, input_shape)
        for layer, dim in zip(self._projections, self.input_dims):
            layer.build((None, dim))
        self._modality_attention.build((None, sum(self.input_dims)))
        self.built = True

    def call(self, inputs, training=None, return_modality_weights=False):
        blocks = _split_blocks(inputs, self.input_dims)
        projected = ops.stack(
            [layer(block, training=training) for layer, block in zip(self._projections, blocks)], axis=1
        )  # (N, M, S)
        weights = ops.softmax(self._modality_attention(inputs, training=training), axis=-1)  # (N, M)
        z = ops.einsum("nm,nms->ns", weights, projected)
        if return_modality_weights:
            return z, weights
        return z

    def compute_output_spec(self, inputs, training=None, return_modality_weights=False):
        batch = inputs.shape[0]
        z = keras.KerasTensor((batch, self.subspace_dim), dtype=self.compute_dtype)
        if return_modality_weights:
            return z, keras.KerasTensor((batch, len(self.input_dims)), dtype=self.compute_dtype)
        return z

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dims": list(self.input_dims),
                "subspace_dim": self.subspace_dim,
                "projection_hidden_dims": list(self.projection_hidden_dims),
                "attention_hidden_dim": self.attention_hidden_dim,
                "projection_dropouts": list(self.projection_dropouts),
                "attention_dropout": self.attention_dropout,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config
