"""Shared timing loop of the throughput benchmarks (``bench_tma.py``, ``bench_cia_speed.py``)."""

import json
import os
import time

import numpy as np


def warm_up(model, x, y, sample_weight, batch_size, predict_batch_size):
    """One training epoch and one predict pass (pays graph tracing / XLA); returns the epoch's seconds."""
    t0 = time.perf_counter()
    model.fit(x, y, sample_weight=sample_weight, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - t0
    model.predict(x, batch_size=predict_batch_size, verbose=0)
    return seconds


def time_settings(prepared, num_samples, batch_size, predict_batch_size, rounds):
    """Time warmed-up models in alternating rounds; return samples/s per setting.

    Args:
        prepared: dict ``{setting: (model, x, y, sample_weight)}`` of compiled,
            warmed-up models (see :func:`warm_up`).
        num_samples: samples in ``x``.
        batch_size, predict_batch_size: ints.
        rounds: timed rounds. Every round runs one training epoch and one
            predict pass of every setting in turn, so load from other
            processes hits all settings alike; medians over rounds are
            reported. One untimed round runs first: building the later
            models re-seeds TensorFlow (``keras.utils.set_random_seed``),
            which makes the earlier models' ``tf.function``s trace again
            on their next call.

    Returns:
        ``{setting: {"train_samples_per_s", "predict_samples_per_s",
        "train_samples_per_cpu_s", "predict_samples_per_cpu_s"}}``; the
        ``*_cpu_s`` rates divide by this process's CPU time, which is less
        sensitive to other processes' load.
    """
    times = {key: {"train": [], "predict": [], "train_cpu": [], "predict_cpu": []} for key in prepared}
    for round_index in range(rounds + 1):
        for key, (model, x, y, sample_weight) in prepared.items():
            if round_index == 0:
                warm_up(model, x, y, sample_weight, batch_size, predict_batch_size)
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            model.fit(x, y, sample_weight=sample_weight, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
            times[key]["train"].append(time.perf_counter() - t0)
            times[key]["train_cpu"].append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            model.predict(x, batch_size=predict_batch_size, verbose=0)
            times[key]["predict"].append(time.perf_counter() - t0)
            times[key]["predict_cpu"].append(time.process_time() - c0)
    return {key: {
        "train_samples_per_s": num_samples / float(np.median(t["train"])),
        "predict_samples_per_s": num_samples / float(np.median(t["predict"])),
        "train_samples_per_cpu_s": num_samples / float(np.median(t["train_cpu"])),
        "predict_samples_per_cpu_s": num_samples / float(np.median(t["predict_cpu"])),
    } for key, t in times.items()}


def write_results(path, args, rows):
    """Write a throughput run (flags, backend, CPU count, result rows) as JSON."""
    import keras

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"args": vars(args), "backend": keras.backend.backend(), "cpus": os.cpu_count(),
                   "results": rows}, f, indent=2)
    print(f"wrote {path}")
