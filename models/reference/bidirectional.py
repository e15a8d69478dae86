"""numpy reference of `keras.layers.Bidirectional` around SimpleRNN, LSTM or GRU.

Weights are `bidirectional.get_weights()`: the forward layer's list followed by the backward
layer's. The backward layer reads the sequence reversed; with `return_sequences=True` its outputs
are reversed back so that step t of both halves belongs to input step t (the course's
`h_b[::-1]`), and without it the backward half is its last processed step, i.e. input step 0.

Example:

>>> bi = keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True))
>>> y = bi(x)
>>> y_ref, states, cache = bidirectional_forward("lstm", x, bi.get_weights(),
...                                              return_sequences=True)
>>> d_x, d_weights = bidirectional_backward(np.ones_like(y_ref), cache)
"""

import numpy as np

from models.reference.gru import gru_backward, gru_forward
from models.reference.lstm import lstm_backward, lstm_forward
from models.reference.simple_rnn import simple_rnn_backward, simple_rnn_forward

LAYERS = {
    "simple_rnn": (simple_rnn_forward, simple_rnn_backward),
    "lstm": (lstm_forward, lstm_backward),
    "gru": (gru_forward, gru_backward),
}
MERGE_MODES = ("concat", "sum", "ave", "mul")


def bidirectional_forward(
    layer, inputs, weights, *, merge_mode="concat", return_sequences=False, **layer_kwargs
):
    """Forward pass of a Bidirectional RNN.

    Args:
        layer: `"simple_rnn"`, `"lstm"` or `"gru"`.
        inputs: array `(batch, time, features)`.
        weights: `bidirectional.get_weights()` (forward weights, then backward weights).
        merge_mode: `"concat"` (Keras default), `"sum"`, `"ave"` or `"mul"`.
        return_sequences: as on the wrapped layer.
        **layer_kwargs: passed to the wrapped layer's reference (e.g. `activation`,
            `reset_after`).

    Returns:
        `(outputs, forward_states + backward_states, cache)`; with concat the last axis is
        `2 * units`, forward half first.
    """
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {sorted(LAYERS)}")
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"unknown merge_mode {merge_mode!r}; expected one of {MERGE_MODES}")
    forward, _ = LAYERS[layer]
    half = len(weights) // 2
    y_f, states_f, cache_f = forward(
        inputs, weights[:half], return_sequences=return_sequences, **layer_kwargs
    )
    y_b, states_b, cache_b = forward(
        inputs, weights[half:], return_sequences=return_sequences, go_backwards=True, **layer_kwargs
    )
    if return_sequences:
        y_b = y_b[:, ::-1]  # back to input time order
    if merge_mode == "concat":
        outputs = np.concatenate([y_f, y_b], axis=-1)
    elif merge_mode == "sum":
        outputs = y_f + y_b
    elif merge_mode == "ave":
        outputs = (y_f + y_b) / 2
    else:
        outputs = y_f * y_b
    cache = (layer, cache_f, cache_b, y_f, y_b, merge_mode, return_sequences)
    return outputs, states_f + states_b, cache


def bidirectional_backward(d_outputs, cache):
    """Backward of `bidirectional_forward`.

    Returns:
        `(d_inputs, d_weights)`; `d_weights` matches `bidirectional.get_weights()`.
    """
    layer, cache_f, cache_b, y_f, y_b, merge_mode, return_sequences = cache
    _, backward = LAYERS[layer]
    if merge_mode == "concat":
        d_f, d_b = np.split(d_outputs, 2, axis=-1)
    elif merge_mode == "sum":
        d_f, d_b = d_outputs, d_outputs
    elif merge_mode == "ave":
        d_f, d_b = d_outputs / 2, d_outputs / 2
    else:
        d_f, d_b = d_outputs * y_b, d_outputs * y_f
    if return_sequences:
        d_b = d_b[:, ::-1]  # into the backward layer's processing order
    d_x_f, d_w_f, _ = backward(d_f, cache_f)
    d_x_b, d_w_b, _ = backward(d_b, cache_b)
    return d_x_f + d_x_b, d_w_f + d_w_b
