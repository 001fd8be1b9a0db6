"""Memory Fusion Network building blocks (Zadeh et al., AAAI 2018) and helpers.

* :class:`MLPBlock` - the reference code's small network
  ``Dense -> ReLU -> Dropout -> Dense [-> activation]`` used everywhere in the
  TMA paper's models (MAB map network, DMAN, gates, TMA projections, heads).
* :class:`TorchLSTMCell` - an LSTM cell with the parameter layout of PyTorch's
  ``nn.LSTMCell`` (gate order i, f, g, o and two bias vectors), so reference
  checkpoints load exactly and parameter counts equal the reference ones.
* :class:`DeltaMemoryAttention` - MFN's Delta-memory Attention Network (DMAN),
  window 2 (original MFN) or window 1 (the TMA code's MFN baseline).
* :class:`MultiViewGatedMemory` - MFN's Multi-view Gated Memory.
"""

import keras
from keras import ops

from keras_msa._checks import check_bool
from keras_msa._checks import check_positive_int
from keras_msa._checks import check_rate
from keras_msa.layers.initializers import TorchUniform
from keras_msa.layers.initializers import dense_initializers

INIT_STYLES = ("torch", "keras")


def _sub_seed(seed, offset):
    """Derive a distinct integer seed per weight / sublayer (None stays None)."""
    return None if seed is None else int(seed) + int(offset)


def _check_init_style(init_style):
    if init_style not in INIT_STYLES:
        raise ValueError(f"`init_style` must be one of {INIT_STYLES}. Received: init_style={init_style!r}")
    return init_style


def _zero_states(cell, batch_size):
    """Zero ``[h, c]`` states of an LSTM-like cell with ``cell.units`` (for ``keras.layers.RNN``)."""
    return [ops.zeros((batch_size, cell.units), dtype=cell.compute_dtype) for _ in range(2)]


def _dense(units, fan_in, init_style, seed, name, dtype, activation=None):
    kernel_init, bias_init = dense_initializers(fan_in, init_style=init_style, seed=seed)
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=kernel_init,
        bias_initializer=bias_init,
        name=name,
        dtype=dtype,
    )


