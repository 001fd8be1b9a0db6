"""Data contract, readers, alignment, labels, synthetic data and tf.data helpers."""

from keras_msa.data_tools.dataset import MODALITIES  # noqa: F401
from keras_msa.data_tools.dataset import DataValidationError  # noqa: F401
from keras_msa.data_tools.dataset import MSADataset  # noqa: F401
from keras_msa.data_tools.dataset import MSASplit  # noqa: F401
from keras_msa.data_tools.dataset import carve_validation  # noqa: F401
from keras_msa.data_tools.dataset import detect_padding  # noqa: F401
from keras_msa.data_tools.dataset import lengths_from_padding  # noqa: F401
