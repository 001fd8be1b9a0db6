"""Layers of the CIA family: IIM autoencoder, context-aware attention, Bi-GRU
context encoder, bimodal interaction block."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_msa.layers import BimodalInteraction
from keras_msa.layers import ContextAwareAttention
from keras_msa.layers import ContextEncoder
from keras_msa.layers import InterModalAutoencoder
from keras_msa.layers import keras2_hard_sigmoid
from keras_msa.layers.interactive_autoencoder import masked_mse
from tests.layer_testing import run_layer_test

RNG = np.random.default_rng(0)


def _mask(lengths, T):
    return (np.arange(T)[None, :] < np.asarray(lengths)[:, None]).astype("float32")


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_cam(p, q):
    w = _softmax(p @ np.transpose(q, (0, 2, 1)))
    return (w @ q) * p, w


# --------------------------------------------------------------------- IIM
def test_iim_layer_contract():
    x = RNG.normal(size=(2, 5, 6)).astype("float32")
    y = np.tanh(RNG.normal(size=(2, 5, 3))).astype("float32")
    run_layer_test(
        InterModalAutoencoder,
        {"output_dim": 3, "code_dim": 4, "seed": 1},
        {"inputs": x, "target": y, "mask": _mask([3, 5], 5)},
        expected_output_shape=(2, 5, 4),
        expected_num_trainable_weights=12,  # 6 dense layers x (kernel, bias)
        expected_num_non_trainable_weights=0,
        expected_num_losses=1,
    )


def test_iim_reconstruction_output_mode():
    x = RNG.normal(size=(2, 5, 6)).astype("float32")
    run_layer_test(
        InterModalAutoencoder,
        {"output_dim": 3, "code_dim": 4, "return_reconstruction": True, "encoder_units": [8]},
        {"inputs": x},
        expected_output_shape=[(2, 5, 4), (2, 5, 3)],
        expected_num_trainable_weights=8,  # 8 -> 4 -> 8 -> 3
        expected_num_losses=0,
        run_mixed_precision_check=False,
    )


def test_iim_parameter_count_matches_script():
    # Dense 3td-2td-td-2td-3td-d_Y on d_X inputs: 600 d_X + 601 d_Y + 642,200 for td = 200.
    layer = InterModalAutoencoder(output_dim=74, code_dim=200)
    layer.build((None, 20, 300))
    assert layer.count_params() == 600 * 300 + 601 * 74 + 642_200 == 866_674


def test_iim_masked_loss_ignores_padded_utterances():
    layer = InterModalAutoencoder(output_dim=3, code_dim=4, dropout=0.0, reconstruction_weight=2.5)
    x = RNG.normal(size=(2, 6, 5)).astype("float32")
    y = np.tanh(RNG.normal(size=(2, 6, 3))).astype("float32")
    mask = _mask([2, 4], 6)
    layer(x, target=y, mask=mask)
    loss = float(ops.convert_to_numpy(layer.losses[0]))
    # Hand computation from the layer's own reconstruction.
    probe = InterModalAutoencoder(output_dim=3, code_dim=4, dropout=0.0, return_reconstruction=True)
    probe.build((None, 6, 5))
    probe.set_weights(layer.get_weights())
    rec = ops.convert_to_numpy(probe(x)[1])
    per_step = ((rec - y) ** 2).mean(-1)
    expected = 2.5 * (per_step * mask).sum() / mask.sum()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    # Garbage in the padded targets (and inputs) does not change the loss.
    y_bad, x_bad = y.copy(), x.copy()
    y_bad[mask == 0] = 50.0
    x_bad[mask == 0] = -30.0
    layer(x_bad, target=y_bad, mask=mask)
    np.testing.assert_allclose(float(ops.convert_to_numpy(layer.losses[0])), expected, rtol=1e-5)
    # Without the mask the padded garbage dominates.
    layer(x_bad, target=y_bad)
    assert float(ops.convert_to_numpy(layer.losses[0])) > 100 * expected


def test_masked_mse_no_valid_step_is_zero():
    y = np.ones((1, 3, 2), "float32")
    assert float(ops.convert_to_numpy(masked_mse(y, 0 * y, np.zeros((1, 3), "float32")))) == 0.0


def test_iim_bad_arguments():
    with pytest.raises(ValueError, match="output_dim"):
        InterModalAutoencoder(output_dim=0)
    with pytest.raises(ValueError, match="dropout"):
        InterModalAutoencoder(output_dim=3, dropout=1.0)
    with pytest.raises(ValueError, match=r"`code_dim` must be a positive integer. Received: code_dim=2.7"):
        InterModalAutoencoder(output_dim=3, code_dim=2.7)
    with pytest.raises(ValueError, match=r"`reconstruction_weight` must be a finite number >= 0.*=-1"):
        InterModalAutoencoder(output_dim=3, reconstruction_weight=-1)
    with pytest.raises(ValueError, match=r"`return_reconstruction` must be True or False. Received: .*'False'"):
        InterModalAutoencoder(output_dim=3, return_reconstruction="False")
    with pytest.raises(ValueError, match="needs the decoder"):
        InterModalAutoencoder(output_dim=3, return_reconstruction=True, use_decoder=False)
    x = np.ones((2, 5, 6), "float32")
    # the target must be modality Y of width output_dim (no broadcasting of a narrower target)
    for width in (1, 5):
        with pytest.raises(ValueError, match=rf"`target` must have output_dim=4 features.*\(2, 5, {width}\)"):
            InterModalAutoencoder(output_dim=4)(x, target=np.ones((2, 5, width), "float32"))
    with pytest.raises(ValueError, match="A `target` needs the decoder"):
        InterModalAutoencoder(output_dim=4, use_decoder=False)(x, target=np.ones((2, 5, 4), "float32"))


def test_iim_without_decoder_has_encoder_weights_only():
    x = RNG.normal(size=(2, 5, 6)).astype("float32")
    full = InterModalAutoencoder(output_dim=3, code_dim=4, dropout=0.0)
    encoder_only = InterModalAutoencoder(output_dim=3, code_dim=4, dropout=0.0, use_decoder=False)
    code = full(x)
    encoder_only(x)
    # encoder 6 -> 12 -> 8 -> 4; decoder 4 -> 8 -> 12 -> 3
    encoder_params = (6 * 12 + 12) + (12 * 8 + 8) + (8 * 4 + 4)
    assert encoder_only.count_params() == encoder_params
    assert full.count_params() == encoder_params + (4 * 8 + 8) + (8 * 12 + 12) + (12 * 3 + 3)
    encoder_only.set_weights(full.get_weights()[:6])
    np.testing.assert_allclose(ops.convert_to_numpy(encoder_only(x)), ops.convert_to_numpy(code), rtol=1e-6)
    restored = InterModalAutoencoder.from_config(encoder_only.get_config())
    assert restored.use_decoder is False


# --------------------------------------------------------------------- CAM
def test_cam_layer_contract():
    q = RNG.normal(size=(2, 5, 4)).astype("float32")
    v = RNG.normal(size=(2, 6, 4)).astype("float32")
    run_layer_test(
        ContextAwareAttention,
        {"mask_keys": False},
        {"query": q, "value": v},
        call_kwargs={"return_attention_scores": True},
        expected_output_shape=[(2, 5, 4), (2, 5, 6)],
        expected_num_trainable_weights=0,
        run_training_check=False,
    )


def test_cam_matches_numpy():
    p = RNG.normal(size=(3, 5, 4)).astype("float32")
    q = RNG.normal(size=(3, 5, 4)).astype("float32")
    out, w = ContextAwareAttention()(p, q, return_attention_scores=True)
    ref_out, ref_w = _np_cam(p.astype("float64"), q.astype("float64"))
    np.testing.assert_allclose(ops.convert_to_numpy(w), ref_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(out), ref_out, rtol=1e-4, atol=1e-5)


def test_cam_key_masking():
    p = RNG.normal(size=(2, 5, 4)).astype("float32")
    mask = _mask([3, 5], 5)
    # Parity (default): padded keys receive weight, mask ignored.
    _, w_parity = ContextAwareAttention()(p, p, value_mask=mask, return_attention_scores=True)
    w_parity = ops.convert_to_numpy(w_parity)
    assert (w_parity[0, :, 3:] > 0).all()
    # Improvement: padded keys get zero weight; rows renormalised over real keys.
    out, w = ContextAwareAttention(mask_keys=True)(p, p, value_mask=mask, return_attention_scores=True)
    w = ops.convert_to_numpy(w)
    np.testing.assert_array_equal(w[0, :, 3:], 0.0)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-6)
    ref_out, ref_w = _np_cam(p[:1, :, :].astype("float64"), p[:1, :3, :].astype("float64"))
    np.testing.assert_allclose(w[0, :, :3], ref_w[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(out)[0], ref_out[0], rtol=1e-4, atol=1e-5)


def test_cam_dimension_mismatch_error():
    with pytest.raises(ValueError, match="same last dimension"):
        ContextAwareAttention()(np.ones((1, 3, 4), "float32"), np.ones((1, 3, 5), "float32"))


# --------------------------------------------------------- context encoder
def test_context_encoder_contract():
    x = RNG.normal(size=(2, 5, 6)).astype("float32")
    run_layer_test(
        ContextEncoder,
        {"units": 3, "dense_units": 4, "seed": 3},
        {"inputs": x, "mask": _mask([3, 5], 5)},
        expected_output_shape=(2, 5, 4),
        expected_num_trainable_weights=8,  # 2 x (kernel, recurrent kernel, bias) + dense
        expected_num_non_trainable_weights=0,
    )


def test_context_encoder_keras2_parity_parameters():
    enc = ContextEncoder(units=50, dense_units=200)
    enc.build((None, 63, 100))
    # Bi-GRU (Keras 2: reset_after=False, one bias) 2 * 3 * (100*50 + 50*50 + 50) + Dense 100*200+200
    assert enc.count_params() == 300 * 100 + 35_500 == 65_500
    gru = enc._bigru.forward_layer
    assert gru.cell.recurrent_activation is keras2_hard_sigmoid
    assert gru.cell.reset_after is False
    keras3 = ContextEncoder(units=50, dense_units=200, reset_after=True, recurrent_activation="sigmoid")
    keras3.build((None, 63, 100))
    assert keras3.count_params() - enc.count_params() == 2 * 150


def test_context_encoder_masked_steps_do_not_leak():
    enc = ContextEncoder(units=3, dense_units=None, output_dropout=0.0)
    x = RNG.normal(size=(2, 6, 4)).astype("float32")
    mask = _mask([4, 6], 6)
    out = ops.convert_to_numpy(enc(x, mask=mask))
    x_bad = x.copy()
    x_bad[mask == 0] = 3.0 * RNG.normal(size=x_bad[mask == 0].shape)
    out_bad = ops.convert_to_numpy(enc(x_bad, mask=mask))
    np.testing.assert_allclose(out[mask == 1], out_bad[mask == 1], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out[0, 4:], 0.0)  # Keras 3 Bidirectional zeroes masked steps
    assert np.abs(ops.convert_to_numpy(enc(x_bad))[0, :4] - out[0, :4]).max() > 1e-3


def test_keras2_hard_sigmoid_slope():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0], "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(keras2_hard_sigmoid(x)), [0.0, 0.3, 0.5, 0.7, 1.0], atol=1e-7)


# ------------------------------------------------------- bimodal interaction
def test_bimodal_interaction_contract():
    u = RNG.normal(size=(2, 5, 3)).astype("float32")
    c = RNG.normal(size=(2, 5, 4)).astype("float32")
    run_layer_test(
        BimodalInteraction,
        {"units": 4, "seed": 2},
        {"context_x": u, "context_y": u, "interaction_xy": c, "interaction_yx": c, "mask": _mask([3, 5], 5)},
        expected_output_shape=(2, 5, 8),
        expected_num_trainable_weights=2,
    )


def test_bimodal_interaction_masks_keys_from_a_keras_masked_input():
    steps = 5
    x = keras.Input((steps, 3))
    y = keras.Input((steps, 2))
    masked = keras.layers.Masking(0.0)(x)  # carries a Keras mask; no explicit mask= below
    _, weights = BimodalInteraction(units=4, mask_attention_keys=True)(masked, y, return_attention_scores=True)
    model = keras.Model([x, y], weights)
    real = np.array([1, 1, 1, 0, 0], "float32")
    xv = RNG.normal(size=(1, steps, 3)).astype("float32") * real[None, :, None]
    w = model.predict([xv, RNG.normal(size=(1, steps, 2)).astype("float32")], verbose=0)
    np.testing.assert_allclose(w[0, :, :, 3:], 0.0, atol=1e-7)  # padded keys get no attention
    np.testing.assert_allclose(w[0].sum(-1), 1.0, rtol=1e-5)


def test_cia_layers_refuse_coerced_flags():
    with pytest.raises(ValueError, match=r"`mask_keys` must be True or False. Received: mask_keys='False'"):
        ContextAwareAttention(mask_keys="False")
    with pytest.raises(ValueError, match=r"`units` must be a positive integer. Received: units=2.7"):
        ContextEncoder(units=2.7)
    with pytest.raises(ValueError, match=r"`reset_after` must be True or False"):
        ContextEncoder(units=2, reset_after=1)
    with pytest.raises(ValueError, match=r"`mask_attention_keys` must be True or False"):
        BimodalInteraction(units=4, mask_attention_keys="yes")


def test_bimodal_interaction_matches_numpy_and_ablation():
    block = BimodalInteraction(units=4, dropout=0.0)
    ux = RNG.normal(size=(2, 5, 3)).astype("float32")
    uy = RNG.normal(size=(2, 5, 2)).astype("float32")
    cxy = RNG.normal(size=(2, 5, 4)).astype("float32")
    cyx = RNG.normal(size=(2, 5, 4)).astype("float32")
    out, w = block(ux, uy, cxy, cyx, return_attention_scores=True)
    kernel, bias = [ops.convert_to_numpy(v) for v in block._bi_dense.weights]
    assert block.count_params() == 5 * 4 + 4
    bi = np.maximum(np.concatenate([ux, uy], -1) @ kernel + bias, 0.0).astype("float64")
    m = (cxy.astype("float64") + cyx) / 2
    a1, w1 = _np_cam(bi, m)
    a2, w2 = _np_cam(m, bi)
    np.testing.assert_allclose(ops.convert_to_numpy(out), np.concatenate([a1, a2], -1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(w), np.stack([w1, w2], 1), rtol=1e-4, atol=1e-6)
    # Paper Alg. 1: one direction CAM(M, BI).
    paper = BimodalInteraction(units=4, dropout=0.0, attention_directions="paper")
    paper.build(ux.shape, uy.shape, cxy.shape, cyx.shape)
    paper.set_weights(block.get_weights())
    np.testing.assert_allclose(ops.convert_to_numpy(paper(ux, uy, cxy, cyx)), a2, rtol=1e-4, atol=1e-5)
    # CIA - IIM ablation: self-attention on BI.
    a3, _ = _np_cam(bi, bi)
    np.testing.assert_allclose(ops.convert_to_numpy(block(ux, uy)), a3, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="both"):
        block(ux, uy, cxy)
    full = BimodalInteraction(units=200)
    full.build((None, 63, 200), (None, 63, 200), (None, 63, 200), (None, 63, 200))
    assert full.count_params() == 80_200  # the script's BI Dense(400 -> 200)
