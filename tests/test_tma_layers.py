"""Tests of the TMA-family layers (LSTHM, MAB, DMAN, gated memory, TMA, coupled recurrences)."""

import math

import keras
import numpy as np
import pytest

import keras_msa  # noqa: F401
from keras_msa.layers import DeltaMemoryAttention
from keras_msa.layers import LSTHMCell
from keras_msa.layers import MARNRecurrence
from keras_msa.layers import MFNRecurrence
from keras_msa.layers import MLPBlock
from keras_msa.layers import MultiAttentionBlock
from keras_msa.layers import MultiViewGatedMemory
from keras_msa.layers import TemporalModalityAttention
from keras_msa.layers import TorchLSTMCell
from tests.layer_testing import run_layer_test

RNG = np.random.default_rng(0)
to_numpy = keras.ops.convert_to_numpy  # any backend's tensors and variables


def rand(*shape):
    return RNG.normal(size=shape).astype("float32")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def dense_np(layer, x):
    return x @ to_numpy(layer.kernel) + to_numpy(layer.bias)


def mlp_np(mlp, x):
    return dense_np(mlp._output_dense, np.maximum(dense_np(mlp._hidden_dense, x), 0.0))


# RNN wrappers so the cells go through the shared layer checks inside keras.layers.RNN.
@keras.saving.register_keras_serializable(package="keras_msa_tests")
class LSTHMRNN(keras.layers.RNN):
    def __init__(self, units, hybrid_dim, **kwargs):
        kwargs.pop("cell", None)
        super().__init__(LSTHMCell(units, hybrid_dim, seed=3), **kwargs)
        self.units = units
        self.hybrid_dim = hybrid_dim

    def get_config(self):
        config = super().get_config()
        config.pop("cell")
        config.update(units=self.units, hybrid_dim=self.hybrid_dim)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_msa_tests")
class TorchLSTMRNN(keras.layers.RNN):
    def __init__(self, units, use_recurrent_bias=True, **kwargs):
        kwargs.pop("cell", None)
        super().__init__(TorchLSTMCell(units, use_recurrent_bias=use_recurrent_bias, seed=4), **kwargs)
        self.units = units
        self.use_recurrent_bias = use_recurrent_bias

    def get_config(self):
        config = super().get_config()
        config.pop("cell")
        config.update(units=self.units, use_recurrent_bias=self.use_recurrent_bias)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# ---------------------------------------------------------------- MLPBlock
def test_mlp_block_standard_checks_and_values():
    x = rand(4, 6)
    run_layer_test(MLPBlock, {"hidden_dim": 5, "output_dim": 3, "dropout": 0.5}, {"inputs": x},
                   expected_output_shape=(4, 3), expected_num_trainable_weights=4,
                   expected_num_non_trainable_weights=0)
    mlp = MLPBlock(5, 3, dropout=0.5)
    out = to_numpy(mlp(x))  # inference: no dropout
    np.testing.assert_allclose(out, mlp_np(mlp, x), rtol=1e-5, atol=1e-6)
    # two training calls draw two masks; 64 rows so that two masks agreeing by chance is out of reach (with 4
    # rows and ReLU zeroing most units, two draws once agreed on every active unit, on torch)
    many = rand(64, 6)
    assert not np.allclose(to_numpy(mlp(many, training=True)), to_numpy(mlp(many, training=True))), \
        "dropout mask reused"
    no_dropout = MLPBlock(5, 3, dropout=0.0)
    no_dropout.build((None, 6))
    assert len(no_dropout.variables) == 4 and len(mlp.variables) == 5  # a seed state only with dropout


def test_mlp_block_torch_initialisation_bounds():
    mlp = MLPBlock(300, 2, seed=1)
    mlp.build((None, 400))
    bound_in, bound_hidden = 1 / math.sqrt(400), 1 / math.sqrt(300)
    for weight, bound in ((mlp._hidden_dense.kernel, bound_in), (mlp._hidden_dense.bias, bound_in),
                          (mlp._output_dense.kernel, bound_hidden), (mlp._output_dense.bias, bound_hidden)):
        values = np.abs(to_numpy(weight))
        assert values.max() <= bound + 1e-7
    assert np.abs(to_numpy(mlp._hidden_dense.bias)).max() > 0.8 * bound_in  # spread over the whole range


