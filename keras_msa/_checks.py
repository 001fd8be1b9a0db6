"""Argument checks shared by the layers and data tools: one clear ``ValueError`` naming the argument and the value."""

import numpy as np


def check_positive_int(name, value):
    """``value`` as an int if it is a whole number > 0 (not a bool); else ``ValueError``."""
    message = f"`{name}` must be a positive integer. Received: {name}={value!r}"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(message)
    try:
        ivalue = int(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if ivalue != value or ivalue <= 0:
        raise ValueError(message)
    return ivalue


def check_whole_number(name, value, minimum):
    """``value`` as an int if it is an integer (no float, str or bool) >= ``minimum``; else ``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)


def check_rate(name, value):
    """``value`` as a float if it is a dropout rate in [0, 1); else ``ValueError``."""
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be a dropout rate in [0, 1). Received: {name}={value!r}")
    return value


def check_bool(name, value):
    """``value`` as a bool if it is ``True`` / ``False``; else ``ValueError`` (no ``bool("False")``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return bool(value)
