"""Coupled multimodal recurrences of MARN, MARN(TMA), MFN and MFN(TMA).

All four models update every modality's recurrent state and one shared
cross-modal state (MARN's hybrid memory ``z`` or MFN's gated memory ``u``)
together at every step, with dropout inside the step (in the fusion MLPs).
Each recurrence is one layer that loops over the static number of steps in
Python and calls its sublayers per step (no ``keras.layers.RNN``: dropout
inside a scanned cell is not supported on every backend, see
``shared/reference/recurrent.md`` section 12). All states start at zeros and
the readout is the states after the last step, as in the reference code.
"""

import keras
from keras import ops

from keras_msa._checks import check_bool
from keras_msa._checks import check_positive_int
from keras_msa.layers.lsthm import LSTHMCell
from keras_msa.layers.memory_fusion import DeltaMemoryAttention
from keras_msa.layers.memory_fusion import MultiViewGatedMemory
from keras_msa.layers.memory_fusion import TorchLSTMCell
from keras_msa.layers.memory_fusion import _check_init_style
from keras_msa.layers.memory_fusion import _sub_seed
from keras_msa.layers.multi_attention import MultiAttentionBlock
from keras_msa.layers.multi_attention import _check_int_list
from keras_msa.layers.multi_attention import _check_total_dim
from keras_msa.layers.multi_attention import _split_blocks
from keras_msa.layers.temporal_modality_attention import TemporalModalityAttention

TMA_INPUTS = ("cell", "hidden")


