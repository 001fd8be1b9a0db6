"""CIA (Chauhan et al., EMNLP 2019) on CMU-MOSEI: sentiment, intensity and emotions.

One model with three per-utterance heads trained jointly (CIM convention;
``--heads`` picks a subset, and data without emotion labels, such as the MulT
and MMSA pickles, train the first two):
sentiment classes (softmax; 2 classes = score >= 0 by default, ``--num-classes
5 / 7``), sentiment intensity (tanh on score / 3, MSE) and the 6 emotions +
"no emotion" (sigmoid, BCE). Every loss, the six IIM reconstruction MSEs
included, is a mean over the real utterances of the batch. The weights of the
epoch with the lowest validation loss are kept. Test metrics are printed next
to the paper's Table 1 / 3 / 5a::

    python recipes/cia_mosei.py                                   # synthetic MOSEI-shaped data, a few minutes
    python recipes/cia_mosei.py --data-dir MOSEI/ --format cim_npz    # the CIM / CIA npz (text/audio/video.npz)
    python recipes/cia_mosei.py --data-dir mosei_senti_data.pkl --format mult   # MulT pickle, grouped into videos
    python recipes/cia_mosei.py --data-dir MOSEI/Processed/aligned_50.pkl --format mmsa
    python recipes/cia_mosei.py --data-dir csd_folder/ --format csd --folds cmu_mosei_std_folds.json
    python recipes/cia_mosei.py --modalities text,audio --no-iim  # a Table 1 row / the Table 3 ablation

Metrics: ``Acc2``/``F1`` (weighted) from the class head; ``MAE``, ``r``,
``Acc5``, ``Acc7`` from the intensity head (3 x prediction, clip and round;
the paper does not say how its 5/7-class numbers were produced); ``Emo_F1`` /
``Emo_WAcc`` = average over the 6 emotions (Table 5a arithmetic), ``*_avg7``
with the "no emotion" column (CIM code), and per emotion. Emotion decisions
(``--emotion-thresholds``): by default one F1 threshold and one W-Acc
threshold chosen on the validation split from the IITP code's list (the paper
says it cross-validated its thresholds; ``Emo_F1_threshold`` /
``Emo_WAcc_threshold`` record them); ``validation_per_emotion`` chooses one
of each per emotion; ``paper`` uses the paper's fixed 0.4 / 0.18. The rows at
the fixed thresholds are always reported (``*_fixed``; with ``paper``, the
validation-chosen ones as ``*_validsel``).

Without ``--data-dir`` the data are synthetic with the real shape and the
numbers are not comparable with the paper's. Outputs (``--output-dir``,
default ``runs/cia_mosei``): ``results.json``, ``cia_mosei.keras``, the
SavedModel, ``preprocessing.json`` (unless ``--normalize none``: the feature
normalisation with its training statistics, for
``keras_msa.data_tools.apply_preprocessing``; see the README's serving
section), ``history.csv`` and, with ``--attention-videos N``, the attention
matrices of N test videos (``cia_attention.npz``) and, with matplotlib, their
heatmaps (``cia_attention.png``, paper Figure 3).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cia_common as common  # noqa: E402

from keras_msa.runner import Recipe  # noqa: E402
from keras_msa.runner import RecipeError  # noqa: E402
from keras_msa.runner import run_recipe  # noqa: E402

HEADS = ("sentiment", "intensity", "emotions")
FORMATS = ("cim_npz", "mult", "mmsa", "csd")
SYNTHETIC_SIZES = (96, 24, 48)  # videos; the synthetic generator's utterance count per video is 4..49


def add_arguments(parser):
    common.add_model_arguments(parser, default_preset="mosei")
    common.add_class_arguments(parser, (2, 5, 7), "Sentiment classes of the class head: 2 (score >= 0, CIM), "
                                                  "5 or 7 (see --seven-class).")
    parser.add_argument("--normalize",
                        choices=("none", "standard", "standard_tanh", "robust_tanh", "max_abs", "split_max"),
                        default="standard_tanh",
                        help="Feature normalisation fitted on train (default standard_tanh: z-score, clip at "
                             "3, /3, i.e. inside the IIMs' tanh range; robust_tanh: the same with median / IQR, "
                             "which a few extreme values do not move; none = the CIM npz as distributed; "
                             "split_max = the CIA script, leaks test statistics).")
    parser.add_argument("--folds", default=None, help="Folds JSON for --format csd (CMU standard folds).")
    parser.add_argument("--heads", default="auto",
                        help="Comma-separated heads among sentiment,intensity,emotions. Default auto: all three "
                             "when the data carry emotion labels (CIM npz, SDK 'All Labels'), else "
                             "sentiment,intensity (the MulT / MMSA pickles have sentiment scores only).")
    common.add_attention_argument(parser)
    common.add_emotion_threshold_argument(parser)


def _read_csd_folder(args):
    from keras_msa.data_tools.readers import find_sdk_csd
    from keras_msa.data_tools.readers import read_sdk_csd

    if args.folds is None:
        raise RecipeError("--format csd needs --folds (e.g. shared/datasets/folds/cmu_mosei_std_folds.json)")
    paths, labels = find_sdk_csd(args.data_dir)
    print("csd files: " + ", ".join(f"{m} {os.path.basename(p)}" for m, p in dict(paths, labels=labels).items()))
    # The standard MOSEI folds list two test videos the SDK has no labels for (7l3BNtSE0xc, dZFV0lyedX4;
    # CMU-MultimodalSDK issues 89 / 256): they are skipped with a warning that names them.
    return read_sdk_csd(paths, labels, args.folds, name="mosei", unlabelled_videos="drop")


def load_data(args):
    # 16 synthetic epochs: at 8 the emotion head is still near its base rates (6-emotion F1 37.7 at the
    # paper's 0.4 threshold, W-Acc 50.0 at 0.18 on every emotion); at 16 it is 74.7 / 59.9 (seed 0, 3.6 min).
    common.set_default_epochs(args, real=50, synthetic=16)
    return read_mosei(args)


def read_mosei(args):
    """MOSEI videos x utterances from ``--data-dir`` / ``--format`` (synthetic without), ``--modalities``
    selected, the utterance axis fitted and ``--normalize`` applied (also used by ``mmmu_ba_mosei.py``)."""
    from keras_msa.data_tools.readers import group_by_video

    if args.data_dir is None:
        from keras_msa.data_tools.synthetic import make_synthetic

        data = make_synthetic("mosei_context", seed=args.seed, sizes=common.synthetic_sizes(args, SYNTHETIC_SIZES))
    else:
        fmt = args.format or "cim_npz"
        if fmt == "cim_npz":
            from keras_msa.data_tools.readers import read_cim_npz

            data = read_cim_npz(args.data_dir)
        elif fmt == "mult":
            from keras_msa.data_tools.readers import read_mult_pickle

            data = group_by_video(read_mult_pickle(args.data_dir, dataset="mosei"), pooling="mean")
        elif fmt == "mmsa":
            from keras_msa.data_tools.readers import read_mmsa_pickle

            data = group_by_video(read_mmsa_pickle(args.data_dir, dataset="mosei"), pooling="mean")
        else:
            data = group_by_video(_read_csd_folder(args), pooling="mean")
    mods = common.parse_modalities(args.modalities, data.modalities)
    data = data.select_modalities(mods)
    data = common.fit_utterance_axis(data)
    return common.normalize(data, args.normalize)


def _resolve_heads(args, data):
    """``--heads`` checked against the labels of the data (``auto``: every head the labels allow)."""
    source = data.info.get("source", args.data_dir)
    has = {"emotions": "emotions" in data.train.labels, "intensity": "sentiment" in data.train.labels,
           "sentiment": bool({"sentiment", "class"} & set(data.train.labels))}
    if args.heads == "auto":
        heads = tuple(h for h in HEADS if has[h])
        if not has["emotions"]:
            print(f"note: {source} has no emotion labels: the emotion head is not trained (heads: "
                  f"{','.join(heads)}; --heads sets them).")
    else:
        heads = common.parse_heads(args.heads, HEADS)
    missing = [h for h in heads if not has[h]]
    if missing or not heads:
        raise RecipeError(f"--heads: {source} has no labels for {missing or list(HEADS)} (its labels: "
                          f"{sorted(data.train.labels)}; emotions need emotion intensities, intensity needs the "
                          "continuous sentiment scores)")
    return heads


def _emotion_order(dataset):
    """Permute the emotion columns into the paper's alphabetical order (Table 5a)."""
    from keras_msa.data_tools.labels import IITP_EMOTION_ORDER

    names = tuple(n.lower() for n in dataset.info.get("emotion_names", IITP_EMOTION_ORDER))
    return None if names == IITP_EMOTION_ORDER else (names, IITP_EMOTION_ORDER)


