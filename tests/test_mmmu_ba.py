"""MMMU-BA (CIA's baseline): the MMUU-SA layer, the builder's graph and counts, learning, reload, recipe."""

import os

import keras
import numpy as np
import pytest
from keras import ops

from keras_msa.layers import ModalitySelfAttention
from keras_msa.models import get_model
from keras_msa.models.mmmu_ba import build_mmmu_ba
from tests.layer_testing import run_layer_test
from tests.test_cia_models import assert_learns_planted_signal
from tests.recipe_modules import import_recipe_module

RNG = np.random.default_rng(7)
MOSI_DIMS = {"text": 100, "audio": 73, "vision": 100}


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_att(p, q):  # Att(p, q) = (softmax_lastaxis(p q^T) q) * p
    return (_softmax(p @ np.swapaxes(q, -1, -2)) @ q) * p


def _gru(d, r):  # Keras 2 GRU (reset_after=False), one direction
    return 3 * (d * r + r * r + r)


# ------------------------------------------------------------------ MMUU-SA layer
def test_modality_self_attention_contract():
    run_layer_test(
        ModalitySelfAttention,
        {"num_modalities": 3},
        {"inputs": RNG.normal(size=(2, 5, 12)).astype("float32")},
        call_kwargs={"return_attention_scores": True},
        expected_output_shape=[(2, 5, 12), (2, 5, 3, 3)],
        expected_num_trainable_weights=0,
        run_training_check=False,
    )


def test_modality_self_attention_matches_numpy_per_utterance():
    x = RNG.normal(size=(2, 4, 3 * 5))
    out, w = ModalitySelfAttention(num_modalities=3)(x.astype("float32"), return_attention_scores=True)
    for b in range(2):
        for t in range(4):
            vectors = x[b, t].reshape(3, 5)  # the modalities side by side -> one row each
            np.testing.assert_allclose(ops.convert_to_numpy(w)[b, t], _softmax(vectors @ vectors.T), rtol=1e-5)
            np.testing.assert_allclose(ops.convert_to_numpy(out)[b, t], _np_att(vectors, vectors).reshape(-1),
                                       rtol=1e-4, atol=1e-6)


def test_modality_self_attention_refuses_a_width_it_cannot_split():
    with pytest.raises(ValueError, match="divisible by num_modalities=3.*10"):
        ModalitySelfAttention(num_modalities=3)(np.ones((1, 2, 10), "float32"))


# ------------------------------------------------------------------ builder
def test_script_graph_parameter_count():
    # Per modality: Bi-GRU(300) + Dense(600 -> 100); merged = 6 attentions + 3 dense = 900 -> Dense(2).
    enc = sum(2 * _gru(d, 300) + 600 * 100 + 100 for d in MOSI_DIMS.values())
    assert enc == 2_297_100
    model = get_model("mmmu_ba", "mosi", feature_dims=MOSI_DIMS, num_steps=63)
    assert model.count_params() == enc + 900 * 2 + 2 == 2_298_902
    # MMUU-SA / MU-SA: 3 attended + 3 dense = 600 features; no attention: 300
    assert get_model("mmmu_ba", "mosi", feature_dims=MOSI_DIMS, attention="modality_self").count_params() == \
        enc + 600 * 2 + 2
    assert get_model("mmmu_ba", "mosi", feature_dims=MOSI_DIMS, attention="utterance_self").count_params() == \
        enc + 600 * 2 + 2
    assert get_model("mmmu_ba", "mosi", feature_dims=MOSI_DIMS, attention="none").count_params() == enc + 300 * 2 + 2
    # CIM (NAACL 2019) on MOSEI npz sizes: GRU 200, ReLU dense 100, sentiment 2 + emotions 7 on 900 features
    cim = get_model("mmmu_ba", "cim", feature_dims={"text": 300, "audio": 74, "vision": 35}, num_steps=98)
    cim_enc = sum(2 * _gru(d, 200) + 400 * 100 + 100 for d in (300, 74, 35))
    assert cim.count_params() == cim_enc + (900 * 2 + 2) + (900 * 7 + 7) == 1_342_809
    assert sorted(cim.output) == ["emotions", "sentiment"]


