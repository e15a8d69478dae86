"""Keras-layout numpy references vs Keras (forward, atol 1e-5) and vs finite differences
(backward)."""

import keras
import numpy as np
import pytest

from models.reference import (
    bidirectional_backward,
    bidirectional_forward,
    encoder_backward,
    encoder_forward,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    simple_rnn_backward,
    simple_rnn_forward,
)
from tests.reference_helpers import max_gradient_error, randomize

# (batch, time, features, units): a single step, a typical case, and wider/longer ones.
SHAPES = [(1, 1, 1, 1), (2, 5, 3, 4), (3, 7, 2, 6)]
ATOL = 1e-5  # float32 Keras vs float64 numpy
GRAD_TOL = 1e-7  # float64 central differences, eps 1e-6


def _keras_layer(name, units, **kwargs):
    if name == "simple_rnn":
        return keras.layers.SimpleRNN(units, **kwargs)
    if name == "lstm":
        return keras.layers.LSTM(units, **kwargs)
    return keras.layers.GRU(units, **kwargs)


def _reference(name, reset_after=True, activation="tanh"):
    if name == "simple_rnn":
        return (
            lambda x, w, **kw: simple_rnn_forward(x, w, activation=activation, **kw),
            simple_rnn_backward,
        )
    if name == "lstm":
        return lstm_forward, lstm_backward
    return (lambda x, w, **kw: gru_forward(x, w, reset_after=reset_after, **kw), gru_backward)


# (layer name, Keras kwargs, reference kwargs): every recurrent variant the references support.
VARIANTS = [
    ("simple_rnn", {}, {}),
    ("simple_rnn", {"activation": "relu", "use_bias": False}, {"activation": "relu"}),
    ("lstm", {}, {}),
    ("lstm", {"use_bias": False}, {}),
    ("gru", {}, {}),
    ("gru", {"reset_after": False}, {"reset_after": False}),
    ("gru", {"reset_after": False, "use_bias": False}, {"reset_after": False}),
]
IDS = [
    "simple_rnn",
    "simple_rnn-relu-nobias",
    "lstm",
    "lstm-nobias",
    "gru",
    "gru-reset_before",
    "gru-reset_before-nobias",
]


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_forward_matches_keras(variant, shape, return_sequences):
    name, keras_kwargs, ref_kwargs = variant
    batch, steps, features, units = shape
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(size=(batch, steps, features))
    layer = _keras_layer(name, units, return_sequences=return_sequences, **keras_kwargs)
    layer.build((None, steps, features))
    weights = randomize(layer, rng)
    expected = keras.ops.convert_to_numpy(layer(x.astype(np.float32)))
    forward, _ = _reference(name, **ref_kwargs)
    actual, _, _ = forward(x, weights, return_sequences=return_sequences)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_initial_state_and_go_backwards_match_keras(variant):
    name, keras_kwargs, ref_kwargs = variant
    batch, steps, features, units = 2, 4, 3, 5
    rng = np.random.default_rng(7)
    x = rng.normal(size=(batch, steps, features))
    states = [rng.normal(size=(batch, units)) for _ in range(2 if name == "lstm" else 1)]
    layer = _keras_layer(
        name, units, return_sequences=True, return_state=True, go_backwards=True, **keras_kwargs
    )
    layer.build((None, steps, features))
    weights = randomize(layer, rng)
    expected = layer(x.astype(np.float32), initial_state=[s.astype(np.float32) for s in states])
    forward, _ = _reference(name, **ref_kwargs)
    outputs, final_states, _ = forward(
        x, weights, initial_state=states, return_sequences=True, go_backwards=True
    )
    for actual, wanted in zip([outputs, *final_states], expected, strict=True):
        np.testing.assert_allclose(actual, keras.ops.convert_to_numpy(wanted), atol=ATOL, rtol=0)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_backward_matches_finite_differences(variant, return_sequences):
    name, keras_kwargs, ref_kwargs = variant
    batch, steps, features, units = 2, 4, 3, 3
    rng = np.random.default_rng(3)
    x = rng.normal(size=(batch, steps, features))
    gate_blocks = {"simple_rnn": 1, "lstm": 4, "gru": 3}[name]
    weights = [
        rng.normal(scale=0.5, size=(features, gate_blocks * units)),
        rng.normal(scale=0.5, size=(units, gate_blocks * units)),
    ]
    if keras_kwargs.get("use_bias", True):
        two_biases = name == "gru" and ref_kwargs.get("reset_after", True)
        bias_shape = (2, 3 * units) if two_biases else (gate_blocks * units,)
        weights.append(rng.normal(scale=0.5, size=bias_shape))
    states = [rng.normal(size=(batch, units)) for _ in range(2 if name == "lstm" else 1)]
    forward, backward = _reference(name, **ref_kwargs)
    out_shape = (batch, steps, units) if return_sequences else (batch, units)
    d_out = rng.normal(size=out_shape)
    d_final = [rng.normal(size=(batch, units)) for _ in states]

    def loss():
        outputs, final_states, _ = forward(
            x, weights, initial_state=states, return_sequences=return_sequences
        )
        return np.sum(outputs * d_out) + sum(
            np.sum(s * d) for s, d in zip(final_states, d_final, strict=True)
        )

    _, _, cache = forward(x, weights, initial_state=states, return_sequences=return_sequences)
    d_x, d_weights, d_states = backward(d_out, cache, d_final_states=d_final)
    error = max_gradient_error(loss, [x, *weights, *states], [d_x, *d_weights, *d_states])
    assert error < GRAD_TOL, error


