"""Context-aware Attention Module (CAM) of CIA."""

import keras
from keras import ops

from keras_msa._checks import check_bool


@keras.saving.register_keras_serializable(package="keras_msa")
class ContextAwareAttention(keras.layers.Layer):
    """Context-aware attention over the utterances of a video, with gating.

    ``CAM(p, q) = (softmax_lastaxis(p q^T) q) * p`` (CIA, Alg. 3: ``P = M BI^T``,
    ``N`` = softmax of ``P`` over the key utterances, ``O = N BI``,
    ``A = O * M``, the multiplicative gating of Dhingra et al. 2016). Every
    query step attends to every key step of the same sample; the attended
    summary is gated element-wise by the query. No projection weights: this
    is the parameter-free attention built from ``Dot`` / ``Activation`` /
    ``Multiply`` merge layers in the MMMU-BA / CIM / CIA scripts
    (``dot(axes=[2, 2])`` -> ``softmax`` on the last axis -> ``dot(axes=[2,
    1])`` -> ``multiply`` with the query).

    Masking: in the reference code the merge layers drop the Keras mask, so
    padded key utterances receive attention weight (``mask_keys=False``, the
    default, for parity). ``mask_keys=True`` (not in the paper or the code;
    the recommended improvement) excludes key steps whose ``value_mask`` is 0
    from the softmax. Padded query rows are computed either way; mask the
    loss. The output carries the query's mask.

    Args:
        mask_keys: bool. Exclude padded key steps (``value_mask == 0``) from
            the softmax. Defaults to ``False`` (reference behaviour).
        **kwargs: base layer keyword arguments (``name``, ``dtype``, ...).

    Call arguments:
        query: float tensor ``(batch_size, query_steps, dim)`` (``p``, the
            ``M`` of Alg. 3); also the gate.
        value: float tensor ``(batch_size, key_steps, dim)`` (``q``, the
            ``BI`` of Alg. 3); used as key and value.
        query_mask: optional ``(batch_size, query_steps)`` mask; filled from
            the Keras mask of ``query``; becomes the output mask.
        value_mask: optional ``(batch_size, key_steps)`` bool or 0/1 mask;
            filled from the Keras mask of ``value``; used only with
            ``mask_keys=True``.
        return_attention_scores: bool. Also return the attention matrix.

    Returns:
        ``(batch_size, query_steps, dim)`` gated attention output, and with
        ``return_attention_scores=True`` also the softmax weights
        ``(batch_size, query_steps, key_steps)`` (rows sum to 1), the
        matrices of the paper's Figure 3 heatmaps.

    Example:

    >>> cam = ContextAwareAttention()
    >>> m, bi = np.random.rand(2, 5, 8), np.random.rand(2, 5, 8)
    >>> out, weights = cam(m, bi, return_attention_scores=True)
    >>> out.shape, weights.shape
    ((2, 5, 8), (2, 5, 5))

    Reference:
        D. S. Chauhan, M. S. Akhtar, A. Ekbal, P. Bhattacharyya.
        "Context-aware Interactive Attention for Multi-modal Sentiment and
        Emotion Analysis", EMNLP-IJCNLP 2019, Alg. 3;
        D. Ghosal et al., "Contextual Inter-modal Attention for Multi-modal
        Sentiment Analysis", EMNLP 2018 (the same operator, MMMU-BA).
    """

    def __init__(self, mask_keys=False, **kwargs):
        super().__init__(**kwargs)
        self.mask_keys = check_bool("mask_keys", mask_keys)
        self.supports_masking = True
        self._softmax = keras.layers.Softmax(axis=-1, dtype=self.dtype_policy, name="softmax")

    def build(self, query_shape, value_shape):
        if query_shape[-1] is not None and value_shape[-1] is not None and query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "`query` and `value` must have the same last dimension (the CAM dot product needs it). "
                f"Received: query_shape={tuple(query_shape)}, value_shape={tuple(value_shape)}"
            )
        self._softmax.build(tuple(query_shape[:-1]) + (value_shape[1],))
        self.built = True

    def call(
        self,
        query,
        value,
        query_mask=None,
        value_mask=None,
        return_attention_scores=False,
    ):
        scores = ops.matmul(query, ops.transpose(value, (0, 2, 1)))
        if self.mask_keys and value_mask is not None:
            key_mask = ops.expand_dims(ops.cast(value_mask, "bool"), axis=1)
            weights = self._softmax(scores, mask=key_mask)
        else:
            weights = self._softmax(scores)
        attended = ops.matmul(weights, value)
        output = attended * query
        if return_attention_scores:
            return output, weights
        return output

    def compute_output_spec(self, query, value, query_mask=None, value_mask=None, return_attention_scores=False):
        output = keras.KerasTensor(query.shape, dtype=self.compute_dtype)
        if return_attention_scores:
            weights = keras.KerasTensor(
                (query.shape[0], query.shape[1], value.shape[1]), dtype=self.compute_dtype
            )
            return output, weights
        return output

    def get_config(self):
        config = super().get_config()
        config.update({"mask_keys": self.mask_keys})
        return config
