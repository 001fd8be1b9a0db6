"""Throughput of CIA: training and inference samples/s, XLA on / off, Keras-2 vs Keras-3 GRU gates.

Two shapes, each on random data of the real size, timed in one process:

* ``context``: the utterance-context model of ``recipes/cia_mosi.py``
  (bc-LSTM MOSI: 63 utterance slots, text 100 / audio 73 / vision 100,
  videos of 5-40 real utterances, intensity head, batch 16);
* ``segment``: the segment-level model of the authors' YouTube script
  (``recipes/cia_youtube.py``: 20 word steps, text 300 / audio 74 / vision
  36, 3-class head, batch 16).

Settings: ``jit_compile`` off / on, and the GRU gate convention: ``keras2``
(hard-sigmoid gates, ``reset_after=False``, the reference scripts' Keras 2.2
defaults and this package's default) vs ``keras3`` (sigmoid,
``reset_after=True``, Keras 3's defaults). All settings of a shape are timed
in alternating rounds (medians over ``--rounds``), and the ratios to the
reference setting (keras2, no jit) are printed: compare ratios within one
run, the machine is shared. Example::

    python benchmarks/bench_cia_speed.py --output runs/bench_cia_speed.json

Measured (2026-12-03, 2 CPU cores, TF 2.21 / Keras 3.15, ``--train-batches 4
--rounds 3``; ratios to keras2 without jit, wall clock [per CPU-second])::

    | shape   | GRU    | jit | params    | train        | predict      | first epoch |
    | context | keras2 | off | 5,751,347 | x1.00        | x1.00        | 75 s        |
    | context | keras2 | on  | 5,751,347 | x1.28 [1.32] | x1.21 [1.10] | 128 s       |
    | context | keras3 | off | 5,754,047 | x0.99 [1.05] | x0.81 [0.80] | 75 s        |
    | context | keras3 | on  | 5,754,047 | x1.38 [1.41] | x1.17 [1.03] | 119 s       |
    | segment | keras2 | off | 6,121,923 | x1.00        | x1.00        | 75 s        |
    | segment | keras2 | on  | 6,121,923 | x1.43 [1.32] | x1.07 [1.14] | 139 s       |
    | segment | keras3 | off | 6,124,623 | x1.28 [1.02] | x1.17 [1.19] | 80 s        |
    | segment | keras3 | on  | 6,124,623 | x1.73 [1.47] | x1.16 [1.33] | 134 s       |

(absolute: context keras2 12.2 training / 94 predicted videos per second,
segment 24.0 / 207 segments per second.) XLA speeds training up by about
1.3-1.4x per CPU-second and costs about a minute of extra compilation, so it
pays off after a few hundred steps; the gate convention changes little on
CPU (the Keras-3 gates matter on GPU, where they allow cuDNN).

On the JAX backend (2026-12-04, ``KERAS_BACKEND=jax ... --shapes segment
--gru keras2 --train-batches 4 --rounds 2``, JAX 0.10.2) XLA is not an
option but the only graph mode: jit on trains x64.8 [x52.8] and predicts
x57.6 [x55.1] faster than jit off, which runs every op eagerly (1.1
training segments per second). The runner therefore always XLA-compiles on
JAX (``keras_msa.runner.resolve_jit_compile``).

On the torch backend (2026-12-04, ``KERAS_BACKEND=torch ... --shapes
segment --gru keras2 --train-batches 4 --rounds 2``, torch 2.13.0 CPU),
``jit_compile`` (``torch.compile``) gains nothing: training x1.00 and
prediction x0.91 of eager torch, and the first epoch takes 97 s instead of
6 s. The log shows why: TorchDynamo recompiles Keras' functional ``call``
frame whenever its input rank changes, hits its recompile limit (8) and
runs that frame eagerly (``torch._dynamo hit config.recompile_limit``). The
recipes keep torch eager unless ``--jit-compile`` is given.
"""

import argparse
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from _throughput import time_settings, warm_up, write_results  # noqa: E402
from keras_msa.models.cia import build_cia, cia_losses  # noqa: E402

