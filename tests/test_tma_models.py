"""Tests of the TMA-family models: parameter counts, presets, reference-weight import, training.

The weight-import tests compare the Keras models, loaded from PyTorch-named
state dicts, against a pure-numpy forward pass written from the reference
equations (``shared/reference/recurrent.md``); torch is not needed.
"""

import pathlib
import re
import sys

import keras
import numpy as np
import pytest

import keras_msa  # noqa: F401
from keras_msa.models import get_model
from keras_msa.models import load_reference_weights
from keras_msa.models import modality_weights_model
from keras_msa.models.tma_weights import expected_state_dict_shapes
from keras_msa.runner import build_training_state
from tests.recipe_modules import import_recipe_module

# ---------------------------------------------------------------------------
# Pure-numpy oracle of the reference models (evaluation mode).
# ---------------------------------------------------------------------------

SUFFIXES = ("l", "a", "v")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def linear(sd, prefix, x):
    return x @ sd[f"{prefix}.weight"].T + sd[f"{prefix}.bias"]


def mlp(sd, prefix, x, naming="tma"):
    first, second = (f"{prefix}.0", f"{prefix}.3") if naming == "tma" else (f"{prefix}_fc1", f"{prefix}_fc2")
    return linear(sd, second, np.maximum(linear(sd, first, x), 0.0))


