"""A small real recipe used to test the runner end to end: a bimodal GRU
regressor on the synthetic MOSEI (MulT aligned) shape. Runnable as a script."""

import os
import sys

import keras

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_msa import metrics  # noqa: E402
from keras_msa.data_tools.synthetic import make_synthetic  # noqa: E402
from keras_msa.runner import Recipe  # noqa: E402
from keras_msa.runner import run_recipe  # noqa: E402

MODALITIES = ("text", "audio")


def load_data(args):
    if args.data_dir is not None:
        raise NotImplementedError
    sizes = tuple(int(v) for v in getattr(args, "sizes", "160,48,64").split(","))
    return make_synthetic("mosei", seed=args.seed, sizes=sizes, modalities=MODALITIES)


def build_model(dataset, args):
    inputs, encoded = {}, []
    for m in MODALITIES:
        x = keras.Input(shape=(None, dataset.feature_dims[m]), name=m)
        inputs[m] = x
        h = keras.layers.Masking(0.0, name=f"mask_{m}")(x)
        h = keras.layers.GRU(args.units, name=f"gru_{m}", seed=args.seed)(h)
        encoded.append(h)
    h = keras.layers.Concatenate(name="fusion")(encoded)
    h = keras.layers.Dropout(0.1, seed=args.seed, name="dropout")(h)
    out = keras.layers.Dense(1, name="sentiment")(h)
    return keras.Model(inputs, out, name="toy_bimodal_gru")


def make_arrays(split, args):
    return split.to_inputs(MODALITIES), split.labels["sentiment"][:, None], None


def compile_args(args):
    return {"loss": "mae"}


def evaluate(model, dataset, args):
    pred = model.predict(dataset.test.to_inputs(MODALITIES), verbose=0)[:, 0]
    y = dataset.test.labels["sentiment"]
    return {
        "MAE": metrics.mae(pred, y),
        "Corr": metrics.pearson_r(pred, y),
        "Acc2": 100.0 * metrics.acc2(pred, y, mode="has_zero"),
    }


def add_arguments(parser):
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--sizes", default="160,48,64", help="train,valid,test sample counts")


RECIPE = Recipe(
    name="toy_bimodal_gru",
    description="Bimodal GRU on synthetic MOSEI (runner test)",
    load_data=load_data,
    build_model=build_model,
    make_arrays=make_arrays,
    compile_args=compile_args,
    evaluate=evaluate,
    paper_results={"MAE": 0.5, "Acc2": 80.0},
    defaults={"epochs": 4, "batch_size": 32, "learning_rate": 3e-3},
    add_arguments=add_arguments,
    formats=("synthetic",),
)

if __name__ == "__main__":
    run_recipe(RECIPE)