class _CoupledRecurrence(keras.layers.Layer):
    """Shared plumbing: input splitting, static-length check, step masks."""

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.name}: expected inputs of shape (batch_size, steps, sum(input_dims)). "
                f"Received: input_shape={input_shape}"
            )
        if input_shape[1] is None:
            raise ValueError(
                f"{self.name}: the number of steps must be static (the recurrence is unrolled over it); "
                f"give the input a fixed length, e.g. keras.Input((20, d)). Received: input_shape={input_shape}"
            )
        _check_total_dim(self, input_shape)

    def _split(self, inputs):
        steps = inputs.shape[1]
        if steps is None:
            raise ValueError(
                f"{self.name}: the number of steps must be static (the recurrence is unrolled over it). "
                f"Received: inputs.shape={inputs.shape}"
            )
        return _split_blocks(inputs, self.input_dims), int(steps)

    def _step_mask(self, mask):
        if not self.use_mask or mask is None:
            return None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is None:
            return None
        return ops.cast(mask, "bool")

    @staticmethod
    def _keep(keep, new, old):
        return new if keep is None else ops.where(keep, new, old)

    def _set_tma_args(self, subspace_dim, projection_hidden_dims, projection_dropouts, attention_hidden_dim,
                      attention_dropout, tma_input):
        self.tma_subspace_dim = subspace_dim
        self.tma_projection_hidden_dims = (
            list(projection_hidden_dims) if isinstance(projection_hidden_dims, (list, tuple))
            else projection_hidden_dims
        )
        self.tma_projection_dropouts = (
            list(projection_dropouts) if isinstance(projection_dropouts, (list, tuple))
            else projection_dropouts
        )
        self.tma_attention_hidden_dim = attention_hidden_dim
        self.tma_attention_dropout = attention_dropout
        if tma_input not in TMA_INPUTS:
            raise ValueError(f"`tma_input` must be one of {TMA_INPUTS}. Received: tma_input={tma_input!r}")
        self.tma_input = tma_input

    def _set_output_args(self, fusion, use_mask, return_modality_weights, init_style, seed):
        self.use_mask = check_bool("use_mask", use_mask)
        return_modality_weights = check_bool("return_modality_weights", return_modality_weights)
        if return_modality_weights and fusion != "tma":
            raise ValueError(
                "`return_modality_weights=True` needs fusion='tma' (only the temporal modality attention "
                f"has modality weights). Received: fusion={fusion!r}"
            )
        self.return_modality_weights = return_modality_weights
        self.init_style = _check_init_style(init_style)
        self.seed = seed

    def _make_tma(self):
        return TemporalModalityAttention(
            self.hidden_dims,
            subspace_dim=self.tma_subspace_dim,
            projection_hidden_dims=self.tma_projection_hidden_dims,
            attention_hidden_dim=self.tma_attention_hidden_dim,
            projection_dropouts=self.tma_projection_dropouts,
            attention_dropout=self.tma_attention_dropout,
            init_style=self.init_style,
            seed=_sub_seed(self.seed, 1000),
            dtype=self.dtype_policy,
            name="temporal_modality_attention",
        )

    def _tma_config(self):
        return {
            "tma_subspace_dim": self.tma_subspace_dim,
            "tma_projection_hidden_dims": self.tma_projection_hidden_dims,
            "tma_projection_dropouts": self.tma_projection_dropouts,
            "tma_attention_hidden_dim": self.tma_attention_hidden_dim,
            "tma_attention_dropout": self.tma_attention_dropout,
            "tma_input": self.tma_input,
        }

    def _start(self, inputs, mask, shared_dim):
        """Split and project the inputs; zero ``h``, ``c`` and the shared state."""
        parts, steps = self._split(inputs)
        step_mask = self._step_mask(mask)
        projected = [cell.project_inputs(x) for cell, x in zip(self._cells, parts)]
        batch = ops.shape(inputs)[0]
        dtype = self.compute_dtype
        hs = [ops.zeros((batch, h), dtype=dtype) for h in self.hidden_dims]
        cs = [ops.zeros((batch, h), dtype=dtype) for h in self.hidden_dims]
        shared = ops.zeros((batch, shared_dim), dtype=dtype)
        return projected, steps, step_mask, hs, cs, shared

    def _step_cells(self, projected, t, hs, cs, *extra):
        new_hs, new_cs = [], []
        for m, cell in enumerate(self._cells):
            h, (_, c) = cell.step(projected[m][:, t, :], [hs[m], cs[m]], *extra)
            new_hs.append(h)
            new_cs.append(c)
        return new_hs, new_cs

    def _attend_tma(self, states, keep, weights, training):
        """TMA fusion of one step; records the (masked) modality weights if requested."""
        fused, alpha = self._fusion_layer(states, training=training, return_modality_weights=True)
        if self.return_modality_weights:
            weights.append(self._keep(keep, alpha, ops.zeros_like(alpha)))
        return fused

    def _finish(self, hs, shared, weights):
        output = ops.concatenate(hs + [shared], axis=-1)
        if self.return_modality_weights:
            return output, ops.stack(weights, axis=1)
        return output

    def compute_output_spec(self, inputs, mask=None, training=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        out = keras.KerasTensor((batch, self.output_dim), dtype=self.compute_dtype)
        if self.return_modality_weights:
            return out, keras.KerasTensor((batch, steps, len(self.input_dims)), dtype=self.compute_dtype)
        return out

    def compute_mask(self, inputs, mask=None):
        if self.return_modality_weights:
            return [None, None]
        return None


@keras.saving.register_keras_serializable(package="keras_msa")
class MARNRecurrence(_CoupledRecurrence):
    """LSTHMs coupled through a hybrid memory: MARN and MARN(TMA) recurrence.

    Per step t, for every modality m (``input_dims`` / ``hidden_dims`` in
    modality order, for example language, audio, visual)::

        (h_t^m, c_t^m) = LSTHM_m(x_t^m, h_{t-1}^m, c_{t-1}^m, z_{t-1})
        z_t = fusion([c_t^1; ...; c_t^M])

    with ``fusion="mab"`` the Multi-attention Block (MARN; ``z`` of size
    ``T_h = sum(hidden_dims)``) or ``fusion="tma"`` the Temporal Modality
    Attention (MARN(TMA), the TMA code's ``TMAN2``; ``z`` of size
    ``tma_subspace_dim``). All LSTHMs read the same ``z_{t-1}`` (zeros at t=0).
    The fusion sees the **cell** states, as in the reference code; the TMA
    paper's text says hidden states: ``tma_input="hidden"`` is that variant.

    Masking: the reference code runs zero padding through the recurrence,
    which is the default (``use_mask=False``). With ``use_mask=True`` a Keras
    mask on the input (for example from ``keras.layers.Masking``) freezes every
    state at padded steps (modality weights there are returned as zeros).

    Args:
        input_dims: list of int. Feature sizes of the modalities, in the order
            they are concatenated on the input's last axis.
        hidden_dims: list of int. LSTHM sizes ``h_m``.
        fusion: ``"mab"`` or ``"tma"``. Defaults to `"mab"`.
        mab_num_attentions: int. K of the MAB. Defaults to `4`.
        mab_reduce_dims: list of int. Per-modality reduce sizes of the MAB
            (required with ``fusion="mab"``).
        mab_map_hidden_dim: int. Hidden width of the MAB map network.
            Defaults to `32`.
        mab_map_dropout: float. Defaults to `0.0`.
        mab_softmax: ``"per_attention"`` (TMA code) or ``"global"`` (SDK).
            Defaults to `"per_attention"`.
        tma_subspace_dim: int. Sentiment-subspace size S (= hybrid size).
            Defaults to `128`.
        tma_projection_hidden_dims: int or list of int. Defaults to `64`.
        tma_projection_dropouts: float or list of float. Defaults to `0.0`.
        tma_attention_hidden_dim: int. Defaults to `64`.
        tma_attention_dropout: float. Defaults to `0.0`.
        tma_input: ``"cell"`` (reference code) or ``"hidden"`` (paper text).
            Defaults to `"cell"`.
        use_mask: bool. Honour input masks (see above). Defaults to `False`.
        return_modality_weights: bool. Also return the TMA weights of every
            step, `(batch_size, steps, M)` (``fusion="tma"`` only).
            Defaults to `False`.
        init_style: ``"torch"`` or ``"keras"``. Defaults to `"torch"`.
        seed: int or None. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, steps, sum(input_dims))` with a static
            number of steps.
        mask: optional boolean `(batch_size, steps)` (used if ``use_mask``).
        training: bool. Whether dropout is active.

    Returns:
        ``concat([h_T^1, ..., h_T^M, z_T])`` of shape
        `(batch_size, sum(hidden_dims) + hybrid_dim)`, and the modality
        weights if ``return_modality_weights``.

    Example:
    >>> rec = MARNRecurrence([6, 4], [8, 4], fusion="tma", tma_subspace_dim=5,
    ...                      tma_projection_hidden_dims=8, tma_attention_hidden_dim=8,
    ...                      return_modality_weights=True)
    >>> out, alpha = rec(np.zeros((2, 7, 10)))
    >>> out.shape, alpha.shape
    ((2, 17), (2, 7, 2))

    Reference:
        Zadeh et al., "Multi-attention Recurrent Network for Human
        Communication Comprehension", AAAI 2018; Qian et al., "Temporal
        Modality Attention for Multimodal Sentiment Analysis" (code
        ``qianfan1996/TMA`` ``models.py::MARN`` / ``TMAN2``).
    """

    def __init__(
        self,
        input_dims,
        hidden_dims,
        fusion="mab",
        mab_num_attentions=4,
        mab_reduce_dims=None,
        mab_map_hidden_dim=32,
        mab_map_dropout=0.0,
        mab_softmax="per_attention",
        tma_subspace_dim=128,
        tma_projection_hidden_dims=64,
        tma_projection_dropouts=0.0,
        tma_attention_hidden_dim=64,
        tma_attention_dropout=0.0,
        tma_input="cell",
        use_mask=False,
        return_modality_weights=False,
        init_style="torch",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dims = _check_int_list("input_dims", input_dims)
        self.hidden_dims = _check_int_list("hidden_dims", hidden_dims, len(self.input_dims))
        if fusion not in ("mab", "tma"):
            raise ValueError(f"`fusion` must be 'mab' or 'tma'. Received: fusion={fusion!r}")
        self.fusion = fusion
        self.mab_num_attentions = mab_num_attentions
        self.mab_reduce_dims = None if mab_reduce_dims is None else list(mab_reduce_dims)
        self.mab_map_hidden_dim = mab_map_hidden_dim
        self.mab_map_dropout = mab_map_dropout
        self.mab_softmax = mab_softmax
        self._set_tma_args(tma_subspace_dim, tma_projection_hidden_dims, tma_projection_dropouts,
                           tma_attention_hidden_dim, tma_attention_dropout, tma_input)
        self._set_output_args(fusion, use_mask, return_modality_weights, init_style, seed)

        total = sum(self.hidden_dims)
        if fusion == "mab":
            if mab_reduce_dims is None:
                raise ValueError("`mab_reduce_dims` (one reduce size per modality) is required with fusion='mab'.")
            self._fusion_layer = MultiAttentionBlock(
                self.hidden_dims,
                num_attentions=mab_num_attentions,
                reduce_dims=self.mab_reduce_dims,
                map_hidden_dim=mab_map_hidden_dim,
                map_dropout=mab_map_dropout,
                output_dim=total,
                softmax_mode=mab_softmax,
                init_style=self.init_style,
                seed=_sub_seed(seed, 1000),
                dtype=self.dtype_policy,
                name="multi_attention",
            )
            self._hybrid_dim = total
        else:
            self._fusion_layer = self._make_tma()
            self._hybrid_dim = check_positive_int("tma_subspace_dim", tma_subspace_dim)
        self._cells = [
            LSTHMCell(
                h,
                hybrid_dim=self._hybrid_dim,
                init_style=self.init_style,
                seed=_sub_seed(seed, 10 * i),
                dtype=self.dtype_policy,
                name=f"lsthm_{i}",
            )
            for i, h in enumerate(self.hidden_dims)
        ]

    @property
    def output_dim(self):
        """Size of the returned representation: ``sum(hidden_dims) + hybrid_dim``."""
        return sum(self.hidden_dims) + self._hybrid_dim

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        for cell, dim in zip(self._cells, self.input_dims):
            cell.build((None, dim + self._hybrid_dim))
        self._fusion_layer.build((None, sum(self.hidden_dims)))
        self.built = True

    def call(self, inputs, mask=None, training=None):
        projected, steps, step_mask, hs, cs, z = self._start(inputs, mask, self._hybrid_dim)
        weights = []
        for t in range(steps):
            keep = None if step_mask is None else step_mask[:, t: t + 1]
            new_hs, new_cs = self._step_cells(projected, t, hs, cs, z)
            source = new_cs if self.tma_input == "cell" or self.fusion == "mab" else new_hs
            states = ops.concatenate(source, axis=-1)
            if self.fusion == "tma":
                new_z = self._attend_tma(states, keep, weights, training)
            else:
                new_z = self._fusion_layer(states, training=training)
            hs = [self._keep(keep, n, o) for n, o in zip(new_hs, hs)]
            cs = [self._keep(keep, n, o) for n, o in zip(new_cs, cs)]
            z = self._keep(keep, new_z, z)
        return self._finish(hs, z, weights)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dims": list(self.input_dims),
                "hidden_dims": list(self.hidden_dims),
                "fusion": self.fusion,
                "mab_num_attentions": self.mab_num_attentions,
                "mab_reduce_dims": self.mab_reduce_dims,
                "mab_map_hidden_dim": self.mab_map_hidden_dim,
                "mab_map_dropout": self.mab_map_dropout,
                "mab_softmax": self.mab_softmax,
                **self._tma_config(),
                "use_mask": self.use_mask,
                "return_modality_weights": self.return_modality_weights,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_msa")
class MFNRecurrence(_CoupledRecurrence):
    """System of LSTMs with a gated memory: MFN and MFN(TMA) recurrence.

    Per step t: every modality's LSTM updates independently (no feedback
    from the memory), then, with ``c_t`` the concatenated cell states,

    * ``fusion="dman"`` (MFN): ``x_t = DMAN(c_t, c_{t-1})`` - the
      Delta-memory Attention over ``[c_{t-1}; c_t]`` (``dman_window=2``,
      original MFN) or over ``c_t`` alone (``dman_window=1``, the TMA code's
      MFN baseline);
    * ``fusion="tma"`` (MFN(TMA), the TMA code's ``TMAN1``): ``x_t`` is the
      Temporal Modality Attention output (size ``tma_subspace_dim``);

    and the Multi-view Gated Memory updates ``u_t`` from ``x_t`` and
    ``u_{t-1}`` (zeros at t=0).

    The LSTMs are :class:`TorchLSTMCell` (PyTorch layout, two bias vectors
    as the reference; ``lstm_recurrent_bias=False`` gives Keras' single-bias
    cell, ``4 * sum(hidden_dims)`` fewer parameters, same function class).

    Masking: as :class:`MARNRecurrence` (off by default, as the reference).

    Args:
        input_dims: list of int. Feature sizes of the concatenated modalities.
        hidden_dims: list of int. LSTM sizes ``h_m``.
        memory_dim: int. Memory size ``M``.
        fusion: ``"dman"`` or ``"tma"``. Defaults to `"dman"`.
        dman_window: int, 1 or 2. Defaults to `2`.
        dman_hidden_dim: int. Hidden width of the DMAN attention MLP.
            Defaults to `64`.
        dman_dropout: float. Defaults to `0.0`.
        tma_subspace_dim: int. Defaults to `32`.
        tma_projection_hidden_dims: int or list of int. Defaults to `64`.
        tma_projection_dropouts: float or list of float. Defaults to `0.0`.
        tma_attention_hidden_dim: int. Defaults to `64`.
        tma_attention_dropout: float. Defaults to `0.0`.
        tma_input: ``"cell"`` (reference code) or ``"hidden"`` (paper text).
            Defaults to `"cell"`.
        proposal_hidden_dim: int. Hidden width of the memory proposal MLP.
            Defaults to `64`.
        proposal_dropout: float. Defaults to `0.0`.
        retain_hidden_dim: int. Hidden width of the retain gate (gamma 1).
            Defaults to `64`.
        retain_dropout: float. Defaults to `0.0`.
        update_hidden_dim: int. Hidden width of the update gate (gamma 2).
            Defaults to `64`.
        update_dropout: float. Defaults to `0.0`.
        lstm_recurrent_bias: bool. Keep PyTorch's second LSTM bias.
            Defaults to `True`.
        use_mask: bool. Defaults to `False`.
        return_modality_weights: bool. ``fusion="tma"`` only.
            Defaults to `False`.
        init_style: ``"torch"`` or ``"keras"``. Defaults to `"torch"`.
        seed: int or None. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, steps, sum(input_dims))`, static steps.
        mask: optional boolean `(batch_size, steps)` (used if ``use_mask``).
        training: bool. Whether dropout is active.

    Returns:
        ``concat([h_T^1, ..., h_T^M, u_T])`` of shape
        `(batch_size, sum(hidden_dims) + memory_dim)`, and the modality
        weights `(batch_size, steps, M)` if ``return_modality_weights``.

    Example:
    >>> rec = MFNRecurrence([6, 4], [8, 4], memory_dim=5, dman_window=2, dman_hidden_dim=8)
    >>> rec(np.zeros((2, 7, 10))).shape
    (2, 17)

    Reference:
        Zadeh et al., "Memory Fusion Network for Multi-view Sequential
        Learning", AAAI 2018 (``pliang279/MFN``); Qian et al., "Temporal
        Modality Attention for Multimodal Sentiment Analysis"
        (``qianfan1996/TMA`` ``models.py::MFN`` / ``TMAN1``).
    """

    def __init__(
        self,
        input_dims,
        hidden_dims,
        memory_dim,
        fusion="dman",
        dman_window=2,
        dman_hidden_dim=64,
        dman_dropout=0.0,
        tma_subspace_dim=32,
        tma_projection_hidden_dims=64,
        tma_projection_dropouts=0.0,
        tma_attention_hidden_dim=64,
        tma_attention_dropout=0.0,
        tma_input="cell",
        proposal_hidden_dim=64,
        proposal_dropout=0.0,
        retain_hidden_dim=64,
        retain_dropout=0.0,
        update_hidden_dim=64,
        update_dropout=0.0,
        lstm_recurrent_bias=True,
        use_mask=False,
        return_modality_weights=False,
        init_style="torch",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_dims = _check_int_list("input_dims", input_dims)
        self.hidden_dims = _check_int_list("hidden_dims", hidden_dims, len(self.input_dims))
        self.memory_dim = check_positive_int("memory_dim", memory_dim)
        if fusion not in ("dman", "tma"):
            raise ValueError(f"`fusion` must be 'dman' or 'tma'. Received: fusion={fusion!r}")
        self.fusion = fusion
        if dman_window not in (1, 2):
            raise ValueError(f"`dman_window` must be 1 or 2. Received: dman_window={dman_window!r}")
        self.dman_window = int(dman_window)
        self.dman_hidden_dim = dman_hidden_dim
        self.dman_dropout = dman_dropout
        self._set_tma_args(tma_subspace_dim, tma_projection_hidden_dims, tma_projection_dropouts,
                           tma_attention_hidden_dim, tma_attention_dropout, tma_input)
        self.proposal_hidden_dim = proposal_hidden_dim
        self.proposal_dropout = proposal_dropout
        self.retain_hidden_dim = retain_hidden_dim
        self.retain_dropout = retain_dropout
        self.update_hidden_dim = update_hidden_dim
        self.update_dropout = update_dropout
        self.lstm_recurrent_bias = check_bool("lstm_recurrent_bias", lstm_recurrent_bias)
        self._set_output_args(fusion, use_mask, return_modality_weights, init_style, seed)

        total = sum(self.hidden_dims)
        self._cells = [
            TorchLSTMCell(
                h,
                use_recurrent_bias=self.lstm_recurrent_bias,
                init_style=self.init_style,
                seed=_sub_seed(seed, 10 * i),
                dtype=self.dtype_policy,
                name=f"lstm_{i}",
            )
            for i, h in enumerate(self.hidden_dims)
        ]
        if fusion == "dman":
            self._fusion_layer = DeltaMemoryAttention(
                dman_hidden_dim,
                dropout=dman_dropout,
                window=self.dman_window,
                init_style=self.init_style,
                seed=_sub_seed(seed, 1000),
                dtype=self.dtype_policy,
                name="delta_memory_attention",
            )
            self._fusion_dim = self.dman_window * total
        else:
            self._fusion_layer = self._make_tma()
            self._fusion_dim = check_positive_int("tma_subspace_dim", tma_subspace_dim)
        self._memory = MultiViewGatedMemory(
            self.memory_dim,
            proposal_hidden_dim=proposal_hidden_dim,
            retain_hidden_dim=retain_hidden_dim,
            update_hidden_dim=update_hidden_dim,
            proposal_dropout=proposal_dropout,
            retain_dropout=retain_dropout,
            update_dropout=update_dropout,
            init_style=self.init_style,
            seed=_sub_seed(seed, 2000),
            dtype=self.dtype_policy,
            name="gated_memory",
        )

    @property
    def output_dim(self):
        """Size of the returned representation: ``sum(hidden_dims) + memory_dim``."""
        return sum(self.hidden_dims) + self.memory_dim

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        for cell, dim in zip(self._cells, self.input_dims):
            cell.build((None, dim))
        self._fusion_layer.build((None, sum(self.hidden_dims)))
        self._memory.build((None, self._fusion_dim), (None, self.memory_dim))
        self.built = True

    def call(self, inputs, mask=None, training=None):
        projected, steps, step_mask, hs, cs, memory = self._start(inputs, mask, self.memory_dim)
        weights = []
        for t in range(steps):
            keep = None if step_mask is None else step_mask[:, t: t + 1]
            new_hs, new_cs = self._step_cells(projected, t, hs, cs)
            c_new = ops.concatenate(new_cs, axis=-1)
            if self.fusion == "dman":
                previous = ops.concatenate(cs, axis=-1) if self.dman_window == 2 else None
                attended = self._fusion_layer(c_new, previous=previous, training=training)
            else:
                states = c_new if self.tma_input == "cell" else ops.concatenate(new_hs, axis=-1)
                attended = self._attend_tma(states, keep, weights, training)
            new_memory = self._memory(attended, memory, training=training)
            hs = [self._keep(keep, n, o) for n, o in zip(new_hs, hs)]
            cs = [self._keep(keep, n, o) for n, o in zip(new_cs, cs)]
            memory = self._keep(keep, new_memory, memory)
        return self._finish(hs, memory, weights)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dims": list(self.input_dims),
                "hidden_dims": list(self.hidden_dims),
                "memory_dim": self.memory_dim,
                "fusion": self.fusion,
                "dman_window": self.dman_window,
                "dman_hidden_dim": self.dman_hidden_dim,
                "dman_dropout": self.dman_dropout,
                **self._tma_config(),
                "proposal_hidden_dim": self.proposal_hidden_dim,
                "proposal_dropout": self.proposal_dropout,
                "retain_hidden_dim": self.retain_hidden_dim,
                "retain_dropout": self.retain_dropout,
                "update_hidden_dim": self.update_hidden_dim,
                "update_dropout": self.update_dropout,
                "lstm_recurrent_bias": self.lstm_recurrent_bias,
                "use_mask": self.use_mask,
                "return_modality_weights": self.return_modality_weights,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config