def lstm_cell(sd, prefix, x, h, c):
    g = x @ sd[f"{prefix}.weight_ih"].T + sd[f"{prefix}.bias_ih"] + h @ sd[f"{prefix}.weight_hh"].T + sd[f"{prefix}.bias_hh"]
    i, f, gg, o = np.split(g, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(gg)
    h = sigmoid(o) * np.tanh(c)
    return h, c


def lsthm_cell(sd, prefix, x, h, c, z):
    s = linear(sd, f"{prefix}.W", x) + linear(sd, f"{prefix}.U", h) + linear(sd, f"{prefix}.V", z)
    f, i, o, ch = np.split(s, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(ch)
    h = np.tanh(c) * sigmoid(o)
    return h, c


def _hidden_size(sd, prefix, kind):
    key = f"{prefix}.weight_hh" if kind == "lstm" else f"{prefix}.U.weight"
    return sd[key].shape[1]


def tma(sd, states, sizes, suffixes):
    projections, offset = [], 0
    for suffix, size in zip(suffixes, sizes):
        projections.append(mlp(sd, f"nn_{suffix}", states[:, offset: offset + size]))
        offset += size
    alpha = softmax(mlp(sd, "att", states), axis=-1)  # (N, M)
    z = np.sum(alpha[:, :, None] * np.stack(projections, axis=1), axis=1)
    return z, alpha


def forward(model, sd, xs, suffixes=SUFFIXES, window=1, naming="tma"):
    """Reference forward pass.

    Args:
        model: "marn", "marn_tma", "mfn" (DMAN, ``window``) or "mfn_tma".
        sd: {name: float64 array}.
        xs: list of (N, T, d_m) arrays, in the order of ``suffixes``.
    Returns:
        (output (N, out), modality weights (N, T, M) or None)
    """
    sd = {k: np.asarray(v, dtype=np.float64) for k, v in sd.items()}
    xs = [np.asarray(x, dtype=np.float64) for x in xs]
    n, steps = xs[0].shape[:2]
    cell_kind = "lsthm" if model.startswith("marn") else "lstm"
    cell_prefix = "lsthm" if cell_kind == "lsthm" else "lstm"
    sizes = [_hidden_size(sd, f"{cell_prefix}_{s}", cell_kind) for s in suffixes]
    total = sum(sizes)
    hs = [np.zeros((n, h)) for h in sizes]
    cs = [np.zeros((n, h)) for h in sizes]
    alphas = []
    if model == "marn":
        z = np.zeros((n, total))
    elif model == "marn_tma":
        z = np.zeros((n, sd["nn_l.3.weight" if "l" in suffixes else f"nn_{suffixes[0]}.3.weight"].shape[0]))
    else:
        memory_key = "nn_p.3.weight" if naming == "tma" else "att2_fc2.weight"
        u = np.zeros((n, sd[memory_key].shape[0]))
    for t in range(steps):
        new_hs, new_cs = [], []
        for m, s in enumerate(suffixes):
            if cell_kind == "lsthm":
                h, c = lsthm_cell(sd, f"lsthm_{s}", xs[m][:, t], hs[m], cs[m], z)
            else:
                h, c = lstm_cell(sd, f"lstm_{s}", xs[m][:, t], hs[m], cs[m])
            new_hs.append(h)
            new_cs.append(c)
        c_cat = np.concatenate(new_cs, axis=-1)
        if model == "marn":
            k = sd["att.0.weight"].shape[0] // total
            att = softmax(linear(sd, "att.0", c_cat).reshape(n, k, total), axis=-1)
            attended = att * c_cat[:, None, :]
            reduced, offset = [], 0
            for s, size in zip(suffixes, sizes):
                block = attended[:, :, offset: offset + size].reshape(n, k * size)
                reduced.append(linear(sd, f"reduce_dim_nn_{s}.0", block))
                offset += size
            z = mlp(sd, "fc", np.concatenate(reduced, axis=-1))
        elif model == "marn_tma":
            z, alpha = tma(sd, c_cat, sizes, suffixes)
            alphas.append(alpha)
        else:
            if model == "mfn_tma":
                x, alpha = tma(sd, c_cat, sizes, suffixes)
                alphas.append(alpha)
            else:
                cstar = np.concatenate([np.concatenate(cs, axis=-1), c_cat], axis=-1) if window == 2 else c_cat
                att = softmax(mlp(sd, "att" if naming == "tma" else "att1", cstar, naming), axis=-1)
                x = att * cstar
            names = ("nn_p", "nn_gmma1", "nn_gmma2") if naming == "tma" else ("att2", "gamma1", "gamma2")
            u_hat = np.tanh(mlp(sd, names[0], x, naming))
            both = np.concatenate([x, u], axis=-1)
            g1 = sigmoid(mlp(sd, names[1], both, naming))
            g2 = sigmoid(mlp(sd, names[2], both, naming))
            u = g1 * u + g2 * u_hat
        hs, cs = new_hs, new_cs
    last = z if model.startswith("marn") else u
    head = np.concatenate(hs + [last], axis=-1)
    out = mlp(sd, "nn_out" if naming == "tma" else "out", head, naming)
    return out, (np.stack(alphas, axis=1) if alphas else None)


# ---------------------------------------------------------------------------
# Reference state-dict layouts (names and torch shapes, recurrent.md / state_dict_names.md).
# ---------------------------------------------------------------------------
def _seq(prefix, i, w, o):
    return {f"{prefix}.0.weight": (w, i), f"{prefix}.0.bias": (w,), f"{prefix}.3.weight": (o, w), f"{prefix}.3.bias": (o,)}


def _fc(prefix, i, w, o):
    return {f"{prefix}_fc1.weight": (w, i), f"{prefix}_fc1.bias": (w,), f"{prefix}_fc2.weight": (o, w),
            f"{prefix}_fc2.bias": (o,)}


def reference_shapes(kind, cfg, suffixes=SUFFIXES, naming="tma"):
    d = dict(zip(suffixes, cfg["d"]))
    h = dict(zip(suffixes, cfg["h"]))
    total = sum(cfg["h"])
    shapes = {}
    if kind.startswith("marn"):
        zdim = total if kind == "marn" else cfg["S"]
        for s in suffixes:
            for name, fan_in in (("W", d[s]), ("U", h[s]), ("V", zdim)):
                shapes[f"lsthm_{s}.{name}.weight"] = (4 * h[s], fan_in)
                shapes[f"lsthm_{s}.{name}.bias"] = (4 * h[s],)
    else:
        for s in suffixes:
            shapes.update({f"lstm_{s}.weight_ih": (4 * h[s], d[s]), f"lstm_{s}.weight_hh": (4 * h[s], h[s]),
                           f"lstm_{s}.bias_ih": (4 * h[s],), f"lstm_{s}.bias_hh": (4 * h[s],)})
    mlp_names = _seq if naming == "tma" else _fc
    if kind == "marn":
        k = cfg["K"]
        shapes.update({"att.0.weight": (k * total, total), "att.0.bias": (k * total,)})
        for s, r in zip(suffixes, cfg["r"]):
            shapes.update({f"reduce_dim_nn_{s}.0.weight": (r, k * h[s]), f"reduce_dim_nn_{s}.0.bias": (r,)})
        shapes.update(_seq("fc", sum(cfg["r"]), cfg["G"], total))
        head_in = 2 * total
    if kind in ("marn_tma", "mfn_tma"):
        for s, w in zip(suffixes, cfg["Dm"]):
            shapes.update(_seq(f"nn_{s}", h[s], w, cfg["S"]))
        shapes.update(_seq("att", total, cfg["Dp"], len(suffixes)))
        head_in = total + cfg["S"]
    if kind.startswith("mfn"):
        if kind == "mfn_tma":
            x_dim = cfg["S"]
        else:
            x_dim = cfg["window"] * total
            shapes.update(mlp_names("att" if naming == "tma" else "att1", x_dim, cfg["att"], x_dim))
        m = cfg["M"]
        names = ("nn_p", "nn_gmma1", "nn_gmma2") if naming == "tma" else ("att2", "gamma1", "gamma2")
        shapes.update(mlp_names(names[0], x_dim, cfg["p"], m))
        shapes.update(mlp_names(names[1], x_dim + m, cfg["g1"], m))
        shapes.update(mlp_names(names[2], x_dim + m, cfg["g2"], m))
        head_in = total + m
    shapes.update(mlp_names("nn_out" if naming == "tma" else "out", head_in, cfg["o"], cfg["out"]))
    return shapes


TINY = {"d": [7, 3, 4], "h": [6, 4, 5], "K": 3, "r": [4, 3, 2], "G": 8, "S": 5, "Dp": 7, "Dm": [6, 3, 4],
        "M": 6, "att": 8, "p": 5, "g1": 4, "g2": 3, "o": 6, "out": 1, "window": 1}
STEPS = 5


def tiny_model(kind, cfg=TINY, modalities=("text", "audio", "vision"), **extra):
    common = dict(input_dims=cfg["d"], hidden_dims=cfg["h"], output_hidden_dim=cfg["o"], output_dropout=0.5,
                  output_dim=cfg["out"], num_steps=STEPS, modalities=modalities, seed=1)
    if kind == "marn":
        args = dict(num_attentions=cfg["K"], reduce_dims=cfg["r"], map_hidden_dim=cfg["G"], map_dropout=0.3)
    elif kind == "marn_tma":
        args = dict(subspace_dim=cfg["S"], attention_hidden_dim=cfg["Dp"], projection_hidden_dims=cfg["Dm"],
                    attention_dropout=0.9, projection_dropouts=0.5)
    else:
        args = dict(memory_dim=cfg["M"], proposal_hidden_dim=cfg["p"], retain_hidden_dim=cfg["g1"],
                    update_hidden_dim=cfg["g2"], proposal_dropout=0.7, retain_dropout=0.2, update_dropout=0.9)
        if kind == "mfn_tma":
            args.update(subspace_dim=cfg["S"], attention_hidden_dim=cfg["Dp"], projection_hidden_dims=cfg["Dm"],
                        attention_dropout=0.5)
        else:
            args.update(attention_hidden_dim=cfg["att"], attention_dropout=0.7)
    args.update(common)
    args.update(extra)
    return get_model(kind, **args)


def random_state_dict(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(-0.6, 0.6, size=shape).astype("float32") for name, shape in shapes.items()}


def random_inputs(dims, modalities, n=4, seed=1):
    rng = np.random.default_rng(seed)
    x = {m: rng.normal(size=(n, STEPS, d)).astype("float32") for m, d in zip(modalities, dims)}
    x[modalities[0]][:, :2] = 0.0  # front zero padding, run through as in the reference
    return x


# ---------------------------------------------------------------------------
# Parameter counts (recurrent.md section 8, reference configs with two LSTM biases).
# ---------------------------------------------------------------------------
PARAM_COUNTS = {
    ("mfn_window1", "mosi"): 470_547, ("mfn_tma", "mosi"): 331_494,
    ("marn", "mosi"): 675_109, ("marn_tma", "mosi"): 508_464,
    ("mfn_window1", "mmmo"): 418_347, ("mfn_tma", "mmmo"): 588_410,
    ("marn", "mmmo"): 1_013_825, ("marn_tma", "mmmo"): 524_240,
    ("mfn_window1", "youtube"): 507_375, ("mfn_tma", "youtube"): 401_530,
    ("marn", "youtube"): 964_387, ("marn_tma", "youtube"): 404_534,
    # MOSI with the paper's 74 / 35-d audio / visual inputs.
    ("mfn_window1", "mosi_paper"): 478_803, ("mfn_tma", "mosi_paper"): 339_750,
    ("marn", "mosi_paper"): 683_365, ("marn_tma", "mosi_paper"): 516_720,
    # Original MFN (window 2): section 7 widths, and the two released checkpoints.
    ("mfn", "mosi"): 626_755, ("mfn", "mmmo"): 507_179, ("mfn", "youtube"): 638_703,
    ("mfn", "mosi_mfn_mae"): 292_657, ("mfn", "mosi_mfn_acc"): 839_549,
}


@pytest.mark.parametrize("name,preset", sorted(PARAM_COUNTS))
def test_parameter_count_equals_reference(name, preset):
    model = get_model(name, preset)
    assert model.name == name
    assert model.count_params() == PARAM_COUNTS[(name, preset)]


@pytest.mark.parametrize("name", ["mfn_window1", "mfn_tma"])
@pytest.mark.parametrize("preset,difference", [("mosi", 832), ("mmmo", 1024), ("youtube", 1024)])
def test_single_bias_lstm_variant_has_4_th_fewer_parameters(name, preset, difference):
    two = get_model(name, preset).count_params()
    one = get_model(name, preset, lstm_recurrent_bias=False).count_params()
    assert two - one == difference


def test_breakdown_of_mosi_marn():
    model = get_model("marn", "mosi")
    rec = model.get_layer("recurrence")
    assert [c.count_params() for c in rec._cells] == [327_168, 14_848, 75_520]
    mab = rec._fusion_layer
    assert mab._attention.count_params() == 173_888
    assert sum(d.count_params() for d in mab._reduce) == 42_228
    assert mab._map.count_params() == 14_704
    assert model.get_layer("output_mlp").count_params() == 26_753


def test_presets_and_outputs():
    assert set(keras_msa.models.available_models()) >= {"marn", "marn_tma", "mfn", "mfn_window1", "mfn_tma"}
    for name in ("marn", "marn_tma", "mfn", "mfn_window1", "mfn_tma"):
        for preset, out in (("mosi", 1), ("mmmo", 1), ("youtube", 3)):
            model = get_model(name, preset)
            assert [t.name for t in model.inputs] == ["text", "audio", "vision"] or \
                sorted(model.input) == ["audio", "text", "vision"]
            assert tuple(model.output.shape) == (None, out)
    assert keras_msa.models.get_preset("mfn", "mosi")["window"] == 2
    model = get_model("marn_tma", "mmmo", modalities=("audio", "vision"), input_dims={"audio": 74, "vision": 36})
    assert sorted(model.input) == ["audio", "vision"]
    assert model.input["vision"].shape == (None, 20, 36)
    with pytest.raises(ValueError, match="modalities"):
        get_model("marn", "mosi", modalities=("text", "speech"))
    with pytest.raises(ValueError, match="preset"):
        get_model("marn", "iemocap")


# ---------------------------------------------------------------------------
# Reference weight import.
# ---------------------------------------------------------------------------
def _doc_tables():
    path = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "state_dict_names.md"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    tables, current = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            tables[current] = {}
            continue
        match = re.match(r"\| `([^`]+)` \| \(([\d, ]+)\) \|", line)
        if match and current is not None:
            tables[current][match.group(1)] = tuple(int(v) for v in match.group(2).split(",") if v.strip())
    return tables


@pytest.mark.parametrize("name,preset,title,naming", [
    ("mfn_window1", "mosi", "TMA repository `MFN` (window 1), MOSI config", "tma"),
    ("mfn_tma", "mosi", "TMA repository `TMAN1` = MFN(TMA), MOSI config", "tma"),
    ("marn", "mosi", "TMA repository `MARN`, MOSI config", "tma"),
    ("marn_tma", "mosi", "TMA repository `TMAN2` = MARN(TMA), MOSI config", "tma"),
    ("mfn", "mosi_mfn_mae", "original MFN (`pliang279/MFN` `test_mosi.py::MFN`, window 2), configuration of "
                            "`best/mfn_mae.pt`", "mfn"),
])
def test_expected_names_match_the_documented_state_dicts(name, preset, title, naming):
    tables = _doc_tables()
    assert title in tables, sorted(tables)
    model = get_model(name, preset)
    assert expected_state_dict_shapes(model, naming=naming) == tables[title]
    assert sum(int(np.prod(s)) for s in tables[title].values()) == model.count_params()


@pytest.mark.parametrize("kind,window,naming", [
    ("marn", 1, "tma"), ("marn_tma", 1, "tma"), ("mfn_window1", 1, "tma"), ("mfn", 2, "mfn"),
    ("mfn", 2, "tma"), ("mfn_tma", 1, "tma"),
])
def test_loaded_reference_weights_reproduce_numpy_forward(kind, window, naming):
    cfg = dict(TINY, window=window)
    if kind == "marn_tma":
        cfg["out"] = 3  # classification head (YouTube-like logits)
    oracle_kind = {"mfn_window1": "mfn"}.get(kind, kind)
    model = tiny_model(kind, cfg)
    state_dict = random_state_dict(reference_shapes(oracle_kind, cfg, naming=naming), seed=3)
    load_reference_weights(model, state_dict)
    x = random_inputs(cfg["d"], ("text", "audio", "vision"))
    got = model.predict(x, verbose=0)
    want, alpha = forward(oracle_kind, state_dict, [x["text"], x["audio"], x["vision"]], window=window,
                          naming=naming)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    if alpha is not None:
        weights = modality_weights_model(model).predict(x, verbose=0)
        np.testing.assert_allclose(weights, alpha, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


def test_reference_weights_on_a_modality_subset_and_single_bias_lstm():
    cfg = dict(TINY, d=[3, 4], h=[4, 5], Dm=[3, 4])
    mods = ("audio", "vision")
    sd = random_state_dict(reference_shapes("mfn_tma", cfg, suffixes=("a", "v")), seed=5)
    x = random_inputs(cfg["d"], mods)
    want, _ = forward("mfn_tma", sd, [x["audio"], x["vision"]], suffixes=("a", "v"))
    for two_biases in (True, False):
        model = tiny_model("mfn_tma", cfg, modalities=mods, lstm_recurrent_bias=two_biases)
        load_reference_weights(model, sd)
        np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-5)


def test_weight_import_errors_list_missing_unexpected_and_misshaped_names():
    model = tiny_model("marn_tma")
    shapes = reference_shapes("marn_tma", TINY)
    sd = random_state_dict(shapes)
    del sd["lsthm_a.V.bias"]
    sd["lsthm_x.W.weight"] = np.zeros((3, 3), "float32")
    sd["nn_v.0.weight"] = np.zeros((2, 2), "float32")
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(ValueError) as info:
        load_reference_weights(model, sd)
    message = str(info.value)
    assert "missing (1): lsthm_a.V.bias" in message
    assert "unexpected (1): lsthm_x.W.weight" in message
    assert "nn_v.0.weight: expected (4, 5), found (2, 2)" in message
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights)), "partial load"
    with pytest.raises(ValueError, match="No reference-weight loader"):
        load_reference_weights(keras.Sequential([keras.layers.Dense(1)], name="other"), sd)


