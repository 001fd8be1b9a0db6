"""The layers on another Keras backend: the layer tests run again under ``KERAS_BACKEND=jax``.

Every keras_msa layer uses ``keras.ops`` only, so it must behave the same on JAX
as on TensorFlow (``shared/reference/keras_conventions.md``: a CI matrix over the
backends). The suite itself runs on TensorFlow; this test runs the layer test
files in a fresh process on JAX (installed by the ``test`` extra). Torch is not
covered: its PyPI wheels bring several GB of CUDA libraries.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYER_TESTS = ("tests/test_cia_layers.py", "tests/test_tma_layers.py", "tests/test_layer_testing.py")


@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="jax is not installed (pip install -e '.[test]' installs it)")
def test_the_layer_tests_pass_on_the_jax_backend():
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    backend = subprocess.run([sys.executable, "-c", "import keras; print(keras.backend.backend())"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert backend.stdout.strip().splitlines()[-1] == "jax", backend.stderr[-2000:]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *LAYER_TESTS],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary, summary
