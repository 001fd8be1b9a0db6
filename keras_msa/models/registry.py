"""Registry behind ``keras_msa.models.get_model`` and ``load_reference_weights``.

Every model family registers its builder, its per-dataset presets and,
optionally, a function that loads a reference-code (PyTorch) ``state_dict``.
``get_model`` returns a functional ``keras.Model`` whose ``name`` is the
registered name, which is how ``load_reference_weights`` finds the loader.
"""

import dataclasses
from typing import Callable, Optional


@dataclasses.dataclass
class ModelEntry:
    name: str
    builder: Callable
    presets: dict
    weight_loader: Optional[Callable] = None
    description: str = ""


_REGISTRY = {}


def register_model(name, builder, presets, weight_loader=None, description=""):
    """Register a model family.

    Args:
        name: str. Public model name (``"marn_tma"``, ``"cia"``, ...).
        builder: callable ``builder(**config) -> keras.Model``.
        presets: dict ``{preset_name: config_dict}``.
        weight_loader: optional callable ``(model, state_dict) -> model``.
        description: one line shown by ``available_models``.
    """
    if name in _REGISTRY and _REGISTRY[name].builder is not builder:
        raise ValueError(f"A model named {name!r} is already registered.")
    _REGISTRY[name] = ModelEntry(name, builder, dict(presets), weight_loader, description)


def available_models():
    """Return ``{name: sorted preset names}`` of every registered model."""
    return {name: sorted(entry.presets) for name, entry in sorted(_REGISTRY.items())}


def get_preset(name, preset):
    """Return a copy of the configuration dict of ``preset`` for model ``name``."""
    entry = _entry(name)
    if preset not in entry.presets:
        raise ValueError(
            f"Unknown preset {preset!r} for model {name!r}. "
            f"Expected one of {sorted(entry.presets)}."
        )
    return dict(entry.presets[preset])


def get_model(name, preset=None, **overrides):
    """Build a registered model.

    Args:
        name: str. Registered model name (see ``available_models()``).
        preset: str or None. Dataset preset (for example ``"mosi"``); ``None``
            uses the builder's own defaults.
        **overrides: configuration values that replace the preset's.
            A preset's ``input_dims`` are the reference code's feature sizes;
            data of other sizes need ``input_dims=...`` (for example the
            public MFN h5 release has 36-d FACET vision where the TMA
            ``mmmo`` / ``youtube`` presets, as the authors' scripts, take
            35-d: ``input_dims={"text": 300, "audio": 74, "vision": 36}``).

    Returns:
        A functional ``keras.Model`` named ``name``.
    """
    entry = _entry(name)
    config = get_preset(name, preset) if preset is not None else {}
    config.update(overrides)
    model = entry.builder(**config)
    return model


def load_reference_weights(model, state_dict):
    """Load a reference-code ``state_dict`` ({name: numpy array}) into ``model``.

    The loader is chosen from ``model.name``, which ``get_model`` sets to the
    registered model name. Raises ``ValueError`` listing missing, unexpected
    and mis-shaped parameter names.
    """
    entry = _REGISTRY.get(model.name)
    if entry is None or entry.weight_loader is None:
        loadable = sorted(n for n, e in _REGISTRY.items() if e.weight_loader is not None)
        raise ValueError(
            f"No reference-weight loader for a model named {model.name!r}. "
            f"Models with a loader: {loadable}."
        )
    return entry.weight_loader(model, state_dict)


def _entry(name):
    if name not in _REGISTRY:
        raise ValueError(f"Unknown model {name!r}. Expected one of {sorted(_REGISTRY)}.")
    return _REGISTRY[name]