def test_merged_features_follow_the_script_order_and_operator():
    dims = {"text": 5, "audio": 4, "vision": 3}
    model = build_mmmu_ba(dims, num_steps=6, rnn_units=3, dense_units=4, seed=0)
    x = {m: RNG.normal(size=(2, 6, d)).astype("float32") for m, d in dims.items()}
    x["utterance_mask"] = np.ones((2, 6), "float32")
    probe = keras.Model(model.inputs, [model.get_layer(f"context_{m}").output for m in ("vision", "audio", "text")]
                        + [model.get_layer("merged").output])
    v, a, t, merged = (ops.convert_to_numpy(o).astype("float64") for o in probe(x, training=False))
    expected = np.concatenate([_np_att(v, t), _np_att(t, v), _np_att(a, v), _np_att(v, a), _np_att(t, a),
                               _np_att(a, t), v, a, t], axis=-1)
    np.testing.assert_allclose(merged, expected, rtol=1e-4, atol=1e-6)
    # MU-SA: aa, vv, tt, then v, a, t
    model = build_mmmu_ba(dims, num_steps=6, rnn_units=3, dense_units=4, attention="utterance_self", seed=0)
    probe = keras.Model(model.inputs, [model.get_layer(f"context_{m}").output for m in ("vision", "audio", "text")]
                        + [model.get_layer("merged").output])
    v, a, t, merged = (ops.convert_to_numpy(o).astype("float64") for o in probe(x, training=False))
    expected = np.concatenate([_np_att(a, a), _np_att(v, v), _np_att(t, t), v, a, t], axis=-1)
    np.testing.assert_allclose(merged, expected, rtol=1e-4, atol=1e-6)


def test_bimodal_subset_uses_its_one_pair_and_a_single_modality_none():
    dims = {"text": 5, "audio": 4, "vision": 3}
    ta = build_mmmu_ba(dims, modalities=("audio", "text"), rnn_units=3, dense_units=4, return_attention=True)
    assert sorted(k for k in ta.output if k.startswith("attention_")) == ["attention_audio_text", "attention_text_audio"]
    assert ta.get_layer("merged").output.shape[-1] == 4 * 4  # Att(t, a), Att(a, t), a, t
    solo = build_mmmu_ba(dims, modalities=("text",), rnn_units=3, dense_units=4)
    assert solo.get_layer("sentiment").input.shape[-1] == 4
    with pytest.raises(ValueError, match=r"`attention` must be one of .*Received: attention='MMMU_BA'"):
        build_mmmu_ba(dims, attention="MMMU_BA")
    with pytest.raises(ValueError, match="`feature_dims` has no size for modality 'vision'"):
        build_mmmu_ba({"text": 5}, modalities=("text", "vision"))


def test_masked_keys_make_real_predictions_independent_of_padding():
    dims = {"text": 5, "audio": 4, "vision": 3}
    model = build_mmmu_ba(dims, num_steps=None, rnn_units=3, dense_units=4, mask_attention_keys=True,
                          heads=("sentiment", "intensity"), seed=0)
    x = {m: RNG.normal(size=(1, 4, d)).astype("float32") for m, d in dims.items()}
    x["utterance_mask"] = np.ones((1, 4), "float32")
    padded = {m: np.concatenate([v, np.zeros((1, 3) + v.shape[2:], "float32")], axis=1) for m, v in x.items()}
    short = model(x, training=False)
    long = model(padded, training=False)
    for head in ("sentiment", "intensity"):
        np.testing.assert_allclose(ops.convert_to_numpy(long[head])[:, :4], ops.convert_to_numpy(short[head]),
                                   rtol=1e-5, atol=1e-6)
    # the script's attention (keys unmasked) does see the padding
    parity = build_mmmu_ba(dims, num_steps=None, rnn_units=3, dense_units=4, heads=("sentiment", "intensity"),
                           seed=0)
    parity.set_weights(model.get_weights())
    assert not np.allclose(ops.convert_to_numpy(parity(padded, training=False)["sentiment"])[:, :4],
                           ops.convert_to_numpy(parity(x, training=False)["sentiment"]), atol=1e-6)


def test_save_reload_identical(tmp_path):
    dims = {"text": 5, "audio": 4, "vision": 3}
    for attention in ("bimodal", "modality_self"):
        model = build_mmmu_ba(dims, num_steps=6, rnn_units=3, dense_units=4, attention=attention,
                              return_attention=True, heads=("sentiment", "intensity"), seed=1)
        x = {m: RNG.normal(size=(2, 6, d)).astype("float32") for m, d in dims.items()}
        x["utterance_mask"] = np.ones((2, 6), "float32")
        path = os.path.join(tmp_path, f"{attention}.keras")
        model.save(path)
        again = keras.saving.load_model(path)
        before, after = model.predict(x, verbose=0), again.predict(x, verbose=0)
        assert sorted(before) == sorted(after)
        for k in before:
            np.testing.assert_array_equal(before[k], after[k])


