"""Reader of the IITP utterance-context MOSEI npz layout (CIM, Gated CCMA, CIA).

Layout (``data_and_metrics.md`` §2.6; ``GussailRaat/NAACL-19-CIM``
``trimodal_multitask.py``): ``{text,audio,video}.npz``, each with
``train_data`` / ``valid_data`` / ``test_data`` (N videos, T utterances, d);
the labels are read from ``video.npz``: ``{split}SentiLabel`` (N, T, 1),
``{split}EmoLabel`` (N, T, 6 intensities), ``{split}_length`` (N,), optional
``{split}_idName``.
"""

import os

import numpy as np

from keras_msa.data_tools.dataset import MSADataset
from keras_msa.data_tools.labels import IITP_EMOTION_ORDER
from keras_msa.data_tools.readers._common import SPLITS
from keras_msa.data_tools.readers._common import check_modalities
from keras_msa.data_tools.readers._common import check_shape
from keras_msa.data_tools.readers._common import check_sizes
from keras_msa.data_tools.readers._common import data_error
from keras_msa.data_tools.readers._common import decode_ids
from keras_msa.data_tools.readers._common import get_key
from keras_msa.data_tools.readers._common import load_npz
from keras_msa.data_tools.readers._common import make_split
from keras_msa.data_tools.readers._common import resolve_expected
from keras_msa.data_tools.readers._common import to_float32
from keras_msa.data_tools.readers._common import to_lengths
from keras_msa.data_tools.readers._common import warn

CIM_FILES = {"text": "text.npz", "audio": "audio.npz", "vision": "video.npz"}


def read_cim_npz(
    root,
    modalities=None,
    clip_emotions=3.0,
    emotion_names=IITP_EMOTION_ORDER,
    check_padding=True,
    expected_sizes=None,
    allow_pickle=False,
):
    """Read the CIM / CIA MOSEI npz files (videos x utterances).

    Args:
        root: folder holding ``text.npz``, ``audio.npz``, ``video.npz``.
        modalities: subset of ("text", "audio", "vision"); the labels are
            always read from ``video.npz``, as CIM does.
        clip_emotions: clip emotion intensities to [0, clip_emotions]
            (MOSEI has values > 3, SDK issue #218; count in
            ``info["emotions_clipped"]``); None keeps them.
        emotion_names: names of the 6 emotion columns. The column order of the
            npz is undocumented; the default is the CIM result files' order
            (anger, disgust, fear, happy, sad, surprise).
        check_padding: require all-zero features after each video's length.
        expected_sizes: None (the file has no documented sizes) or
            ``{split: videos}``.
        allow_pickle: allow object arrays (needed only for ``*_idName``
            arrays of Python strings; pickled data can run code on load).

    Returns:
        context-level MSADataset "mosei" (post-padded utterances), labels
        "sentiment" (N, T) and "emotions" (N, T, 6) float32, zero on padding.
    """
    modalities = check_modalities(modalities) or tuple(CIM_FILES)
    root = os.fspath(root)
    if len(tuple(emotion_names)) != 6:
        raise ValueError(f"`emotion_names` must name 6 emotions. Received: {emotion_names!r}")
    files = {m: os.path.join(root, CIM_FILES[m]) for m in CIM_FILES}
    arrays = {m: load_npz(files[m], allow_pickle=allow_pickle) for m in set(modalities) | {"vision"}}
    lab, lab_path = arrays["vision"], files["vision"]
    splits, sizes, clipped, generated_ids = {}, {}, 0, []
    for s in SPLITS:
        feats, N, T = {}, None, None
        for m in modalities:
            key = f"{s}_data"
            x = to_float32(get_key(arrays[m], key, files[m]), files[m], key, shape=(None, None, None))
            if N is None:
                N, T = x.shape[:2]
            elif x.shape[:2] != (N, T):
                raise data_error(files[m], key, f"(N, T) = {(N, T)} like the other modalities", x.shape[:2])
            feats[m] = x
        sizes[s] = N
        key = f"{s}_length"
        lengths = to_lengths(get_key(lab, key, lab_path), lab_path, key, N, T)
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise data_error(lab_path, key, "at least one utterance per video", f"empty video at row {int(empty[0])}")
        for m in modalities:
            if m != "vision" and key in arrays[m]:
                other = to_lengths(arrays[m][key], files[m], key, N, T)
                if not np.array_equal(other, lengths):
                    raise data_error(files[m], key, f"the lengths of {lab_path}", "different lengths")
        real = np.arange(T)[None, :] < lengths[:, None]
        if check_padding:
            for m, x in feats.items():
                beyond = np.any(x != 0, axis=-1) & ~real
                if beyond.any():
                    i, t = (int(v) for v in np.argwhere(beyond)[0])
                    raise data_error(files[m], f"{s}_data[{i}, {t}]",
                                     f"zero padding after the video's {lengths[i]} utterances ({key})",
                                     "non-zero features (check_padding=False to accept)")
        key = f"{s}SentiLabel"
        senti = to_float32(get_key(lab, key, lab_path), lab_path, key, allow_bool=False)
        if senti.ndim == 3 and senti.shape[2] == 1:
            senti = senti[..., 0]
        check_shape(senti, lab_path, key, (N, T))
        if senti[real].min() < -3 or senti[real].max() > 3:
            raise data_error(lab_path, key, "sentiment scores in [-3, 3]",
                             f"range [{senti[real].min():.3f}, {senti[real].max():.3f}]")
        key = f"{s}EmoLabel"
        emo = to_float32(get_key(lab, key, lab_path), lab_path, key, shape=(N, T, 6), allow_bool=False)
        if emo[real].min() < 0:
            raise data_error(lab_path, key, "emotion intensities >= 0", f"minimum {emo[real].min():.3f}")
        if clip_emotions is not None:
            clipped += int(np.sum(emo[real] > clip_emotions))
            emo = np.minimum(emo, np.float32(clip_emotions))
        senti = np.where(real, senti, 0.0).astype("float32")
        emo = np.where(real[..., None], emo, 0.0).astype("float32")
        key = f"{s}_idName"
        ids = None
        if key in lab:
            if lab[key] is None:
                generated_ids.append(s)
            else:
                ids = decode_ids(lab[key], lab_path, key, N, unique=True)
        if ids is None:
            ids = np.array([f"{s}_{i}" for i in range(N)])
        splits[s] = make_split(
            s, feats, {m: lengths.copy() for m in modalities}, {"sentiment": senti, "emotions": emo}, ids,
            padding="post", level="context", source=root,
        )
    if generated_ids:
        warn(f"{lab_path}: *_idName arrays need allow_pickle=True; generated ids used for {generated_ids}.")
    check_sizes(sizes, resolve_expected(expected_sizes, None), root, "videos")
    info = {
        "format": "cim_npz",
        "source": root,
        "level": "context",
        "label_kind": "sentiment+emotions",
        "emotion_names": tuple(emotion_names),
        "emotions_clipped": clipped,
    }
    return MSADataset("mosei", splits, info)