def test_mlp_block_rejects_bad_arguments():
    with pytest.raises(ValueError, match="hidden_dim"):
        MLPBlock(0, 3)
    with pytest.raises(ValueError, match="dropout"):
        MLPBlock(4, 3, dropout=1.0)
    with pytest.raises(ValueError, match="init_style"):
        MLPBlock(4, 3, init_style="xavier")


def test_tma_layer_flags_are_checked_not_coerced():
    with pytest.raises(ValueError, match=r"`use_recurrent_bias` must be True or False. Received: .*'False'"):
        TorchLSTMCell(4, use_recurrent_bias="False")
    with pytest.raises(ValueError, match=r"`use_mask` must be True or False. Received: use_mask='False'"):
        MARNRecurrence(**dict(MARN_TMA_KW, use_mask="False"))
    with pytest.raises(ValueError, match=r"`return_modality_weights` must be True or False"):
        MARNRecurrence(**dict(MARN_TMA_KW, return_modality_weights=1))
    with pytest.raises(ValueError, match=r"`lstm_recurrent_bias` must be True or False"):
        MFNRecurrence(**dict(DMAN_KW, lstm_recurrent_bias="no"))


# ---------------------------------------------------------------- cells
def test_torch_lstm_cell_in_rnn_and_gate_order():
    x = rand(3, 4, 5)
    run_layer_test(TorchLSTMRNN, {"units": 6}, {"sequences": x}, expected_output_shape=(3, 6),
                   expected_num_trainable_weights=4)
    cell = TorchLSTMCell(6, seed=0)
    cell.build((None, 5))
    assert np.abs(to_numpy(cell.kernel)).max() <= 1 / math.sqrt(6) + 1e-7
    x0, h0, c0 = rand(3, 5), rand(3, 6), rand(3, 6)
    h, (h_again, c) = cell(x0, [h0, c0])
    g = (x0 @ to_numpy(cell.kernel) + to_numpy(cell.bias) + h0 @ to_numpy(cell.recurrent_kernel)
         + to_numpy(cell.recurrent_bias))
    i, f, gg, o = np.split(g, 4, axis=-1)  # PyTorch order i, f, g, o
    c_want = sigmoid(f) * c0 + sigmoid(i) * np.tanh(gg)
    np.testing.assert_allclose(to_numpy(c), c_want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(h), sigmoid(o) * np.tanh(c_want), rtol=1e-5, atol=1e-6)
    single = TorchLSTMCell(6, use_recurrent_bias=False)
    single.build((None, 5))
    assert single.count_params() == cell.count_params() - 4 * 6


def test_lsthm_cell_in_rnn_and_gate_order():
    x = rand(3, 4, 5 + 2)
    run_layer_test(LSTHMRNN, {"units": 6, "hybrid_dim": 2}, {"sequences": x}, expected_output_shape=(3, 6),
                   expected_num_trainable_weights=6)
    cell = LSTHMCell(6, hybrid_dim=2, seed=0)
    cell.build((None, 7))
    assert cell.count_params() == 4 * 6 * (5 + 1) + 4 * 6 * (6 + 1) + 4 * 6 * (2 + 1)
    x0, z0, h0, c0 = rand(3, 5), rand(3, 2), rand(3, 6), rand(3, 6)
    h, (_, c) = cell(np.concatenate([x0, z0], -1), [h0, c0])
    s = (x0 @ to_numpy(cell.input_kernel) + to_numpy(cell.input_bias) + h0 @ to_numpy(cell.recurrent_kernel)
         + to_numpy(cell.recurrent_bias) + z0 @ to_numpy(cell.hybrid_kernel) + to_numpy(cell.hybrid_bias))
    f, i, o, cand = np.split(s, 4, axis=-1)  # LSTHM order f, i, o, c~
    c_want = sigmoid(f) * c0 + sigmoid(i) * np.tanh(cand)
    np.testing.assert_allclose(to_numpy(c), c_want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(h), np.tanh(c_want) * sigmoid(o), rtol=1e-5, atol=1e-6)
    # torch nn.Linear init: the bias bound is 1/sqrt(fan_in) of its own map.
    assert np.abs(to_numpy(cell.input_bias)).max() <= 1 / math.sqrt(5) + 1e-7
    assert np.abs(to_numpy(cell.hybrid_bias)).max() <= 1 / math.sqrt(2) + 1e-7
    with pytest.raises(ValueError, match="hybrid memory"):
        LSTHMCell(6, hybrid_dim=8).build((None, 8))