def _build_kwargs(dataset, args):
    return common.cia_model_kwargs(dataset, args, "context", _DATA_INFO["heads"], args.num_classes,
                                   args.mask_attention_keys, num_emotions=7)


def build_model(dataset, args):
    return common.build_cia_model(_build_kwargs(dataset, args))


def make_arrays(split, args):
    mods = tuple(m for m in common.MODALITIES if m in split.modalities)
    return common.context_arrays(split, _DATA_INFO["heads"], mods, args.reconstruction, not args.no_iim,
                                 sentiment_convention=common.sentiment_convention(args), num_emotions=7,
                                 emotion_order=_DATA_INFO.get("emotion_order"))


_DATA_INFO = {}


def compile_args(args):
    losses = common.loss_dict(_DATA_INFO["heads"], _DATA_INFO["modalities"], args.reconstruction, not args.no_iim)
    return common.compile_losses(losses, args.reconstruction_weight)


def evaluate(model, dataset, args):
    return common.context_report(model, dataset, _DATA_INFO["heads"], dataset.modalities, num_emotions=7,
                                 emotion_order=_emotion_order(dataset),
                                 sentiment_convention=common.sentiment_convention(args),
                                 emotion_thresholds=args.emotion_thresholds)


def paper_results(args):
    # the modalities the run used: without --modalities, those of the data (a csd folder may lack audio / vision)
    # (load_data has already checked --modalities against the data)
    if args.modalities is None:
        mods = tuple(_DATA_INFO.get("modalities", common.MODALITIES))
    else:
        mods = common.parse_modalities(args.modalities)
    out = common.paper_table1("mosei", mods, use_iim=not args.no_iim)
    heads = _DATA_INFO.get("heads", HEADS)
    # Only the paper numbers this run measures: the class head gives Acc<C> (and F1 for 2 classes, the
    # paper's F1), the intensity head MAE, r, Acc5 and Acc7, the emotion head the Emo_* columns.
    measured = set()
    if "sentiment" in heads:
        measured |= {f"Acc{args.num_classes}"} | ({"F1"} if args.num_classes == 2 else set())
    if "intensity" in heads:
        measured |= {"MAE", "r", "Acc5", "Acc7"}
    out = {k: v for k, v in out.items() if k in measured or (k.startswith("Emo_") and "emotions" in heads)}
    print(f"paper: CIA Table 1 / 3 / 5a, MOSEI, row {common.table_row_name(mods, not args.no_iim)}")
    return out


