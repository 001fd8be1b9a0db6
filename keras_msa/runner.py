"""The recipe runner: one training / evaluation / export loop for every recipe.

A recipe script is a :class:`Recipe` plus ``run_recipe(RECIPE)``::

    RECIPE = Recipe(
        name="tma_mmmo",
        description="MARN(TMA) and baselines on ICT-MMMO (TMA paper, Table 2)",
        load_data=load_data,        # (args) -> MSADataset; synthetic when args.data_dir is None
        build_model=build_model,    # (dataset, args) -> keras.Model
        make_arrays=make_arrays,    # (split, args) -> (x, y, sample_weight or None)
        compile_args=compile_args,  # (args) -> {"loss": ..., "loss_weights": ..., "metrics": ...}
        evaluate=evaluate,          # (model, dataset, args) -> {"Acc2": 81.2, ...} on test
        paper_results=paper,        # {"Acc2": 85.0, ...} or (args) -> dict
        defaults={"epochs": 50, "batch_size": 32, "learning_rate": 1e-3},
        add_arguments=add_args,     # (argparse.ArgumentParser) -> None, recipe flags
    )
    if __name__ == "__main__":
        run_recipe(RECIPE)
"""

import argparse
import contextlib
import dataclasses
import math
from typing import Callable, Optional, Union


class RecipeError(Exception):
    """A user-facing error (bad flag, missing data): printed as one line."""


@dataclasses.dataclass
class Recipe:
    """Everything the runner needs to train, evaluate and export one recipe.

    Attributes:
        name: str. Recipe name (also the default output folder name).
        description: str. One line for ``--help``.
        load_data: ``(args) -> MSADataset``. Must return a synthetic dataset
            (``info["synthetic"] = True``) when ``args.data_dir`` is None and
            read ``args.data_dir`` in ``args.format`` otherwise.
        build_model: ``(dataset, args) -> keras.Model`` (uncompiled).
        make_arrays: ``(split, args) -> (x, y, sample_weight)`` with ``x`` a
            dict keyed by model input name, ``y`` an array or a dict keyed by
            output name, ``sample_weight`` None, an array or a dict.
        compile_args: ``(args) -> dict`` of ``model.compile`` keyword
            arguments except the optimizer (``loss``, ``loss_weights``,
            ``metrics``); may include ``"optimizer"`` to override the default
            ``Adam(args.learning_rate, epsilon=args.adam_epsilon)``.
        evaluate: ``(model, dataset, args) -> {metric: value}``, the paper's
            metrics on the test split (may use the valid split to choose
            thresholds; never the other way round).
        paper_results: ``{metric: value}`` or ``(args) -> dict``: the numbers
            the paper reports for this recipe (same keys as ``evaluate``).
        defaults: default values of the common flags (``epochs``,
            ``batch_size``, ``learning_rate``, ``adam_epsilon``, ``monitor``
            (None keeps the last epoch's weights), ``monitor_mode``, ``format``, ``shuffle``, ``drop_remainder``).
        add_arguments: optional ``(parser) -> None`` adding recipe flags.
        formats: tuple of the ``--format`` values the recipe accepts.
        callbacks: optional ``(args) -> list`` of extra Keras callbacks.
        after_training: optional ``(model, dataset, args, output_dir) -> None``
            (for example writing attention heatmaps).
        evaluation_flags: names (``args`` attributes) of the recipe's flags
            that change only the evaluation or what ``after_training`` writes
            (thresholds, heatmaps): unlike every other flag, they may differ
            between an interrupted run and its resumption.
    """

    name: str
    description: str
    load_data: Callable
    build_model: Callable
    make_arrays: Callable
    compile_args: Callable
    evaluate: Callable
    paper_results: Union[dict, Callable] = dataclasses.field(default_factory=dict)
    defaults: dict = dataclasses.field(default_factory=dict)
    add_arguments: Optional[Callable] = None
    formats: tuple = ()
    callbacks: Optional[Callable] = None
    after_training: Optional[Callable] = None
    evaluation_flags: tuple = ()



COMMON_DEFAULTS = {
    "epochs": 10,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "adam_epsilon": 1e-7,
    "monitor": "val_loss",
    "monitor_mode": "min",
    "keep_ties": "later",
    "shuffle": "epoch",
    "drop_remainder": False,
    "format": None,
    "seed": 0,
}


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line and exits with code 2."""

    def error(self, message):
        raise RecipeError(f"argument error: {message} (see --help)")


def build_parser(recipe):
    """The common flags of every recipe plus the recipe's own."""
    d = dict(COMMON_DEFAULTS, **recipe.defaults)
    p = _OneLineParser(prog=f"{recipe.name}.py", description=recipe.description)
    p.add_argument("--data-dir", default=None,
                   help="Folder or file of the real data. Without it the recipe trains on synthetic "
                        "data of the real shape (numbers NOT comparable with the paper).")
    fmt_help = f"Format of --data-dir, one of {list(recipe.formats)}" if recipe.formats else "Format of --data-dir"
    p.add_argument("--format", default=d["format"], help=fmt_help)
    p.add_argument("--epochs", type=positive_int, default=d["epochs"])
    p.add_argument("--batch-size", type=positive_int, default=d["batch_size"])
    p.add_argument("--learning-rate", type=positive_float, default=d["learning_rate"])
    p.add_argument("--adam-epsilon", type=positive_float, default=d["adam_epsilon"])
    p.add_argument("--seed", type=seed_value, default=d["seed"], help="Same seed -> same numbers on CPU.")
    p.add_argument("--output-dir", default=None, help=f"Where results go (default runs/{recipe.name}).")
    p.add_argument("--distribute", choices=("none", "mirrored", "multiworker"), default="none",
                   help="tf.distribute strategy (mirrored: all local GPUs, or --cpu-devices logical CPUs).")
    p.add_argument("--cpu-devices", type=positive_int, default=None,
                   help="Split the CPU into this many logical devices (for --distribute mirrored on CPU).")
    p.add_argument("--mixed-precision", action="store_true", help="mixed_float16 policy.")
    p.add_argument("--jit-compile", action="store_true",
                   help="XLA-compile the train/predict steps (about 1.3x faster training on CPU after a minute "
                        "of compilation). Keras does not combine XLA with TensorFlow's op determinism, which "
                        "the recipes otherwise turn on: same-seed runs may then differ in the last digits. "
                        "On the JAX backend the steps are always XLA-compiled.")
    p.add_argument("--no-export", action="store_true", help="Skip the SavedModel export.")
    p.add_argument("--fresh", action="store_true",
                   help="Ignore an interrupted run's backup in --output-dir and start over.")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="Keras fit verbosity.")
    p.add_argument("--legacy-selection", action="store_true",
                   help="PARITY STUDIES ONLY: use the TEST split as the validation split, so the checkpoint "
                        "(and the emotion thresholds, the early stopping) are chosen on test, as the MMMU-BA, "
                        "CIM and bc-LSTM code did. The numbers are test-selected, not results; results.json "
                        "says so.")
    if recipe.add_arguments is not None:
        recipe.add_arguments(p)
    return p


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}")
    return value


