"""Functional-model builders, per-dataset presets and the model registry."""

from keras_msa.models.registry import available_models  # noqa: F401
from keras_msa.models.registry import get_model  # noqa: F401
from keras_msa.models.registry import get_preset  # noqa: F401
from keras_msa.models.registry import load_reference_weights  # noqa: F401
from keras_msa.models.registry import register_model  # noqa: F401

# Model families register themselves on import.
# --- TMA family (issue 3) ---

# --- CIA family (issue 4) ---