@keras.saving.register_keras_serializable(package="keras_msa")
class MLPBlock(keras.layers.Layer):
    """Two-layer perceptron ``Dense -> ReLU -> Dropout -> Dense [-> activation]``.

    This is the ``nn.Sequential(Linear, ReLU, Dropout, Linear)`` block of the
    TMA / MARN / MFN reference code (its state-dict indices ``.0`` and ``.3``
    are the two Dense layers). Dropout sits only after the ReLU, as in the
    reference; it is active only with ``training=True`` and draws a fresh mask
    at every call (so at every time step inside a recurrence).

    Args:
        hidden_dim: int. Width of the hidden layer.
        output_dim: int. Size of the output.
        dropout: float. Dropout rate after the ReLU. Defaults to `0.0`.
        output_activation: str or None. Activation of the output layer
            (``None`` = linear, as in every reference MLP; the sigmoid / tanh /
            softmax of gates and attentions are applied by the caller).
            Defaults to `None`.
        init_style: ``"torch"`` (U(+-1/sqrt(fan_in)) on kernels and biases,
            PyTorch's ``nn.Linear`` default) or ``"keras"`` (glorot / zeros).
            Defaults to `"torch"`.
        seed: int or None. Seed of the initializers and of the dropout.
            Defaults to `None`.

    Call arguments:
        inputs: tensor of shape `(..., input_dim)`.
        training: bool. Whether dropout is active.

    Returns:
        Tensor of shape `(..., output_dim)`.

    Example:
    >>> mlp = MLPBlock(hidden_dim=32, output_dim=8, dropout=0.2)
    >>> mlp(np.zeros((4, 16))).shape
    (4, 8)

    Reference:
        qianfan1996/TMA ``models.py`` (every ``nn.Sequential`` MLP).
    """

    def __init__(
        self,
        hidden_dim,
        output_dim,
        dropout=0.0,
        output_activation=None,
        init_style="torch",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        self.output_dim = check_positive_int("output_dim", output_dim)
        self.dropout = check_rate("dropout", dropout)
        keras.activations.get(output_activation)  # validates the name
        self.output_activation = output_activation
        self.init_style = _check_init_style(init_style)
        self.seed = seed
        self._dropout_layer = keras.layers.Dropout(
            self.dropout, seed=_sub_seed(seed, 2), dtype=self.dtype_policy, name="dropout"
        )
        self._hidden_dense = None
        self._output_dense = None

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{self.name}: the last input dimension must be known. Received: input_shape={input_shape}")
        self._hidden_dense = _dense(
            self.hidden_dim, input_dim, self.init_style, _sub_seed(self.seed, 0), "hidden_dense",
            self.dtype_policy, activation="relu",
        )
        self._hidden_dense.build(tuple(input_shape[:-1]) + (input_dim,))
        self._dropout_layer.build(tuple(input_shape[:-1]) + (self.hidden_dim,))
        self._output_dense = _dense(
            self.output_dim, self.hidden_dim, self.init_style, _sub_seed(self.seed, 4), "output_dense",
            self.dtype_policy, activation=self.output_activation,
        )
        self._output_dense.build(tuple(input_shape[:-1]) + (self.hidden_dim,))
        self.built = True

    def call(self, inputs, training=None):
        x = self._hidden_dense(inputs)
        x = self._dropout_layer(x, training=training)
        return self._output_dense(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "output_dim": self.output_dim,
                "dropout": self.dropout,
                "output_activation": self.output_activation,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_msa")
class TorchLSTMCell(keras.layers.Layer):
    """LSTM cell with PyTorch ``nn.LSTMCell``'s parameter layout.

    ``g = x W + b + h U [+ b_r]``, gates split in the order **i, f, g, o**;
    ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``.
    No peepholes, no forget-bias offset, no recurrent dropout. PyTorch keeps
    two bias vectors (``bias_ih`` and ``bias_hh``), so its cell has ``4h``
    more parameters than Keras' ``LSTMCell``; ``use_recurrent_bias=True``
    (default) reproduces the reference parameter count, ``False`` is the
    Keras-native single-bias cell (same function: the sum of both biases).
    Usable inside ``keras.layers.RNN`` (states ``[h, c]``).

    Args:
        units: int. Hidden / cell size ``h``.
        use_recurrent_bias: bool. Keep PyTorch's second bias vector.
            Defaults to `True`.
        init_style: ``"torch"`` (every weight and bias U(+-1/sqrt(h)), the
            PyTorch default) or ``"keras"`` (glorot_uniform / orthogonal /
            zeros). Defaults to `"torch"`.
        seed: int or None. Initializer seed. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, input_dim)`, one time step.
        states: list `[h, c]`, each `(batch_size, units)`.
        training: unused (no dropout in the cell, as in the reference).

    Returns:
        `(h, [h, c])` - the new hidden state and the new state list.

    Example:
    >>> rnn = keras.layers.RNN(TorchLSTMCell(16))
    >>> rnn(np.zeros((2, 5, 8))).shape
    (2, 16)

    Reference:
        PyTorch ``torch.nn.LSTMCell``; used by MFN (Zadeh et al., AAAI 2018)
        and by the TMA code's ``MFN`` / ``TMAN1``.
    """

    def __init__(self, units, use_recurrent_bias=True, init_style="torch", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.use_recurrent_bias = check_bool("use_recurrent_bias", use_recurrent_bias)
        self.init_style = _check_init_style(init_style)
        self.seed = seed
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self.kernel = None
        self.recurrent_kernel = None
        self.bias = None
        self.recurrent_bias = None

    def _initializers(self):
        if self.init_style == "torch":
            return [TorchUniform(self.units, seed=_sub_seed(self.seed, k)) for k in range(4)]
        return ["glorot_uniform", keras.initializers.Orthogonal(seed=self.seed), "zeros", "zeros"]

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{self.name}: the input feature size must be known. Received: input_shape={input_shape}")
        k_init, r_init, b_init, rb_init = self._initializers()
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, 4 * self.units), initializer=k_init)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, 4 * self.units), initializer=r_init
        )
        self.bias = self.add_weight(name="bias", shape=(4 * self.units,), initializer=b_init)
        if self.use_recurrent_bias:
            self.recurrent_bias = self.add_weight(
                name="recurrent_bias", shape=(4 * self.units,), initializer=rb_init
            )
        self.built = True

    def project_inputs(self, inputs):
        """``inputs @ kernel + bias`` for any leading shape (all steps at once)."""
        return ops.matmul(inputs, self.kernel) + self.bias

    def step(self, projected_inputs, states):
        """One step from pre-projected inputs (see :meth:`project_inputs`)."""
        h_prev, c_prev = states[0], states[1]
        z = projected_inputs + ops.matmul(h_prev, self.recurrent_kernel)
        if self.use_recurrent_bias:
            z = z + self.recurrent_bias
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(f) * c_prev + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        return h, [h, c]

    def call(self, inputs, states, training=None):
        return self.step(self.project_inputs(inputs), states)

    def get_initial_state(self, batch_size=None):
        return _zero_states(self, batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "use_recurrent_bias": self.use_recurrent_bias,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_msa")
class DeltaMemoryAttention(keras.layers.Layer):
    """Delta-memory Attention Network (DMAN) of the Memory Fusion Network.

    With ``window=2`` (original MFN) the input is ``c* = [c_{t-1}; c_t]``, the
    concatenated cell states of all modalities at the previous and the current
    step (``previous`` defaults to zeros, the reference's ``c_0``); with
    ``window=1`` (the TMA code's MFN baseline) it is ``c_t`` alone. Then
    ``a = softmax(MLP(c*))`` with **one softmax over all entries** of ``c*`` and
    the output is ``a * c*``.

    Args:
        hidden_dim: int. Hidden width of the attention MLP.
        dropout: float. Dropout after the MLP's ReLU. Defaults to `0.0`.
        window: int, 1 or 2. Number of consecutive steps attended.
            Defaults to `2`.
        init_style: ``"torch"`` or ``"keras"`` (see :class:`MLPBlock`).
            Defaults to `"torch"`.
        seed: int or None. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, state_dim)`: the concatenated cell
            states ``c_t`` of all modalities.
        previous: optional tensor `(batch_size, state_dim)`: ``c_{t-1}``
            (window 2 only; zeros if omitted).
        training: bool. Whether dropout is active.
        return_attention_scores: bool. Also return ``a``.

    Returns:
        ``a * c*`` of shape `(batch_size, window * state_dim)`, and ``a`` (same
        shape) if ``return_attention_scores``.

    Example:
    >>> dman = DeltaMemoryAttention(hidden_dim=32, window=2)
    >>> dman(np.zeros((4, 12)), previous=np.zeros((4, 12))).shape
    (4, 24)

    Reference:
        Zadeh et al., "Memory Fusion Network for Multi-view Sequential
        Learning", AAAI 2018 (code ``pliang279/MFN``); window 1:
        ``qianfan1996/TMA`` ``models.py::MFN``.
    """

    def __init__(self, hidden_dim, dropout=0.0, window=2, init_style="torch", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        self.dropout = check_rate("dropout", dropout)
        if window not in (1, 2):
            raise ValueError(f"`window` must be 1 or 2. Received: window={window!r}")
        self.window = int(window)
        self.init_style = _check_init_style(init_style)
        self.seed = seed
        self._attention = None

    def build(self, inputs_shape, previous_shape=None):
        state_dim = inputs_shape[-1]
        if state_dim is None:
            raise ValueError(f"{self.name}: the state size must be known. Received: inputs_shape={inputs_shape}")
        if previous_shape is not None and previous_shape[-1] != state_dim:
            raise ValueError(
                f"{self.name}: `previous` must have the size of `inputs` ({state_dim}). "
                f"Received: previous_shape={previous_shape}"
            )
        self._attention = MLPBlock(
            self.hidden_dim, self.window * state_dim, dropout=self.dropout, init_style=self.init_style,
            seed=self.seed, dtype=self.dtype_policy, name="attention",
        )
        self._attention.build((None, self.window * state_dim))
        self.built = True

    def call(self, inputs, previous=None, training=None, return_attention_scores=False):
        if self.window == 2:
            if previous is None:
                previous = ops.zeros_like(inputs)
            states = ops.concatenate([previous, inputs], axis=-1)
        else:
            if previous is not None:
                raise ValueError(f"{self.name}: `previous` is only used with window=2; this layer has window=1.")
            states = inputs
        scores = ops.softmax(self._attention(states, training=training), axis=-1)
        attended = scores * states
        if return_attention_scores:
            return attended, scores
        return attended

    def compute_output_spec(self, inputs, previous=None, training=None, return_attention_scores=False):
        shape = tuple(inputs.shape[:-1]) + (self.window * inputs.shape[-1],)
        out = keras.KerasTensor(shape, dtype=self.compute_dtype)
        if return_attention_scores:
            return out, keras.KerasTensor(shape, dtype=self.compute_dtype)
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "dropout": self.dropout,
                "window": self.window,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_msa")
class MultiViewGatedMemory(keras.layers.Layer):
    """Multi-view Gated Memory of the Memory Fusion Network.

    From the attended input ``x`` (DMAN output, or the TMA output in
    MFN(TMA)) and the memory ``u_{t-1}``::

        u_hat = tanh(MLP_p(x))                        proposed memory
        g1    = sigmoid(MLP_1([x; u_{t-1}]))          retain gate
        g2    = sigmoid(MLP_2([x; u_{t-1}]))          update gate
        u_t   = g1 * u_{t-1} + g2 * u_hat

    Args:
        memory_dim: int. Memory size ``M``.
        proposal_hidden_dim: int. Hidden width of ``MLP_p`` (reference
            ``att2`` / ``nn_p``).
        retain_hidden_dim: int. Hidden width of ``MLP_1`` (``gamma1`` /
            ``nn_gmma1``).
        update_hidden_dim: int. Hidden width of ``MLP_2`` (``gamma2`` /
            ``nn_gmma2``).
        proposal_dropout: float. Defaults to `0.0`.
        retain_dropout: float. Defaults to `0.0`.
        update_dropout: float. Defaults to `0.0`.
        init_style: ``"torch"`` or ``"keras"``. Defaults to `"torch"`.
        seed: int or None. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, input_dim)`.
        memory: tensor `(batch_size, memory_dim)`: ``u_{t-1}``.
        training: bool. Whether dropout is active.
        return_gates: bool. Also return ``(u_hat, g1, g2)``.

    Returns:
        ``u_t`` of shape `(batch_size, memory_dim)` (and the tuple
        ``(u_hat, g1, g2)`` if ``return_gates``).

    Example:
    >>> mem = MultiViewGatedMemory(8, proposal_hidden_dim=16, retain_hidden_dim=16, update_hidden_dim=16)
    >>> mem(np.zeros((4, 24)), memory=np.zeros((4, 8))).shape
    (4, 8)

    Reference:
        Zadeh et al., "Memory Fusion Network for Multi-view Sequential
        Learning", AAAI 2018.
    """

    def __init__(
        self,
        memory_dim,
        proposal_hidden_dim,
        retain_hidden_dim,
        update_hidden_dim,
        proposal_dropout=0.0,
        retain_dropout=0.0,
        update_dropout=0.0,
        init_style="torch",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.memory_dim = check_positive_int("memory_dim", memory_dim)
        self.proposal_hidden_dim = check_positive_int("proposal_hidden_dim", proposal_hidden_dim)
        self.retain_hidden_dim = check_positive_int("retain_hidden_dim", retain_hidden_dim)
        self.update_hidden_dim = check_positive_int("update_hidden_dim", update_hidden_dim)
        self.proposal_dropout = check_rate("proposal_dropout", proposal_dropout)
        self.retain_dropout = check_rate("retain_dropout", retain_dropout)
        self.update_dropout = check_rate("update_dropout", update_dropout)
        self.init_style = _check_init_style(init_style)
        self.seed = seed
        common = dict(init_style=self.init_style, dtype=self.dtype_policy)
        self._proposal = MLPBlock(
            self.proposal_hidden_dim, self.memory_dim, self.proposal_dropout, seed=_sub_seed(seed, 0),
            name="proposal", **common,
        )
        self._retain_gate = MLPBlock(
            self.retain_hidden_dim, self.memory_dim, self.retain_dropout, seed=_sub_seed(seed, 10),
            name="retain_gate", **common,
        )
        self._update_gate = MLPBlock(
            self.update_hidden_dim, self.memory_dim, self.update_dropout, seed=_sub_seed(seed, 20),
            name="update_gate", **common,
        )

    def build(self, inputs_shape, memory_shape=None):
        input_dim = inputs_shape[-1]
        if input_dim is None:
            raise ValueError(f"{self.name}: the input size must be known. Received: inputs_shape={inputs_shape}")
        if memory_shape is not None and memory_shape[-1] not in (None, self.memory_dim):
            raise ValueError(
                f"{self.name}: `memory` must have size memory_dim={self.memory_dim}. "
                f"Received: memory_shape={memory_shape}"
            )
        self._proposal.build((None, input_dim))
        self._retain_gate.build((None, input_dim + self.memory_dim))
        self._update_gate.build((None, input_dim + self.memory_dim))
        self.built = True

    def call(self, inputs, memory, training=None, return_gates=False):
        proposal = ops.tanh(self._proposal(inputs, training=training))
        both = ops.concatenate([inputs, memory], axis=-1)
        retain = ops.sigmoid(self._retain_gate(both, training=training))
        update = ops.sigmoid(self._update_gate(both, training=training))
        new_memory = retain * memory + update * proposal
        if return_gates:
            return new_memory, (proposal, retain, update)
        return new_memory

    def compute_output_spec(self, inputs, memory, training=None, return_gates=False):
        shape = tuple(inputs.shape[:-1]) + (self.memory_dim,)
        out = keras.KerasTensor(shape, dtype=self.compute_dtype)
        if return_gates:
            gates = tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for _ in range(3))
            return out, gates
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "memory_dim": self.memory_dim,
                "proposal_hidden_dim": self.proposal_hidden_dim,
                "retain_hidden_dim": self.retain_hidden_dim,
                "update_hidden_dim": self.update_hidden_dim,
                "proposal_dropout": self.proposal_dropout,
                "retain_dropout": self.retain_dropout,
                "update_dropout": self.update_dropout,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config
