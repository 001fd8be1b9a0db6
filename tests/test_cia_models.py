"""CIA models: exact parameter counts, modality subsets, ablation, losses,
save/reload, and a small CIA learning the planted signal of synthetic context data."""

import dataclasses
import os

import keras
import numpy as np
import pytest

import keras_msa
from keras_msa.data_tools.synthetic import make_synthetic
from keras_msa.models.cia import PAIRS
from keras_msa.models.cia import build_cia
from keras_msa.models.cia import cia_losses
from keras_msa.models.cia import cia_targets
from keras_msa.runner import build_training_state
from tests.recipe_modules import import_recipe_module

SUBSETS = [("text",), ("audio",), ("vision",), ("text", "vision"), ("text", "audio"), ("audio", "vision"),
           ("text", "audio", "vision")]


def _gru(d, r):  # Keras 2 GRU (reset_after=False): 3 * (d*r + r*r + r)
    return 3 * (d * r + r * r + r)


def _expected_params(dims, modalities, r, td, classes, use_iim=True):
    """Parameter count of the documented graph (context_and_fusion.md §2.2)."""
    def dense(i, o):
        return i * o + o

    total = 0
    pairs = [p for p in PAIRS if p[0] in modalities and p[1] in modalities]
    if use_iim and len(modalities) > 1:
        for x in modalities:
            for y in modalities:
                if x != y:
                    total += (dense(dims[x], 3 * td) + dense(3 * td, 2 * td) + dense(2 * td, td)
                              + dense(td, 2 * td) + dense(2 * td, 3 * td) + dense(3 * td, dims[y]))
                    total += 2 * _gru(td, r) + dense(2 * r, td)  # C_XY
    for m in modalities:
        total += 2 * _gru(dims[m], r) + dense(2 * r, td)  # U_X
    total += len(pairs) * dense(2 * td, td)  # BI
    width = (2 * td if use_iim else td) * len(pairs) if pairs else td
    total += dense(width, td) + dense(td, classes)
    return total


def test_segment_script_parameter_count():
    # The authors' YouTube script: 2702 * (d_t + d_a + d_v) + 5,014,103 (Keras 2 GRU, 3 classes).
    dims = {"text": 300, "audio": 74, "vision": 35}
    for mode in ("add_loss", "outputs"):
        model = keras_msa.models.get_model("cia", preset="youtube", feature_dims=dims, num_steps=20,
                                           reconstruction=mode)
        assert model.count_params() == 6_119_221 == 2702 * 409 + 5_014_103
    other = {"text": 100, "audio": 73, "vision": 100}
    model = build_cia(other, level="segment", num_classes=3, num_steps=None)
    assert model.count_params() == 2702 * 273 + 5_014_103
    keras3 = build_cia(dims, level="segment", num_classes=3, num_steps=20, reset_after=True,
                       recurrent_activation="sigmoid")
    assert keras3.count_params() == 6_119_221 + 2_700  # 18 GRU directions x 150 extra biases


def test_paper_context_branch_parameter_count_and_widths():
    # context_dense=False (paper Alg. 1): C_XY / U_X = the Bi-GRU outputs (2r = 100), BI = Dense(2r, relu).
    # By hand (r 50, td 200, 3 classes): IIMs 2402 * 409 + 3,853,200; C_XY 6 * 75,300 = 451,800 (Bi-GRU on
    # 200: 2 * 3 * (200 * 50 + 50 * 50 + 50)); U_X 300 * 409 + 3 * 15,300 = 300 * 409 + 45,900;
    # BI 3 * (200 * 100 + 100) = 60,300; fusion 600 * 200 + 200 = 120,200; head 603.
    dims = {"text": 300, "audio": 74, "vision": 35}
    model = build_cia(dims, level="segment", num_classes=3, num_steps=20, context_dense=False)
    assert model.count_params() == 2702 * 409 + 4_532_003 == 5_637_121
    assert model.get_layer("context_text").compute_output_shape((None, 20, 300)) == (None, 20, 100)
    assert model.get_layer("merged").output.shape == (None, 20, 600)
    ablation = build_cia(dims, level="segment", num_classes=3, num_steps=20, context_dense=False, use_iim=False)
    # no IIMs / C_XY; CAM(BI, BI) per pair: fusion 300 * 200 + 200
    assert ablation.count_params() == 300 * 409 + 45_900 + 60_300 + 60_200 + 603
    with pytest.raises(ValueError, match=r"`context_dense` must be True or False. Received: context_dense=.False."):
        build_cia(dims, context_dense="False")


@pytest.mark.parametrize("use_iim", [True, False])
def test_context_subsets_parameter_counts_and_outputs(use_iim):
    dims = {"text": 12, "audio": 7, "vision": 9}
    for mods in SUBSETS:
        model = build_cia(dims, modalities=mods, num_steps=6, rnn_units=3, dense_units=5, use_iim=use_iim,
                          heads=("sentiment",), num_classes=2)
        assert model.count_params() == _expected_params(dims, mods, 3, 5, 2, use_iim), (mods, use_iim)
        assert sorted(model.input.keys()) == sorted(mods + ("utterance_mask",))
        assert list(model.output.keys()) == ["sentiment"]
        iims = [layer.name for layer in model.layers if layer.name.startswith("iim_")]
        assert len(iims) == (len(mods) * (len(mods) - 1) if use_iim else 0)


