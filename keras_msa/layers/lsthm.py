"""Long-short Term Hybrid Memory (LSTHM) cell of MARN (Zadeh et al., AAAI 2018)."""

import keras
from keras import ops

from keras_msa._checks import check_positive_int
from keras_msa.layers.initializers import dense_initializers
from keras_msa.layers.memory_fusion import _check_init_style
from keras_msa.layers.memory_fusion import _sub_seed
from keras_msa.layers.memory_fusion import _zero_states


@keras.saving.register_keras_serializable(package="keras_msa")
class LSTHMCell(keras.layers.Layer):
    """LSTM cell with a hybrid-memory input ``z_{t-1}`` (LSTHM).

    Three biased affine maps, as in the reference code (``W`` on the input,
    ``U`` on ``h_{t-1}``, ``V`` on the hybrid memory ``z_{t-1}``)::

        s = W x_t + b_W + U h_{t-1} + b_U + V z_{t-1} + b_V          (4 h)
        f, i, o, c~ = split(s, 4)            # this order: forget gate first
        c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(c~)
        h_t = tanh(c_t) * sigmoid(o)

    No peepholes, no forget-bias offset, no recurrent dropout. The gate
    layout ``[f | i | o | c~]`` (differs from Keras' ``LSTMCell`` ``i, f, c, o``)
    matters only when porting weights. Parameters:
    ``4h(d+1) + 4h(h+1) + 4h(hybrid_dim+1)``.

    The hybrid memory is produced outside the cell (by the fusion network of
    a coupled recurrence such as :class:`~keras_msa.layers.MARNRecurrence`,
    which calls :meth:`project_inputs` and :meth:`step`). To use the cell
    alone inside ``keras.layers.RNN``, feed ``concat([x_t, z_{t-1}], -1)``: the
    last ``hybrid_dim`` features of ``inputs`` are read as ``z_{t-1}`` (a
    single sequence tensor is all Keras' ``RNN`` accepts).

    Args:
        units: int. Hidden / cell size ``h``.
        hybrid_dim: int. Size of the hybrid memory ``z`` (``T_h`` in MARN,
            the sentiment-subspace size ``S`` in MARN(TMA)).
        init_style: ``"torch"`` (each map U(+-1/sqrt(fan_in)) on weight and
            bias, PyTorch ``nn.Linear``) or ``"keras"`` (glorot / zeros).
            Defaults to `"torch"`.
        seed: int or None. Initializer seed. Defaults to `None`.

    Call arguments:
        inputs: tensor `(batch_size, input_dim + hybrid_dim)`: the step input
            followed by ``z_{t-1}``.
        states: list `[h, c]`, each `(batch_size, units)`.
        training: unused (no dropout in the cell, as in the reference).

    Returns:
        `(h, [h, c])`.

    Example:
    >>> cell = LSTHMCell(16, hybrid_dim=8)
    >>> x = np.zeros((2, 5, 10 + 8))   # 10 input features + z
    >>> keras.layers.RNN(cell)(x).shape
    (2, 16)

    Reference:
        Zadeh et al., "Multi-attention Recurrent Network for Human
        Communication Comprehension", AAAI 2018; code: CMU-MultimodalSDK
        ``mmsdk/mmmodelsdk/modules/LSTHM/LSTHM.py`` and ``qianfan1996/TMA``
        ``models.py::LSTHM``.
    """

    def __init__(self, units, hybrid_dim, init_style="torch", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.hybrid_dim = check_positive_int("hybrid_dim", hybrid_dim)
        self.init_style = _check_init_style(init_style)
        self.seed = seed
        self.state_size = [self.units, self.units]
        self.output_size = self.units
        self.input_kernel = None
        self.input_bias = None
        self.recurrent_kernel = None
        self.recurrent_bias = None
        self.hybrid_kernel = None
        self.hybrid_bias = None
        self._input_dim = None

    def build(self, input_shape):
        total = input_shape[-1]
        if total is None or total <= self.hybrid_dim:
            raise ValueError(
                f"{self.name}: inputs must hold the step features followed by the hybrid memory "
                f"(hybrid_dim={self.hybrid_dim}), so their last dimension must be > {self.hybrid_dim}. "
                f"Received: input_shape={input_shape}"
            )
        self._input_dim = int(total - self.hybrid_dim)
        four = 4 * self.units
        for offset, (prefix, fan_in) in enumerate(
            (("input", self._input_dim), ("recurrent", self.units), ("hybrid", self.hybrid_dim))
        ):
            k_init, b_init = dense_initializers(fan_in, self.init_style, seed=_sub_seed(self.seed, 2 * offset))
            setattr(self, f"{prefix}_kernel", self.add_weight(
                name=f"{prefix}_kernel", shape=(fan_in, four), initializer=k_init))
            setattr(self, f"{prefix}_bias", self.add_weight(
                name=f"{prefix}_bias", shape=(four,), initializer=b_init))
        self.built = True

    def project_inputs(self, inputs):
        """``W x + b_W`` for step features ``x`` (without ``z``) of any leading shape."""
        return ops.matmul(inputs, self.input_kernel) + self.input_bias

    def step(self, projected_inputs, states, hybrid_memory):
        """One step from pre-projected inputs and the hybrid memory ``z_{t-1}``."""
        h_prev, c_prev = states[0], states[1]
        s = (
            projected_inputs
            + ops.matmul(h_prev, self.recurrent_kernel)
            + self.recurrent_bias
            + ops.matmul(hybrid_memory, self.hybrid_kernel)
            + self.hybrid_bias
        )
        f, i, o, candidate = ops.split(s, 4, axis=-1)
        c = ops.sigmoid(f) * c_prev + ops.sigmoid(i) * ops.tanh(candidate)
        h = ops.tanh(c) * ops.sigmoid(o)
        return h, [h, c]

    def call(self, inputs, states, training=None):
        x = inputs[..., : self._input_dim]
        z = inputs[..., self._input_dim:]
        return self.step(self.project_inputs(x), states, z)

    def get_initial_state(self, batch_size=None):
        return _zero_states(self, batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "hybrid_dim": self.hybrid_dim,
                "init_style": self.init_style,
                "seed": self.seed,
            }
        )
        return config
