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
import dataclasses
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
            ``batch_size``, ``learning_rate``, ``adam_epsilon``, ``monitor``,
            ``monitor_mode``, ``format``, ``shuffle``, ``drop_remainder``).
        add_arguments: optional ``(parser) -> None`` adding recipe flags.
        formats: tuple of the ``--format`` values the recipe accepts.
        callbacks: optional ``(args) -> list`` of extra Keras callbacks.
        after_training: optional ``(model, dataset, args, output_dir) -> None``
            (for example writing attention heatmaps).
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


def run_recipe(recipe, argv=None):  # pragma: no cover - replaced below
    raise NotImplementedError("The runner is being written (issue 2).")
