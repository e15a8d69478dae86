"""The time loop shared by the recurrent references: run a cell over time, and back again (BPTT).

A cell is a pair of functions:

    step(x_t, states) -> (new_states, cache)          # new_states[0] is the output h_t
    step_backward(d_states, cache) -> (d_x_t, d_prev_states, d_weights)

`rnn_forward` unrolls `step` over `(batch, time, features)` inputs the way a Keras RNN layer does
(`return_sequences`, `go_backwards`); `rnn_backward` walks the same steps in reverse, adding the
gradient arriving from the layer's output at each step to the gradient arriving from the next step
(that sum is back-propagation through time), and sums each weight's gradient over time.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass
class RNNCache:
    """What `rnn_backward` needs from a forward pass."""

    step_caches: list  # one per processed step, in processing order
    order: list  # input time index processed at each step
    input_shape: tuple  # (batch, time, features)
    state_shapes: list  # shape of each state tensor
    return_sequences: bool


def rnn_forward(step, inputs, initial_states, *, return_sequences=False, go_backwards=False):
    """Runs `step` over the time axis of `inputs`.

    Args:
        step: the cell's forward function (see module docstring).
        inputs: array `(batch, time, features)`.
        initial_states: tuple of state arrays, e.g. `(h0,)` or `(h0, c0)`, each `(batch, units)`.
        return_sequences: return every step's output `(batch, time, units)` instead of the last.
        go_backwards: process time in reverse; as in Keras, the returned sequence is then in
            processing order (its first entry belongs to the last input step).

    Returns:
        `(outputs, final_states, cache)`.
    """
    batch, steps, _ = inputs.shape
    order = list(range(steps))[::-1] if go_backwards else list(range(steps))
    states = tuple(initial_states)
    outputs, caches = [], []
    for t in order:
        states, cache = step(inputs[:, t], states)
        outputs.append(states[0])
        caches.append(cache)
    sequence = np.stack(outputs, axis=1)  # (batch, time, units)
    cache = RNNCache(caches, order, inputs.shape, [s.shape for s in states], return_sequences)
    return (sequence if return_sequences else sequence[:, -1]), states, cache


def rnn_backward(step_backward, d_outputs, cache, d_final_states=None):
    """Back-propagation through time for `rnn_forward`.

    Args:
        step_backward: the cell's backward function (see module docstring).
        d_outputs: gradient of the loss with respect to `rnn_forward`'s outputs (same shape).
        cache: the `RNNCache` from `rnn_forward`.
        d_final_states: optional gradients with respect to the final states (e.g. when an
            encoder's state feeds a decoder); zeros when None.

    Returns:
        `(d_inputs, d_weights, d_initial_states)`: `(batch, time, features)`, a list matching the
        cell's weights, and a tuple matching `initial_states`.
    """
    if d_final_states is None:
        d_states = tuple(np.zeros(shape) for shape in cache.state_shapes)
    else:
        d_states = tuple(np.asarray(d, dtype=float) for d in d_final_states)
    d_inputs = np.zeros(cache.input_shape)
    d_weights = None
    last = len(cache.order) - 1
    for k in range(last, -1, -1):
        # The output at step k is states[0]; its loss gradient joins the one from step k + 1.
        if cache.return_sequences:
            d_out = d_outputs[:, k]
        else:
            d_out = d_outputs if k == last else 0.0
        d_states = (d_states[0] + d_out, *d_states[1:])
        d_x, d_states, d_w = step_backward(d_states, cache.step_caches[k])
        d_inputs[:, cache.order[k]] = d_x
        d_weights = (
            d_w if d_weights is None else [a + b for a, b in zip(d_weights, d_w, strict=True)]
        )
    return d_inputs, d_weights, d_states


def zero_states(inputs, units, count):
    """`count` zero states `(batch, units)` in the dtype of `inputs`: Keras's default initial
    state."""
    return tuple(np.zeros((inputs.shape[0], units), dtype=inputs.dtype) for _ in range(count))


def as_states(initial_state):
    """Accepts one array or a list/tuple of arrays and returns a tuple."""
    if isinstance(initial_state, (list, tuple)):
        return tuple(initial_state)
    return (initial_state,)