def test_heads_reconstruction_modes_and_losses():
    dims = {"text": 6, "audio": 4, "vision": 5}
    rng = np.random.default_rng(0)
    x = {m: rng.normal(size=(2, 4, d)).astype("float32") for m, d in dims.items()}
    x["utterance_mask"] = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], "float32")
    kw = dict(num_steps=4, rnn_units=2, dense_units=3, heads=("sentiment", "intensity", "emotions"),
              num_classes=7, num_emotions=6)
    model = build_cia(dims, reconstruction="add_loss", return_attention=True, **kw)
    out = model(x)
    assert len(model.losses) == 6  # one masked MSE per IIM
    assert out["sentiment"].shape == (2, 4, 7) and out["intensity"].shape == (2, 4, 1)
    assert out["emotions"].shape == (2, 4, 6)
    assert out["attention_text_audio"].shape == (2, 2, 4, 4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["sentiment"]).sum(-1), 1.0, rtol=1e-5)
    assert np.abs(keras.ops.convert_to_numpy(out["intensity"])).max() <= 1.0
    outputs = build_cia(dims, reconstruction="outputs", **kw)
    recon = sorted(k for k in outputs.output if k.startswith("recon_"))
    assert recon == sorted(f"recon_{a}_{b}" for a in dims for b in dims if a != b)
    assert outputs.output["recon_text_audio"].shape == (None, 4, 4)
    losses = cia_losses(outputs)
    assert all(losses[k] is not None for k in outputs.output)
    none = build_cia(dims, reconstruction="none", **kw)
    none(x)
    assert len(none.losses) == 0
    # no decoder weights: the six IIMs lose (c -> 2c -> 3c -> d_Y) each, c = dense_units
    c = kw["dense_units"]
    decoders = sum((c * 2 * c + 2 * c) + (2 * c * 3 * c + 3 * c) + (3 * c * dims[b] + dims[b])
                   for a in dims for b in dims if a != b)
    assert none.count_params() == model.count_params() - decoders
    ablation = build_cia(dims, use_iim=False, **kw)
    ablation(x)
    assert len(ablation.losses) == 0
    with pytest.raises(ValueError, match="heads"):
        build_cia(dims, heads=("polarity",))
    with pytest.raises(ValueError, match="modalities"):
        build_cia(dims, modalities=("text", "speech"))
    with pytest.raises(ValueError, match="feature_dims"):
        build_cia({"text": 6}, modalities=("text", "audio"))
    with pytest.raises(ValueError, match=r"`feature_dims` keys must be among .*found \['acoustic', 'visual'\]"):
        build_cia({"text": 6, "acoustic": 5, "visual": 4})
    with pytest.raises(ValueError, match=r"`num_classes` must be a positive integer. Received: num_classes=2.9"):
        build_cia(dims, num_classes=2.9)
    # flags and sizes are checked, not coerced (bool("False") is True; int(3.7) is 3)
    for kwargs, message in ((dict(use_iim="False"), r"`use_iim` must be True or False. Received: use_iim='False'"),
                            (dict(mask_attention_keys="no"), r"`mask_attention_keys` must be True or False"),
                            (dict(return_attention=1), r"`return_attention` must be True or False"),
                            (dict(dense_units=3.7), r"`dense_units` must be a positive integer. .*=3.7"),
                            (dict(feature_dims=dict(dims, text=6.5)),
                             r"`feature_dims\['text'\]` must be a positive integer. .*=6.5")):
        with pytest.raises(ValueError, match=message):
            build_cia(**dict(dict(kw, feature_dims=dims), **kwargs))
    # the segment graph has no mask: masking the attention keys there would be a silent no-op
    with pytest.raises(ValueError, match=r"`mask_attention_keys=True` needs the utterance mask .*level='segment'"):
        build_cia(dims, level="segment", mask_attention_keys=True, rnn_units=2, dense_units=3)
    # the outputs mode's reconstruction losses are compiled: a builder weight would be silently ignored
    with pytest.raises(ValueError, match=r"compile\(loss_weights=...\).*reconstruction_weight=0.5"):
        build_cia(dims, reconstruction="outputs", reconstruction_weight=0.5, **kw)


def test_padded_utterances_do_not_change_real_predictions_or_iim_loss():
    dims = {"text": 6, "audio": 4, "vision": 5}
    rng = np.random.default_rng(1)
    x = {m: rng.normal(size=(2, 5, d)).astype("float32") for m, d in dims.items()}
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "float32")
    x["utterance_mask"] = mask
    # Key masking on: padded utterances influence nothing at real positions.
    model = build_cia(dims, num_steps=5, rnn_units=2, dense_units=3, mask_attention_keys=True)
    ref = keras.ops.convert_to_numpy(model(x)["sentiment"])
    ref_loss = float(keras.ops.convert_to_numpy(sum(model.losses)))
    bad = dict(x)
    for m in dims:
        bad[m] = x[m].copy()
        bad[m][mask == 0] = rng.normal(size=bad[m][mask == 0].shape)
    out = keras.ops.convert_to_numpy(model(bad)["sentiment"])
    np.testing.assert_allclose(out[mask == 1], ref[mask == 1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(sum(model.losses))), ref_loss, rtol=1e-5)


def test_save_reload_identical(tmp_path):
    dims = {"text": 6, "audio": 4, "vision": 5}
    rng = np.random.default_rng(2)
    x = {m: rng.normal(size=(3, 4, d)).astype("float32") for m, d in dims.items()}
    x["utterance_mask"] = np.ones((3, 4), "float32")
    model = build_cia(dims, num_steps=4, rnn_units=2, dense_units=3, heads=("sentiment", "emotions"))
    ref = model.predict(x, verbose=0)
    path = os.path.join(tmp_path, "cia.keras")
    model.save(path)
    again = keras.saving.load_model(path).predict(x, verbose=0)
    for k in ref:
        np.testing.assert_array_equal(ref[k], again[k])
    # the SavedModel for serving: the inference graph (IIM reconstruction losses and dropout off)
    from keras_msa.export import export_saved_model
    from keras_msa.export import load_saved_model

    serve = load_saved_model(export_saved_model(model, os.path.join(tmp_path, "saved_model")))
    served = serve(x)
    for k in ref:
        np.testing.assert_allclose(np.asarray(served[k]), ref[k], atol=1e-6)


def planted_signal_arrays(split, T=32):
    """``(x, y, w)`` of a synthetic context split for the sentiment head, cut to ``T`` utterances.

    Synthetic videos hold at most 31 utterances: the cut removes the all-padding tail.
    """
    x = {m: split.features[m][:, :T] for m in split.modalities}
    x["utterance_mask"] = split.utterance_mask[:, :T]
    y, w = cia_targets(split, ("sentiment",))
    return x, {k: v[:, :T] for k, v in y.items()}, {k: v[:, :T] for k, v in w.items()}


