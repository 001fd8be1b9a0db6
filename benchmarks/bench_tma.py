"""Throughput of the TMA-family models: training and inference samples/s, with and without XLA.

For every model (marn, marn_tma, mfn, mfn_window1, mfn_tma) at one dataset
preset (default ICT-MMMO: inputs 300/74/35, T = 20), this measures in one
process, on random data of the real shape:

* train: ``model.fit`` samples/s (Adam, L1 or cross-entropy loss, batch 32 as
  the reference), after one warm-up epoch that also pays the graph / XLA
  compilation (reported separately as ``compile_s``);
* inference: ``model.predict`` samples/s (batch ``--predict-batch-size``),
  after one warm-up call;

each with ``jit_compile=False`` and ``jit_compile=True`` (both variants of a
model are timed in alternating rounds; medians over ``--rounds``), and prints
the jit / no-jit ratios. Numbers depend on the machine and on concurrent load:
compare the ratios within one run. Example::

    python benchmarks/bench_tma.py --preset mmmo --output runs/bench_tma.json
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
from keras_msa.models import get_model  # noqa: E402

MODELS = ("marn", "marn_tma", "mfn", "mfn_window1", "mfn_tma")


def _data(model, n, seed):
    rng = np.random.default_rng(seed)
    x = {t.name.split(":")[0]: rng.normal(size=(n,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs}
    out_dim = model.output.shape[-1]
    y = rng.integers(0, out_dim, size=(n,)).astype("int32") if out_dim > 1 else rng.normal(size=(n, 1)).astype(
        "float32")
    return x, y


def _prepare(name, preset, jit, batch_size, n, predict_batch_size, seed):
    """Build, compile and warm up one model (pays graph tracing / XLA compilation)."""
    keras.utils.set_random_seed(seed)
    model = get_model(name, preset, seed=seed)
    loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=True) if model.output.shape[-1] > 1
            else keras.losses.MeanAbsoluteError())
    model.compile(optimizer=keras.optimizers.Adam(1e-3, epsilon=1e-8), loss=loss, jit_compile=jit)
    x, y = _data(model, n, seed)
    compile_s = warm_up(model, x, y, None, batch_size, predict_batch_size)
    return model, x, y, compile_s


def bench_model(name, preset, jits, batch_size, train_batches, rounds, predict_batch_size, seed):
    """Time ``rounds`` alternating rounds (one training epoch + one predict pass per setting).

    Alternating the jit / no-jit settings inside each round and taking the
    median over rounds keeps the ratio robust to load from other processes.
    """
    n = batch_size * train_batches
    prepared = {jit: _prepare(name, preset, jit, batch_size, n, predict_batch_size, seed) for jit in jits}
    rates = time_settings({jit: (model, x, y, None) for jit, (model, x, y, _) in prepared.items()}, n, batch_size,
                          predict_batch_size, rounds)
    rows = []
    for jit in jits:
        model, _, _, compile_s = prepared[jit]
        rows.append(dict({"model": name, "preset": preset, "jit_compile": jit, "params": int(model.count_params()),
                          "compile_s": compile_s, "rounds": rounds}, **rates[jit]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--preset", default="mmmo", help="mosi, mmmo or youtube (default mmmo)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-batches", type=int, default=10, help="batches per timed epoch")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (median reported)")
    parser.add_argument("--predict-batch-size", type=int, default=256)
    parser.add_argument("--jit", choices=("both", "off", "on"), default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        parser.error(f"--models: unknown {unknown}; expected a subset of {list(MODELS)}")
    jits = {"both": (False, True), "off": (False,), "on": (True,)}[args.jit]
    rows = []
    for name in models:
        for row in bench_model(name, args.preset, jits, args.batch_size, args.train_batches, args.rounds,
                               args.predict_batch_size, args.seed):
            rows.append(row)
            print(f"{name:12s} jit={str(row['jit_compile']):5s} params={row['params']:>9,}  "
                  f"compile+1st epoch {row['compile_s']:6.1f}s  train {row['train_samples_per_s']:8.1f} samples/s  "
                  f"predict {row['predict_samples_per_s']:9.1f} samples/s  (per CPU-second: train "
                  f"{row['train_samples_per_cpu_s']:.1f}, predict {row['predict_samples_per_cpu_s']:.1f})", flush=True)

    print(f"\nTMA family throughput, preset {args.preset}, batch {args.batch_size}, backend "
          f"{keras.backend.backend()}, {os.cpu_count()} CPUs ({platform.processor() or platform.machine()})")
    header = f"{'model':12s} {'params':>10s} {'train/s':>9s} {'train/s jit':>11s} {'ratio':>6s} " \
             f"{'pred/s':>9s} {'pred/s jit':>10s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    by = {(r["model"], r["jit_compile"]): r for r in rows}
    base = by.get(("mfn_window1", False)) or by.get((models[0], False))
    for unit, suffix in (("wall clock, samples/s", ""), ("samples per CPU-second of this process", "_cpu")):
        print(f"[{unit}]")
        for name in models:
            off, on = by.get((name, False)), by.get((name, True))
            cells = [f"{name:12s}", f"{(off or on)['params']:>10,}"]
            for key in (f"train_samples_per{suffix}_s", f"predict_samples_per{suffix}_s"):
                a = off[key] if off else float("nan")
                b = on[key] if on else float("nan")
                cells += [f"{a:9.1f}", f"{b:11.1f}" if key.startswith("train") else f"{b:10.1f}", f"{b / a:6.2f}"]
            print(" ".join(cells))
    if base is not None:
        print(f"\nrelative to {base['model']} (no jit): " + ", ".join(
            f"{r['model']}{' jit' if r['jit_compile'] else ''} train x{r['train_samples_per_s'] / base['train_samples_per_s']:.2f}"
            for r in rows))
    if args.output:
        write_results(args.output, args, rows)
    return rows


if __name__ == "__main__":
    main()
