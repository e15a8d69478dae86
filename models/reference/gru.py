"""numpy reference of `keras.layers.GRU` (default activations tanh / sigmoid), both reset modes.

Weights are `layer.get_weights()`: `[kernel (features, 3u), recurrent_kernel (u, 3u), bias]`, the
three blocks in Keras's order **(z, r, h)**: update gate, reset gate, candidate. Keras keeps the
*previous* state where z is 1:

    z = sigmoid(x W_z + h U_z + b_z)      r = sigmoid(x W_r + h U_r + b_r)
    reset_after=True  (Keras default, bias (2, 3u): input row, recurrent row):
        h~ = tanh(x W_h + b_h_in + r * (h U_h + b_h_rec))
    reset_after=False (the original Cho et al. form, bias (3u,)):
        h~ = tanh(x W_h + (r * h) U_h + b_h)
    h_t = z * h_{t-1} + (1 - z) * h~

The course's `gru` exercise writes `h_new = (1 - z) * h + z * h_bar`: its z is Keras's 1 - z
(see `models.reference.course.gru`).
"""

import functools

import numpy as np

from models.reference.activations import sigmoid
from models.reference.recurrent import as_states, rnn_backward, rnn_forward, zero_states


def _biases(bias, units, reset_after):
    """Splits Keras's GRU bias into (input bias (3u,), recurrent bias (3u,)); zeros when absent."""
    if not bias:
        return np.zeros(3 * units), np.zeros(3 * units)
    if reset_after:
        return bias[0][0], bias[0][1]
    return bias[0], np.zeros(3 * units)


def gru_cell_forward(x, states, weights, reset_after=True):
    """One step. `x`: (batch, features); `states`: `(h_prev,)`. Returns `((h,), cache)`."""
    kernel, recurrent_kernel, *bias = weights
    (h_prev,) = states
    units = recurrent_kernel.shape[0]
    b_in, b_rec = _biases(bias, units, reset_after)
    x_z, x_r, x_h = np.split(x @ kernel + b_in, 3, axis=-1)
    u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)
    b_rz, b_rr, b_rh = np.split(b_rec, 3)
    z = sigmoid(x_z + h_prev @ u_z + b_rz)
    r = sigmoid(x_r + h_prev @ u_r + b_rr)
    if reset_after:
        rec_h = h_prev @ u_h + b_rh  # (batch, units), reset applied after the matmul
        h_tilde = np.tanh(x_h + r * rec_h)
    else:
        rec_h = None
        h_tilde = np.tanh(x_h + (r * h_prev) @ u_h)
    h = z * h_prev + (1.0 - z) * h_tilde
    return (h,), (x, h_prev, z, r, rec_h, h_tilde, weights, reset_after)


def gru_cell_backward(d_states, cache):
    """Backward of one step: returns `(d_x, (d_h_prev,), d_weights)`."""
    x, h_prev, z, r, rec_h, h_tilde, weights, reset_after = cache
    kernel, recurrent_kernel, *bias = weights
    u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)
    (d_h,) = d_states
    d_h_prev = d_h * z
    d_pre_h = d_h * (1.0 - z) * (1.0 - h_tilde**2)  # through h~'s tanh
    d_pre_z = d_h * (h_prev - h_tilde) * z * (1.0 - z)
    if reset_after:
        d_r = d_pre_h * rec_h
        d_rec_h = d_pre_h * r  # gradient of (h U_h + b_h_rec)
        d_u_h = h_prev.T @ d_rec_h
    else:
        d_rh = d_pre_h @ u_h.T  # gradient of r * h_prev
        d_r = d_rh * h_prev
        d_h_prev = d_h_prev + d_rh * r
        d_rec_h = None
        d_u_h = (r * h_prev).T @ d_pre_h
    d_pre_r = d_r * r * (1.0 - r)
    d_x_pre = np.concatenate([d_pre_z, d_pre_r, d_pre_h], axis=-1)  # (batch, 3u)
    d_h_prev = d_h_prev + d_pre_z @ u_z.T + d_pre_r @ u_r.T
    d_recurrent = [h_prev.T @ d_pre_z, h_prev.T @ d_pre_r, d_u_h]
    if reset_after:
        d_h_prev = d_h_prev + d_rec_h @ u_h.T
    d_weights = [x.T @ d_x_pre, np.concatenate(d_recurrent, axis=-1)]
    if bias:
        if reset_after:
            d_rec = np.concatenate([d_pre_z, d_pre_r, d_rec_h], axis=-1)
            d_weights.append(np.stack([d_x_pre.sum(axis=0), d_rec.sum(axis=0)]))
        else:
            d_weights.append(d_x_pre.sum(axis=0))
    return d_x_pre @ kernel.T, (d_h_prev,), d_weights


def gru_forward(
    inputs,
    weights,
    *,
    reset_after=True,
    initial_state=None,
    return_sequences=False,
    go_backwards=False,
):
    """Forward pass of a GRU layer over `(batch, time, features)` inputs.

    Args:
        inputs: array `(batch, time, features)`.
        weights: `layer.get_weights()`.
        reset_after: the layer's `reset_after` (Keras default True).
        initial_state: `h0` `(batch, units)`; zeros when None.
        return_sequences, go_backwards: as in Keras.

    Returns:
        `(outputs, (h_last,), cache)`.
    """
    units = weights[1].shape[0]
    states = zero_states(inputs, units, 1) if initial_state is None else as_states(initial_state)
    step = functools.partial(gru_cell_forward, weights=weights, reset_after=reset_after)
    return rnn_forward(
        step, inputs, states, return_sequences=return_sequences, go_backwards=go_backwards
    )


def gru_backward(d_outputs, cache, d_final_states=None):
    """BPTT for `gru_forward`: returns `(d_inputs, d_weights, (d_h0,))`."""
    return rnn_backward(gru_cell_backward, d_outputs, cache, d_final_states)
