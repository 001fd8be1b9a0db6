"""The layers on the other Keras backends: the layer and export tests run again under JAX and torch.

Every keras_msa layer uses ``keras.ops`` only, so it must behave the same on
JAX and torch as on TensorFlow (``shared/reference/keras_conventions.md`` §16:
a CI matrix over ``KERAS_BACKEND`` in {tensorflow, jax, torch}). The suite
itself runs on TensorFlow; this test runs the layer test files, the export
tests and the model tests of reloading and of learning a planted signal
(CIA's on JAX only) in a fresh process on each other backend. The other
model and recipe tests pass there too, checked by hand, but would double the
suite's time. JAX comes with the ``test`` extra; torch is installed by
``.ci/run`` as the CPU build ``torch==2.13.0`` (an unpinned ``torch`` from
PyPI is a CUDA build of several GB, so it is not in the extra).
"""

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the layer tests, the SavedModel export (on torch it goes through a TensorFlow process: keras_msa.export),
# and the models' two promises: a reload predicts the same, and training learns a planted signal
BACKEND_TESTS = ("tests/test_cia_layers.py", "tests/test_tma_layers.py", "tests/test_layer_testing.py",
                 "tests/test_export.py",
                 "tests/test_cia_models.py::test_save_reload_identical",
                 "tests/test_tma_models.py::test_reload_keras_file_gives_identical_predictions",
                 "tests/test_tma_models.py::test_tiny_model_learns_planted_signal",
                 "tests/test_mmmu_ba.py::test_modality_self_attention_contract",
                 "tests/test_mmmu_ba.py::test_modality_self_attention_matches_numpy_per_utterance",
                 "tests/test_mmmu_ba.py::test_save_reload_identical")
# CIA's planted-signal training takes 14 s on JAX but 50 s on eager torch: JAX only, for the suite's time budget
EXTRA_TESTS = {"jax": ("tests/test_cia_models.py::test_cia_learns_planted_signal_on_synthetic_context_data",),
               "torch": ()}
INSTALL_HINT = {"jax": "pip install -e '.[test]' installs it", "torch": "pip install torch==2.13.0 (.ci/run does)"}


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_the_layer_tests_pass_on_another_backend(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed ({INSTALL_HINT[backend]})")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    found = subprocess.run([sys.executable, "-c", "import keras; print(keras.backend.backend())"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert found.stdout.strip().splitlines()[-1] == backend, found.stderr[-2000:]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *BACKEND_TESTS,
                             *EXTRA_TESTS[backend]],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary, summary