def assert_learns_planted_signal(builder):
    """Train a small context model from ``builder`` on synthetic MOSI videos; it must beat the majority class.

    ``builder(feature_dims, **kwargs)`` is a context builder (``build_cia``, ``build_mmmu_ba``) with a
    sentiment head; the signal planted in the synthetic data needs more than one modality.
    """
    keras.utils.set_random_seed(0)
    ds = make_synthetic("mosi_context", seed=0, sizes=(40, 4, 20))
    T = 32
    x_train, y_train, w_train = planted_signal_arrays(ds.train, T)
    x_test, y_test, w_test = planted_signal_arrays(ds.test, T)
    model = builder(ds.feature_dims, num_steps=T, rnn_units=8, dense_units=16, dropout=0.1,
                    recurrent_dropout=0.0, seed=0)
    model.compile(keras.optimizers.Adam(3e-3), loss=cia_losses(model))
    build_training_state(model, (x_train, y_train, w_train))  # one trace of the train step, not two
    model.fit(x_train, y_train, sample_weight=w_train, epochs=12, batch_size=8, verbose=0)
    pred = model.predict(x_test, verbose=0)["sentiment"].argmax(-1)
    real = w_test["sentiment"] > 0
    acc = float((pred[real] == y_test["sentiment"][real]).mean())
    majority = max(y_test["sentiment"][real].mean(), 1 - y_test["sentiment"][real].mean())
    assert acc > majority + 0.1, (acc, majority)


def test_cia_learns_planted_signal_on_synthetic_context_data():
    assert_learns_planted_signal(build_cia)


def test_input_corruption_adds_no_weights_and_is_off_at_inference():
    dims = {"text": 6, "audio": 4}
    rng = np.random.default_rng(3)
    x = {m: rng.normal(size=(2, 4, d)).astype("float32") for m, d in dims.items()}
    x["utterance_mask"] = np.ones((2, 4), "float32")
    kw = dict(num_steps=4, rnn_units=2, dense_units=3, seed=1)
    plain = build_cia(dims, **kw)
    noisy = build_cia(dims, input_noise=0.5, input_dropout=0.2, **kw)
    assert noisy.count_params() == plain.count_params()
    noisy.set_weights(plain.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(noisy(x, training=False)["sentiment"]),
                               keras.ops.convert_to_numpy(plain(x, training=False)["sentiment"]), rtol=1e-6)
    assert not np.allclose(keras.ops.convert_to_numpy(noisy(x, training=True)["sentiment"]),
                           keras.ops.convert_to_numpy(plain(x, training=False)["sentiment"]))
    with pytest.raises(ValueError, match="input_dropout"):
        build_cia(dims, input_dropout=1.0)
    # per-modality noise: only the named modalities get a noise layer; unknown names are refused
    text_only = build_cia(dims, input_noise={"text": 0.5}, **kw)
    names = {layer.name for layer in text_only.layers}
    assert "input_noise_text" in names and "input_noise_audio" not in names
    with pytest.raises(ValueError, match=r"`input_noise` keys must be among the modalities.*'vision'"):
        build_cia(dims, input_noise={"vision": 0.5}, **kw)
    with pytest.raises(ValueError, match=r"`input_noise` must be in \[0, 1\].*'audio': 2.0"):
        build_cia(dims, input_noise={"audio": 2.0}, **kw)


def _run_recipe(module, argv, tmp_path):
    mod = import_recipe_module(module)
    keras.backend.clear_session()
    return mod.run_recipe(mod.RECIPE, argv=argv + ["--output-dir", str(tmp_path), "--no-export", "--verbose", "0"],
                          exit_on_error=False)


def test_cia_mosei_recipe_runs_on_synthetic_data(tmp_path):
    results = _run_recipe("cia_mosei", ["--synthetic-sizes", "6,3,3", "--epochs", "1", "--modalities",
                                        "text,audio", "--rnn-units", "4", "--dense-units", "8"], tmp_path)
    m = results["metrics"]
    for key in ("Acc2", "F1", "MAE", "r", "Acc7", "Emo_F1", "Emo_WAcc", "Emo_F1_Anger", "Emo_WAcc_Surprise"):
        assert np.isfinite(m[key]), key
    assert results["paper"]["Acc2"] == 80.06  # Table 1, MOSEI, T+A
    assert os.path.isfile(os.path.join(tmp_path, "cia_mosei.keras"))


def test_interrupted_cia_mosei_run_resumes_to_the_uninterrupted_numbers(tmp_path):
    # The CIA graph draws from several random streams (input noise, dropout in the GRUs and Dense blocks) and
    # adds the IIM losses: a resumed run must restore all of them to reproduce the straight run.
    import dataclasses

    mod = import_recipe_module("cia_mosei")

    class Interrupted(Exception):
        pass

    class InterruptAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise Interrupted

    argv = ["--synthetic-sizes", "24,8,8", "--epochs", "2", "--rnn-units", "4", "--dense-units", "8",
            "--modalities", "text,audio", "--input-noise", "0.5", "--no-export", "--verbose", "0"]
    straight = mod.run_recipe(mod.RECIPE, argv + ["--output-dir", str(tmp_path / "straight")], exit_on_error=False)
    out = str(tmp_path / "resumed")
    interrupted = dataclasses.replace(mod.RECIPE, callbacks=lambda args: [InterruptAfterFirstEpoch()])
    with pytest.raises(Interrupted):
        mod.run_recipe(interrupted, argv + ["--output-dir", out], exit_on_error=False)
    resumed = mod.run_recipe(mod.RECIPE, argv + ["--output-dir", out], exit_on_error=False)
    assert resumed["epochs_run_this_call"] == 1
    assert resumed["best_epoch"] == straight["best_epoch"]
    assert resumed["metrics"] == straight["metrics"]


def test_cia_youtube_recipe_runs_on_synthetic_data(tmp_path):
    results = _run_recipe("cia_youtube", ["--synthetic-sizes", "12,6,6", "--epochs", "1", "--modalities",
                                          "audio,vision", "--rnn-units", "4", "--dense-units", "8",
                                          "--context-branch", "paper"], tmp_path)
    assert 0.0 <= results["metrics"]["Acc3"] <= 100.0
    # --context-branch paper reaches the model: no dense after its 4 Bi-GRUs (the script: 4 x (8 * 8 + 8))
    # (the synthetic YouTube data has the MFN release's widths: video 36)
    paper = build_cia({"audio": 74, "vision": 36}, level="segment", num_classes=3, num_steps=20, rnn_units=4,
                      dense_units=8, reconstruction="outputs", context_dense=False)
    assert results["num_params"] == paper.count_params() == build_cia(
        {"audio": 74, "vision": 36}, level="segment", num_classes=3, num_steps=20, rnn_units=4, dense_units=8,
        reconstruction="outputs").count_params() - 4 * 72
    assert results["paper"] == {"F1": 51.93, "Acc3": 52.54}  # Table 1, YouTube, A+V