@pytest.mark.parametrize("layer_name", ["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_keras_and_finite_differences(
    layer_name, merge_mode, return_sequences
):
    batch, steps, features, units = 2, 4, 3, 3
    rng = np.random.default_rng(11)
    x = rng.normal(size=(batch, steps, features))
    bi = keras.layers.Bidirectional(
        _keras_layer(layer_name, units, return_sequences=return_sequences), merge_mode=merge_mode
    )
    bi.build((None, steps, features))
    weights = randomize(bi, rng)
    expected = keras.ops.convert_to_numpy(bi(x.astype(np.float32)))
    actual, _, cache = bidirectional_forward(
        layer_name, x, weights, merge_mode=merge_mode, return_sequences=return_sequences
    )
    np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=0)

    d_out = rng.normal(size=actual.shape)

    def loss():
        outputs, _, _ = bidirectional_forward(
            layer_name, x, weights, merge_mode=merge_mode, return_sequences=return_sequences
        )
        return np.sum(outputs * d_out)

    d_x, d_weights = bidirectional_backward(d_out, cache)
    assert max_gradient_error(loss, [x, *weights], [d_x, *d_weights]) < GRAD_TOL


@pytest.mark.parametrize("shape", [(1, 1, 5, 2, 3), (3, 6, 11, 4, 5)], ids=str)
def test_encoder_matches_keras_and_finite_differences(shape):
    batch, steps, vocab, dim, units = shape
    rng = np.random.default_rng(5)
    ids = rng.integers(0, vocab, size=(batch, steps))
    model = keras.Sequential(
        [
            keras.Input((steps,), dtype="int32"),
            keras.layers.Embedding(vocab, dim),
            keras.layers.SimpleRNN(units),
        ]
    )
    weights = randomize(model, rng)
    expected = keras.ops.convert_to_numpy(model(ids))
    h, cache = encoder_forward(ids, weights)
    np.testing.assert_allclose(h, expected, atol=ATOL, rtol=0)

    d_h = rng.normal(size=h.shape)
    d_weights = encoder_backward(d_h, cache)
    error = max_gradient_error(
        lambda: np.sum(encoder_forward(ids, weights)[0] * d_h), weights, d_weights
    )
    assert error < GRAD_TOL


def test_encoder_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match="token ids"):
        encoder_forward(
            np.array([[0, 9]]), [np.zeros((5, 2)), np.zeros((2, 3)), np.zeros((3, 3)), np.zeros(3)]
        )
