"""Data contract, readers, alignment, labels, synthetic data and tf.data helpers."""

from keras_msa.data_tools.dataset import MODALITIES  # noqa: F401
from keras_msa.data_tools.dataset import DataValidationError  # noqa: F401
from keras_msa.data_tools.dataset import MSADataset  # noqa: F401
from keras_msa.data_tools.dataset import MSASplit  # noqa: F401
from keras_msa.data_tools.dataset import carve_validation  # noqa: F401
from keras_msa.data_tools.dataset import detect_padding  # noqa: F401
from keras_msa.data_tools.dataset import lengths_from_padding  # noqa: F401
# labels and folds (metrics/labels helper)
from keras_msa.data_tools.folds import concat_splits  # noqa: F401
from keras_msa.data_tools.folds import fold_indices  # noqa: F401
from keras_msa.data_tools.folds import load_folds  # noqa: F401
from keras_msa.data_tools.folds import split_by_folds  # noqa: F401
from keras_msa.data_tools.folds import video_id_of  # noqa: F401
from keras_msa.data_tools.labels import FeatureNormalizer  # noqa: F401
from keras_msa.data_tools.labels import LABEL_CONVENTIONS  # noqa: F401
from keras_msa.data_tools.labels import binary_has_zero  # noqa: F401
from keras_msa.data_tools.labels import binary_non_zero  # noqa: F401
from keras_msa.data_tools.labels import check_label_range  # noqa: F401
from keras_msa.data_tools.labels import clip_emotion_intensities  # noqa: F401
from keras_msa.data_tools.labels import dmsa_3class  # noqa: F401
from keras_msa.data_tools.labels import emotion_multihot  # noqa: F401
from keras_msa.data_tools.labels import mmmo_binary  # noqa: F401
from keras_msa.data_tools.labels import mosei_2way  # noqa: F401
from keras_msa.data_tools.labels import mosei_3way  # noqa: F401
from keras_msa.data_tools.labels import mosei_7class_binned  # noqa: F401
from keras_msa.data_tools.labels import reorder_emotions  # noqa: F401
from keras_msa.data_tools.labels import round_classes  # noqa: F401
from keras_msa.data_tools.labels import sentiment_classes  # noqa: F401
from keras_msa.data_tools.labels import to_onehot  # noqa: F401
from keras_msa.data_tools.labels import youtube_argmax  # noqa: F401
