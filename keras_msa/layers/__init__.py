"""Reusable Keras 3 layers of the keras_msa models (one module per layer family)."""

from keras_msa.layers.initializers import TorchUniform  # noqa: F401
from keras_msa.layers.initializers import dense_initializers  # noqa: F401
from keras_msa.layers.initializers import keras2_hard_sigmoid  # noqa: F401
from keras_msa.layers.initializers import torch_kernel_initializer  # noqa: F401

# --- TMA family (issue 3) ---

# --- CIA family (issue 4) ---