def test_mmmu_ba_learns_planted_signal_on_synthetic_context_data():
    assert_learns_planted_signal(build_mmmu_ba)


# ------------------------------------------------------------------ recipe
def _run(argv, tmp_path):
    mod = import_recipe_module("mmmu_ba_mosi")
    keras.backend.clear_session()
    return mod.run_recipe(mod.RECIPE, argv=argv + ["--output-dir", str(tmp_path), "--no-export", "--verbose", "0"],
                          exit_on_error=False)


def test_mmmu_ba_recipe_trains_on_the_scripts_videos_of_the_real_release(tmp_path, shared_datasets, capsys):
    results = _run(["--data-dir", str(shared_datasets / "mosi_bclstm"), "--epochs", "1", "--rnn-units", "4",
                    "--dense-units", "8"], tmp_path)
    out = capsys.readouterr().out
    assert "training on the first 49 of 62 training videos" in out  # int(62 * 0.8), the script's split
    assert results["selection"] == "last epoch"
    assert results["num_params"] == sum(2 * _gru(d, 4) + 8 * 8 + 8 for d in MOSI_DIMS.values()) + 72 * 2 + 2
    assert results["paper"] == {"Acc2": 82.31}
    assert 0.0 <= results["metrics"]["Acc2"] <= 100.0 and "WAcc" in results["metrics"]


def test_mmmu_ba_recipe_refuses_a_bad_train_fraction(tmp_path):
    from keras_msa.runner import RecipeError

    with pytest.raises(RecipeError, match=r"--train-fraction: expected a fraction in \(0, 1\], found 1.5"):
        _run(["--train-fraction", "1.5", "--synthetic-sizes", "4,2,2", "--epochs", "1"], tmp_path)


def test_keras2_checkpoint_pick_follows_checkpoint_and_early_stopping_rules():
    from keras_msa.runner import keras2_checkpoint_pick

    # test loss best at epoch 2, never better afterwards: stop after epoch 12 (patience 10);
    # the best accuracy up to there is at epoch 5 (the higher one at epoch 14 is never reached)
    curve = [70, 71, 72, 73, 79, 75, 75, 79, 70, 70, 70, 70, 70, 90, 70]
    loss = [0.9, 0.5] + [0.6] * 13
    assert keras2_checkpoint_pick(curve, loss, patience=10) == 5
    assert keras2_checkpoint_pick(curve, loss) == 14  # no early stopping
    # the first of two equal maxima (Keras 2 saves only on a strict improvement)
    assert keras2_checkpoint_pick([1, 3, 2, 3], [4, 3, 2, 1], patience=10) == 2
    with pytest.raises(ValueError, match="of one length. Received: 2 and 3 epochs"):
        keras2_checkpoint_pick([1, 2], [1, 2, 3])


def test_mmmu_ba_mosei_recipe_runs_on_synthetic_data_with_the_table_5b_row(tmp_path):
    mod = import_recipe_module("mmmu_ba_mosei")
    keras.backend.clear_session()
    common = ["--synthetic-sizes", "6,3,3", "--epochs", "1", "--no-export", "--verbose", "0"]
    results = mod.run_recipe(mod.RECIPE, argv=common + ["--output-dir", str(tmp_path / "a")], exit_on_error=False)
    assert results["paper"] == {"F1": 77.6, "Acc2": 79.8}  # CIA Table 5b, MMMU-BA, MOSEI
    assert results["num_params"] == sum(2 * _gru(d, 300) + 600 * 100 + 100 for d in (300, 74, 35)) + 900 * 2 + 2
    assert results["selection"] != "last epoch" and np.isfinite(results["metrics"]["Acc2"])
    # the CIM graph with the emotion head: per-emotion rows, no paper row for a text+audio model
    keras.backend.clear_session()
    results = mod.run_recipe(mod.RECIPE, argv=common + ["--output-dir", str(tmp_path / "b"), "--preset", "cim",
                                                        "--heads", "sentiment,emotions", "--modalities", "text,audio"],
                             exit_on_error=False)
    assert results["paper"] == {}
    assert np.isfinite(results["metrics"]["Emo_F1_Anger"]) and np.isfinite(results["metrics"]["Emo_WAcc"])
