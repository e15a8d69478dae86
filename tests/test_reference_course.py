"""The course's exercise functions: filled blanks, their Keras mappings, and their gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.reference import (
    bidirectional_rnn_net,
    bptt,
    clip_by_global_norm,
    encode,
    gradient_clipping,
    gru,
    gru_weights_from_keras,
    lstm,
    lstm_weights_from_keras,
    rnn_net,
    simple_rnn_backward,
    simple_rnn_forward,
    traverse,
    traverse_backward,
    traverse_forward,
)
from tests.reference_helpers import max_gradient_error, randomize

ATOL = 1e-5
GRAD_TOL = 1e-7


def _np(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.mark.parametrize("shape", [(1, 1, 1, 1, 1), (3, 6, 2, 4, 3)], ids=str)
def test_bptt_matches_finite_differences_and_keras_layout(shape):
    batch, steps, features, units, outputs = shape
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(batch, steps, features))
    ys = rng.normal(size=(batch, steps, outputs))
    W = rng.normal(scale=0.5, size=(units, features))
    U = rng.normal(scale=0.5, size=(units, units))
    V = rng.normal(scale=0.5, size=(outputs, units))

    def loss():
        _, out = rnn_net(xs, W, U, V)
        return np.sum((out - ys) ** 2) / 2 / batch

    dW, dU, dV = bptt(xs, ys, W, U, V)
    assert max_gradient_error(loss, [W, U, V], [dW, dU, dV]) < GRAD_TOL

    # The same gradients from the Keras-layout SimpleRNN reference (kernel = W.T, linear).
    hiddens, out = rnn_net(xs, W, U, V)
    seq, _, cache = simple_rnn_forward(xs, [W.T, U.T], activation="linear", return_sequences=True)
    np.testing.assert_allclose(seq, hiddens, atol=1e-12)
    d_hidden = (out - ys) @ V / batch
    _, (d_kernel, d_recurrent), _ = simple_rnn_backward(d_hidden, cache)
    np.testing.assert_allclose(dW, d_kernel.T, atol=1e-10)
    np.testing.assert_allclose(dU, d_recurrent.T, atol=1e-10)


def test_rnn_net_matches_keras_linear_simple_rnn():
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(2, 5, 3))
    model = keras.Sequential(
        [
            keras.Input((5, 3)),
            keras.layers.SimpleRNN(4, activation="linear", use_bias=False, return_sequences=True),
            keras.layers.Dense(2, use_bias=False),
        ]
    )
    kernel, recurrent, dense = randomize(model, rng, scale=0.3)
    _, outputs = rnn_net(xs, kernel.T, recurrent.T, dense.T)
    np.testing.assert_allclose(outputs, _np(model(xs.astype("float32"))), atol=ATOL)


def _one_step(layer, x, states):
    """Runs a Keras RNN layer for one step from `states`; returns its (output, *states)."""
    result = layer(
        x[:, None].astype("float32"), initial_state=[s.astype("float32") for s in states]
    )
    return [_np(r) for r in result]


def test_lstm_matches_keras_with_gates_reordered():
    rng = np.random.default_rng(3)
    x, h, c = rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    layer = keras.layers.LSTM(4, return_state=True)
    layer.build((None, 1, 2))
    weights = randomize(layer, rng)
    _, h_keras, c_keras = _one_step(layer, x, [h, c])

    W, U, b = lstm_weights_from_keras(weights)
    assert W.shape == (16, 2) and U.shape == (16, 4) and b.shape == (16,)
    h_new, c_new = lstm(x, h, c, W, U, b)
    np.testing.assert_allclose(h_new, h_keras, atol=ATOL)
    np.testing.assert_allclose(c_new, c_keras, atol=ATOL)

    # The trap: feeding Keras's (i, f, c, o) blocks straight in as (a, i, f, o) is wrong.
    h_wrong, _ = lstm(x, h, c, weights[0].T, weights[1].T, weights[2])
    assert np.max(np.abs(h_wrong - h_keras)) > 1e-2


def test_gru_matches_keras_with_update_gate_negated():
    rng = np.random.default_rng(4)
    x, h = rng.normal(size=(3, 2)), rng.normal(size=(3, 5))
    layer = keras.layers.GRU(5, use_bias=False, reset_after=False, return_state=True)
    layer.build((None, 1, 2))
    weights = randomize(layer, rng)
    _, h_keras = _one_step(layer, x, [h])

    W_r, U_r, W_z, U_z, W, U = gru_weights_from_keras(weights)
    np.testing.assert_allclose(gru(x, h, W_r, U_r, W_z, U_z, W, U), h_keras, atol=ATOL)

    # The trap: Keras's z used as the course's z blends the two states the other way round.
    h_wrong = gru(x, h, W_r, U_r, -W_z, -U_z, W, U)
    assert np.max(np.abs(h_wrong - h_keras)) > 1e-2


def test_gru_mapping_refuses_biased_layer():
    with pytest.raises(ValueError, match="no biases"):
        gru_weights_from_keras([np.zeros((2, 6)), np.zeros((2, 6)), np.zeros(6)])


@pytest.mark.parametrize("shape", [(1, 1, 1, 1, 1), (2, 6, 3, 4, 2)], ids=str)
def test_bidirectional_rnn_net_matches_keras(shape):
    batch, steps, features, units, outputs = shape
    rng = np.random.default_rng(5)
    xs = rng.normal(size=(batch, steps, features))
    model = keras.Sequential(
        [
            keras.Input((steps, features)),
            keras.layers.Bidirectional(
                keras.layers.SimpleRNN(units, use_bias=False, return_sequences=True)
            ),
            keras.layers.Dense(outputs, use_bias=False),
        ]
    )
    k_f, u_f, k_b, u_b, v = randomize(model, rng)
    ys = bidirectional_rnn_net(xs, k_f.T, u_f.T, k_b.T, u_b.T, v.T)
    assert ys.shape == (batch, steps, outputs)
    np.testing.assert_allclose(ys, _np(model(xs.astype("float32"))), atol=ATOL)


def test_encode_matches_keras_embedding_and_simple_rnn():
    rng = np.random.default_rng(6)
    vocab, dim, units = 7, 3, 4
    ids = np.array([3, 0, 6, 6, 2])
    model = keras.Sequential(
        [
            keras.Input((len(ids),), dtype="int32"),
            keras.layers.Embedding(vocab, dim),
            keras.layers.SimpleRNN(units),
        ]
    )
    embeddings, kernel, recurrent, bias = randomize(model, rng)
    words = np.eye(vocab)[ids]  # one-hot rows, as the course feeds them
    h = encode(words, embeddings.T, kernel.T, recurrent.T, bias)
    np.testing.assert_allclose(h, _np(model(ids[None]))[0], atol=ATOL)


def test_traverse_computes_the_course_formula_bottom_up():
    rng = np.random.default_rng(7)
    a, b, c = (rng.normal(size=2) for _ in range(3))
    W = rng.normal(size=(2, 4))
    tree = {"left": a, "right": {"left": b, "right": c}}
    inner = np.tanh(W @ np.concatenate([b, c]))
    np.testing.assert_allclose(traverse(tree, W), np.tanh(W @ np.concatenate([a, inner])))
    np.testing.assert_array_equal(traverse(a, W), a)  # a lone leaf is itself


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_traverse_backward_matches_finite_differences(activation):
    rng = np.random.default_rng(8)
    leaves = [rng.normal(size=3) for _ in range(5)]
    W = rng.normal(scale=0.7, size=(3, 6))
    # An unbalanced tree: ((l0, l1), (l2, (l3, l4))).
    tree = {
        "left": {"left": leaves[0], "right": leaves[1]},
        "right": {"left": leaves[2], "right": {"left": leaves[3], "right": leaves[4]}},
    }
    d_out = rng.normal(size=3)
    v, cache = traverse_forward(tree, W, activation)
    np.testing.assert_allclose(v, traverse(tree, W, activation))
    d_W, d_leaves = traverse_backward(d_out, cache)
    assert len(d_leaves) == 5

    def loss():
        return np.sum(traverse(tree, W, activation) * d_out)

    assert max_gradient_error(loss, [W, *leaves], [d_W, *d_leaves]) < GRAD_TOL


@pytest.mark.parametrize("threshold", [0.5, 3.0, 100.0])
def test_gradient_clipping_equals_tf_clip_by_norm_and_keras_clipnorm(threshold):
    rng = np.random.default_rng(9)
    grad = rng.normal(size=(4, 3)) * 2
    clipped = gradient_clipping(grad, threshold)
    np.testing.assert_allclose(clipped, _np(tf.clip_by_norm(grad, threshold)), rtol=1e-12)
    assert np.linalg.norm(clipped) <= threshold + 1e-12

    # Keras applies the same rescaling per variable with `clipnorm`: one SGD step with lr 1.
    variable = keras.Variable(np.zeros((4, 3)), dtype="float64")
    keras.optimizers.SGD(learning_rate=1.0, clipnorm=threshold).apply([grad], [variable])
    np.testing.assert_allclose(-_np(variable), clipped, rtol=1e-6)


def test_gradient_clipping_leaves_small_and_zero_gradients_alone():
    grad = np.array([0.3, -0.4])  # norm 0.5
    assert gradient_clipping(grad, 0.5) is grad
    zero = np.zeros(3)
    np.testing.assert_array_equal(gradient_clipping(zero, 1.0), zero)  # no 0/0


def test_clip_by_global_norm_matches_keras_global_clipnorm():
    rng = np.random.default_rng(10)
    grads = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    clipped = clip_by_global_norm(grads, 1.5)
    assert np.sqrt(sum(np.sum(g**2) for g in clipped)) == pytest.approx(1.5)
    variables = [keras.Variable(np.zeros(g.shape), dtype="float64") for g in grads]
    keras.optimizers.SGD(learning_rate=1.0, global_clipnorm=1.5).apply(grads, variables)
    for variable, expected in zip(variables, clipped, strict=True):
        np.testing.assert_allclose(-_np(variable), expected, rtol=1e-6)
