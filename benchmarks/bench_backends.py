"""CIA training and inference speed on the three Keras backends, as ratios to TensorFlow.

Runs ``bench_cia_speed.py`` (same models, data and timing loop) once per
backend in a fresh process, because a process has one Keras backend:

* ``tensorflow``, ``jit_compile`` off (the reference) and on, timed in
  alternating rounds inside one process;
* ``jax`` with XLA (its only graph mode: the runner always compiles on JAX);
* ``torch`` without ``jit_compile`` (eager torch, as Keras runs it by default).

The processes run one after another, and the whole sequence is repeated
``--repeats`` times (medians over repeats), so that load from other processes
hits every backend alike. Only the ratios within one run mean anything on a
shared machine. Example::

    python benchmarks/bench_backends.py --shapes segment --output runs/bench_backends.json

Extra ``bench_cia_speed.py`` flags go after ``--`` (default: ``--gru keras2
--train-batches 4 --rounds 2``).

Measured (2026-12-04, 2 CPU cores, TF 2.21 / JAX 0.10.2 / torch 2.13.0 CPU,
Keras 3.15; keras2 GRU gates, batch 16, ``--train-batches 4 --rounds 2``;
segment: ``--repeats 2``, context: ``--repeats 1``; ratios to TensorFlow
without XLA, wall clock [per CPU-second])::

    | shape   | backend    | XLA | train        | predict      | first epoch |
    | segment | tensorflow | off | x1.00        | x1.00        | 40 s        |
    | segment | tensorflow | on  | x2.14 [1.36] | x1.50 [1.33] | 70 s        |
    | segment | jax        | on  | x3.34 [2.08] | x3.45 [2.36] | 19 s        |
    | segment | torch      | off | x0.79 [0.46] | x0.63 [0.37] | 6 s         |
    | context | tensorflow | off | x1.00        | x1.00        | 43 s        |
    | context | tensorflow | on  | x2.10 [1.47] | x1.81 [1.15] | 70 s        |
    | context | jax        | on  | x2.44 [1.62] | x1.93 [1.17] | 23 s        |
    | context | torch      | off | x0.52 [0.33] | x0.41 [0.22] | 25 s        |

(absolute, TensorFlow without XLA: segment 24-31 training / 214-258 predicted
segments per second, context 12.3 / 92 videos per second.) On this CPU, JAX
trains CIA 2.4-3.3 times as fast as the recipes' TensorFlow default and
compiles in a third of the time; torch runs eagerly and is the slowest.
The TensorFlow XLA gain here (x2.1 wall clock) is larger than in
``bench_cia_speed.py``'s run of 2026-12-03 (x1.3-1.4) on the same code: the
machine is shared, which is why only ratios within one run are reported.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = (("tensorflow", "both"), ("jax", "on"), ("torch", "off"))
REFERENCE = ("tensorflow", False)


def run_backend(backend, jit, shape, extra):
    """One ``bench_cia_speed.py`` process on ``backend``; returns its result rows."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        cmd = [sys.executable, os.path.join(HERE, "bench_cia_speed.py"), "--shapes", shape, "--jit", jit,
               "--output", out] + list(extra)
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"bench_cia_speed.py on {backend} failed (exit {done.returncode}):\n"
                               + done.stderr[-3000:])
        with open(out) as f:
            found = json.load(f)
    if found["backend"] != backend:
        raise RuntimeError(f"expected a {backend} run, found {found['backend']}")
    return found["results"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="segment", help="Comma-separated subset of context,segment.")
    parser.add_argument("--repeats", type=int, default=2, help="runs of the whole backend sequence (median)")
    parser.add_argument("--output", default=None, help="write the rows as JSON here")
    parser.add_argument("extra", nargs="*", help="bench_cia_speed.py flags (after --)")
    args = parser.parse_args(argv)
    extra = args.extra or ["--gru", "keras2", "--train-batches", "4", "--rounds", "2"]
    if args.repeats < 1:
        parser.error(f"--repeats: expected a positive count, found {args.repeats}")
    table = []
    for shape in [s.strip() for s in args.shapes.split(",") if s.strip()]:
        rates = {}
        for repeat in range(args.repeats):
            for backend, jit in SETTINGS:
                for row in run_backend(backend, jit, shape, extra):
                    key = (backend, row["jit_compile"])
                    rates.setdefault(key, []).append(row)
                    print(f"[{shape}] repeat {repeat + 1}: {backend:10s} jit={str(row['jit_compile']):5s} "
                          f"train {row['train_samples_per_s']:7.1f}/s  predict {row['predict_samples_per_s']:7.1f}/s  "
                          f"first epoch {row['compile_s']:.1f} s", flush=True)
        median = {k: {m: float(np.median([r[m] for r in rows])) for m in rows[0] if isinstance(rows[0][m], float)}
                  for k, rows in rates.items()}
        base = median[REFERENCE]
        print(f"\n[{shape}] ratios to TensorFlow without XLA (wall clock; per CPU-second in brackets), "
              f"medians over {args.repeats} repeats")
        for (backend, jit), m in median.items():
            row = {"shape": shape, "backend": backend, "jit_compile": jit, "repeats": args.repeats,
                   "train_ratio": m["train_samples_per_s"] / base["train_samples_per_s"],
                   "train_cpu_ratio": m["train_samples_per_cpu_s"] / base["train_samples_per_cpu_s"],
                   "predict_ratio": m["predict_samples_per_s"] / base["predict_samples_per_s"],
                   "predict_cpu_ratio": m["predict_samples_per_cpu_s"] / base["predict_samples_per_cpu_s"],
                   "first_epoch_s": m["compile_s"], **m}
            table.append(row)
            print(f"  {backend:10s} jit={str(jit):5s} train x{row['train_ratio']:.2f} [x{row['train_cpu_ratio']:.2f}]"
                  f"  predict x{row['predict_ratio']:.2f} [x{row['predict_cpu_ratio']:.2f}]"
                  f"  first epoch {row['first_epoch_s']:.1f} s", flush=True)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            json.dump({"args": vars(args), "extra": extra, "cpus": os.cpu_count(), "results": table}, f, indent=2)
        print(f"wrote {args.output}")
    return table


if __name__ == "__main__":
    main()