SHAPES = {
    "context": dict(level="context", feature_dims={"text": 100, "audio": 73, "vision": 100}, num_steps=63,
                    heads=("intensity",), num_classes=2),
    "segment": dict(level="segment", feature_dims={"text": 300, "audio": 74, "vision": 36}, num_steps=20,
                    heads=("sentiment",), num_classes=3),
}
GRUS = {"keras2": dict(recurrent_activation="keras2_hard_sigmoid", reset_after=False),
        "keras3": dict(recurrent_activation="sigmoid", reset_after=True)}


def random_batch(shape, n, seed):
    """Inputs, targets and sample weights of the real shape (context: masked videos of 5-40 utterances)."""
    rng = np.random.default_rng(seed)
    config = SHAPES[shape]
    steps = config["num_steps"]
    x = {m: rng.uniform(-1, 1, size=(n, steps, d)).astype("float32") for m, d in config["feature_dims"].items()}
    if config["level"] == "segment":
        return x, {"sentiment": rng.integers(0, config["num_classes"], size=(n,)).astype("int32")}, None
    lengths = rng.integers(5, 41, size=n)
    mask = (np.arange(steps)[None, :] < lengths[:, None]).astype("float32")
    for m in config["feature_dims"]:
        x[m] *= mask[..., None]
    x["utterance_mask"] = mask
    y = {"intensity": (rng.uniform(-1, 1, size=(n, steps, 1)) * mask[..., None]).astype("float32")}
    return x, y, {"intensity": mask}


def prepare(shape, gru, jit, n, batch_size, predict_batch_size, seed):
    keras.utils.set_random_seed(seed)
    model = build_cia(**SHAPES[shape], **GRUS[gru], seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, epsilon=1e-7), loss=cia_losses(model), jit_compile=jit)
    x, y, weights = random_batch(shape, n, seed)
    compile_s = warm_up(model, x, y, weights, batch_size, predict_batch_size)
    return model, x, y, weights, compile_s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="context,segment", help="Comma-separated subset of context,segment.")
    parser.add_argument("--gru", choices=("both", "keras2", "keras3"), default="both")
    parser.add_argument("--jit", choices=("both", "off", "on"), default="both")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--train-batches", type=int, default=8, help="batches per timed epoch")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median reported)")
    parser.add_argument("--predict-batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown or not shapes:
        parser.error(f"--shapes: expected a non-empty subset of {list(SHAPES)}, found {args.shapes!r}")
    grus = list(GRUS) if args.gru == "both" else [args.gru]
    jits = {"both": (False, True), "off": (False,), "on": (True,)}[args.jit]
    n = args.batch_size * args.train_batches
    rows = []
    print(f"CIA throughput, batch {args.batch_size}, {n} samples per timed epoch, backend {keras.backend.backend()}, "
          f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()})")
    for shape in shapes:
        prepared = {(gru, jit): prepare(shape, gru, jit, n, args.batch_size, args.predict_batch_size, args.seed)
                    for gru in grus for jit in jits}
        rates = time_settings({k: v[:4] for k, v in prepared.items()}, n, args.batch_size, args.predict_batch_size,
                              args.rounds)
        base = rates[(grus[0], jits[0])]
        print(f"\n[{shape}] ratios to {grus[0]}, jit={jits[0]} (wall clock; per CPU-second in brackets)")
        for (gru, jit), rate in rates.items():
            model, compile_s = prepared[(gru, jit)][0], prepared[(gru, jit)][4]
            row = dict({"shape": shape, "gru": gru, "jit_compile": jit, "params": int(model.count_params()),
                        "compile_s": compile_s, "rounds": args.rounds}, **rate)
            rows.append(row)
            print(f"  gru={gru:6s} jit={str(jit):5s} params={row['params']:>9,}  "
                  f"train {rate['train_samples_per_s']:7.1f}/s x{rate['train_samples_per_s'] / base['train_samples_per_s']:.2f}"
                  f" [x{rate['train_samples_per_cpu_s'] / base['train_samples_per_cpu_s']:.2f}]  "
                  f"predict {rate['predict_samples_per_s']:7.1f}/s x{rate['predict_samples_per_s'] / base['predict_samples_per_s']:.2f}"
                  f" [x{rate['predict_samples_per_cpu_s'] / base['predict_samples_per_cpu_s']:.2f}]  "
                  f"first epoch {compile_s:.1f} s", flush=True)
    if args.output:
        write_results(args.output, args, rows)
    return rows


if __name__ == "__main__":
    main()
