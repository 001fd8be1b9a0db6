"""MMMU-BA (Ghosal et al., EMNLP 2018), CIA's baseline, on CMU-MOSEI (the CIA paper's Table 5b row).

The same data readers and formats as ``recipes/cia_mosei.py`` (CIM / CIA npz,
MulT or MMSA pickles grouped into videos, SDK ``.csd`` with folds; synthetic
MOSEI-shaped data without ``--data-dir``), with the MMMU-BA graph
(``get_model("mmmu_ba", ...)``) in place of CIA::

    python recipes/mmmu_ba_mosei.py                                   # synthetic MOSEI-shaped data
    python recipes/mmmu_ba_mosei.py --data-dir MOSEI/ --format cim_npz
    python recipes/mmmu_ba_mosei.py --data-dir MOSEI/ --preset cim --heads sentiment,emotions   # the CIM graph

Defaults: the MMMU-BA script's model (``--preset mosi``: Bi-GRU 300, dense
100 tanh, dropouts 0.5 / 0.7, bimodal attention) with the 2-class sentiment
head (score >= 0), Adam 1e-3, batch 32, features as distributed
(``--normalize none``, as the script), and the weights of the epoch with the
lowest validation loss (the MOSEI releases have a validation split; the
script validated on test, which no recipe here does). The script was written
for MOSI and gives no MOSEI epoch count; the default 50 is the CIM / CIA
code's. ``--preset cim`` builds CIM's multi-task graph (Akhtar et al., NAACL
2019: GRU 200, ReLU dense, dropouts 0.3; with ``--heads
sentiment,emotions``, emotion decisions as in ``cia_mosei.py``).

The paper column shows the CIA paper's Table 5b MMMU-BA row (MOSEI, 2-class:
F1 77.6, Acc2 79.8) for the tri-modal bimodal-attention model.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cia_common as common  # noqa: E402
import cia_mosei  # noqa: E402
import mmmu_ba_mosi  # noqa: E402

from keras_msa.runner import Recipe  # noqa: E402
from keras_msa.runner import RecipeError  # noqa: E402
from keras_msa.runner import run_recipe  # noqa: E402

#: The CIA paper's Table 5b, MMMU-BA on MOSEI (2-class sentiment).
PAPER_MOSEI = {"F1": 77.6, "Acc2": 79.8}
_STATE = {}


def add_arguments(parser):
    parser.add_argument("--modalities", default=None,
                        help="Comma-separated subset of text,audio,vision (default: those of the data).")
    parser.add_argument("--attention", choices=mmmu_ba_mosi.ATTENTION, default="bimodal",
                        help="The script's mode: bimodal (MMMU_BA, default), modality_self (MMUU_SA), "
                             "utterance_self (MU_SA) or none.")
    parser.add_argument("--preset", choices=("mosi", "cim"), default="mosi",
                        help="mosi: the MMMU-BA script's sizes (default); cim: the CIM multi-task graph's.")
    parser.add_argument("--heads", default="sentiment",
                        help="Comma-separated heads among sentiment,intensity,emotions (default sentiment, "
                             "MMMU-BA), or auto (every head the labels allow).")
    parser.add_argument("--normalize", choices=("none", "standard", "standard_tanh", "robust_tanh", "max_abs"),
                        default="none", help="Feature normalisation fitted on train (default none, the script).")
    parser.add_argument("--folds", default=None, help="Folds JSON for --format csd (CMU standard folds).")
    parser.add_argument("--mask-attention-keys", action="store_true",
                        help="Exclude padded utterances from the attention softmax (the script attends to them).")
    parser.add_argument("--synthetic-sizes", default=None,
                        help="train,valid,test videos of the synthetic data (default: cia_mosei.py's).")
    common.add_emotion_threshold_argument(parser)


def load_data(args):
    common.set_default_epochs(args, real=50, synthetic=16, real_reason="the CIM / CIA code's MOSEI count")
    data = cia_mosei.read_mosei(args)
    _STATE["heads"] = cia_mosei._resolve_heads(args, data)
    _STATE["emotion_order"] = cia_mosei._emotion_order(data)
    _STATE["modalities"] = data.modalities
    return data


def build_model(dataset, args):
    from keras_msa.models import get_model

    num_steps = None if args.mask_attention_keys else dataset.train.num_steps
    try:
        return get_model("mmmu_ba", args.preset, feature_dims=dataset.feature_dims, modalities=dataset.modalities,
                         num_steps=num_steps, attention=args.attention, heads=_STATE["heads"], num_classes=2,
                         num_emotions=7, mask_attention_keys=args.mask_attention_keys, seed=args.seed)
    except ValueError as exc:
        raise RecipeError(f"model: {exc}")


def make_arrays(split, args):
    return common.context_arrays(split, _STATE["heads"], _STATE["modalities"], "none", False, num_emotions=7,
                                 emotion_order=_STATE["emotion_order"])


def compile_args(args):
    return {"loss": common.loss_dict(_STATE["heads"], _STATE["modalities"], "none", False)}


def evaluate(model, dataset, args):
    return common.context_report(model, dataset, _STATE["heads"], dataset.modalities, num_emotions=7,
                                 emotion_order=_STATE["emotion_order"], emotion_thresholds=args.emotion_thresholds)


def paper_results(args):
    mods = _STATE.get("modalities", common.MODALITIES)
    if args.attention == "bimodal" and len(mods) == 3 and "sentiment" in _STATE.get("heads", ()):
        print("paper: CIA Table 5b, MMMU-BA on MOSEI (2-class sentiment)")
        return dict(PAPER_MOSEI)
    print("paper: no reported number for this mode / modality subset / head (Table 5b has tri-modal MMMU-BA)")
    return {}


RECIPE = Recipe(
    name="mmmu_ba_mosei",
    description="MMMU-BA (EMNLP 2018), CIA's baseline, on CMU-MOSEI: 2-class sentiment (CIA Table 5b)",
    load_data=load_data,
    build_model=build_model,
    make_arrays=make_arrays,
    compile_args=compile_args,
    evaluate=evaluate,
    paper_results=paper_results,
    defaults={"epochs": None, "batch_size": 32, "learning_rate": 1e-3, "adam_epsilon": 1e-7,
              "monitor": "val_loss", "monitor_mode": "min", "keep_ties": "earlier", "format": None},
    add_arguments=add_arguments,
    formats=cia_mosei.FORMATS,
    evaluation_flags=("emotion_thresholds",),
)

if __name__ == "__main__":
    run_recipe(RECIPE)
