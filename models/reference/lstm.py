"""numpy reference of `keras.layers.LSTM` (default activations tanh / sigmoid).

Weights are `layer.get_weights()`: `[kernel (features, 4u), recurrent_kernel (u, 4u), bias (4u,)]`,
the four blocks in Keras's gate order **(i, f, c, o)**: input gate, forget gate, candidate
cell input, output gate:

    i = sigmoid(x W_i + h U_i + b_i)     f = sigmoid(x W_f + h U_f + b_f)
    a = tanh(x W_c + h U_c + b_c)        o = sigmoid(x W_o + h U_o + b_o)
    c_t = i * a + f * c_{t-1}            h_t = o * tanh(c_t)

(The course's `lstm` exercise packs the same blocks as (a, i, f, o); see `models.reference.course`.)
States are `(h, c)`, as Keras's `initial_state=[h0, c0]`.
"""

import functools

import numpy as np

from models.reference.activations import sigmoid
from models.reference.recurrent import as_states, rnn_backward, rnn_forward, zero_states


def lstm_cell_forward(x, states, weights):
    """One step. `x`: (batch, features); `states`: `(h_prev, c_prev)`. Returns `((h, c), cache)`."""
    kernel, recurrent_kernel, *bias = weights
    h_prev, c_prev = states
    pre = x @ kernel + h_prev @ recurrent_kernel  # (batch, 4 * units)
    if bias:
        pre = pre + bias[0]
    pre_i, pre_f, pre_a, pre_o = np.split(pre, 4, axis=-1)
    i, f, a, o = sigmoid(pre_i), sigmoid(pre_f), np.tanh(pre_a), sigmoid(pre_o)
    c = i * a + f * c_prev
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return (h, c), (x, h_prev, c_prev, i, f, a, o, tanh_c, weights)


def lstm_cell_backward(d_states, cache):
    """Backward of one step: returns `(d_x, (d_h_prev, d_c_prev), d_weights)`."""
    x, h_prev, c_prev, i, f, a, o, tanh_c, weights = cache
    kernel, recurrent_kernel, *bias = weights
    d_h, d_c = d_states
    d_o = d_h * tanh_c
    d_c = d_c + d_h * o * (1.0 - tanh_c**2)  # c reaches the loss directly and through h
    d_pre = np.concatenate(
        [
            d_c * a * i * (1 - i),
            d_c * c_prev * f * (1 - f),
            d_c * i * (1 - a**2),
            d_o * o * (1 - o),
        ],
        axis=-1,
    )  # (batch, 4 * units), gate order (i, f, c, o)
    d_weights = [x.T @ d_pre, h_prev.T @ d_pre] + ([d_pre.sum(axis=0)] if bias else [])
    return d_pre @ kernel.T, (d_pre @ recurrent_kernel.T, d_c * f), d_weights


def lstm_forward(
    inputs, weights, *, initial_state=None, return_sequences=False, go_backwards=False
):
    """Forward pass of an LSTM layer over `(batch, time, features)` inputs.

    Args:
        inputs: array `(batch, time, features)`.
        weights: `layer.get_weights()`.
        initial_state: `[h0, c0]`, each `(batch, units)`; zeros when None.
        return_sequences, go_backwards: as in Keras.

    Returns:
        `(outputs, (h_last, c_last), cache)`.
    """
    units = weights[1].shape[0]
    states = zero_states(inputs, units, 2) if initial_state is None else as_states(initial_state)
    step = functools.partial(lstm_cell_forward, weights=weights)
    return rnn_forward(
        step, inputs, states, return_sequences=return_sequences, go_backwards=go_backwards
    )


def lstm_backward(d_outputs, cache, d_final_states=None):
    """BPTT for `lstm_forward`: returns `(d_inputs, d_weights, (d_h0, d_c0))`."""
    return rnn_backward(lstm_cell_backward, d_outputs, cache, d_final_states)
