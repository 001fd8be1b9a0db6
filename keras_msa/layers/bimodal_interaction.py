"""Bimodal interaction block of CIA: BI_XY, M_XY and the context-aware attentions."""

import keras
from keras import ops

from keras_msa._checks import check_bool
from keras_msa._checks import check_positive_int
from keras_msa._checks import check_rate
from keras_msa.layers.context_attention import ContextAwareAttention

ATTENTION_DIRECTIONS = ("both", "paper")


@keras.saving.register_keras_serializable(package="keras_msa")
class BimodalInteraction(keras.layers.Layer):
    """CIA's per-pair block: bimodal interaction, IIM mean and CAM.

    For one unordered modality pair (X, Y) (CIA Alg. 1 and the authors'
    script):

    * ``BI_XY = Dropout(Dense(units, relu)(concat[U_X, U_Y]))`` per step,
      from the unimodal context representations ``U_X``, ``U_Y``;
    * ``M_XY = mean(C_XY, C_YX)`` of the context-encoded IIM codes of X->Y
      and Y->X (Keras ``Average``);
    * ``attention_directions="both"`` (the script, default):
      ``concat[CAM(BI, M), CAM(M, BI)]`` (width ``2 * units``);
      ``"paper"`` (Alg. 1): ``CAM(M, BI)`` only (width ``units``).

    With no IIM codes (``interaction_xy``/``interaction_yx`` omitted) the
    block computes ``CAM(BI, BI)`` (width ``units``): the paper's CIA - IIM
    ablation ("self-attention on the pair-wise fully-connected
    representations", Sec. 4.3). Neither paper nor code gives the exact
    ablation graph; this is the chosen reading.

    Masking: ``mask`` is used only when ``mask_attention_keys=True`` (padded
    key utterances excluded from the softmax, an improvement; the reference
    attends to them). The output carries the mask.

    Args:
        units: int. Width of the BI dense layer (``td_units``). The IIM codes
            must have this width too. Defaults to ``200``.
        dropout: float. Dropout after the BI dense layer (``drop1``).
            Defaults to ``0.5``.
        activation: activation of the BI dense layer. Defaults to ``"relu"``.
        attention_directions: ``"both"`` or ``"paper"`` (see above). Defaults
            to ``"both"``.
        mask_attention_keys: bool. Defaults to ``False`` (reference).
        kernel_initializer: BI dense kernel initializer. Defaults to
            ``"glorot_uniform"``.
        seed: optional int, dropout seed.
        **kwargs: base layer keyword arguments.

    Call arguments:
        context_x: ``(batch_size, steps, dx)``, ``U_X``.
        context_y: ``(batch_size, steps, dy)``, ``U_Y``.
        interaction_xy: optional ``(batch_size, steps, units)``, ``C_XY``.
        interaction_yx: optional ``(batch_size, steps, units)``, ``C_YX``.
            Give both or neither.
        mask: optional ``(batch_size, steps)`` bool or 0/1 mask of real steps.
        context_x_mask: the Keras mask of ``context_x``; filled in by Keras
            when ``context_x`` carries one and used when ``mask`` is not
            given, so masked inputs need no explicit ``mask``.
        training: bool.
        return_attention_scores: bool. Also return the attention matrices
            stacked as ``(batch_size, n, steps, steps)`` in output order
            (``n`` = 2 for ``"both"``: [CAM(BI, M), CAM(M, BI)]; else 1).

    Returns:
        ``(batch_size, steps, 2 * units)`` for ``"both"`` with IIM codes,
        else ``(batch_size, steps, units)``; plus the attention matrices on
        request.

    Example:

    >>> block = BimodalInteraction(units=200)
    >>> u_t, u_a = np.ones((2, 63, 200)), np.ones((2, 63, 200))
    >>> c_ta, c_at = np.ones((2, 63, 200)), np.ones((2, 63, 200))
    >>> block(u_t, u_a, c_ta, c_at).shape
    (2, 63, 400)

    Reference:
        D. S. Chauhan et al., "Context-aware Interactive Attention for
        Multi-modal Sentiment and Emotion Analysis", EMNLP-IJCNLP 2019,
        Alg. 1 and Fig. 1; script ``GussailRaat/EMNLP-19-IIM``.
    """

    def __init__(
        self,
        units=200,
        dropout=0.5,
        activation="relu",
        attention_directions="both",
        mask_attention_keys=False,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if attention_directions not in ATTENTION_DIRECTIONS:
            raise ValueError(
                f"`attention_directions` must be one of {ATTENTION_DIRECTIONS}. "
                f"Received: attention_directions={attention_directions!r}"
            )
        self.units = check_positive_int("units", units)
        self.dropout = check_rate("dropout", dropout)
        self.activation = keras.activations.get(activation)
        self.attention_directions = attention_directions
        self.mask_attention_keys = check_bool("mask_attention_keys", mask_attention_keys)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = seed
        self.supports_masking = True

        self._bi_dense = keras.layers.Dense(
            self.units,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="bi_dense",
        )
        self._bi_dropout = keras.layers.Dropout(self.dropout, seed=seed, dtype=self.dtype_policy, name="bi_dropout")
        self._attention_bi_m = ContextAwareAttention(
            mask_keys=self.mask_attention_keys, dtype=self.dtype_policy, name="attention_bi_m"
        )
        self._attention_m_bi = ContextAwareAttention(
            mask_keys=self.mask_attention_keys, dtype=self.dtype_policy, name="attention_m_bi"
        )

    def build(self, context_x_shape, context_y_shape, interaction_xy_shape=None, interaction_yx_shape=None):
        context_x_shape = tuple(context_x_shape)
        concat_dim = context_x_shape[-1] + tuple(context_y_shape)[-1]
        self._bi_dense.build(context_x_shape[:-1] + (concat_dim,))
        shape = context_x_shape[:-1] + (self.units,)
        self._bi_dropout.build(shape)
        for code_shape, arg in ((interaction_xy_shape, "interaction_xy"), (interaction_yx_shape, "interaction_yx")):
            if code_shape is not None and code_shape[-1] != self.units:
                raise ValueError(
                    f"`{arg}` must have width units={self.units} (it is averaged and attended with BI). "
                    f"Received: {arg}_shape={tuple(code_shape)}"
                )
        self._attention_bi_m.build(shape, shape)
        self._attention_m_bi.build(shape, shape)
        self.built = True

    def call(
        self,
        context_x,
        context_y,
        interaction_xy=None,
        interaction_yx=None,
        mask=None,
        context_x_mask=None,
        training=None,
        return_attention_scores=False,
    ):
        if (interaction_xy is None) != (interaction_yx is None):
            raise ValueError(
                "Pass both `interaction_xy` and `interaction_yx` (CIA) or neither (CIA - IIM ablation). "
                f"Received: interaction_xy={'None' if interaction_xy is None else 'a tensor'}, "
                f"interaction_yx={'None' if interaction_yx is None else 'a tensor'}"
            )
        bi = self._bi_dense(ops.concatenate([context_x, context_y], axis=-1))
        bi = self._bi_dropout(bi, training=training)
        if mask is None:
            mask = context_x_mask
        kwargs = {"value_mask": mask} if mask is not None else {}
        if interaction_xy is None:
            outputs, weights = self._attention_bi_m(bi, bi, return_attention_scores=True, **kwargs)
            outputs, weights = [outputs], [weights]
        else:
            m = (interaction_xy + interaction_yx) / 2.0
            outputs, weights = [], []
            if self.attention_directions == "both":
                out, w = self._attention_bi_m(bi, m, return_attention_scores=True, **kwargs)
                outputs.append(out)
                weights.append(w)
            out, w = self._attention_m_bi(m, bi, return_attention_scores=True, **kwargs)
            outputs.append(out)
            weights.append(w)
        output = outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=-1)
        if return_attention_scores:
            return output, ops.stack(weights, axis=1)
        return output

    def compute_mask(self, inputs, previous_mask):
        if previous_mask is None:
            return None
        return ops.cast(previous_mask, "bool")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "dropout": self.dropout,
                "activation": keras.activations.serialize(self.activation),
                "attention_directions": self.attention_directions,
                "mask_attention_keys": self.mask_attention_keys,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "seed": self.seed,
            }
        )
        return config