def test_reading_pt_files_needs_torch_only_when_called(tmp_path, monkeypatch):
    from keras_msa.models import state_dict_from_torch_file

    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed: `import torch` fails
    with pytest.raises(ImportError, match=r"Reading '.*mfn\.pt' needs PyTorch, which is not installed"):
        state_dict_from_torch_file(str(tmp_path / "mfn.pt"))


def test_a_torch_checkpoint_file_loads_like_its_state_dict(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed (.ci/run installs torch==2.13.0)")
    from keras_msa.models import state_dict_from_torch_file

    cfg = dict(TINY, window=1)
    state_dict = random_state_dict(reference_shapes("mfn_tma", cfg), seed=3)
    path = tmp_path / "mfn_tma.pt"
    torch.save({k: torch.from_numpy(v) for k, v in state_dict.items()}, path)  # a saved state_dict
    read = state_dict_from_torch_file(str(path))
    assert sorted(read) == sorted(state_dict)
    for k, v in state_dict.items():
        assert read[k].dtype == np.float32 and np.array_equal(read[k], v), k
    model = tiny_model("mfn_tma", cfg)
    load_reference_weights(model, read)
    x = random_inputs(cfg["d"], ("text", "audio", "vision"))
    want, _ = forward("mfn_tma", state_dict, [x["text"], x["audio"], x["vision"]], window=1, naming="tma")
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-5)

    module = torch.nn.Linear(3, 2)  # a pickled whole module, as the TMA repository saves its models
    torch.save(module, tmp_path / "linear.pt")
    read = state_dict_from_torch_file(str(tmp_path / "linear.pt"))
    assert sorted(read) == ["bias", "weight"]
    np.testing.assert_array_equal(read["weight"], module.weight.detach().numpy())

    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match=r"list\.pt: expected a state_dict or a torch module, found list"):
        state_dict_from_torch_file(str(tmp_path / "list.pt"))


