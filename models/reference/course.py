"""The course's numpy exercises with their blanks filled, under their course names and signatures.

The course writes weights the way the formulas read, `h = W x + U h_prev` with `W` of shape
`(units, features)`; Keras stores the transpose, `kernel` of shape `(features, units)`, and computes
`x @ kernel`. So `W = kernel.T`, `U = recurrent_kernel.T`, `V = dense_kernel.T`. The gate traps:

* `lstm`: the course packs the four blocks as (a, i, f, o) (a = candidate input); Keras packs
  (i, f, c, o). `lstm_weights_from_keras` reorders them.
* `gru`: the course writes `h_new = (1 - z) * h + z * h_bar`; Keras writes
  `h = z * h_prev + (1 - z) * h_tilde`. The course's z is Keras's 1 - z, and since
  1 - sigmoid(a) = sigmoid(-a), the course's `W_z, U_z` are Keras's update-gate weights negated.
  The course's GRU has no biases and resets before the matmul: Keras's
  `GRU(use_bias=False, reset_after=False)`. `gru_weights_from_keras` does the mapping.

Each mapping is tested against the Keras layer in tests/test_reference_course.py.
"""

import numpy as np

from models.reference.activations import sigmoid
from models.reference.clipping import gradient_clipping  # noqa: F401  (a course exercise too)
from models.reference.recursive import traverse  # noqa: F401  (a course exercise too)


def rnn_net(xs, W, U, V):
    """The linear RNN the course's `bptt` exercise differentiates (identity activation, no bias).

    Args:
        xs: `(batch, time, features)`; W: `(units, features)`; U: `(units, units)`;
            V: `(outputs, units)`.

    Returns:
        `(hiddens (batch, time, units), outputs (batch, time, outputs))`.
    """
    batch, steps, _ = xs.shape
    h = np.zeros((batch, W.shape[0]))
    hiddens, outputs = [], []
    for t in range(steps):
        h = xs[:, t].dot(W.T) + h.dot(U.T)
        hiddens.append(h)
        outputs.append(h.dot(V.T))
    return np.stack(hiddens, axis=1), np.stack(outputs, axis=1)


def bptt(xs, ys, W, U, V):
    """The course's BPTT; the blank is `delta_t.dot(U)`.

    Gradients of L = mean over the batch of sum_t ||o_t - y_t||^2 / 2 for `rnn_net`. The double
    loop sends each step's output error back through every earlier step (O(time^2), as the
    course writes it). At `bptt_step == 0` the previous hidden state is the zero initial state
    (a literal `hiddens[:, bptt_step - 1]` would wrap round to the last step).

    Returns:
        `(dW, dU, dV)`, shaped like `W, U, V`.
    """
    hiddens, outputs = rnn_net(xs, W, U, V)
    dW, dU, dV = np.zeros_like(W), np.zeros_like(U), np.zeros_like(V)
    do = outputs - ys  # dL/do_t per sample
    batch_size, n_seq = ys.shape[:2]
    zeros = np.zeros_like(hiddens[:, 0])
    for t in reversed(range(n_seq)):
        dV += np.dot(do[:, t].T, hiddens[:, t]) / batch_size
        delta_t = do[:, t].dot(V)
        for bptt_step in reversed(range(t + 1)):
            h_prev = hiddens[:, bptt_step - 1] if bptt_step > 0 else zeros
            dW += np.dot(delta_t.T, xs[:, bptt_step]) / batch_size
            dU += np.dot(delta_t.T, h_prev) / batch_size
            delta_t = delta_t.dot(U)  # (2) the blank: one step further back in time
    return dW, dU, dV


def lstm(x, prev_h, prev_c, W, U, b):
    """The course's LSTM step; the blank is `input_gate * a + forget_gate * prev_c`.

    Args:
        x: `(batch, features)`; prev_h, prev_c: `(batch, units)`.
        W: `(4 * units, features)`, U: `(4 * units, units)`, b: `(4 * units,)`, blocks in the
            course's order (a, i, f, o).

    Returns:
        `(h, c)`. The exercise wraps the packed pre-activation in `_activation(...)` before
        splitting it; each block then gets its own nonlinearity, so that `_activation` is the
        identity here.
    """
    lstm_in = x.dot(W.T) + prev_h.dot(U.T) + b
    a, i, f, o = np.split(lstm_in, 4, axis=-1)
    a = np.tanh(a)
    input_gate = sigmoid(i)
    forget_gate = sigmoid(f)
    output_gate = sigmoid(o)
    c = input_gate * a + forget_gate * prev_c
    h = output_gate * np.tanh(c)
    return h, c


