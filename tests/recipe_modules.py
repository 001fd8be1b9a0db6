"""Import the scripts under ``recipes/`` from tests (they are not part of the package)."""

import importlib
import pathlib
import sys

RECIPES_DIR = str(pathlib.Path(__file__).resolve().parents[1] / "recipes")


def import_recipe_module(name):
    """Import ``recipes/<name>.py`` (or a shared ``_*_common`` module) without leaving ``recipes/`` on ``sys.path``."""
    sys.path.insert(0, RECIPES_DIR)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(RECIPES_DIR)
