"""Shared parts of the TMA-paper recipes (``tma_mosi.py``, ``tma_mmmo.py``, ``tma_youtube.py``).

One recipe per dataset, each training one of the paper's four models (or the
original window-2 MFN) with the training conventions of the TMA reference code
(``shared/reference/recurrent.md`` section 9): Adam (lr 1e-3, eps 1e-8), batch
32, 50 epochs, one random permutation of the training set before training and
no reshuffle, the partial last batch dropped, L1 loss (MOSI, ICT-MMMO) or
cross-entropy on logits (YouTube), the weights of the epoch with the lowest
validation loss kept (``<=``: later ties win), test metrics of the TMA code
(section 10) printed next to the paper's Table 2.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_msa import metrics  # noqa: E402
from keras_msa.runner import Recipe  # noqa: E402
from keras_msa.runner import RecipeError  # noqa: E402
from keras_msa.runner import non_negative_int  # noqa: E402
from keras_msa.runner import parse_sizes  # noqa: E402
from keras_msa.runner import positive_float  # noqa: E402

MODEL_NAMES = ("marn", "marn_tma", "mfn", "mfn_window1", "mfn_tma")
TMA_MODELS = ("marn_tma", "mfn_tma")
SYNTHETIC_NAMES = {"mosi": "mosi_mfn", "mmmo": "mmmo", "youtube": "youtube"}
DATASET_TITLES = {"mosi": "CMU-MOSI", "mmmo": "ICT-MMMO", "youtube": "YouTube"}

# TMA paper, Table 2 (recurrent.md section 11). "MFN (baseline)" was trained with the
# TMA code's window-1 MFN; the original window-2 MFN is shown against the same row.
PAPER_TABLE2 = {
    "MFN (baseline)": {"mosi": {"Acc2": 76.1, "F1": 72.2, "Acc7": 33.4, "MAE": 0.975, "r": 0.638},
                       "mmmo": {"Acc2": 80.0, "F1": 83.7}, "youtube": {"Acc3": 57.6, "F1": 56.6}},
    "MFN (TMA)": {"mosi": {"Acc2": 77.4, "F1": 72.6, "Acc7": 34.7, "MAE": 0.960, "r": 0.652},
                  "mmmo": {"Acc2": 85.0, "F1": 87.8}, "youtube": {"Acc3": 61.0, "F1": 60.0}},
    "MARN (baseline)": {"mosi": {"Acc2": 76.4, "F1": 71.8, "Acc7": 33.6, "MAE": 0.975, "r": 0.645},
                        "mmmo": {"Acc2": 81.3, "F1": 85.7}, "youtube": {"Acc3": 54.2, "F1": 53.8}},
    "MARN (TMA)": {"mosi": {"Acc2": 78.1, "F1": 73.6, "Acc7": 33.4, "MAE": 0.956, "r": 0.646},
                   "mmmo": {"Acc2": 85.0, "F1": 88.7}, "youtube": {"Acc3": 59.3, "F1": 58.0}},
}
PAPER_ROW = {"mfn": "MFN (baseline)", "mfn_window1": "MFN (baseline)", "mfn_tma": "MFN (TMA)",
             "marn": "MARN (baseline)", "marn_tma": "MARN (TMA)"}


def _modalities(args):
    if args.modalities is None:
        return None
    mods = tuple(m.strip() for m in args.modalities.split(",") if m.strip())
    allowed = ("text", "audio", "vision")
    bad = [m for m in mods if m not in allowed]
    if bad or not mods or len(set(mods)) != len(mods):
        raise RecipeError(f"--modalities: expected a comma-separated subset of {list(allowed)}, found {args.modalities!r}")
    return tuple(m for m in allowed if m in mods)


def _label(dataset_name, split):
    if dataset_name == "mosi":
        return split.labels["sentiment"].astype("float32")[:, None]
    if dataset_name == "mmmo":
        return split.labels["score"].astype("float32")[:, None]
    return split.labels["class"].astype("int32")


def make_recipe(dataset_name):
    """The :class:`Recipe` of the TMA paper on ``dataset_name`` ("mosi", "mmmo", "youtube")."""
    title = DATASET_TITLES[dataset_name]

    def add_arguments(parser):
        parser.add_argument("--model", choices=MODEL_NAMES, default="marn_tma",
                            help="marn_tma = MARN(TMA) (default, the paper's model), mfn_tma = MFN(TMA), "
                                 "marn / mfn_window1 = the paper's baselines (TMA code), mfn = original "
                                 "window-2 MFN.")
        parser.add_argument("--preset", default=None,
                            help=f"Hyperparameter preset (default {dataset_name!r}: the reference code's). "
                                 "Others: mosi_paper (74/35-d audio/visual), mosi_mfn_mae / mosi_mfn_acc (mfn).")
        parser.add_argument("--modalities", default=None,
                            help="Comma-separated subset of text,audio,vision (default: every modality "
                                 "with files for all splits; the MFN ICT-MMMO / YouTube release has no "
                                 "training text, so audio,vision there).")
        parser.add_argument("--normalize", choices=("none", "standard", "max_abs"),
                            default="none" if dataset_name == "mosi" else "standard",
                            help="Per-feature normalisation fitted on train (real steps only). Default "
                                 "'standard' for ICT-MMMO / YouTube (their audio saturates at +-255 in the "
                                 "MFN release; the TMA code's own pickles are not public), 'none' for MOSI "
                                 "(the MFN X_*.h5 files are used as they are).")
        parser.add_argument("--audio-clip", type=positive_float, default=None,
                            help="Clip audio to [-c, c] before normalising (default: no clipping).")
        parser.add_argument("--padding", choices=("pre", "keep"), default="pre",
                            help="'pre' (default) moves padding to the front as in the reference data, so the "
                                 "last step is the last word; 'keep' leaves the release's padding side.")
        parser.add_argument("--use-mask", action="store_true",
                            help="Freeze the recurrent states on all-zero (padded) steps. The reference runs "
                                 "padding through; off by default.")
        parser.add_argument("--init-style", choices=("torch", "keras"), default="torch",
                            help="Weight initialisation: PyTorch defaults (reference parity) or Keras'.")
        parser.add_argument("--synthetic-sizes", default=None,
                            help="train,valid,test sizes of the synthetic data (default: the generator's). The "
                                 "TMA scripts drop the last incomplete batch: train needs >= --batch-size.")
        parser.add_argument("--f1-average", choices=("binary", "weighted", "macro"),
                            default="macro" if dataset_name == "youtube" else "binary",
                            help="F1 of the 'F1' column: the TMA code uses binary (MOSI, ICT-MMMO) and macro "
                                 "(YouTube); the MFN paper reports weighted.")
        if dataset_name == "mosi":
            parser.add_argument("--acc2-mode", choices=("has_zero", "non_zero"), default="has_zero",
                                help="Acc2 / F1 on all samples with y >= 0 positive (TMA code) or without the "
                                     "zero labels (y > 0, later papers).")
            parser.add_argument("--acc7-clip", action="store_true",
                                help="Clip predictions to [-3, 3] before rounding for Acc7 (the TMA code does not).")
        parser.add_argument("--heatmap-samples", type=non_negative_int, default=0,
                            help="With marn_tma / mfn_tma: write the per-step modality weights of this many "
                                 "test samples as tma_modality_weights.png (+ .npy) into --output-dir "
                                 "(paper Figure 2; needs matplotlib, extra 'plot').")

    def load_data(args):
        from keras_msa.data_tools.labels import FeatureNormalizer

        mods = _modalities(args)
        if args.data_dir is None:
            from keras_msa.data_tools.synthetic import make_synthetic

            sizes = parse_sizes(args.synthetic_sizes) if args.synthetic_sizes else None
            data = make_synthetic(SYNTHETIC_NAMES[dataset_name], seed=args.seed, sizes=sizes, modalities=mods)
        else:
            from keras_msa.data_tools.readers.mfn import read_mfn_h5

            data = read_mfn_h5(args.data_dir, dataset=dataset_name, modalities=mods, audio_clip=args.audio_clip)
        if args.audio_clip is not None and args.data_dir is None and "audio" in data.modalities:
            data = FeatureNormalizer("clip", modalities=["audio"], clip_value=args.audio_clip).fit(
                data.train).transform(data)
        if args.normalize != "none":
            data = FeatureNormalizer(args.normalize).fit(data.train).transform(data)
        if args.padding == "pre":
            splits = {name: split.repad("pre") for name, split in data.splits.items()}
            data = type(data)(data.name, splits, dict(data.info))
        return data

    def build_model(dataset, args):
        from keras_msa.models import get_model

        if args.heatmap_samples and args.model not in TMA_MODELS:
            raise RecipeError(f"--heatmap-samples needs --model marn_tma or mfn_tma (found {args.model})")
        if args.heatmap_samples:
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                raise RecipeError("--heatmap-samples needs matplotlib: pip install 'keras_msa[plot]'")
        preset = args.preset or dataset_name
        try:
            return get_model(
                args.model,
                preset,
                input_dims=dataset.feature_dims,
                modalities=dataset.modalities,
                num_steps=dataset.train.num_steps,
                use_mask=args.use_mask,
                init_style=args.init_style,
                seed=args.seed,
            )
        except ValueError as exc:
            raise RecipeError(f"--model {args.model} --preset {preset}: {exc}")

    def make_arrays(split, args):
        return split.to_inputs(), _label(dataset_name, split), None

    def compile_args(args):
        import keras

        if dataset_name == "youtube":
            return {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "metrics": ["accuracy"]}
        return {"loss": keras.losses.MeanAbsoluteError()}

    def evaluate(model, dataset, args):
        pred = model.predict(dataset.test.to_inputs(), verbose=0, batch_size=256)
        y = _label(dataset_name, dataset.test)
        if dataset_name == "mosi":
            r = metrics.regression_report(pred[:, 0], y[:, 0], acc2_modes=(args.acc2_mode,),
                                          acc7_clip=args.acc7_clip, percent=True)
            s = {"has_zero": "has0", "non_zero": "non0"}[args.acc2_mode]
            f1_key = {"binary": f"F1_binary_{s}", "weighted": f"F1_{s}"}.get(args.f1_average)
            if f1_key is None:
                raise RecipeError("--f1-average macro is not a MOSI convention; use binary or weighted")
            return {"Acc2": r[f"Acc2_{s}"], "F1": r[f1_key], "Acc7": r["Acc7"], "MAE": r["MAE"], "r": r["Corr"]}
        if dataset_name == "mmmo":
            r = metrics.mmmo_report(pred[:, 0], y[:, 0], f1_average=args.f1_average, percent=True)
            return {"Acc2": r["Acc2"], "F1": r["F1"], "MAE": r["MAE"], "r": r["Corr"]}
        r = metrics.classification_report(pred, y, percent=True)
        if args.f1_average == "binary":
            raise RecipeError("--f1-average binary does not apply to the 3 YouTube classes; use macro or weighted")
        return {"Acc3": r["Acc"], "F1": r[f"F1_{args.f1_average}"]}

    def paper_results(args):
        row = PAPER_ROW[args.model]
        ran = "+".join(m[0].upper() for m in _modalities(args)) if args.modalities else "the data's modalities"
        print(f"the paper column is TMA Table 2, row '{row}' on {title} (T+A+V, the paper's features); "
              f"this run used {ran} (see the data summary above)")
        if args.model == "mfn":
            print(f"note: the paper's '{row}' row was trained with the TMA code's window-1 MFN "
                  "(--model mfn_window1); --model mfn is the original window-2 MFN.")
        return dict(PAPER_TABLE2[row][dataset_name])

    def after_training(model, dataset, args, output_dir):
        if not args.heatmap_samples:
            return
        path = write_modality_heatmap(model, dataset.test, args.heatmap_samples, output_dir,
                                      title=f"{args.model} on {title}")
        print(f"wrote {path}")

    return Recipe(
        name=f"tma_{dataset_name}",
        description=f"TMA paper (Table 2) on {title}: MARN(TMA) by default, MFN(TMA) and the MARN / MFN baselines",
        load_data=load_data,
        build_model=build_model,
        make_arrays=make_arrays,
        compile_args=compile_args,
        evaluate=evaluate,
        paper_results=paper_results,
        defaults={"epochs": 50, "batch_size": 32, "learning_rate": 1e-3, "adam_epsilon": 1e-8, "seed": 666,
                  "shuffle": "once", "drop_remainder": True, "keep_ties": "later", "monitor": "val_loss",
                  "monitor_mode": "min", "format": "mfn_h5"},
        add_arguments=add_arguments,
        formats=("mfn_h5",),
        after_training=after_training,
        evaluation_flags=("heatmap_samples",),
    )


def write_modality_heatmap(model, split, num_samples, output_dir, title=""):
    """Plot the per-step TMA modality weights of the first test samples (paper Figure 2).

    Writes ``tma_modality_weights.png`` and the raw weights
    ``tma_modality_weights.npy`` (num_samples, T, M) into ``output_dir``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keras_msa.models import modality_weights_model

    n = int(min(num_samples, len(split)))
    inputs = {k: v[:n] for k, v in split.to_inputs().items()}
    weights = modality_weights_model(model).predict(inputs, verbose=0)
    names = [m for m in ("text", "audio", "vision") if m in inputs]
    np.save(os.path.join(output_dir, "tma_modality_weights.npy"), weights)
    steps = weights.shape[1]
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, 0.45 * steps), 0.5 + 0.55 * len(names) * n), squeeze=False)
    for i, ax in enumerate(axes[:, 0]):
        image = ax.imshow(weights[i].T, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names)
        ax.set_xticks(range(steps))
        ax.set_xticklabels([str(t + 1) for t in range(steps)] if i == n - 1 else [])
        ax.set_ylabel(str(split.ids[i]), rotation=0, ha="right", va="center", fontsize=7)
    axes[-1, 0].set_xlabel("word step t")
    fig.colorbar(image, ax=axes[:, 0].tolist(), fraction=0.03, label="modality weight")
    fig.suptitle(f"Temporal modality attention {title}".strip())
    path = os.path.join(output_dir, "tma_modality_weights.png")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
