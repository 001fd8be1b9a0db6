"""Readers of the field's dataset formats, each returning an :class:`MSADataset`."""

from keras_msa.data_tools.readers.bclstm import read_bclstm_mosi  # noqa: F401
from keras_msa.data_tools.readers.bclstm import read_hffn_pickle  # noqa: F401
from keras_msa.data_tools.readers.bclstm import read_mosi_sentiment  # noqa: F401
from keras_msa.data_tools.readers.mfn import read_mfn_h5  # noqa: F401
from keras_msa.data_tools.readers.processed import read_mult_pickle  # noqa: F401
from keras_msa.data_tools.readers.processed import read_mmsa_pickle  # noqa: F401
from keras_msa.data_tools.readers.context import group_by_video  # noqa: F401
from keras_msa.data_tools.readers.context import parse_segment_id  # noqa: F401