# ---------------------------------------------------------------- DMAN / memory
@pytest.mark.parametrize("window", [1, 2])
def test_delta_memory_attention(window):
    c, prev = rand(4, 9), rand(4, 9)
    data = {"inputs": c, "previous": prev} if window == 2 else {"inputs": c}
    run_layer_test(DeltaMemoryAttention, {"hidden_dim": 7, "dropout": 0.3, "window": window}, data,
                   call_kwargs={"return_attention_scores": True},
                   expected_output_shape=[(4, 9 * window), (4, 9 * window)],
                   expected_num_trainable_weights=4, expected_num_non_trainable_weights=0)
    layer = DeltaMemoryAttention(7, window=window)
    out, scores = layer(**data, return_attention_scores=True)
    cstar = np.concatenate([prev, c], -1) if window == 2 else c
    want_scores = np_softmax(mlp_np(layer._attention, cstar))  # one softmax over all entries
    np.testing.assert_allclose(to_numpy(scores), want_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(out), want_scores * cstar, rtol=1e-5, atol=1e-6)
    if window == 1:
        with pytest.raises(ValueError, match="window=2"):
            layer(c, previous=prev)
    else:
        np.testing.assert_allclose(to_numpy(layer(c)), to_numpy(layer(c, previous=np.zeros_like(c))))


def test_multi_view_gated_memory():
    x, u = rand(4, 6), rand(4, 5)
    kwargs = {"memory_dim": 5, "proposal_hidden_dim": 3, "retain_hidden_dim": 4, "update_hidden_dim": 2,
              "update_dropout": 0.5}
    run_layer_test(MultiViewGatedMemory, kwargs, {"inputs": x, "memory": u}, expected_output_shape=(4, 5),
                   expected_num_trainable_weights=12, expected_num_non_trainable_weights=0)
    layer = MultiViewGatedMemory(**kwargs)
    out = to_numpy(layer(x, memory=u))
    both = np.concatenate([x, u], -1)
    want = sigmoid(mlp_np(layer._retain_gate, both)) * u + sigmoid(mlp_np(layer._update_gate, both)) * np.tanh(
        mlp_np(layer._proposal, x))
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="memory_dim=5"):
        layer.__class__(**kwargs)(x, memory=rand(4, 3))