def test_reload_keras_file_gives_identical_predictions(tmp_path):
    model = tiny_model("mfn_tma")
    x = random_inputs(TINY["d"], ("text", "audio", "vision"))
    path = tmp_path / "mfn_tma.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0))
    np.testing.assert_array_equal(modality_weights_model(model).predict(x, verbose=0),
                                  modality_weights_model(again).predict(x, verbose=0))
    with pytest.raises(ValueError, match="modality weights"):
        modality_weights_model(tiny_model("marn"))


# ---------------------------------------------------------------------------
# Learning a planted signal.
# ---------------------------------------------------------------------------
def _planted(n, seed):
    """y depends on text AND audio: a model must combine modalities over time."""
    rng = np.random.default_rng(seed)
    x = {m: rng.normal(size=(n, STEPS, d)).astype("float32") for m, d in zip(("text", "audio", "vision"), TINY["d"])}
    y = (x["text"][:, :, 0].mean(1) * 2.0 - x["audio"][:, -2:, 1].mean(1) * 1.5).astype("float32")[:, None]
    return x, y


@pytest.mark.parametrize("kind", ["marn_tma", "mfn_tma"])
def test_tiny_model_learns_planted_signal(kind):
    keras.utils.set_random_seed(0)
    x, y = _planted(384, 0)
    xt, yt = _planted(128, 1)
    model = tiny_model(kind, output_dropout=0.0, **({"attention_dropout": 0.0, "projection_dropouts": 0.0}
                                                     if kind == "marn_tma" else {"proposal_dropout": 0.0,
                                                                                 "update_dropout": 0.0}))
    model.compile(optimizer=keras.optimizers.Adam(1e-2, epsilon=1e-8), loss="mae")
    build_training_state(model, (x, y))  # one trace of the train step, not two
    model.fit(x, y, batch_size=32, epochs=15, verbose=0, shuffle=False)
    mae = float(np.mean(np.abs(model.predict(xt, verbose=0) - yt)))
    baseline = float(np.mean(np.abs(yt - np.median(y))))
    assert mae < 0.6 * baseline, (mae, baseline)