def non_negative_int(text):
    """argparse type: a whole number >= 0 (argparse names the flag in its error line)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, found {text!r}")
    return value


def parse_sizes(text, flag="--synthetic-sizes"):
    """``"train,valid,test"`` sample counts (three positive integers); one error line naming ``flag``."""
    try:
        sizes = tuple(int(v) for v in str(text).split(","))
    except ValueError:
        sizes = ()
    if len(sizes) != 3 or min(sizes) < 1:
        raise RecipeError(f"{flag}: expected three positive integers train,valid,test, found {text!r}")
    return sizes


def _finite_number(text, expected, accept):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and accept(value)):
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}")
    return value


def positive_float(text):
    """argparse type: a finite number > 0."""
    return _finite_number(text, "a finite number > 0", lambda v: v > 0)


def non_negative_float(text):
    """argparse type: a finite number >= 0."""
    return _finite_number(text, "a finite number >= 0", lambda v: v >= 0)


def dropout_rate(text):
    """argparse type: a rate in [0, 1)."""
    return _finite_number(text, "a rate in [0, 1)", lambda v: 0 <= v < 1)


def seed_value(text):
    """argparse type: a random seed, a whole number in [0, 2**32 - 1] (numpy's range)."""
    value = non_negative_int(text)
    if value > 2**32 - 1:
        raise argparse.ArgumentTypeError(f"expected a whole number in [0, 4294967295], found {text!r}")
    return value


def run_recipe(recipe, argv=None, exit_on_error=True):
    """Parse the command line and run ``recipe``; return the results dict.

    User errors (bad flags, missing or malformed data) print one line to
    stderr and exit with status 2 (or raise ``RecipeError`` when
    ``exit_on_error=False``).
    """
    import sys

    from keras_msa.data_tools.dataset import DataValidationError

    try:
        args = build_parser(recipe).parse_args(argv)
        return _run(recipe, args)
    except (RecipeError, DataValidationError, FileNotFoundError) as exc:
        if not exit_on_error:
            raise
        print(f"{recipe.name}: error: {exc}", file=sys.stderr)
        raise SystemExit(2)


def configure_backend(args):
    """Seeds, determinism, logical CPU devices and precision policy."""
    import keras

    if args.cpu_devices and keras.backend.backend() != "tensorflow":
        raise RecipeError(f"--cpu-devices {args.cpu_devices} needs the TensorFlow backend (it splits the CPU for "
                          f"--distribute mirrored), found {keras.backend.backend()}")
    if args.cpu_devices:
        import tensorflow as tf

        cpus = tf.config.list_physical_devices("CPU")
        try:
            tf.config.set_logical_device_configuration(
                cpus[0], [tf.config.LogicalDeviceConfiguration()] * args.cpu_devices
            )
        except RuntimeError as exc:  # already initialised in this process
            logical = len(tf.config.list_logical_devices("CPU"))
            if logical != args.cpu_devices:
                raise RecipeError(
                    f"--cpu-devices {args.cpu_devices}: TensorFlow is already initialised with "
                    f"{logical} logical CPU devices ({exc})"
                )
    keras.utils.set_random_seed(args.seed)
    if keras.backend.backend() == "tensorflow" and not args.jit_compile:
        import tensorflow as tf

        # Keras refuses XLA while op determinism is on (trainer.model_supports_jit), so --jit-compile leaves it
        # off; it cannot be switched off again in a process where it was switched on (see _run's note).
        tf.config.experimental.enable_op_determinism()
    keras.config.set_dtype_policy("mixed_float16" if args.mixed_precision else "float32")


def resolve_jit_compile(requested, backend):
    """Whether the train / predict steps are XLA-compiled: as ``--jit-compile`` asks, and always on JAX.

    XLA is JAX's only graph mode: without it Keras runs every op of a JAX
    step eagerly, about 65 times slower training for CIA on CPU
    (``benchmarks/bench_cia_speed.py``). TensorFlow without XLA still runs
    compiled graphs (``tf.function``), and torch without it runs eagerly as
    torch does; on torch ``jit_compile`` (``torch.compile``) was measured to
    give CIA no speed-up on CPU, only a longer first epoch (the same
    benchmark).
    """
    return bool(requested) or backend == "jax"


def make_strategy(name):
    """Return a ``tf.distribute`` strategy (or None for ``"none"``)."""
    if name == "none":
        return None
    import keras

    if keras.backend.backend() != "tensorflow":
        raise RecipeError(f"--distribute {name} needs the TensorFlow backend, found {keras.backend.backend()}")
    import tensorflow as tf

    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices=devices)
    return tf.distribute.MultiWorkerMirroredStrategy()


