"""Functional-model builders, per-dataset presets and the model registry."""

from keras_msa.models.registry import available_models  # noqa: F401
from keras_msa.models.registry import get_model  # noqa: F401
from keras_msa.models.registry import get_preset  # noqa: F401
from keras_msa.models.registry import load_reference_weights  # noqa: F401
from keras_msa.models.registry import register_model  # noqa: F401

# Model families register themselves on import.
# --- TMA family (issue 3) ---
from keras_msa.models import tma  # noqa: F401
from keras_msa.models.tma import build_marn  # noqa: F401
from keras_msa.models.tma import build_marn_tma  # noqa: F401
from keras_msa.models.tma import build_mfn  # noqa: F401
from keras_msa.models.tma import build_mfn_tma  # noqa: F401
from keras_msa.models.tma import build_mfn_window1  # noqa: F401
from keras_msa.models.tma import modality_weights_model  # noqa: F401
from keras_msa.models.tma_weights import load_tma_state_dict  # noqa: F401
from keras_msa.models.tma_weights import state_dict_from_torch_file  # noqa: F401

# --- CIA family (issue 4) ---
from keras_msa.models.cia import build_cia  # noqa: F401

# --- MMMU-BA, the CIA lineage's baseline ---
from keras_msa.models.mmmu_ba import build_mmmu_ba  # noqa: F401