# ---------------------------------------------------------------------------
# Recipes (tiny synthetic run; real-data loading when ../shared is present).
# ---------------------------------------------------------------------------
def test_tma_recipe_runs_end_to_end_on_synthetic_data(tmp_path):
    from keras_msa.runner import run_recipe

    results = run_recipe(import_recipe_module("tma_mmmo").RECIPE, argv=[
        "--model", "mfn_tma", "--epochs", "1", "--synthetic-sizes", "64,32,16", "--no-export", "--verbose", "0",
        "--heatmap-samples", "2", "--output-dir", str(tmp_path), "--seed", "3",
    ], exit_on_error=False)
    assert results["synthetic"] and results["model"] == "mfn_tma"
    assert set(results["metrics"]) >= {"Acc2", "F1", "MAE", "r"}
    assert results["paper"] == {"Acc2": 85.0, "F1": 87.8}
    weights = np.load(tmp_path / "tma_modality_weights.npy")
    assert weights.shape == (2, 20, 3)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert (tmp_path / "tma_modality_weights.png").stat().st_size > 0


def test_tma_recipe_reads_real_mmmo_audio_vision(shared_datasets):
    import argparse

    recipe = import_recipe_module("tma_mmmo").RECIPE
    parser = argparse.ArgumentParser()
    recipe.add_arguments(parser)
    args = parser.parse_args(["--modalities", "audio,vision"])
    args.data_dir, args.seed = str(shared_datasets / "mfn_h5"), 0
    data = recipe.load_data(args)
    assert data.modalities == ("audio", "vision")
    assert [len(data.train), len(data.valid), len(data.test)] == [220, 40, 80]
    assert data.train.padding == "pre" and data.train.feature_dims == {"audio": 74, "vision": 36}
    real = data.train.step_mask("audio")
    assert real[:, -1].all()  # front padding: the last step is the last word
    assert abs(float(data.train.features["audio"][real].mean())) < 0.05  # standardised on train
    model = recipe.build_model(data, args)
    assert model.input["vision"].shape == (None, 20, 36)
    x, y, _ = recipe.make_arrays(data.test, args)
    assert y.shape == (80, 1) and 1.0 <= y.min() and y.max() <= 5.0