def _run(recipe, args):
    import contextlib
    import json
    import os
    import shutil
    import time

    import keras
    import numpy as np

    from keras_msa.data_tools.dataset import carve_validation
    from keras_msa.data_tools.tfdata import EpochBatches
    from keras_msa.data_tools.tfdata import count_samples

    if args.format is not None and recipe.formats and args.format not in recipe.formats:
        raise RecipeError(f"--format: expected one of {list(recipe.formats)}, found {args.format!r}")
    if args.data_dir is not None and not os.path.exists(args.data_dir):
        raise RecipeError(f"--data-dir: {args.data_dir!r} does not exist")
    d = dict(COMMON_DEFAULTS, **recipe.defaults)
    output_dir = args.output_dir or os.path.join("runs", recipe.name)
    os.makedirs(output_dir, exist_ok=True)
    backup_dir = os.path.join(output_dir, "backup")
    if args.fresh and os.path.isdir(backup_dir):
        shutil.rmtree(backup_dir)

    configure_backend(args)
    dataset = recipe.load_data(args)
    if args.legacy_selection:
        dataset, d = legacy_selection(dataset, d)
    if dataset.info.get("synthetic"):
        print("!" * 100)
        print(f"!!! NOTICE: no --data-dir given: training on SYNTHETIC data shaped like {dataset.name} "
              "-- these numbers are NOT comparable with the paper's. !!!")
        print("!" * 100)
    if dataset.valid is None and d["monitor"] is not None:
        dataset = carve_validation(dataset, fraction=0.1, seed=args.seed)
        print("note: the data have no validation split; 10% of the training samples were held out for it.")
    elif dataset.valid is None:
        print(f"note: no validation split and no monitor: every training sample trains, and the weights after "
              f"the last epoch ({args.epochs}) are evaluated.")
    print(dataset.summary())
    preprocessing_path = None
    if dataset.info.get("preprocessing"):  # what raw features need before the saved model takes them
        preprocessing_path = os.path.join(output_dir, "preprocessing.json")
        with open(preprocessing_path, "w") as f:
            json.dump(dataset.info["preprocessing"], f)

    strategy = make_strategy(args.distribute)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = recipe.build_model(dataset, args)
        compile_kwargs = dict(recipe.compile_args(args))
        optimizer = compile_kwargs.pop("optimizer", None) or keras.optimizers.Adam(
            learning_rate=args.learning_rate, epsilon=args.adam_epsilon
        )
        model.compile(optimizer=optimizer, jit_compile=resolve_jit_compile(args.jit_compile, keras.backend.backend()),
                      **compile_kwargs)
    print(f"model {model.name}: {model.count_params():,} parameters")
    if args.jit_compile and not model.jit_compile:
        print("note: --jit-compile: Keras declined XLA for this model (a layer that does not support it, or "
              "TensorFlow op determinism already on in this process); training runs without XLA")

    x_train, y_train, w_train = recipe.make_arrays(dataset.train, args)
    validation = None
    if dataset.valid is not None:
        x_valid, y_valid, w_valid = recipe.make_arrays(dataset.valid, args)
        validation = (x_valid, y_valid) if w_valid is None else (x_valid, y_valid, w_valid)
    resuming = os.path.isfile(os.path.join(backup_dir, "training_metadata.json"))
    start_epoch = 0
    settings = run_settings(args)
    settings_path = os.path.join(backup_dir, "run_settings.json")
    done_path = os.path.join(backup_dir, TRAINING_DONE)
    trained = None  # the interrupted run's training had finished: evaluate its weights, do not train again
    if resuming:
        if os.path.isfile(settings_path):
            check_same_settings(read_backup_json(settings_path), settings, output_dir, recipe.evaluation_flags)
        start_epoch = read_backup_epoch(os.path.join(backup_dir, "training_metadata.json"))
        if os.path.isfile(done_path):
            trained = read_backup_json(done_path, keys=("epochs", "epochs_completed"))
            if trained["epochs"] != args.epochs:
                raise RecipeError(
                    f"{output_dir} holds a run whose training finished with --epochs {trained['epochs']} "
                    f"({trained['epochs_completed']} epochs run) but was stopped before its results were "
                    f"written; run it with --epochs {trained['epochs']} to evaluate it, or add --fresh (or "
                    f"another --output-dir) to start over; found --epochs {args.epochs}")
            print(f"the run in {output_dir} finished training ({trained['epochs_completed']} epochs) before it "
                  "was stopped: evaluating its weights without training again (add --fresh to retrain)")
        elif start_epoch > args.epochs:
            raise RecipeError(
                f"--epochs {args.epochs}: {output_dir} holds an interrupted run that already completed "
                f"{start_epoch} epochs; expected --epochs >= {start_epoch} to resume it, or add --fresh (or "
                "another --output-dir) to start over")
        else:
            print(f"resuming the interrupted run in {output_dir} from epoch {start_epoch + 1}")
        check_backup_weights(backup_dir, output_dir if d["monitor"] is not None else None)
    else:
        os.makedirs(backup_dir, exist_ok=True)
        with open(settings_path, "w") as f:
            json.dump(settings, f, indent=1, sort_keys=True)
    global_batch = args.batch_size
    try:
        train_batches = EpochBatches(
            x_train, y_train, w_train, batch_size=global_batch, seed=args.seed, shuffle=d["shuffle"],
            drop_remainder=d["drop_remainder"], start_epoch=start_epoch,
        )
    except ValueError as exc:  # e.g. fewer training samples than one batch with drop_remainder
        more = " (or --synthetic-sizes with a larger train size)" if dataset.info.get("synthetic") else ""
        raise RecipeError(f"--batch-size {global_batch}: {exc} Expected a batch size of at most the training "
                          f"split's samples{more}.") from exc
    # monitor=None keeps the last epoch's weights (fixed-epoch protocols, e.g. bc-LSTM MOSI).
    best = None
    if d["monitor"] is not None:
        best = BestWeights(
            os.path.join(output_dir, "best.weights.h5"), monitor=logged_name(model, d["monitor"]),
            mode=d["monitor_mode"],
            keep_ties=d["keep_ties"], resume=resuming,
        )
    history_path = os.path.join(output_dir, "history.csv")
    if resuming:
        keep_history_rows(history_path, start_epoch)
    # Every per-epoch state is written before BackupAndRestore marks the epoch done (it comes last): a run
    # killed in between redoes that epoch from the states of the one before (kept per epoch) and gets the
    # same numbers; its history rows beyond the backup's epoch are dropped before they are written again.
    callbacks = [EpochSetter(train_batches), SeedStateBackup(backup_dir)] + ([best] if best is not None else [])
    if recipe.callbacks is not None:
        callbacks.extend(with_resumable_early_stopping(recipe.callbacks(args), backup_dir))
    # The backup outlives fit (delete_checkpoint=False) and is marked finished (TrainingDone) so that a run
    # stopped between the end of training and results.json is evaluated, not trained again, on its rerun;
    # the folder is removed once results.json is written.
    callbacks += [keras.callbacks.CSVLogger(history_path, append=resuming),
                  keras.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False),
                  TrainingDone(done_path, args.epochs)]
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    even_first_batch(min(global_batch, train_batches.num_samples), replicas, "the first training batch (--batch-size)")
    validation_batch = max(global_batch, 256)
    if validation is not None and replicas > 1:
        validation_batch = even_first_batch(min(validation_batch, count_samples(validation)), replicas,
                                            "the validation split", round_down=True)
    if strategy is None:
        build_training_state(model, train_batches[0])
    t0 = time.time()
    if trained is None:
        epochs_run = len(model.fit(
            train_batches, validation_data=validation, epochs=args.epochs, callbacks=callbacks,
            verbose=args.verbose, validation_batch_size=validation_batch,
            shuffle=False,  # EpochBatches shuffles by (seed, epoch); Keras would use Python's global RNG
        ).epoch)
    else:
        if strategy is not None:
            with scope:
                build_training_state(model, train_batches[0])
        model.load_weights(os.path.join(backup_dir, "latest.weights.h5"))  # the last epoch's weights
        epochs_run = 0
    train_seconds = time.time() - t0
    if best is not None and best.best_epoch is not None:
        model.load_weights(best.filepath)
        print(f"restored the weights of epoch {best.best_epoch + 1} ({best.monitor} = {best.best:.4f})")

    metrics = {k: float(v) for k, v in recipe.evaluate(model, dataset, args).items()}
    paper = recipe.paper_results(args) if callable(recipe.paper_results) else dict(recipe.paper_results)
    print(format_results_table(metrics, paper, title=f"{recipe.name}: test results",
                               synthetic=bool(dataset.info.get("synthetic"))))
    if args.legacy_selection:
        print(f"!!! {LEGACY_NOTE.strip('; ')} !!!")

    model_path = os.path.join(output_dir, f"{recipe.name}.keras")
    model.save(model_path)
    export_path = None
    if not args.no_export:
        from keras_msa.export import export_saved_model

        export_path = export_saved_model(model, os.path.join(output_dir, "saved_model"))
    elif os.path.isdir(os.path.join(output_dir, "saved_model")):  # an earlier run's export, not of this model
        shutil.rmtree(os.path.join(output_dir, "saved_model"))
        print(f"--no-export: removed the earlier run's {output_dir}/saved_model (it does not hold this model)")
    results = {
        "recipe": recipe.name,
        "model": model.name,
        "dataset": dataset.name,
        "synthetic": bool(dataset.info.get("synthetic")),
        "data": data_facts(dataset.info),
        "metrics": metrics,
        "paper": paper,
        "num_params": int(model.count_params()),
        "jit_compile": bool(model.jit_compile),  # what Keras used, not only what was asked
        "environment": run_environment(),
        "best_epoch": None if best is None or best.best_epoch is None else best.best_epoch + 1,
        "selection": ("last epoch" if best is None else f"best {best.monitor} ({best.mode})")
        + (LEGACY_NOTE if args.legacy_selection else ""),
        "epochs_run_this_call": epochs_run,
        "train_seconds_this_call": train_seconds,
        "args": {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, type(None)))},
        "keras_file": model_path,
        "saved_model": export_path,
        "preprocessing": preprocessing_path,
    }
    with open(os.path.join(output_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=_json_default)
    if recipe.after_training is not None:
        recipe.after_training(model, dataset, args, output_dir)
    shutil.rmtree(backup_dir, ignore_errors=True)  # the run is complete: a rerun trains again
    print(f"wrote {output_dir}/results.json, {model_path}" + (f", {export_path}" if export_path else ""))
    del np
    return results


#: ``dataset.info`` entries kept out of ``results.json``: saved on their own, or the data themselves.
_INFO_NOT_IN_RESULTS = ("preprocessing", "raw_text")


def data_facts(info, max_chars=20000):
    """The entries of a dataset's ``info`` that ``results.json`` records.

    Scalars, and the small lists / dicts readers use to report what they did
    to the data (``missing_files``, ``padding_other_side``, ``audio_clipped``,
    ...). Left out: ``preprocessing`` (``preprocessing.json``), ``raw_text``
    and any value that is not JSON or whose JSON exceeds ``max_chars``; their
    keys are listed under ``"not_recorded"`` so nothing disappears silently.
    """
    import json

    facts, skipped = {}, []
    for key, value in info.items():
        if key in _INFO_NOT_IN_RESULTS:
            skipped.append(key)
            continue
        if isinstance(value, (str, int, float, bool)) or value is None:
            facts[key] = value
            continue
        try:
            text = json.dumps(value, default=_json_default)
        except (TypeError, ValueError):
            skipped.append(key)
            continue
        if len(text) > max_chars:
            skipped.append(key)
        else:
            facts[key] = json.loads(text)
    if skipped:
        facts["not_recorded"] = sorted(skipped)
    return facts


def build_training_state(model, batch):
    """Create the optimizer slots and the compiled loss / metric trackers before ``fit`` traces its step.

    Without a distribution strategy, Keras' TensorFlow trainer creates these
    variables inside the first trace of the train step, and ``tf.function``
    then traces the whole step (forward, backward, optimizer) a second time,
    because variables may only be created by a first trace. For the recurrent
    models here that doubles the graph-building time of every run. Building
    them symbolically first, as Keras itself does under a distribution
    strategy, leaves one trace; the values of the variables are the same
    (zeros), so training is unchanged.

    Args:
        model: a compiled ``keras.Model``.
        batch: one training batch, ``(x, y)`` or ``(x, y, sample_weight)``;
            only its shapes and dtypes are used.
    """
    symbolic_build = getattr(model, "_symbolic_build", None)  # Keras' own pre-build (private, 3.x)
    if symbolic_build is not None:
        symbolic_build(data_batch=batch)
    elif model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def even_first_batch(size, replicas, what, round_down=False):
    """A first batch of ``size`` samples that splits evenly over ``replicas``.

    Keras 3 (TensorFlow backend) averages the first batch of every
    ``fit`` / ``evaluate`` over the replicas of a distribution strategy to
    build the model symbolically, which fails with an ``AddN`` shape error
    when the replicas hold different numbers of samples (keras-team/keras
    #19246). ``round_down=True`` returns the largest multiple of ``replicas``
    not above ``size`` (a batch size for evaluation: only its first batch
    must be even); otherwise ``size`` must already be a multiple.

    Raises:
        RecipeError: naming ``what``, the size and the replica count.
    """
    if replicas <= 1:
        return size
    even = size // replicas * replicas
    if even == 0 or (even != size and not round_down):
        raise RecipeError(f"{what}: {size} samples do not split evenly over {replicas} replicas (expected a "
                          f"multiple of {replicas}; Keras 3 averages the first batch over the replicas)")
    return even


#: Marker file in the backup folder: the run's training finished (written by :class:`TrainingDone`).
TRAINING_DONE = "training_done.json"


def _backup_error(path, problem):
    return RecipeError(f"{path}: {problem}; the interrupted run's backup is damaged, add --fresh (or another "
                       "--output-dir) to start over")


def read_backup_json(path, keys=()):
    """The JSON object in the backup file ``path``, with ``keys`` present.

    Raises:
        RecipeError: naming the file when it is not a JSON object with those
        keys (a truncated write), and pointing to ``--fresh``.
    """
    import json

    try:
        with open(path) as f:
            value = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _backup_error(path, f"expected a JSON object, found unreadable content ({exc})") from exc
    if not isinstance(value, dict):
        raise _backup_error(path, f"expected a JSON object, found {type(value).__name__}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise _backup_error(path, f"expected the keys {list(keys)}, found {sorted(value)}")
    return value


def read_backup_epoch(path):
    """The number of completed epochs in Keras' ``training_metadata.json`` (a whole number >= 0)."""
    epoch = read_backup_json(path, keys=("epoch",))["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise _backup_error(path, f"expected 'epoch' to be a whole number >= 0, found {epoch!r}")
    return epoch


def check_backup_weights(backup_dir, output_dir=None):
    """Open the weight files a resumed run will load, so that a damaged one is named before training.

    Checks ``latest.weights.h5`` in ``backup_dir`` and, if ``output_dir`` is
    given, ``best.weights.h5`` and its ``.json`` state there (when present).

    Raises:
        RecipeError: naming the damaged file and pointing to ``--fresh``.
    """
    import os

    import h5py

    latest = os.path.join(backup_dir, "latest.weights.h5")
    if not os.path.isfile(latest):
        raise _backup_error(latest, "expected the weights of the last completed epoch, found no file")
    paths = [latest]
    if output_dir is not None and os.path.isfile(os.path.join(output_dir, "best.weights.h5.json")):
        read_backup_json(os.path.join(output_dir, "best.weights.h5.json"), keys=("best", "epoch"))
        best = os.path.join(output_dir, "best.weights.h5")
        paths += [best] if os.path.isfile(best) else []
    for path in paths:
        try:
            with h5py.File(path, "r") as f:
                f.visit(lambda name: None)
        except (OSError, RuntimeError, ValueError) as exc:
            raise _backup_error(path, f"expected an HDF5 weights file, found unreadable content ({exc})") from exc


LEGACY_NOTE = "; LEGACY: chosen on the TEST split (--legacy-selection, parity studies only; not a valid result)"


def legacy_selection(dataset, defaults):
    """``--legacy-selection``: the test split doubles as the validation split.

    The reference code of the CIA lineage selected on test (MMMU-BA validates
    and early-stops on test, CIM picked epochs and thresholds from the test
    log, bc-LSTM kept the best test epoch; ``shared/reference/
    data_and_metrics.md``, pitfall 4). This reproduces that protocol for parity
    studies: everything a recipe chooses on "validation" (checkpoint, early
    stopping, thresholds) is then chosen on test. A recipe without a monitor
    (a fixed-epoch protocol) keeps the epoch with the lowest ``val_loss``,
    i.e. the best test epoch.

    Returns:
        ``(dataset, defaults)``: the dataset with ``valid`` = its test split
        (``info["legacy_selection"] = True``) and the defaults with a monitor.
    """
    from keras_msa.data_tools.dataset import MSADataset

    print("!" * 100)
    print("!!! --legacy-selection: the TEST split is used as the validation split: checkpoint, early stopping "
          "and thresholds are chosen on test. Parity studies only: these numbers are not valid results. !!!")
    print("!" * 100)
    defaults = dict(defaults)
    if defaults["monitor"] is None:
        defaults["monitor"], defaults["monitor_mode"] = "val_loss", "min"
    splits = dict(dataset.splits, valid=dataset.test)
    return MSADataset(dataset.name, splits, dict(dataset.info, legacy_selection=True)), defaults


def keras2_checkpoint_pick(monitored, losses, patience=None):
    """The epoch (1-based) a Keras 2 reference script keeps, from its per-epoch logs.

    Emulates ``ModelCheckpoint(monitor=<accuracy>, save_best_only=True,
    mode="max")`` together with ``EarlyStopping(monitor="val_loss",
    patience=patience)``, as in the MMMU-BA / CIM scripts (which passed the
    test split as validation data): training stops ``patience`` epochs after
    the last strict improvement of the loss, and the kept weights are those
    of the first epoch with the highest monitored value up to there (Keras 2
    saves only on a strict improvement). For parity studies of test-selected
    reference numbers; recipes never select this way.

    Args:
        monitored: sequence of the monitored metric per epoch (higher is better).
        losses: sequence of the early-stopping loss per epoch, same length.
        patience: int or None (no early stopping).
    """
    if len(monitored) != len(losses) or not len(monitored):
        raise ValueError(f"`monitored` and `losses` must be non-empty and of one length. Received: "
                         f"{len(monitored)} and {len(losses)} epochs")
    stop = len(monitored)
    if patience is not None:
        best, wait = float("inf"), 0
        for epoch, loss in enumerate(losses, start=1):
            if loss < best:
                best, wait = loss, 0
            else:
                wait += 1
                if wait >= patience:
                    stop = epoch
                    break
    kept = [float(v) for v in monitored[:stop]]
    return kept.index(max(kept)) + 1


#: Flags that may change between an interrupted run and its resumption (``--epochs`` may grow).
RESUMABLE_CHANGES = ("epochs", "verbose", "no_export", "fresh", "output_dir")


def run_settings(args):
    """The settings of a run that a resumed run must share: every flag but :data:`RESUMABLE_CHANGES`,
    and the Keras backend (under ``"KERAS_BACKEND"``: the same seed gives other numbers on another backend)."""
    import keras

    settings = {k: (v if isinstance(v, (bool, int, float, str, type(None))) else str(v))
                for k, v in sorted(vars(args).items()) if k not in RESUMABLE_CHANGES}
    settings["KERAS_BACKEND"] = keras.backend.backend()
    return settings


def run_environment():
    """The backend and library versions of a run, for ``results.json``."""
    import platform

    import keras
    import numpy as np

    backend = keras.backend.backend()  # tensorflow, jax and torch are also the names of their modules
    backend_version = None
    if backend in ("tensorflow", "jax", "torch"):
        import importlib

        backend_version = getattr(importlib.import_module(backend), "__version__", None)
    return {"backend": backend, "backend_version": backend_version, "keras": keras.__version__,
            "numpy": np.__version__, "python": platform.python_version()}


def check_same_settings(stored, current, output_dir, may_change=()):
    """Refuse to resume an interrupted run with other settings (it would mix two configurations).

    ``may_change``: flags left out of the comparison (a recipe's ``evaluation_flags``).

    Raises:
        RecipeError: naming the flags that differ, the interrupted run's value
        and the new one.
    """
    changed = [k for k in sorted(set(stored) | set(current))
               if k not in may_change and stored.get(k) != current.get(k)
               and not (k == "KERAS_BACKEND" and k not in stored)]  # backups written before the backend was kept
    if changed:
        diffs = "; ".join(f"{k if k == 'KERAS_BACKEND' else '--' + k.replace('_', '-')}: interrupted run "
                          f"{stored.get(k)!r}, now {current.get(k)!r}" for k in changed)
        raise RecipeError(f"{output_dir} holds an interrupted run with other settings ({diffs}); run the same "
                          "command to resume it, or add --fresh (or another --output-dir) to start over")


def logged_name(model, name):
    """The name under which Keras logs the per-output quantity ``name`` of ``model``.

    Keras 3 prefixes a metric with its output's name (``val_sentiment_loss``)
    only when the model has several outputs; with one output it logs
    ``val_loss`` / ``val_accuracy``. Recipes name the per-output quantity;
    this maps it to the logged one (an ablation can leave the sentiment head
    as the only output, e.g. CIA - IIM of the segment script). Names that
    carry no output prefix are returned unchanged.

    >>> import keras
    >>> inputs = keras.Input((3,))
    >>> model = keras.Model(inputs, {"sentiment": keras.layers.Dense(2, name="sentiment")(inputs)})
    >>> logged_name(model, "val_sentiment_accuracy")
    'val_accuracy'
    """
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != 1:
        return name
    prefix = "val_" if name.startswith("val_") else ""
    rest = name[len(prefix):]
    if rest.startswith(names[0] + "_"):
        return prefix + rest[len(names[0]) + 1:]
    return name


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def format_results_table(metrics, paper, title="results", synthetic=False):
    """A plain-text table: metric | this run | paper."""
    names = list(metrics) + [k for k in paper if k not in metrics]
    width = max([len(n) for n in names] + [6])
    lines = [title, f"{'metric':<{width}}  {'ours':>9}  {'paper':>9}", "-" * (width + 22)]
    for n in names:
        ours = metrics.get(n)
        ref = paper.get(n)
        ours_s = f"{ours:9.3f}" if ours is not None else f"{'-':>9}"
        ref_s = f"{ref:9.3f}" if ref is not None else f"{'-':>9}"
        lines.append(f"{n:<{width}}  {ours_s}  {ref_s}")
    if synthetic:
        lines.append("(synthetic data: the 'ours' column is not comparable with the paper)")
    return "\n".join(lines)


def _keras_callback_base():
    import keras

    return keras.callbacks.Callback


class EpochSetter(_keras_callback_base()):
    """Tells an :class:`EpochBatches` which epoch is starting (resume-safe)."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        if self.batches.epoch != epoch:
            self.batches.set_epoch(epoch)


def seed_variables(model):
    """The state variables of ``model``'s random seed generators (dropout, noise), in model order."""
    return [v for v in model.variables if "seed_generator_state" in v.path]


@contextlib.contextmanager
def seed_states_kept(model):
    """Run inference on ``model`` in the middle of training without moving its random streams.

    Keras 3 RNN layers draw their dropout masks on every call, inference
    included (``RNN.call`` pre-draws them whatever ``training`` is; Keras
    3.15), which advances the layers' seed generators: a ``predict`` between
    two epochs changes every later dropout mask, so a run that looks at its
    model while training no longer reproduces the same run without the look.
    Inside this context the seed states are put back on exit::

        with seed_states_kept(model):
            model.predict(x)
    """
    from keras import ops

    variables = seed_variables(model)
    states = [ops.convert_to_numpy(v) for v in variables]
    try:
        yield
    finally:
        for v, state in zip(variables, states):
            v.assign(state)


class TrainingDone(_keras_callback_base()):
    """Write ``filepath`` (JSON) when ``fit`` returns normally: the run's training is finished.

    With ``BackupAndRestore(delete_checkpoint=False)`` the backup outlives
    ``fit``; this marker tells a rerun of a run stopped before its results
    were written to evaluate the backup's weights instead of training on
    (which, after early stopping, would add epochs the run never had).

    Args:
        filepath: the marker file (inside the backup folder).
        epochs: the run's ``--epochs``.
    """

    def __init__(self, filepath, epochs):
        super().__init__()
        self.filepath, self.epochs = filepath, int(epochs)
        self.epochs_completed = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_completed = epoch + 1

    def on_train_end(self, logs=None):
        import json
        import os

        with open(self.filepath + ".tmp", "w") as f:
            json.dump({"epochs": self.epochs, "epochs_completed": self.epochs_completed}, f)
        os.replace(self.filepath + ".tmp", self.filepath)


class SeedStateBackup(_keras_callback_base()):
    """Save / restore the states of the model's random seed generators.

    ``BackupAndRestore`` stores weights and optimizer state but not the
    ``SeedGenerator`` states that drive dropout, so a resumed run would draw
    the dropout masks of epoch 1 again. This callback stores them after every
    epoch (``seed_states_<epoch>.npz`` in ``backup_dir``, the last two kept)
    and, when a run resumes at epoch ``e``, puts back those of epoch ``e - 1``.
    """

    def __init__(self, backup_dir):
        super().__init__()
        self.backup_dir = backup_dir
        self._restored = False

    def _path(self, epoch):
        import os

        return os.path.join(self.backup_dir, f"seed_states_{epoch}.npz")

    def on_epoch_begin(self, epoch, logs=None):
        import os
        import zipfile

        import numpy as np

        if self._restored:
            return
        self._restored = True
        if epoch == 0 or not os.path.isfile(self._path(epoch - 1)):
            return
        try:
            with np.load(self._path(epoch - 1)) as npz:
                stored = {name: npz[name] for name in npz.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # e.g. a truncated write
            raise _backup_error(self._path(epoch - 1), f"expected an .npz of seed states, found unreadable "
                                                       f"content ({type(exc).__name__}: {exc})") from exc
        variables = seed_variables(self.model)
        if len(stored) != len(variables):
            raise RecipeError(
                f"{self._path(epoch - 1)}: expected {len(variables)} seed states for this model, "
                f"found {len(stored)} (the backup belongs to another model; use --fresh)"
            )
        for i, v in enumerate(variables):
            v.assign(stored[f"s{i}"])

    def on_epoch_end(self, epoch, logs=None):
        import os

        import numpy as np
        from keras import ops

        os.makedirs(self.backup_dir, exist_ok=True)
        states = {f"s{i}": ops.convert_to_numpy(v) for i, v in enumerate(seed_variables(self.model))}
        np.savez(self._path(epoch) + ".tmp.npz", **states)
        os.replace(self._path(epoch) + ".tmp.npz", self._path(epoch))
        if os.path.isfile(self._path(epoch - 2)):
            os.remove(self._path(epoch - 2))


def keep_history_rows(path, epochs):
    """Cut the CSV history at ``path`` to its header and first ``epochs`` rows (before a resumed run appends)."""
    import os

    if not os.path.isfile(path):
        return
    with open(path, newline="") as f:  # keep the CSV writer's own line endings (CRLF)
        lines = f.readlines()
    with open(path, "w", newline="") as f:
        f.writelines(lines[: 1 + epochs])


class EarlyStoppingBackup(_keras_callback_base()):
    """Make a ``keras.callbacks.EarlyStopping`` survive an interrupted run.

    ``BackupAndRestore`` restores weights, optimizer and epoch, but an early
    stopping callback starts again from ``wait = 0`` and no best value, so a
    resumed run would train longer than the uninterrupted one. This callback,
    placed after ``early_stopping``, writes its ``wait`` / ``best`` /
    ``best_epoch`` after every epoch (one entry per epoch) and, when the run
    resumes at epoch ``e``, puts back the entry of epoch ``e - 1``.

    Args:
        early_stopping: the ``EarlyStopping`` instance (``restore_best_weights``
            must be False: the runner's :class:`BestWeights` keeps the best
            weights on disk instead).
        filepath: JSON file of the per-epoch states (inside the backup folder).
    """

    def __init__(self, early_stopping, filepath):
        super().__init__()
        if early_stopping.restore_best_weights:
            raise RecipeError("EarlyStopping(restore_best_weights=True) cannot be resumed (its weights live in "
                              "memory); the runner keeps the best validation weights itself, pass False")
        self.early_stopping, self.filepath = early_stopping, filepath
        self._restored = False

    def _load(self):
        import os

        if not os.path.isfile(self.filepath):
            return {}
        return read_backup_json(self.filepath)

    def on_epoch_begin(self, epoch, logs=None):
        if self._restored:
            return
        self._restored = True
        state = self._load().get(str(epoch - 1))
        if epoch > 0 and state is not None:
            self.early_stopping.wait = state["wait"]
            self.early_stopping.best = state["best"]
            self.early_stopping.best_epoch = state["best_epoch"]

    def on_epoch_end(self, epoch, logs=None):
        import json
        import os

        es = self.early_stopping
        states = self._load()
        states[str(epoch)] = {"wait": int(es.wait), "best": None if es.best is None else float(es.best),
                              "best_epoch": int(es.best_epoch)}
        os.makedirs(os.path.dirname(self.filepath), exist_ok=True)
        with open(self.filepath + ".tmp", "w") as f:
            json.dump(states, f)
        os.replace(self.filepath + ".tmp", self.filepath)


def with_resumable_early_stopping(callbacks, backup_dir):
    """``callbacks`` with an :class:`EarlyStoppingBackup` after every ``EarlyStopping`` among them."""
    import os

    import keras

    out = []
    for i, callback in enumerate(callbacks):
        out.append(callback)
        if isinstance(callback, keras.callbacks.EarlyStopping):
            out.append(EarlyStoppingBackup(callback, os.path.join(backup_dir, f"early_stopping_{i}.json")))
    return out


class BestWeights(_keras_callback_base()):
    """Keep the weights of the best validation epoch (never selects on test).

    Args:
        filepath: where the ``.weights.h5`` of the best epoch is written.
        monitor: the logged quantity (``"val_loss"``...).
        mode: ``"min"`` or ``"max"``.
        keep_ties: ``"later"`` (``<=``: a later epoch with an equal value wins,
            as the TMA / MFN scripts) or ``"earlier"`` (strict ``<``, as Keras'
            ``ModelCheckpoint``).
        resume: if True and ``filepath``'s state file exists, continue from its
            best value (used when an interrupted run is resumed).
    """

    def __init__(self, filepath, monitor="val_loss", mode="min", keep_ties="later", resume=False):
        super().__init__()
        import os

        if mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max'. Received: mode={mode!r}")
        if keep_ties not in ("later", "earlier"):
            raise ValueError(f"`keep_ties` must be 'later' or 'earlier'. Received: keep_ties={keep_ties!r}")
        self.filepath, self.monitor, self.mode, self.keep_ties = filepath, monitor, mode, keep_ties
        self.state_path = filepath + ".json"
        self.best, self.best_epoch = None, None
        if resume and os.path.isfile(self.state_path) and os.path.isfile(filepath):
            state = read_backup_json(self.state_path, keys=("best", "epoch"))
            self.best, self.best_epoch = state["best"], state["epoch"]

    def _improved(self, value):
        if self.best is None:
            return True
        if self.mode == "min":
            return value <= self.best if self.keep_ties == "later" else value < self.best
        return value >= self.best if self.keep_ties == "later" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        import json
        import math

        logs = logs or {}
        if self.monitor not in logs:
            raise RecipeError(
                f"monitor {self.monitor!r} is not among the logged values {sorted(logs)}"
            )
        value = float(logs[self.monitor])
        if math.isfinite(value) and self._improved(value):
            self.best, self.best_epoch = value, epoch
            self.model.save_weights(self.filepath, overwrite=True)
            with open(self.state_path, "w") as f:
                json.dump({"best": value, "epoch": epoch, "monitor": self.monitor}, f)
