"""Multi-attention Block (MAB) of the Multi-attention Recurrent Network (MARN)."""

import keras
from keras import ops

from keras_msa._checks import check_positive_int
from keras_msa._checks import check_rate
from keras_msa.layers.memory_fusion import MLPBlock
from keras_msa.layers.memory_fusion import _check_init_style
from keras_msa.layers.memory_fusion import _dense
from keras_msa.layers.memory_fusion import _sub_seed

SOFTMAX_MODES = ("per_attention", "global")


def _check_int_list(name, values, length=None):
    if isinstance(values, (int,)) or values is None:
        raise ValueError(f"`{name}` must be a list of positive integers. Received: {name}={values!r}")
    values = [check_positive_int(name, v) for v in values]
    if not values:
        raise ValueError(f"`{name}` must not be empty. Received: {name}={values!r}")
    if length is not None and len(values) != length:
        raise ValueError(f"`{name}` must have {length} entries (one per modality). Received: {name}={values!r}")
    return values


def _check_total_dim(layer, input_shape):
    """The last input dimension must be ``sum(layer.input_dims)``."""
    total = sum(layer.input_dims)
    if input_shape[-1] != total:
        raise ValueError(
            f"{layer.name}: the last input dimension must equal sum(input_dims)={total} "
            f"(input_dims={layer.input_dims}). Received: input_shape={input_shape}"
        )


def _split_blocks(x, sizes):
    """Consecutive slices of ``x``'s last axis with the given sizes."""
    blocks, offset = [], 0
    for size in sizes:
        blocks.append(x[..., offset: offset + size])
        offset += size
    return blocks


