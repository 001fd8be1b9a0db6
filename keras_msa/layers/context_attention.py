"""Context-aware Attention Module (CAM) of CIA."""

import keras
from keras import ops

from keras_msa._checks import check_bool
from keras_msa._checks import check_positive_int


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


@keras.saving.register_keras_serializable(package="keras_msa")
class ModalitySelfAttention(keras.layers.Layer):
    """Self-attention across the modalities of each step (MMMU-BA's MMUU-SA).

    The input holds, for every step (utterance) ``t``, the ``M`` modality
    vectors of width ``dim`` side by side (``M * dim`` features, as
    ``Concatenate`` makes them). Per step they attend to each other with the
    parameter-free gated operator of :class:`ContextAwareAttention`::

        X_t = the M vectors of step t          (M x dim)
        W_t = softmax_lastaxis(X_t X_t^T)      (M x M)
        A_t = (W_t X_t) * X_t                  (M x dim)

    and ``A_t`` is returned side by side again (``M * dim`` features, same
    order). This is the "multi-modal uni-utterance self-attention" variant
    of Ghosal et al. (2018): information flows only between the modalities
    of one step, never between steps. The authors' script stacks the
    modalities of each utterance (video, audio, text), applies the attention
    and reshapes the result to ``(steps, 3 * dim)``: the same computation.

    Masking: nothing is attended across steps, so padded steps cannot leak
    into real ones; their outputs are computed and should be masked in the
    loss. The output carries the input's step mask.

    Args:
        num_modalities: int. ``M``, the number of equal-width vectors per
            step. Defaults to ``3``.
        **kwargs: base layer keyword arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: float tensor ``(batch_size, steps, num_modalities * dim)``.
        mask: optional ``(batch_size, steps)`` step mask, passed through.
        return_attention_scores: bool. Also return the weights.

    Returns:
        ``(batch_size, steps, num_modalities * dim)``, and with
        ``return_attention_scores=True`` also the softmax weights
        ``(batch_size, steps, num_modalities, num_modalities)`` (rows sum
        to 1; row ``i`` = the weights of modality ``i`` over the modalities).

    Example:

    >>> layer = ModalitySelfAttention(num_modalities=3)
    >>> out, weights = layer(np.random.rand(2, 5, 24), return_attention_scores=True)
    >>> out.shape, weights.shape
    ((2, 5, 24), (2, 5, 3, 3))

    Reference:
        D. Ghosal, M. S. Akhtar, D. Chauhan, S. Poria, A. Ekbal,
        P. Bhattacharyya. "Contextual Inter-modal Attention for Multi-modal
        Sentiment Analysis", EMNLP 2018 (MMUU-SA).
    """

    def __init__(self, num_modalities=3, **kwargs):
        super().__init__(**kwargs)
        self.num_modalities = check_positive_int("num_modalities", num_modalities)
        self.supports_masking = True
        self._softmax = keras.layers.Softmax(axis=-1, dtype=self.dtype_policy, name="softmax")

    def build(self, inputs_shape):
        width = inputs_shape[-1]
        if len(inputs_shape) != 3 or width is None or width % self.num_modalities:
            raise ValueError(
                f"`inputs` must be (batch_size, steps, num_modalities * dim) with a known last axis divisible by "
                f"num_modalities={self.num_modalities}. Received: inputs_shape={tuple(inputs_shape)}"
            )
        self._dim = width // self.num_modalities
        self._softmax.build(tuple(inputs_shape[:2]) + (self.num_modalities, self.num_modalities))
        self.built = True

    def call(self, inputs, mask=None, return_attention_scores=False):
        d = self._dim
        vectors = ops.stack([inputs[:, :, i * d:(i + 1) * d] for i in range(self.num_modalities)], axis=2)
        weights = self._softmax(ops.einsum("btmd,btnd->btmn", vectors, vectors))
        attended = ops.einsum("btmn,btnd->btmd", weights, vectors) * vectors
        output = ops.concatenate([attended[:, :, i, :] for i in range(self.num_modalities)], axis=-1)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False):
        output = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        if return_attention_scores:
            m = self.num_modalities
            return output, keras.KerasTensor(tuple(inputs.shape[:2]) + (m, m), dtype=self.compute_dtype)
        return output

    def get_config(self):
        config = super().get_config()
        config.update({"num_modalities": self.num_modalities})
        return config
