"""The layer-test helper itself must catch broken layers."""

import keras
import numpy as np
import pytest

from tests.layer_testing import run_layer_test


def test_helper_passes_on_a_correct_layer():
    x = np.random.default_rng(0).normal(size=(4, 3, 5)).astype("float32")
    out = run_layer_test(
        keras.layers.Dense, {"units": 2}, {"inputs": x},
        expected_output_shape=(4, 3, 2), expected_num_trainable_weights=2,
    )
    assert out.shape == (4, 3, 2)


def test_helper_checks_mask_propagation():
    x = np.ones((2, 4, 3), "float32")
    x[0, 2:] = 0.0
    run_layer_test(
        keras.layers.Masking, {"mask_value": 0.0}, {"inputs": x},
        expected_output_shape=(2, 4, 3), expected_mask_shape=(2, 4), run_training_check=False,
    )


@keras.saving.register_keras_serializable(package="keras_msa_tests")
class ForgetsItsConfig(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale
        self.dense = keras.layers.Dense(units)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        return self.dense(inputs) * self.scale

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})  # "scale" forgotten
        return config


def test_helper_fails_on_a_layer_whose_config_does_not_round_trip():
    x = np.ones((2, 3), "float32")
    with pytest.raises(AssertionError):
        run_layer_test(ForgetsItsConfig, {"units": 2, "scale": 3.0}, {"inputs": x}, expected_output_shape=(2, 2))


def test_helper_fails_on_wrong_weight_count():
    x = np.ones((2, 3), "float32")
    with pytest.raises(AssertionError, match="trainable weights"):
        run_layer_test(keras.layers.Dense, {"units": 2}, {"inputs": x}, expected_num_trainable_weights=3)
