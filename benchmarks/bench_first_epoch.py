"""Time to the end of the first training epoch, with and without ``runner.build_training_state``.

Keras' TensorFlow trainer (no distribution strategy) creates the optimizer
slots and the loss / metric trackers inside the first trace of the train step,
so ``tf.function`` traces the step twice; the recipe runner builds them first
(:func:`keras_msa.runner.build_training_state`), which leaves one trace. This
benchmark measures what that saves on the recurrent models, where tracing
dominates short runs. Each round builds a fresh model per setting and times
``compile`` + (pre-build) + one ``fit`` epoch; the settings alternate within a
round, and the ratio of the medians is reported (the machine is shared)::

    python benchmarks/bench_first_epoch.py --models cia_context,marn_tma --rounds 2

Measured (2026-12-03, 2 CPU cores, TF 2.21 / Keras 3.15, ``--rounds 2``; one
epoch of 64 random samples, batch 16; ratio = pre-built / Keras alone)::

    | model       | params    | Keras alone (s) | pre-built (s) | ratio |
    | cia_context | 5,751,347 | 96.7            | 64.0          | x0.66 |
    | marn_tma    | 508,464   | 24.6            | 16.4          | x0.67 |

Before the change, a 2-epoch run of ``recipes/cia_mosi.py`` on the real data
(seed 0) trained in 142 / 129 s; with it, 95 / 83 s (runs alternated), with
the same test Acc2 to the last digit (the variables start at the same zeros).
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from bench_cia_speed import random_batch  # noqa: E402
from bench_cia_speed import SHAPES  # noqa: E402
from keras_msa.models import get_model  # noqa: E402
from keras_msa.models.cia import build_cia  # noqa: E402
from keras_msa.models.cia import cia_losses  # noqa: E402
from keras_msa.runner import build_training_state  # noqa: E402


def _cia_context(seed, n):
    model = build_cia(**SHAPES["context"], seed=seed)
    x, y, weights = random_batch("context", n, seed)
    return model, cia_losses(model), x, y, weights


def _marn_tma(seed, n):
    model = get_model("marn_tma", preset="mosi", seed=seed)
    rng = np.random.default_rng(seed)
    x = {t.name: rng.normal(size=(n,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs}
    return model, "mae", x, rng.normal(size=(n, 1)).astype("float32"), None


MODELS = {"cia_context": _cia_context, "marn_tma": _marn_tma}


def first_epoch_seconds(make, prebuild, seed, n, batch_size):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model, loss, x, y, weights = make(seed, n)
    t0 = time.perf_counter()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    if prebuild:
        build_training_state(model, (x, y) if weights is None else (x, y, weights))
    model.fit(x, y, sample_weight=weights, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - t0, int(model.count_params())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cia_context,marn_tma", help=f"Comma-separated subset of {list(MODELS)}.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.models.split(",") if s.strip()]
    unknown = [s for s in names if s not in MODELS]
    if unknown or not names:
        parser.error(f"--models: expected a non-empty subset of {list(MODELS)}, found {args.models!r}")
    print("| model | params | Keras alone (s) | pre-built (s) | ratio |")
    for name in names:
        seconds = {False: [], True: []}
        for _ in range(args.rounds):
            for prebuild in (False, True):
                s, params = first_epoch_seconds(MODELS[name], prebuild, args.seed, args.samples, args.batch_size)
                seconds[prebuild].append(s)
        alone, built = statistics.median(seconds[False]), statistics.median(seconds[True])
        print(f"| {name} | {params:,} | {alone:.1f} | {built:.1f} | x{built / alone:.2f} |", flush=True)


if __name__ == "__main__":
    main()