@keras.saving.register_keras_serializable(package="keras_msa")
class MultiAttentionBlock(keras.layers.Layer):
    """MARN's Multi-attention Block: K attentions over the concatenated states.

    With ``c`` the concatenation of the per-modality cell states
    (``input_dims`` gives the block sizes, total ``T_h``):

    1. ``A = Dense(T_h -> K*T_h)(c)`` reshaped to `(N, K, T_h)`;
       ``softmax_mode="per_attention"`` (default, TMA code) normalises each of
       the K chunks separately; ``"global"`` (CMU-MultimodalSDK
       ``MultipleAttentionFusion``) applies one softmax over all ``K*T_h``
       logits.
    2. ``a^k * c`` for k = 1..K.
    3. Per modality m: its ``h_m`` dims of every attended vector, flattened
       k-major (``[k=0 | k=1 | ...]``), reduced by ``Dense(K*h_m -> r_m)``
       (linear, no dropout).
    4. ``z = MLP(sum r, map_hidden_dim, output_dim; map_dropout)`` (linear
       output).

    The SDK also repeats ``c`` modality-major instead of k-major; that only
    permutes the rows of each reduce kernel (same function class), so one
    layout (the TMA code's, k-major) is implemented for both softmax modes.

    Args:
        input_dims: list of int. Sizes of the per-modality blocks of the
            input (``[h_l, h_a, h_v]``).
        num_attentions: int. Number of attentions K. Defaults to `4`.
        reduce_dims: list of int. Reduced size ``r_m`` per modality.
        map_hidden_dim: int. Hidden width of the map network ``G``.
        map_dropout: float. Dropout inside ``G``. Defaults to `0.0`.
        output_dim: int or None. Size of ``z``; `None` = ``T_h`` (MARN).
            Defaults to `None`.
        softmax_mode: ``"per_attention"`` or ``"global"``.
            Defaults to `"per_attention"`.
        init_style: ``"torch"`` or ``"keras"``. Defaults to `"torch"`.
        seed: int or None. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, sum(input_dims))`.
        training: bool. Whether dropout is active.
        return_attention_scores: bool. Also return the K attention
            distributions, shape `(batch_size, K, sum(input_dims))`.

    Returns:
        ``z`` of shape `(batch_size, output_dim)` (and the scores).

    Example:
    >>> mab = MultiAttentionBlock([8, 4, 4], num_attentions=2, reduce_dims=[4, 2, 2], map_hidden_dim=8)
    >>> mab(np.zeros((3, 16))).shape
    (3, 16)

    Reference:
        Zadeh et al., "Multi-attention Recurrent Network for Human
        Communication Comprehension", AAAI 2018; ``qianfan1996/TMA``
        ``models.py::MARN``.
    """

    def __init__(
        self,
        input_dims,
        num_attentions=4,
        reduce_dims=None,
        map_hidden_dim=32,
        map_dropout=0.0,
        output_dim=None,
        softmax_mode="per_attention",
        init_style="torch",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dims = _check_int_list("input_dims", input_dims)
        self.num_attentions = check_positive_int("num_attentions", num_attentions)
        self.reduce_dims = _check_int_list("reduce_dims", reduce_dims, len(self.input_dims))
        self.map_hidden_dim = check_positive_int("map_hidden_dim", map_hidden_dim)
        self.map_dropout = check_rate("map_dropout", map_dropout)
        self.output_dim = None if output_dim is None else check_positive_int("output_dim", output_dim)
        if softmax_mode not in SOFTMAX_MODES:
            raise ValueError(f"`softmax_mode` must be one of {SOFTMAX_MODES}. Received: softmax_mode={softmax_mode!r}")
        self.softmax_mode = softmax_mode
        self.init_style = _check_init_style(init_style)
        self.seed = seed

        self._total_dim = sum(self.input_dims)
        k = self.num_attentions
        self._attention = _dense(
            k * self._total_dim, self._total_dim, self.init_style, _sub_seed(seed, 0), "attention", self.dtype_policy
        )
        self._reduce = [
            _dense(r, k * h, self.init_style, _sub_seed(seed, 10 + 2 * i), f"reduce_{i}", self.dtype_policy)
            for i, (h, r) in enumerate(zip(self.input_dims, self.reduce_dims))
        ]
        self._map = MLPBlock(
            self.map_hidden_dim,
            self.output_dim or self._total_dim,
            dropout=self.map_dropout,
            init_style=self.init_style,
            seed=_sub_seed(seed, 100),
            dtype=self.dtype_policy,
            name="map",
        )

    def build(self, input_shape):
        _check_total_dim(self, input_shape)
        k = self.num_attentions
        self._attention.build((None, self._total_dim))
        for dense, h in zip(self._reduce, self.input_dims):
            dense.build((None, k * h))
        self._map.build((None, sum(self.reduce_dims)))
        self.built = True

    def call(self, inputs, training=None, return_attention_scores=False):
        k, total = self.num_attentions, self._total_dim
        logits = self._attention(inputs)
        if self.softmax_mode == "per_attention":
            scores = ops.softmax(ops.reshape(logits, (-1, k, total)), axis=-1)
        else:
            scores = ops.reshape(ops.softmax(logits, axis=-1), (-1, k, total))
        attended = scores * ops.expand_dims(inputs, 1)
        reduced = [
            dense(ops.reshape(block, (-1, k * h)))
            for dense, h, block in zip(self._reduce, self.input_dims, _split_blocks(attended, self.input_dims))
        ]
        z = self._map(ops.concatenate(reduced, axis=-1), training=training)
        if return_attention_scores:
            return z, scores
        return z

    def compute_output_spec(self, inputs, training=None, return_attention_scores=False):
        batch = inputs.shape[0]
        z = keras.KerasTensor((batch, self.output_dim or self._total_dim), dtype=self.compute_dtype)
        if return_attention_scores:
            return z, keras.KerasTensor((batch, self.num_attentions, self._total_dim), dtype=self.compute_dtype)
        return z

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dims": list(self.input_dims),
                "num_attentions": self.num_attentions,
                "reduce_dims": list(self.reduce_dims),
                "map_hidden_dim": self.map_hidden_dim,
                "map_dropout": self.map_dropout,
                "output_dim": self.output_dim,
                "softmax_mode": self.softmax_mode,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config
