"""Reusable Keras 3 layers of the keras_msa models (one module per layer family)."""

from keras_msa.layers.initializers import TorchUniform  # noqa: F401
from keras_msa.layers.initializers import dense_initializers  # noqa: F401
from keras_msa.layers.initializers import keras2_hard_sigmoid  # noqa: F401
from keras_msa.layers.initializers import torch_kernel_initializer  # noqa: F401

# --- TMA family (issue 3) ---
from keras_msa.layers.lsthm import LSTHMCell  # noqa: F401
from keras_msa.layers.memory_fusion import DeltaMemoryAttention  # noqa: F401
from keras_msa.layers.memory_fusion import MLPBlock  # noqa: F401
from keras_msa.layers.memory_fusion import MultiViewGatedMemory  # noqa: F401
from keras_msa.layers.memory_fusion import TorchLSTMCell  # noqa: F401
from keras_msa.layers.multi_attention import MultiAttentionBlock  # noqa: F401
from keras_msa.layers.recurrent_fusion import MARNRecurrence  # noqa: F401
from keras_msa.layers.recurrent_fusion import MFNRecurrence  # noqa: F401
from keras_msa.layers.temporal_modality_attention import TemporalModalityAttention  # noqa: F401

# --- CIA family (issue 4) ---
from keras_msa.layers.bimodal_interaction import BimodalInteraction  # noqa: F401
from keras_msa.layers.context_attention import ContextAwareAttention  # noqa: F401
from keras_msa.layers.context_encoder import ContextEncoder  # noqa: F401
from keras_msa.layers.interactive_autoencoder import InterModalAutoencoder  # noqa: F401

# --- MMMU-BA (the CIA lineage's baseline) ---
from keras_msa.layers.context_attention import ModalitySelfAttention  # noqa: F401