def gru(x, h, W_r, U_r, W_z, U_z, W, U):
    """The course's GRU step; the blank is `(1 - z) * h + z * h_bar`.

    Shapes: x `(batch, features)`, h `(batch, units)`, `W_*` `(units, features)`,
    `U_*` `(units, units)`. Returns the new state `(batch, units)`.
    """
    r = sigmoid(x.dot(W_r.T) + h.dot(U_r.T))
    z = sigmoid(x.dot(W_z.T) + h.dot(U_z.T))
    h_bar = np.tanh(x.dot(W.T) + (r * h).dot(U.T))
    h_new = (1 - z) * h + z * h_bar
    return h_new


def _rnn(xs, W, U):
    """tanh RNN without bias from a zero state: `(batch, time, features)` ->
    `(batch, time, units)`."""
    h = np.zeros((xs.shape[0], W.shape[0]))
    hs = []
    for t in range(xs.shape[1]):
        h = np.tanh(xs[:, t].dot(W.T) + h.dot(U.T))
        hs.append(h)
    return np.stack(hs, axis=1)


def bidirectional_rnn_net(xs, W_f, U_f, W_b, U_b, V):
    """The course's bidirectional RNN; the blank is `np.concatenate([h_f, h_b[::-1]], axis=1)`.

    Args:
        xs: `(batch, time, features)`; `W_*`: `(units, features)`; `U_*`: `(units, units)`;
            V: `(outputs, 2 * units)`.

    Returns:
        `ys (batch, time, outputs)`: a linear read-out of [forward state, backward state] at each
        step (Keras: `Bidirectional(SimpleRNN(units, use_bias=False, return_sequences=True))`
        then `Dense(outputs, use_bias=False)`).
    """
    xs_f = np.zeros_like(xs)
    xs_b = np.zeros_like(xs)
    for i, x in enumerate(xs):
        xs_f[i] = x
        xs_b[i] = x[::-1]
    hs_f = _rnn(xs_f, W_f, U_f)
    hs_b = _rnn(xs_b, W_b, U_b)
    hs = np.stack(
        [np.concatenate([h_f, h_b[::-1]], axis=1) for h_f, h_b in zip(hs_f, hs_b, strict=True)]
    )
    return hs.dot(V.T)


def encode(words, E, W, U, b):
    """The course's encoder; the blank is `E.dot(w)`.

    Args:
        words: sequence of one-hot vectors `(vocab,)`.
        E: `(dim, vocab)`; W: `(units, dim)`; U: `(units, units)`; b: `(units,)`.

    Returns:
        The final hidden state `(units,)` (tanh RNN from a zero state).
    """
    h = np.zeros(W.shape[0])
    for w in words:
        e = E.dot(w)
        h = np.tanh(W.dot(e) + U.dot(h) + b)
    return h


def lstm_weights_from_keras(weights):
    """Keras LSTM `get_weights()` (gates i, f, c, o) -> the course's `(W, U, b)`
    (gates a, i, f, o)."""
    kernel, recurrent_kernel, bias = weights

    def reorder(m):
        i, f, c, o = np.split(m, 4, axis=-1)
        return np.concatenate([c, i, f, o], axis=-1)

    return reorder(kernel).T, reorder(recurrent_kernel).T, reorder(bias)


def gru_weights_from_keras(weights):
    """Keras `GRU(use_bias=False, reset_after=False).get_weights()` -> the course's
    `(W_r, U_r, W_z, U_z, W, U)`; the update gate is negated (the course's z is Keras's 1 - z)."""
    if len(weights) != 2:
        raise ValueError(
            "the course's GRU has no biases: use GRU(use_bias=False, reset_after=False)"
        )
    kernel, recurrent_kernel = weights
    k_z, k_r, k_h = np.split(kernel, 3, axis=-1)
    u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)
    return k_r.T, u_r.T, -k_z.T, -u_z.T, k_h.T, u_h.T