def test_cia_mosi_recipe_fixed_epochs_on_all_training_videos(tmp_path, shared_datasets, capsys):
    results = _run_recipe("cia_mosi", ["--data-dir", str(shared_datasets / "mosi_bclstm"), "--epochs", "1",
                                       "--modalities", "text,audio", "--rnn-units", "4", "--dense-units", "8"],
                          tmp_path)
    assert results["selection"] == "last epoch" and results["best_epoch"] is None
    assert "every training sample trains" in capsys.readouterr().out
    import csv

    with open(os.path.join(tmp_path, "history.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["loss"]
    # Keras' CSVLogger always writes val_* columns; they hold "NA": no validation videos were carved out of train
    assert all(v == "NA" for k, v in rows[0].items() if k.startswith("val_")), rows[0]
    assert 0.0 <= results["metrics"]["Acc2"] <= 100.0
    assert results["paper"]["Acc2"] == 79.15  # Table 1, MOSI, T+A


def test_cia_mosi_hffn_format_reads_the_stage1_activations(tmp_path, shared_datasets, capsys):
    from keras_msa.runner import RecipeError
    from keras_msa.runner import build_parser

    cia_mosi = import_recipe_module("cia_mosi")
    hffn, bclstm = str(shared_datasets / "mosi_hffn"), str(shared_datasets / "mosi_bclstm")
    args = build_parser(cia_mosi.RECIPE).parse_args(["--data-dir", hffn, "--format", "hffn", "--labels-dir", bclstm])
    data = cia_mosi.RECIPE.load_data(args)
    assert "best TEST accuracy" in capsys.readouterr().out  # the inherited test-set selection is announced
    assert data.feature_dims == {"text": 50, "audio": 50, "vision": 50}
    assert [len(data.train), len(data.test)] == [62, 31]
    x, y, w = cia_mosi.RECIPE.make_arrays(data.test, args)
    real = w["intensity"] > 0
    assert int(real.sum()) == 752 and x["text"].shape == (31, 63, 50)
    assert abs(float((y["intensity"][real] >= 0).mean()) - 467 / 752) < 1e-9  # 62.1 % positive (score >= 0)
    assert float(np.abs(y["intensity"]).max()) <= 1.0  # score / 3
    # the class head alone needs no scores: the pickle's own one-hot labels, same 467 positives
    args = build_parser(cia_mosi.RECIPE).parse_args(["--data-dir", hffn, "--format", "hffn", "--heads", "sentiment"])
    x, y, w = cia_mosi.RECIPE.make_arrays(cia_mosi.RECIPE.load_data(args).test, args)
    assert int(y["sentiment"][w["sentiment"] > 0].sum()) == 467
    with pytest.raises(RecipeError, match=r"--labels-dir: the intensity head needs the continuous scores"):
        _run_recipe("cia_mosi", ["--data-dir", hffn, "--format", "hffn"], tmp_path)
    with pytest.raises(RecipeError, match=r"--labels-dir: only read with --data-dir and --format hffn, "
                                          r"found --format 'bclstm'"):
        _run_recipe("cia_mosi", ["--data-dir", bclstm, "--labels-dir", bclstm], tmp_path)


def test_sentiment_targets_follow_the_convention_when_the_split_has_scores(shared_datasets):
    from keras_msa.data_tools.readers import read_bclstm_mosi
    from keras_msa.data_tools.readers import read_hffn_pickle

    test = read_bclstm_mosi(os.path.join(shared_datasets, "mosi_bclstm")).test  # labels: 'class' and 'sentiment'
    real = test.utterance_mask > 0
    scores = test.labels["sentiment"][real]
    two, _ = cia_targets(test, ("sentiment",))
    np.testing.assert_array_equal(two["sentiment"][real], test.labels["class"][real])  # class == score >= 0
    seven, _ = cia_targets(test, ("sentiment",), sentiment_convention="round7")
    # round(clip(score, -3, 3)) + 3 (half to even: 0.5 -> class 3, 0.6 -> 4), the MOSI lineage's Acc7 classes
    np.testing.assert_array_equal(seven["sentiment"][real], np.round(np.clip(scores, -3, 3)).astype(int) + 3)
    assert set(np.unique(seven["sentiment"][real])) == set(range(7))
    hffn = read_hffn_pickle(os.path.join(shared_datasets, "mosi_hffn", "unimodal_mosi_2way.pickle"))
    with pytest.raises(ValueError, match=r"test/sentiment'.*continuous sentiment scores for the 'round7' classes, "
                                         r"found only class ids"):
        cia_targets(hffn.test, ("sentiment",), sentiment_convention="round7")


def test_cia_mosi_seven_class_head(tmp_path):
    results = _run_recipe("cia_mosi", ["--synthetic-sizes", "8,2,4", "--epochs", "1", "--heads",
                                       "sentiment,intensity", "--num-classes", "7", "--rnn-units", "4",
                                       "--dense-units", "8"], tmp_path)
    m = results["metrics"]
    # Acc7 / weighted F1 from the 7-way class head; Acc2 / F1 from the intensity head's sign
    assert {"Acc7", "F1_weighted_7class", "Acc7_intensity", "Acc2", "F1", "MAE", "r"} <= set(m)
    assert "Acc2_intensity" not in m
    model = keras.saving.load_model(os.path.join(tmp_path, "cia_mosi.keras"))
    assert model.output["sentiment"].shape[-1] == 7


def test_recipe_intensity_loss_option():
    from keras_msa.runner import RecipeError

    common = import_recipe_module("_cia_common")
    mods = ("text", "audio")
    y_true, y_pred = np.array([[0.5], [-0.5]]), np.array([[0.1], [-0.1]])
    l2 = common.loss_dict(("intensity",), mods, "add_loss", True)["intensity"]
    l1 = common.loss_dict(("intensity",), mods, "add_loss", True, intensity_loss="mae")["intensity"]
    np.testing.assert_allclose(float(l2(y_true, y_pred)), 0.16, rtol=1e-6)  # mean of 0.4^2
    np.testing.assert_allclose(float(l1(y_true, y_pred)), 0.4, rtol=1e-6)
    with pytest.raises(RecipeError, match="--intensity-loss.*'huber'"):
        common.loss_dict(("intensity",), mods, "add_loss", True, intensity_loss="huber")


def test_cia_mosi_unit_norm_flag_names_itself_on_bad_input(tmp_path):
    from keras_msa.runner import RecipeError

    with pytest.raises(RecipeError, match=r"--unit-norm: \['vision'\] not in the data"):
        _run_recipe("cia_mosi", ["--synthetic-sizes", "4,2,2", "--epochs", "1", "--modalities", "text,audio",
                                 "--unit-norm", "text,vision"], tmp_path)


def test_cia_mosi_attention_videos_write_figure3_matrices_and_heatmaps(tmp_path, capsys):
    # (the three-pair case of the twin is test_attention_twin_carries_the_trained_weights)
    results = _run_recipe("cia_mosi", ["--synthetic-sizes", "4,2,3", "--epochs", "1", "--rnn-units", "4",
                                       "--dense-units", "8", "--mask-attention-keys", "--attention-videos", "2",
                                       "--modalities", "text,vision"], tmp_path)
    assert 0.0 <= results["metrics"]["Acc2"] <= 100.0
    saved = np.load(os.path.join(tmp_path, "cia_attention.npz"))
    assert [k for k in saved.files if k.startswith("attention_")] == ["attention_vision_text"]
    lengths = saved["lengths"]
    assert lengths.shape == (2,) and saved["video_ids"].shape == (2,)
    for key in ("attention_vision_text",):
        weights = saved[key]
        assert weights.shape[:2] == (2, 2) and weights.shape[2] == weights.shape[3]  # both CAM directions
        for i, n in enumerate(lengths):
            real = weights[i, :, :n, :]
            # a softmax over the real key utterances only (--mask-attention-keys): padded keys get 0
            np.testing.assert_allclose(real[..., :n].sum(-1), 1.0, atol=1e-5)
            np.testing.assert_allclose(real[..., n:], 0.0, atol=1e-7)
    with open(os.path.join(tmp_path, "cia_attention.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert (f"wrote {os.path.join(tmp_path, 'cia_attention.npz')}, {os.path.join(tmp_path, 'cia_attention.png')}"
            in capsys.readouterr().out)
    # With the padded keys masked the outputs do not depend on the number of padded utterances: the model
    # takes any T (the reference's, attending to the padding, keeps the training T), so longer videos serve.
    import keras

    model = keras.saving.load_model(os.path.join(tmp_path, "cia_mosi.keras"))
    assert model.input["text"].shape == (None, None, 100) and model.input["utterance_mask"].shape == (None, None)
    rng = np.random.default_rng(0)
    mask = np.zeros((2, 70), "float32")
    mask[0, :40], mask[1, :5] = 1.0, 1.0  # longer than any training video (at most 31 utterances)
    x = {m: rng.normal(size=(2, 70, 100)).astype("float32") * mask[..., None] for m in ("text", "vision")}
    long = model.predict(dict(x, utterance_mask=mask), verbose=0)["intensity"]
    short = model.predict({k: v[:, :45] for k, v in dict(x, utterance_mask=mask).items()}, verbose=0)["intensity"]
    np.testing.assert_allclose(long[0, :40], short[0, :40], atol=1e-6)
    np.testing.assert_allclose(long[1, :5], short[1, :5], atol=1e-6)


def test_attention_videos_flag_rejects_a_negative_count(tmp_path):
    from keras_msa.runner import RecipeError

    with pytest.raises(RecipeError, match=r"--attention-videos: expected a whole number >= 0, found '-1'"):
        _run_recipe("cia_mosi", ["--synthetic-sizes", "4,2,2", "--attention-videos", "-1"], tmp_path)


@pytest.mark.parametrize("recipe, argv, message", [
    ("cia_mosi", ["--preset", "nope"], "--preset: Unknown preset 'nope' for model 'cia'"),
    ("cia_mosi", ["--rnn-units", "0"], "argument --rnn-units: expected a positive integer, found '0'"),
    ("cia_mosi", ["--recurrent-dropout", "2"], "argument --recurrent-dropout: expected a rate in [0, 1), found '2'"),
    ("cia_mosi", ["--reconstruction-weight", "nan"],
     "argument --reconstruction-weight: expected a finite number >= 0, found 'nan'"),
    ("cia_mosi", ["--input-noise", "-1"], "argument --input-noise: expected a finite number >= 0, found '-1'"),
    ("cia_youtube", ["--audio-clip", "0"], "argument --audio-clip: expected a finite number > 0, found '0'"),
    ("cia_youtube", ["--patience", "-3"], "argument --patience: expected a whole number >= 0, found '-3'"),
])
def test_cia_recipe_flags_refuse_bad_values_with_one_error(recipe, argv, message, tmp_path):
    from keras_msa.runner import RecipeError

    with pytest.raises(RecipeError) as info:
        _run_recipe(recipe, ["--synthetic-sizes", "4,2,2", "--epochs", "1"] + argv, tmp_path)
    assert message in str(info.value)


def test_attention_twin_carries_the_trained_weights():
    common = import_recipe_module("_cia_common")
    dims = {"text": 6, "audio": 5, "vision": 4}
    kwargs = dict(feature_dims=dims, level="context", num_steps=5, heads=("intensity",), rnn_units=3,
                  dense_units=4, seed=3)
    model = build_cia(**kwargs)
    rng = np.random.default_rng(0)
    for w in model.weights:  # weights no fresh build would draw
        w.assign(rng.normal(size=w.shape).astype("float32") * 0.3)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "float32")
    x = {m: rng.normal(size=(2, 5, d)).astype("float32") * mask[..., None] for m, d in dims.items()}
    x["utterance_mask"] = mask
    twin = common.attention_model(model, kwargs)
    assert len(twin.outputs) == len(model.outputs) + 3  # one attention output per modality pair
    expected = model.predict(x, verbose=0)["intensity"]
    np.testing.assert_allclose(twin.predict(x, verbose=0)["intensity"], expected, atol=1e-6)


def test_segment_recipe_ablation_selects_on_the_single_output_logs(tmp_path):
    # CIA - IIM leaves the sentiment head as the only output: Keras then logs val_accuracy / val_loss
    # (no output prefix), and both the checkpoint selection and the early stopping must follow.
    results = _run_recipe("cia_mmmo", ["--synthetic-sizes", "12,6,6", "--epochs", "2", "--modalities", "audio,vision",
                                       "--rnn-units", "3", "--dense-units", "4", "--no-iim", "--patience", "1"],
                          tmp_path)
    assert results["selection"] == "best val_accuracy (max)"
    assert results["best_epoch"] in (1, 2)
    assert 0.0 <= results["metrics"]["Acc2"] <= 100.0


def test_cia_mosei_recipe_on_a_mult_pickle_trains_the_heads_its_labels_allow(tmp_path, monkeypatch, capsys):
    # The MulT MOSEI pickle carries sentiment scores only: the default heads become sentiment + intensity
    # (with a note), the paper's emotion numbers are not printed, and asking for emotions is one clear error.
    from keras_msa.data_tools.readers import processed
    from keras_msa.runner import RecipeError
    from tests.test_readers import write_mult

    monkeypatch.setitem(processed.MULT_SIZES, "mosei", {"train": 6, "valid": 3, "test": 4})
    path = tmp_path / "mosei_senti_data.pkl"
    write_mult(path, T=(5, 6, 7), dims=(300, 74, 35))
    argv = ["--data-dir", str(path), "--format", "mult", "--epochs", "1", "--modalities", "text,audio",
            "--rnn-units", "3", "--dense-units", "4"]
    results = _run_recipe("cia_mosei", argv, tmp_path / "run")
    assert "has no emotion labels: the emotion head is not trained (heads: sentiment,intensity" in (
        capsys.readouterr().out)
    m = results["metrics"]
    assert np.isfinite(m["Acc2"]) and np.isfinite(m["MAE"]) and not any(k.startswith("Emo_") for k in m)
    assert results["paper"] == {"F1": 77.8, "Acc2": 80.06, "Acc5": 48.66, "Acc7": 49.08, "MAE": 0.694,
                                "r": 0.579}  # Table 1, MOSEI, T+A, without the emotion columns
    with pytest.raises(RecipeError, match=r"--heads: .*mosei_senti_data.pkl has no labels for \['emotions'\]"):
        _run_recipe("cia_mosei", argv + ["--heads", "sentiment,emotions"], tmp_path / "run2")
    with pytest.raises(RecipeError, match=r"--heads: expected a comma-separated subset of "
                                          r"sentiment,intensity,emotions, found 'sentiment,sad'"):
        _run_recipe("cia_mosei", argv + ["--heads", "sentiment,sad"], tmp_path / "run3")


def test_cia_mosei_recipe_on_sdk_csd_files_with_their_download_names(tmp_path):
    import json

    from keras_msa.runner import RecipeError
    from tests.test_readers import write_sdk

    data = tmp_path / "csd"
    data.mkdir()
    paths, label_csd = write_sdk(data, videos=("vA", "vB", "vC"), labels_width=7)
    for m, name in {"text": "TimestampedWordVectors", "audio": "COVAREP", "vision": "VisualFacet42"}.items():
        paths[m].rename(data / f"CMU_MOSEI_{name}.csd")
    label_csd.rename(data / "CMU_MOSEI_Labels.csd")
    folds = tmp_path / "folds.json"
    folds.write_text(json.dumps({"train": ["vA"], "valid": ["vB"], "test": ["vC"]}))
    argv = ["--data-dir", str(data), "--format", "csd", "--epochs", "1", "--modalities", "text,audio",
            "--rnn-units", "3", "--dense-units", "4"]
    results = _run_recipe("cia_mosei", argv + ["--folds", str(folds)], tmp_path / "run")
    m = results["metrics"]
    for key in ("Acc2", "MAE", "Emo_F1", "Emo_F1_Happy"):
        assert np.isfinite(m[key]), key
    assert "Emo_WAcc" in m  # undefined (nan) here: every test utterance carries every emotion (no negatives)
    with pytest.raises(RecipeError, match="--format csd needs --folds"):
        _run_recipe("cia_mosei", argv, tmp_path / "run2")


def test_context_report_scores_the_class_head_under_both_acc2_conventions():
    common = import_recipe_module("_cia_common")
    data = make_synthetic("mosei_context", seed=0, sizes=(2, 2, 4), modalities=("text",))
    test = data.test
    mask = test.utterance_mask.astype(bool)
    scores = test.labels["sentiment"]
    scores[mask.nonzero()[0][:3], mask.nonzero()[1][:3]] = 0.0  # zero scores: the conventions differ there
    probs = np.random.default_rng(0).uniform(size=mask.shape)

    class FixedPredictions:
        def predict(self, x, **kwargs):
            return {"sentiment": np.stack([1 - probs, probs], axis=-1)}

    out = common.context_report(FixedPredictions(), data, ("sentiment",), ("text",))
    calls = probs > 0.5
    non_zero = mask & (scores != 0)
    assert out["Acc2"] == pytest.approx(100 * np.mean(calls[mask] == (scores[mask] >= 0)))
    assert out["Acc2_non0"] == pytest.approx(100 * np.mean(calls[non_zero] == (scores[non_zero] > 0)))
    assert out["Acc2"] != pytest.approx(out["Acc2_non0"])
    truth = scores[mask] >= 0  # W-Acc by hand: the mean of the recalls of the two classes
    recall_pos = np.sum(calls[mask] & truth) / np.sum(truth)
    recall_neg = np.sum(~calls[mask] & ~truth) / np.sum(~truth)
    assert out["WAcc"] == pytest.approx(100 * (recall_pos + recall_neg) / 2)


def test_context_report_emotion_decisions_use_thresholds_chosen_on_validation_by_default():
    from keras_msa.runner import RecipeError

    common = import_recipe_module("_cia_common")
    data = make_synthetic("mosei_context", seed=0, sizes=(2, 3, 4), modalities=("text",))
    truth = {}
    for name in ("valid", "test"):
        split = getattr(data, name)
        y, _ = cia_targets(split, ("emotions",), num_emotions=7)
        truth[split.num_samples] = y["emotions"]

    class FixedPredictions:  # positives 0.30, negatives 0.12, on valid and test alike
        def predict(self, x, **kwargs):
            return {"emotions": np.where(truth[len(x["text"])] == 1, 0.30, 0.12).astype("float32")}

    out = common.context_report(FixedPredictions(), data, ("emotions",), ("text",))
    # on valid 0.10 calls everything positive; 0.15 (the first of 0.15..0.30) separates every column
    assert out["Emo_F1_threshold"] == 0.15 and out["Emo_WAcc_threshold"] == 0.15
    assert out["Emo_F1"] == pytest.approx(100.0) and out["Emo_F1_Happy"] == pytest.approx(100.0)
    # the paper's fixed 0.4 calls everything negative: per emotion, weighted F1 = share of negatives x
    # F1 of the negative class (2 TN / (2 TN + FN)); W-Acc = (0 + 1) / 2 where both classes occur
    y = truth[data.test.num_samples][data.test.utterance_mask.astype(bool)]
    neg = (y[:, :6] == 0).sum(0)
    f1_by_hand = neg / len(y) * 2 * neg / (2 * neg + (len(y) - neg))
    assert out["Emo_F1_threshold_fixed"] == 0.4 and out["Emo_WAcc_threshold_fixed"] == 0.18
    assert out["Emo_F1_fixed"] == pytest.approx(100 * f1_by_hand.mean())
    assert out["Emo_F1_Anger_fixed"] == pytest.approx(100 * f1_by_hand[0])
    assert out["Emo_WAcc_fixed"] == pytest.approx(100.0)  # 0.12 < 0.18 <= 0.30: every call right
    # --emotion-thresholds paper: the fixed thresholds are the headline, the chosen ones the variant
    paper = common.context_report(FixedPredictions(), data, ("emotions",), ("text",), emotion_thresholds="paper")
    assert paper["Emo_F1_threshold"] == 0.4 and paper["Emo_F1"] == pytest.approx(out["Emo_F1_fixed"])
    assert paper["Emo_F1_threshold_validsel"] == 0.15 and paper["Emo_F1_validsel"] == pytest.approx(100.0)
    assert not any(k.endswith("_fixed") for k in paper)
    # per emotion: one threshold per column, each the first that separates it on valid
    per = common.context_report(FixedPredictions(), data, ("emotions",), ("text",),
                                emotion_thresholds="validation_per_emotion")
    assert [per[f"Emo_F1_threshold_{n}"] for n in ("Anger", "Happy", "No Class")] == [0.15, 0.15, 0.15]
    assert "Emo_F1_threshold" not in per and per["Emo_F1"] == pytest.approx(100.0)
    no_valid = dataclasses.replace(data, splits={"train": data.train, "test": data.test})
    with pytest.raises(RecipeError, match=r"--emotion-thresholds validation: the data have no validation split.*"
                                          r"--emotion-thresholds paper"):
        common.context_report(FixedPredictions(), no_valid, ("emotions",), ("text",))
    assert common.context_report(FixedPredictions(), no_valid, ("emotions",), ("text",),
                                 emotion_thresholds="paper")["Emo_F1"] == pytest.approx(out["Emo_F1_fixed"])


@pytest.mark.parametrize("heads, num_classes, expected", [
    (("sentiment", "emotions"), 2, {"Acc2", "F1"}),
    (("sentiment",), 7, {"Acc7"}),
    (("intensity",), 2, {"MAE", "r", "Acc5", "Acc7"}),
])
def test_cia_mosei_paper_column_holds_only_what_the_run_measures(heads, num_classes, expected, monkeypatch):
    import argparse

    mosei = import_recipe_module("cia_mosei")
    monkeypatch.setitem(mosei._DATA_INFO, "heads", heads)
    paper = mosei.paper_results(argparse.Namespace(modalities="text,audio,vision", no_iim=False,
                                                   num_classes=num_classes))
    assert {k for k in paper if not k.startswith("Emo_")} == expected
    assert any(k.startswith("Emo_") for k in paper) == ("emotions" in heads)
    if "Acc2" in expected:
        assert paper["Acc2"] == 80.37  # Table 1, MOSEI, T+A+V



def test_cia_mosi_preprocessing_is_written_and_replays_on_raw_features(tmp_path):
    from keras_msa.data_tools import apply_preprocessing

    results = _run_recipe("cia_mosi", ["--synthetic-sizes", "4,2,3", "--epochs", "1", "--rnn-units", "2",
                                       "--dense-units", "4", "--modalities", "text,vision"], tmp_path)
    path = results["preprocessing"]
    assert path == os.path.join(tmp_path, "preprocessing.json")
    raw = make_synthetic("mosi_context", seed=0, sizes=(4, 2, 3)).test
    served = apply_preprocessing(path, {m: raw.features[m] for m in ("text", "vision")})
    mosi = import_recipe_module("cia_mosi")
    from keras_msa.runner import build_parser

    used = mosi.RECIPE.load_data(build_parser(mosi.RECIPE).parse_args(
        ["--synthetic-sizes", "4,2,3", "--modalities", "text,vision"])).test
    steps = used.features["text"].shape[1]  # the recipe cuts the utterance axis to the longest video
    assert not served["text"][:, steps:].any()
    for m in ("text", "vision"):
        np.testing.assert_allclose(served[m][:, :steps], used.features[m], rtol=1e-5, atol=1e-6)
        assert np.abs(used.features[m]).max() <= 1.0  # z-score, clip at 3, divide by 3


@pytest.mark.parametrize("recipe", ["cia_youtube", "cia_mmmo", "cia_mosi", "cia_mosei"])
def test_recipe_reconstruction_weight_scales_the_reconstruction_outputs(recipe):
    # With --reconstruction outputs (the segment recipes' default) the six recon_* MSEs are compiled losses,
    # so --reconstruction-weight must reach them through loss_weights (it was silently ignored).
    from keras_msa.runner import build_parser

    mod = import_recipe_module(recipe)
    keras.backend.clear_session()
    argv = ["--synthetic-sizes", "8,4,4", "--epochs", "1", "--rnn-units", "3", "--dense-units", "4",
            "--reconstruction", "outputs", "--reconstruction-weight", "0.25"]
    args = build_parser(mod.RECIPE).parse_args(argv)
    data = mod.RECIPE.load_data(args)
    model = mod.RECIPE.build_model(data, args)
    model.compile(optimizer="adam", **{k: v for k, v in mod.RECIPE.compile_args(args).items() if k != "optimizer"})
    x, y, w = mod.RECIPE.make_arrays(data.valid, args)
    logs = model.evaluate(x, y, sample_weight=w, batch_size=len(data.valid), verbose=0, return_dict=True)
    recon = [k for k in logs if k.startswith("recon_") and k.endswith("_loss")]
    heads = [k for k in logs if k.endswith("_loss") and k != "loss" and not k.startswith("recon_")]
    assert len(recon) == 6 and heads
    # Keras logs the per-output losses unweighted; the total must weigh the six MSEs by 0.25
    recon_sum = sum(logs[k] for k in recon)
    assert recon_sum > 1e-3
    np.testing.assert_allclose(logs["loss"], sum(logs[k] for k in heads) + 0.25 * recon_sum, rtol=1e-5)


def test_segment_recipe_audio_clip_is_counted_in_the_data_info(shared_datasets):
    # --audio-clip on the MFN ICT-MMMO release (audio saturated at +-255): results.json reports
    # data.audio_clipped; it said 0 although the recipe had clipped the values.
    from keras_msa.data_tools.readers import read_mfn_h5
    from keras_msa.runner import build_parser

    recipe = import_recipe_module("cia_mmmo").RECIPE
    root = str(shared_datasets / "mfn_h5")
    args = build_parser(recipe).parse_args(["--data-dir", root, "--epochs", "1", "--audio-clip", "100"])
    data = recipe.load_data(args)
    expected = read_mfn_h5(root, "mmmo", modalities=["audio"], audio_clip=100.0).info["audio_clipped"]
    assert expected > 0 and data.info["audio_clipped"] == expected
    steps = data.info["preprocessing"]
    assert (steps[0]["mode"], steps[0]["modalities"], steps[0]["clip_value"]) == ("clip", ["audio"], 100.0)
    assert [s["mode"] for s in steps[1:]] == ["standard", "clip_divide"]


def test_segment_recipe_robust_normalisation_replays_on_raw_features(shared_datasets):
    # --normalize robust_tanh: median / IQR fitted on train, clip 3, / 3; preprocessing.json replays it
    from keras_msa.data_tools import apply_preprocessing
    from keras_msa.data_tools.readers import read_mfn_h5
    from keras_msa.runner import build_parser

    recipe = import_recipe_module("cia_mmmo").RECIPE
    root = str(shared_datasets / "mfn_h5")
    args = build_parser(recipe).parse_args(["--data-dir", root, "--normalize", "robust_tanh"])
    data = recipe.load_data(args)
    steps = data.info["preprocessing"]
    assert [s["mode"] for s in steps] == ["robust", "clip_divide"]
    raw = read_mfn_h5(root, "mmmo", modalities=["audio", "vision"])
    served = apply_preprocessing(steps, raw.test.features, {m: raw.test.step_mask(m) for m in ("audio", "vision")})
    for m in ("audio", "vision"):
        np.testing.assert_array_equal(served[m], data.test.features[m])
        assert np.abs(served[m]).max() <= 1.0


def test_segment_recipe_zero_steps_missing_keeps_missing_vectors_at_zero(shared_datasets):
    # --zero-steps missing: the all-zero video vectors inside real ICT-MMMO steps (FACET found no face)
    # stay zero and leave the statistics; the default turns them into a constant non-zero code
    from keras_msa.data_tools import apply_preprocessing
    from keras_msa.data_tools.readers import read_mfn_h5
    from keras_msa.runner import build_parser

    recipe = import_recipe_module("cia_mmmo").RECIPE
    root = str(shared_datasets / "mfn_h5")
    raw = read_mfn_h5(root, "mmmo", modalities=["audio", "vision"])
    real = raw.train.step_mask("vision")
    hole = real & ~np.any(raw.train.features["vision"] != 0, axis=-1)
    assert hole.sum() == 686
    for choice, expect_zero in (("real", False), ("missing", True)):
        args = build_parser(recipe).parse_args(["--data-dir", root, "--zero-steps", choice])
        data = recipe.load_data(args)
        vision = data.train.features["vision"]
        assert np.all(vision[hole] == 0) == expect_zero, choice
        assert np.all(np.any(vision[real & ~hole] != 0, axis=-1))
        assert data.info["preprocessing"][0]["zero_steps"] == choice
        served = apply_preprocessing(data.info["preprocessing"], raw.test.features,
                                     {m: raw.test.step_mask(m) for m in ("audio", "vision")})
        np.testing.assert_array_equal(served["vision"], data.test.features["vision"])


def test_cia_mosei_paper_row_follows_the_modalities_of_the_data(monkeypatch):
    # An SDK csd folder may hold the text (and labels) file only: without --modalities the run is text-only,
    # so the paper column must be Table 1's T row, not T+A+V with Table 5a's per-emotion numbers.
    import argparse

    recipe = import_recipe_module("cia_mosei")
    monkeypatch.setitem(recipe._DATA_INFO, "heads", ("sentiment", "intensity", "emotions"))
    monkeypatch.setitem(recipe._DATA_INFO, "modalities", ("text",))
    args = argparse.Namespace(modalities=None, no_iim=False, num_classes=2)
    paper = recipe.paper_results(args)
    assert paper["Emo_F1"] == 77.66 and paper["Acc2"] == 79.45 and paper["MAE"] == 0.695
    assert not any(k.startswith("Emo_F1_") for k in paper)
    monkeypatch.setitem(recipe._DATA_INFO, "modalities", ("text", "audio", "vision"))
    paper = recipe.paper_results(args)
    assert paper["Emo_F1"] == 79.02 and paper["Emo_F1_Anger"] == 74.7


@pytest.mark.parametrize("recipe_name", ["cia_mosi", "cia_mosei"])
def test_context_recipes_offer_the_robust_normalisation(recipe_name):
    # --normalize robust_tanh: median / IQR of the training utterances, clip 3, / 3 (preprocessing.json steps)
    from keras_msa.data_tools.labels import FeatureNormalizer
    from keras_msa.runner import build_parser

    recipe = import_recipe_module(recipe_name).RECIPE
    args = build_parser(recipe).parse_args(["--normalize", "robust_tanh", "--synthetic-sizes", "6,2,3"])
    data = recipe.load_data(args)
    steps = data.info["preprocessing"]
    assert [s["mode"] for s in steps] == ["robust", "clip_divide"]
    norm = FeatureNormalizer.from_dict(steps[0])
    m = data.modalities[0]
    real = data.train.features[m][data.train.step_mask(m)]
    # the training utterances' scaled medians are 0 (before the clip at 3 and / 3), and every value is in [-1, 1]
    np.testing.assert_allclose(np.median(real, axis=0), 0.0, atol=1e-6)
    assert np.abs(real).max() <= 1.0 and norm.mode == "robust"