def after_training(model, dataset, args, output_dir):
    if args.attention_videos:
        common.write_attention(model, _build_kwargs(dataset, args), dataset.test, dataset.modalities,
                               args.attention_videos, output_dir)


def _load_data_and_remember(args):
    data = load_data(args)
    _DATA_INFO["heads"] = _resolve_heads(args, data)
    _DATA_INFO["emotion_order"] = _emotion_order(data)
    _DATA_INFO["modalities"] = data.modalities
    return data


RECIPE = Recipe(
    name="cia_mosei",
    description="CIA (EMNLP 2019) on CMU-MOSEI: sentiment classes, intensity and 6 emotions (Table 1 / 5a)",
    load_data=_load_data_and_remember,
    build_model=build_model,
    make_arrays=make_arrays,
    compile_args=compile_args,
    evaluate=evaluate,
    paper_results=paper_results,
    defaults={"epochs": None, "batch_size": 16, "learning_rate": 1e-3, "adam_epsilon": 1e-7,
              "monitor": "val_loss", "monitor_mode": "min", "keep_ties": "earlier", "format": None},
    add_arguments=add_arguments,
    formats=FORMATS,
    after_training=after_training,
    evaluation_flags=("emotion_thresholds", "attention_videos"),
)

if __name__ == "__main__":
    run_recipe(RECIPE)
