"""Initializers and activations shared by several layer families.

PyTorch initialises ``nn.Linear``/``nn.Conv1d`` weights and biases from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) where ``fan_in`` is the *weight's* fan-in, and
``nn.LSTMCell``/``nn.GRU`` weights and biases from U(-1/sqrt(h), 1/sqrt(h)).
Keras' ``VarianceScaling`` would use the bias length as fan-in for a 1-D bias, so
the bias bound has to be stored explicitly: that is what :class:`TorchUniform`
does. ``keras2_hard_sigmoid`` is the Keras 2 gate activation used by the
MMMU-BA / CIM / CIA GRUs (Keras 3 changed the slope).
"""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_msa")
class TorchUniform(keras.initializers.Initializer):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with an explicit ``fan_in``.

    Args:
        fan_in: int. The fan-in that sets the bound (for a PyTorch ``Linear``
            bias this is the layer's input size; for a PyTorch RNN cell it is
            the hidden size).
        seed: optional int seed.

    Returns:
        Tensor of the requested shape drawn uniformly in ``[-b, b]`` with
        ``b = 1 / sqrt(fan_in)``.

    Reference:
        PyTorch ``nn.Linear.reset_parameters`` and ``nn.RNNCellBase.reset_parameters``.
    """

    def __init__(self, fan_in, seed=None):
        if int(fan_in) <= 0:
            raise ValueError(f"`fan_in` must be a positive integer. Received: fan_in={fan_in}")
        self.fan_in = int(fan_in)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        bound = 1.0 / math.sqrt(self.fan_in)
        return keras.random.uniform(shape, minval=-bound, maxval=bound, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"fan_in": self.fan_in, "seed": self.seed}


def torch_kernel_initializer(seed=None):
    """Keras equivalent of PyTorch's default ``Linear``/``Conv1d`` weight init.

    ``kaiming_uniform_(a=sqrt(5))`` equals U(+-1/sqrt(fan_in)), i.e.
    ``VarianceScaling(scale=1/3, mode="fan_in", distribution="uniform")``.
    """
    return keras.initializers.VarianceScaling(
        scale=1.0 / 3.0, mode="fan_in", distribution="uniform", seed=seed
    )


def dense_initializers(fan_in, init_style="torch", seed=None):
    """Return ``(kernel_initializer, bias_initializer)`` for a Dense layer.

    Args:
        fan_in: int. Input size of the Dense layer.
        init_style: ``"torch"`` (U(+-1/sqrt(fan_in)) on kernel and bias, the
            PyTorch default) or ``"keras"`` (glorot_uniform kernel, zero bias).
        seed: optional int seed for the torch initializers.
    """
    if init_style == "torch":
        bias_seed = None if seed is None else seed + 1
        return torch_kernel_initializer(seed), TorchUniform(fan_in, seed=bias_seed)
    if init_style == "keras":
        return "glorot_uniform", "zeros"
    raise ValueError(f"`init_style` must be 'torch' or 'keras'. Received: init_style={init_style!r}")


@keras.saving.register_keras_serializable(package="keras_msa")
def keras2_hard_sigmoid(x):
    """Keras 2 hard sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``.

    Keras 3's ``hard_sigmoid`` uses slope 1/6; the Keras 2 GRUs of MMMU-BA,
    CIM and CIA used slope 0.2 by default.
    """
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)
