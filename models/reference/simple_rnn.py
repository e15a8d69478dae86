"""numpy reference of `keras.layers.SimpleRNN`: h_t = f(x_t W + h_{t-1} U + b).

Weights are `layer.get_weights()` as Keras stores them:
`[kernel (features, units), recurrent_kernel (units, units), bias (units,)]`
(no bias when the layer has `use_bias=False`).

Example:

>>> layer = keras.layers.SimpleRNN(4, return_sequences=True)
>>> y = layer(x)                                       # x: (batch, time, features)
>>> y_ref, (h,), cache = simple_rnn_forward(x, layer.get_weights(), return_sequences=True)
>>> d_x, d_weights, (d_h0,) = simple_rnn_backward(np.ones_like(y_ref), cache)
"""

import functools

from models.reference.activations import get_activation
from models.reference.recurrent import as_states, rnn_backward, rnn_forward, zero_states


def simple_rnn_cell_forward(x, states, weights, activation="tanh"):
    """One step. `x`: (batch, features); `states`: `(h_prev,)`. Returns `((h,), cache)`."""
    kernel, recurrent_kernel, *bias = weights
    (h_prev,) = states
    pre = x @ kernel + h_prev @ recurrent_kernel  # (batch, units)
    if bias:
        pre = pre + bias[0]
    f, _ = get_activation(activation)
    h = f(pre)
    return (h,), (x, h_prev, pre, weights, activation)


def simple_rnn_cell_backward(d_states, cache):
    """Backward of one step: returns `(d_x, (d_h_prev,), d_weights)`."""
    x, h_prev, pre, weights, activation = cache
    kernel, recurrent_kernel, *bias = weights
    (d_h,) = d_states
    _, f_prime = get_activation(activation)
    d_pre = d_h * f_prime(pre)  # (batch, units)
    d_weights = [x.T @ d_pre, h_prev.T @ d_pre] + ([d_pre.sum(axis=0)] if bias else [])
    return d_pre @ kernel.T, (d_pre @ recurrent_kernel.T,), d_weights


def simple_rnn_forward(
    inputs,
    weights,
    *,
    activation="tanh",
    initial_state=None,
    return_sequences=False,
    go_backwards=False,
):
    """Forward pass of a SimpleRNN layer over `(batch, time, features)` inputs.

    Args:
        inputs: array `(batch, time, features)`.
        weights: `layer.get_weights()`.
        activation: the layer's activation name (`"tanh"`, `"relu"`, `"sigmoid"`, `"linear"`).
        initial_state: `h0` `(batch, units)`; zeros when None.
        return_sequences, go_backwards: as in Keras.

    Returns:
        `(outputs, (h_last,), cache)`; `outputs` is `(batch, units)` or `(batch, time, units)`.
    """
    units = weights[1].shape[0]
    states = zero_states(inputs, units, 1) if initial_state is None else as_states(initial_state)
    step = functools.partial(simple_rnn_cell_forward, weights=weights, activation=activation)
    return rnn_forward(
        step, inputs, states, return_sequences=return_sequences, go_backwards=go_backwards
    )


def simple_rnn_backward(d_outputs, cache, d_final_states=None):
    """BPTT for `simple_rnn_forward`: returns `(d_inputs, d_weights, (d_h0,))`."""
    return rnn_backward(simple_rnn_cell_backward, d_outputs, cache, d_final_states)
