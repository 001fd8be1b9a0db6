"""Benchmark: CIA on real CMU-MOSI (bc-LSTM features, 62 / 31 videos), several seeds.

Runs ``recipes/cia_mosi.py`` (the fixed-epoch protocol: no validation data
exist for this release, the weights after the last epoch are evaluated, the
test set is never used for any choice) for several seeds and reports the test
Acc2 (has-zero: score >= 0, the bc-LSTM labels) as mean and spread, plus the
modality-subset table (paper Table 1 rows) and the CIA - IIM ablation (paper
Table 3)::

    python benchmarks/bench_cia_mosi.py                       # everything (about 1 h on 2 CPU cores)
    python benchmarks/bench_cia_mosi.py --only main --seeds 0,1,2,3,4
    python benchmarks/bench_cia_mosi.py --only subsets --subset-seeds 0,1

Target (issue 4): mean Acc2 of CIA (T+A+V) over 5 seeds >= 80.3 (bc-LSTM on
this exact data), aiming at 82.3 (MMMU-BA, reported with test-set selection).
Results go to ``--output-dir`` (default ``runs/bench_cia_mosi``):
``results.json`` and ``results.md``. Extra recipe flags can be passed after
``--``, e.g. ``-- --dropout 0.7``.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "recipes"))
sys.path.insert(0, ROOT)

DEFAULT_DATA = os.path.join(os.path.dirname(ROOT), "shared", "datasets", "mosi_bclstm")
SUBSETS = ("text", "audio", "vision", "text,vision", "text,audio", "audio,vision")
SHORT = {"text": "T", "audio": "A", "vision": "V"}


def run_one(data_dir, modalities, seed, no_iim, output_dir, extra):
    import keras

    import cia_mosi

    keras.backend.clear_session()
    argv = ["--data-dir", data_dir, "--modalities", modalities, "--seed", str(seed), "--output-dir", output_dir,
            "--no-export", "--verbose", "0"] + (["--no-iim"] if no_iim else []) + list(extra)
    t0 = time.time()
    results = cia_mosi.run_recipe(cia_mosi.RECIPE, argv=argv, exit_on_error=False)
    m = results["metrics"]
    return {"modalities": modalities, "seed": seed, "no_iim": no_iim, "Acc2": m["Acc2"], "F1": m["F1"],
            "Acc7": m.get("Acc7"), "MAE": m.get("MAE"), "r": m.get("r"), "seconds": time.time() - t0,
            "num_params": results["num_params"], "epochs": results["args"]["epochs"]}


def summarize(rows):
    acc = np.array([r["Acc2"] for r in rows])
    out = {"n": len(rows), "Acc2_mean": float(acc.mean()), "Acc2_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
           "Acc2_min": float(acc.min()), "Acc2_max": float(acc.max()), "Acc2_all": [round(float(a), 2) for a in acc]}
    for k in ("F1", "Acc7", "MAE", "r"):
        vals = [r[k] for r in rows if r.get(k) is not None]
        if vals:
            out[f"{k}_mean"] = float(np.mean(vals))
    return out


def row_name(modalities, no_iim):
    return "+".join(SHORT[m] for m in modalities.split(",")) + (" (CIA - IIM)" if no_iim else "")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=DEFAULT_DATA)
    p.add_argument("--seeds", default="0,1,2,3,4", help="Seeds of the main (T+A+V) and ablation runs.")
    p.add_argument("--subset-seeds", default="0,1", help="Seeds of the modality-subset runs.")
    p.add_argument("--only", choices=("all", "main", "ablation", "subsets"), default="all")
    p.add_argument("--output-dir", default=os.path.join("runs", "bench_cia_mosi"))
    args, extra = p.parse_known_args(argv)
    extra = [e for e in extra if e != "--"]
    if not os.path.isdir(args.data_dir):
        raise SystemExit(f"bench_cia_mosi: --data-dir {args.data_dir!r} does not exist (the bc-LSTM MOSI release)")
    seeds = [int(s) for s in args.seeds.split(",")]
    subset_seeds = [int(s) for s in args.subset_seeds.split(",")]
    jobs = []
    if args.only in ("all", "main"):
        jobs += [("text,audio,vision", s, False) for s in seeds]
    if args.only in ("all", "ablation"):
        jobs += [("text,audio,vision", s, True) for s in seeds]
    if args.only in ("all", "subsets"):
        jobs += [(m, s, False) for m in SUBSETS for s in subset_seeds]
    os.makedirs(args.output_dir, exist_ok=True)
    log_path = os.path.join(args.output_dir, "runs.jsonl")
    done = {}
    if os.path.exists(log_path):  # resume: skip finished runs with the same extra flags
        with open(log_path) as f:
            for line in f:
                r = json.loads(line)
                if r.get("extra") == extra:
                    done[(r["modalities"], r["seed"], r["no_iim"])] = r
    for mods, seed, no_iim in jobs:
        if (mods, seed, no_iim) in done:
            continue
        run_dir = os.path.join(args.output_dir, f"{mods.replace(',', '_')}{'_noiim' if no_iim else ''}_s{seed}")
        row = run_one(args.data_dir, mods, seed, no_iim, run_dir, extra)
        row["extra"] = extra
        done[(mods, seed, no_iim)] = row
        with open(log_path, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"[bench] {row_name(mods, no_iim)} seed {seed}: Acc2 {row['Acc2']:.2f} ({row['seconds']:.0f} s)",
              flush=True)

    groups = {}
    for (mods, seed, no_iim), row in done.items():
        groups.setdefault((mods, no_iim), []).append(row)
    table = {row_name(m, n): summarize(rows) for (m, n), rows in sorted(groups.items(), key=lambda kv: (
        kv[0][1], -len(kv[0][0].split(",")), kv[0][0]))}
    lines = ["| model | runs | Acc2 mean | Acc2 std | min | max | F1 | Acc7 | MAE | r |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in table.items():
        lines.append(f"| {name} | {s['n']} | {s['Acc2_mean']:.2f} | {s['Acc2_std']:.2f} | {s['Acc2_min']:.2f} | "
                     f"{s['Acc2_max']:.2f} | {s.get('F1_mean', float('nan')):.2f} | "
                     f"{s.get('Acc7_mean', float('nan')):.2f} | {s.get('MAE_mean', float('nan')):.3f} | "
                     f"{s.get('r_mean', float('nan')):.3f} |")
    text = "\n".join(lines)
    print(text)
    print("reference on this data: bc-LSTM 80.3, MMMU-BA 82.31 (test-selected); target: T+A+V mean >= 80.3")
    with open(os.path.join(args.output_dir, "results.json"), "w") as f:
        json.dump({"table": table, "extra_flags": extra}, f, indent=2)
    with open(os.path.join(args.output_dir, "results.md"), "w") as f:
        f.write(text + "\n")
    return table


if __name__ == "__main__":
    main()