# ---------------------------------------------------------------- MAB
@pytest.mark.parametrize("softmax_mode", ["per_attention", "global"])
def test_multi_attention_block(softmax_mode):
    dims, k = [4, 3, 2], 3
    c = rand(5, 9)
    kwargs = {"input_dims": dims, "num_attentions": k, "reduce_dims": [2, 3, 1], "map_hidden_dim": 6,
              "map_dropout": 0.2, "softmax_mode": softmax_mode}
    run_layer_test(MultiAttentionBlock, kwargs, {"inputs": c}, call_kwargs={"return_attention_scores": True},
                   expected_output_shape=[(5, 9), (5, k, 9)], expected_num_trainable_weights=2 + 6 + 4,
                   expected_num_non_trainable_weights=0)
    layer = MultiAttentionBlock(**kwargs)
    z, scores = layer(c, return_attention_scores=True)
    logits = dense_np(layer._attention, c)
    if softmax_mode == "per_attention":
        want = np_softmax(logits.reshape(5, k, 9), axis=-1)
        np.testing.assert_allclose(to_numpy(scores).sum(-1), 1.0, rtol=1e-5)
    else:
        want = np_softmax(logits, axis=-1).reshape(5, k, 9)
        np.testing.assert_allclose(to_numpy(scores).sum((1, 2)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(scores), want, rtol=1e-5, atol=1e-6)
    attended = want * c[:, None, :]
    reduced, offset = [], 0
    for dense, h in zip(layer._reduce, dims):
        reduced.append(dense_np(dense, attended[:, :, offset: offset + h].reshape(5, k * h)))  # k-major
        offset += h
    np.testing.assert_allclose(to_numpy(z), mlp_np(layer._map, np.concatenate(reduced, -1)), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="reduce_dims"):
        MultiAttentionBlock(dims, reduce_dims=[2, 3])
    with pytest.raises(ValueError, match="sum\\(input_dims\\)=9"):
        MultiAttentionBlock(**kwargs)(rand(5, 8))


# ---------------------------------------------------------------- TMA
def test_temporal_modality_attention():
    dims = [4, 3, 2]
    s = rand(5, 9)
    kwargs = {"input_dims": dims, "subspace_dim": 6, "projection_hidden_dims": [5, 4, 3], "attention_hidden_dim": 7,
              "projection_dropouts": [0.5, 0.0, 0.2], "attention_dropout": 0.9}
    run_layer_test(TemporalModalityAttention, kwargs, {"inputs": s}, call_kwargs={"return_modality_weights": True},
                   expected_output_shape=[(5, 6), (5, 3)], expected_num_trainable_weights=16,
                   expected_num_non_trainable_weights=0)
    layer = TemporalModalityAttention(**kwargs)
    z, alpha = layer(s, return_modality_weights=True)
    want_alpha = np_softmax(mlp_np(layer._modality_attention, s))
    projections = [mlp_np(p, s[:, o: o + h]) for p, o, h in zip(layer._projections, (0, 4, 7), dims)]
    want_z = sum(want_alpha[:, m: m + 1] * projections[m] for m in range(3))
    np.testing.assert_allclose(to_numpy(alpha), want_alpha, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(z), want_z, rtol=1e-4, atol=1e-5)
    # One int / float for all modalities; batch size 1 works (the reference's squeeze breaks there).
    layer = TemporalModalityAttention([4, 3], subspace_dim=2, projection_hidden_dims=3, attention_hidden_dim=3)
    assert layer.projection_hidden_dims == [3, 3] and layer.projection_dropouts == [0.0, 0.0]
    assert tuple(layer(rand(1, 7)).shape) == (1, 2)
    with pytest.raises(ValueError, match="one per modality"):
        TemporalModalityAttention([4, 3], 2, projection_hidden_dims=[3, 3, 3], attention_hidden_dim=3)


# ---------------------------------------------------------------- recurrences
MARN_KW = {"input_dims": [5, 3, 4], "hidden_dims": [4, 3, 2], "seed": 2}
MAB_KW = dict(MARN_KW, fusion="mab", mab_num_attentions=2, mab_reduce_dims=[3, 2, 2], mab_map_hidden_dim=5,
              mab_map_dropout=0.5)
MARN_TMA_KW = dict(MARN_KW, fusion="tma", tma_subspace_dim=4, tma_projection_hidden_dims=[3, 3, 2],
                   tma_projection_dropouts=0.5, tma_attention_hidden_dim=5, tma_attention_dropout=0.5,
                   return_modality_weights=True)
MFN_KW = dict(MARN_KW, memory_dim=5, proposal_hidden_dim=4, retain_hidden_dim=3, update_hidden_dim=3,
              proposal_dropout=0.5)
DMAN_KW = dict(MFN_KW, fusion="dman", dman_hidden_dim=6, dman_dropout=0.3)
MFN_TMA_KW = dict(MFN_KW, fusion="tma", tma_subspace_dim=4, tma_projection_hidden_dims=3,
                  tma_attention_hidden_dim=5, return_modality_weights=True)
X_SEQ = rand(3, 4, 12)


@pytest.mark.parametrize("cls,kwargs,shapes,n_weights", [
    (MARNRecurrence, MAB_KW, [(3, 18)], 18 + 2 + 6 + 4),
    (MARNRecurrence, MARN_TMA_KW, [(3, 13), (3, 4, 3)], 18 + 16),
    (MFNRecurrence, dict(DMAN_KW, dman_window=2), [(3, 14)], 12 + 4 + 12),
    (MFNRecurrence, dict(MFN_TMA_KW), [(3, 14), (3, 4, 3)], 12 + 16 + 12),
], ids=["marn", "marn_tma", "mfn_window2", "mfn_tma"])
def test_recurrence_standard_checks(cls, kwargs, shapes, n_weights):
    run_layer_test(cls, kwargs, {"inputs": X_SEQ}, expected_output_shape=shapes if len(shapes) > 1 else shapes[0],
                   expected_num_trainable_weights=n_weights)


@pytest.mark.parametrize("cls,kwargs", [
    (MARNRecurrence, MAB_KW), (MARNRecurrence, MARN_TMA_KW), (MFNRecurrence, dict(DMAN_KW, dman_window=1)),
    (MFNRecurrence, dict(DMAN_KW, dman_window=2)), (MFNRecurrence, MFN_TMA_KW),
], ids=["marn", "marn_tma", "mfn_window1", "mfn_window2", "mfn_tma"])
def test_recurrence_masks_skip_front_padding_and_default_runs_it_through(cls, kwargs):
    x = rand(3, 6, 12)
    padded = np.concatenate([np.zeros((3, 2, 12), "float32"), x[:, 2:]], axis=1)
    short = x[:, 2:]
    masked = cls(**dict(kwargs, use_mask=True))
    mask = np.any(padded != 0, axis=-1)
    out_masked = masked(padded, mask=mask)
    out_short = masked(short)
    if isinstance(out_masked, tuple):
        (out_masked, w_masked), (out_short, w_short) = out_masked, out_short
        np.testing.assert_allclose(to_numpy(w_masked)[:, :2], 0.0)
        np.testing.assert_allclose(to_numpy(w_masked)[:, 2:], to_numpy(w_short), rtol=1e-5, atol=1e-6)
        out_unmasked = masked(padded)[0]
    else:
        out_unmasked = masked(padded)
    np.testing.assert_allclose(to_numpy(out_masked), to_numpy(out_short), rtol=1e-5, atol=1e-6)
    # Without use_mask (the reference behaviour) the padded steps change the states.
    plain = cls(**kwargs)
    plain.build(padded.shape)
    plain.set_weights(masked.get_weights())
    out_plain = plain(padded, mask=mask)
    out_plain = out_plain[0] if isinstance(out_plain, tuple) else out_plain
    np.testing.assert_allclose(to_numpy(out_plain), to_numpy(out_unmasked), rtol=1e-6)
    assert not np.allclose(to_numpy(out_plain), to_numpy(out_short), atol=1e-4)


def test_recurrence_dropout_only_in_training():
    layer = MFNRecurrence(**DMAN_KW)
    a, b = layer(X_SEQ, training=True), layer(X_SEQ, training=True)
    assert not np.allclose(to_numpy(a), to_numpy(b))
    np.testing.assert_array_equal(to_numpy(layer(X_SEQ)), to_numpy(layer(X_SEQ)))


def test_recurrence_tma_input_hidden_variant_and_errors():
    cell_out = MARNRecurrence(**MARN_TMA_KW)(X_SEQ)[0]
    hidden = MARNRecurrence(**dict(MARN_TMA_KW, tma_input="hidden"))(X_SEQ)[0]
    assert hidden.shape == cell_out.shape
    assert not np.allclose(to_numpy(hidden), to_numpy(cell_out))  # same seed, different TMA input
    with pytest.raises(ValueError, match="fusion='tma'"):
        MARNRecurrence(**dict(MAB_KW, return_modality_weights=True))
    with pytest.raises(ValueError, match="mab_reduce_dims"):
        MARNRecurrence(MARN_KW["input_dims"], MARN_KW["hidden_dims"], fusion="mab")
    with pytest.raises(ValueError, match="sum\\(input_dims\\)=12"):
        MFNRecurrence(**DMAN_KW)(rand(3, 4, 11))
    with pytest.raises(ValueError, match="dman_window"):
        MFNRecurrence(**dict(DMAN_KW, dman_window=3))
    with pytest.raises(ValueError, match="hidden_dims"):
        MFNRecurrence([5, 3], [4], memory_dim=3)
    with pytest.raises(ValueError, match="static"):
        inputs = keras.Input((None, 12))
        MFNRecurrence(**DMAN_KW)(inputs)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")
def test_recurrence_single_modality_and_jit_compiled_model():
    layer = MARNRecurrence([5], [4], fusion="tma", tma_subspace_dim=3, tma_projection_hidden_dims=2,
                           tma_attention_hidden_dim=2, return_modality_weights=True)
    out, alpha = layer(rand(2, 3, 5))
    np.testing.assert_allclose(to_numpy(alpha), 1.0, rtol=1e-6)
    inputs = keras.Input((4, 12))
    model = keras.Model(inputs, keras.layers.Dense(1)(MFNRecurrence(**DMAN_KW)(inputs)))
    model.compile(optimizer="adam", loss="mae", jit_compile=True)  # XLA (training under XLA: benchmarks/)
    np.testing.assert_allclose(model.predict(X_SEQ, verbose=0), to_numpy(model(X_SEQ)), rtol=1e-5, atol=1e-6)