def test_tma_recipe_preprocessing_replays_on_raw_mmmo_features(shared_datasets):
    """The clip + z-score the recipe applies (written to preprocessing.json) turn raw features into its inputs."""
    import argparse

    from keras_msa.data_tools import apply_preprocessing
    from keras_msa.data_tools.readers import read_mfn_h5

    recipe = import_recipe_module("tma_mmmo").RECIPE
    parser = argparse.ArgumentParser()
    recipe.add_arguments(parser)
    args = parser.parse_args(["--modalities", "audio,vision", "--audio-clip", "30"])
    args.data_dir, args.seed = str(shared_datasets / "mfn_h5" / "mmmo"), 0
    data = recipe.load_data(args)
    steps = data.info["preprocessing"]
    assert [(s["mode"], s["modalities"]) for s in steps] == [("clip", ["audio"]), ("standard", None)]
    raw = read_mfn_h5(args.data_dir, dataset="mmmo", modalities=["audio", "vision"], padding="pre")  # as the recipe
    assert raw.test.padding == data.test.padding and np.abs(raw.test.features["audio"]).max() > 30
    served = apply_preprocessing(steps, raw.test.features, {m: raw.test.step_mask(m) for m in ("audio", "vision")})
    for m in ("audio", "vision"):
        np.testing.assert_allclose(served[m], data.test.features[m], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("argv, message", [
    (["--synthetic-sizes", "16,8"], "--synthetic-sizes: expected three positive integers train,valid,test, "
                                    "found '16,8'"),
    (["--synthetic-sizes", "16,8,8"], "--batch-size 32: drop_remainder=True with 16 samples and batch_size=32"),
    (["--heatmap-samples", "-1"], "argument --heatmap-samples: expected a whole number >= 0, found '-1'"),
])
def test_tma_recipe_bad_sizes_are_one_error_naming_the_flag(argv, message, tmp_path):
    from keras_msa.runner import RecipeError
    from keras_msa.runner import run_recipe

    with pytest.raises(RecipeError) as info:
        run_recipe(import_recipe_module("tma_mosi").RECIPE,
                   argv=argv + ["--epochs", "1", "--no-export", "--verbose", "0", "--output-dir", str(tmp_path)],
                   exit_on_error=False)
    assert message in str(info.value)
