"""keras_msa.export: the SavedModel of a context CIA model serves the Keras model's predictions and
refuses inputs that do not match its signature with one error naming the input."""

import os

import numpy as np
import pytest

from keras_msa.export import export_saved_model
from keras_msa.export import load_saved_model
from keras_msa.models.cia import build_cia

DIMS = {"text": 6, "audio": 4, "vision": 5}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    model = build_cia(DIMS, num_steps=4, rnn_units=2, dense_units=3, heads=("sentiment", "intensity"), seed=0)
    path = export_saved_model(model, os.path.join(tmp_path_factory.mktemp("export"), "saved_model"))
    return model, load_saved_model(path)


def _inputs(batch=2, steps=4):
    rng = np.random.default_rng(0)
    x = {m: rng.normal(size=(batch, steps, d)).astype("float32") for m, d in DIMS.items()}
    x["utterance_mask"] = np.ones((batch, steps), "float32")
    x["utterance_mask"][0, 2:] = 0.0
    for m in DIMS:
        x[m][0, 2:] = 0.0
    return x


def test_serve_matches_the_model_and_ignores_padded_values(served):
    model, serve = served
    x = _inputs()
    ref = model.predict(x, verbose=0)
    out = serve(x)
    garbage = {k: v.copy() for k, v in x.items()}
    for m in DIMS:
        garbage[m][0, 2:] = 5.0  # padded utterances (mask 0) holding non-zero values
    again = serve(garbage)
    real = x["utterance_mask"].astype(bool)
    for k in ref:
        np.testing.assert_allclose(np.asarray(out[k]), ref[k], atol=1e-6)
        np.testing.assert_allclose(np.asarray(again[k])[real], ref[k][real], atol=1e-6)


@pytest.mark.parametrize("change, message", [
    (lambda x: {k: v for k, v in x.items() if k != "utterance_mask"},
     r"serve: input 'utterance_mask' is missing: expected the keys \['audio', 'text', 'utterance_mask', 'vision'\], "
     r"found \['audio', 'text', 'vision'\]"),
    (lambda x: dict(x, acoustic=x["audio"]), r"serve: input 'acoustic' is not an input of the model: expected the keys"),
    (lambda x: {k: v[:, :3] for k, v in x.items()},
     r"serve: input 'audio': expected shape \(None, 4, 4\) \(None = any size\), found \(2, 3, 4\)"),
    (lambda x: dict(x, text=x["text"][..., :5]), r"serve: input 'text': expected shape \(None, 4, 6\).*found \(2, 4, 5\)"),
    (lambda x: list(x.values()), r"serve: expected a dict of inputs with the keys .*found list"),
])
def test_serve_refuses_inputs_that_do_not_match_the_signature(served, change, message):
    _, serve = served
    with pytest.raises(ValueError, match=message):
        serve(change(_inputs()))


def test_the_command_line_exports_a_saved_keras_model(served, tmp_path, capsys):
    from keras_msa.export import main

    model, first_serve = served
    keras_file = os.path.join(tmp_path, "cia.keras")
    model.save(keras_file)
    out = os.path.join(tmp_path, "served")
    main([keras_file, out])
    assert capsys.readouterr().out.strip().endswith(f"wrote {out}")
    x = _inputs()
    ref = model.predict(x, verbose=0)
    serve = load_saved_model(out)
    got, again, first = serve(x), serve(x), first_serve(x)
    for k in ref:
        # a JAX-only mismatch here was seen once in CI and never reproduced: the message tells whether the
        # SavedModel is unstable from call to call, or differs from the one the model exported itself (the
        # .keras round trip alone is test_save_reload_identical, on every backend)
        np.testing.assert_allclose(np.asarray(got[k]), ref[k], atol=1e-6, err_msg=(
            f"{k}: the SavedModel written by the command line; a second call of it differs from the first "
            f"by {_max_gap(again[k], got[k]):.3g}, the SavedModel the model itself exported by "
            f"{_max_gap(first[k], got[k]):.3g}"))


def _max_gap(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def test_the_command_line_refuses_a_missing_keras_file(tmp_path, capsys):
    from keras_msa.export import main

    missing = os.path.join(tmp_path, "nothing.keras")
    with pytest.raises(SystemExit) as exit_info:
        main([missing, os.path.join(tmp_path, "out")])
    assert exit_info.value.code == 2
    assert f"keras_file: expected an existing .keras file, found {missing!r}" in capsys.readouterr().err
