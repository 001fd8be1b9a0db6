"""Readers of the field's dataset formats, each returning an :class:`MSADataset`.

Every reader validates on load (shapes, dtypes, NaN / inf, lengths, split
sizes) and raises :class:`DataValidationError` naming the file, the key, what
was expected and what was found. All features come out as float32.

| format | reader | layout |
|---|---|---|
| ``"bclstm"`` | :func:`read_bclstm_mosi` | bc-LSTM MOSI CSVs + ``audio.pickle`` |
| ``"hffn"`` | :func:`read_hffn_pickle` | MMMU-BA / HFFN unimodal pickle |
| ``"mfn_h5"`` | :func:`read_mfn_h5` | MFN word-aligned h5 (MMMO, YouTube, MOSI) |
| ``"mult"`` | :func:`read_mult_pickle` | MulT processed pickles |
| ``"mmsa"`` | :func:`read_mmsa_pickle` | MMSA processed pickles |
| ``"csd"`` | :func:`read_sdk_csd` | CMU-MultimodalSDK ``.csd`` + word alignment |
| ``"cim_npz"`` | :func:`read_cim_npz` | CIM / CIA MOSEI npz |
"""

from keras_msa.data_tools.readers.bclstm import read_bclstm_mosi
from keras_msa.data_tools.readers.bclstm import read_hffn_pickle
from keras_msa.data_tools.readers.bclstm import read_mosi_sentiment
from keras_msa.data_tools.readers.cim import read_cim_npz
from keras_msa.data_tools.readers.context import group_by_video
from keras_msa.data_tools.readers.context import parse_segment_id
from keras_msa.data_tools.readers.csd import find_sdk_csd
from keras_msa.data_tools.readers.csd import read_csd
from keras_msa.data_tools.readers.csd import read_sdk_csd
from keras_msa.data_tools.readers.mfn import read_mfn_h5
from keras_msa.data_tools.readers.processed import read_mmsa_pickle
from keras_msa.data_tools.readers.processed import read_mult_pickle

#: Format name -> reader. Every reader takes the data path first.
FORMATS = {
    "bclstm": read_bclstm_mosi,
    "hffn": read_hffn_pickle,
    "mfn_h5": read_mfn_h5,
    "mult": read_mult_pickle,
    "mmsa": read_mmsa_pickle,
    "csd": read_sdk_csd,
    "cim_npz": read_cim_npz,
}


def read_dataset(format, path, **kwargs):
    """Read a dataset with the reader registered for ``format`` in :data:`FORMATS`.

    Args:
        format: one of ``FORMATS`` ("bclstm", "hffn", "mfn_h5", "mult",
            "mmsa", "csd", "cim_npz").
        path: the reader's first argument (folder or file; for "csd" the
            ``{modality: path}`` dict).
        **kwargs: passed to the reader (for "csd": ``label_csd``, ``folds``, ...).

    Returns:
        MSADataset.
    """
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {sorted(FORMATS)}. Received: format={format!r}")
    return FORMATS[format](path, **kwargs)


__all__ = [
    "FORMATS",
    "find_sdk_csd",
    "group_by_video",
    "parse_segment_id",
    "read_bclstm_mosi",
    "read_cim_npz",
    "read_csd",
    "read_dataset",
    "read_hffn_pickle",
    "read_mfn_h5",
    "read_mmsa_pickle",
    "read_mosi_sentiment",
    "read_mult_pickle",
    "read_sdk_csd",
]
