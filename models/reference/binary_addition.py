"""The course's numpy RNN that learns binary addition (3_1_simple_RNN), vectorised over a batch.

Two numbers a, b < 2**(binary_dim - 1) are fed one bit pair per step, least significant bit first;
the network emits one bit of a + b per step. No biases; sigmoid output; loss per addition
sum_t (d_t - y_t)^2 / 2 (the course's `all_loss`: `mean_squared_error` of one output unit per step).

    u_t = x_t W_in + z_{t-1} W          (batch, hidden)
    z_t = f(u_t)                        f = sigmoid, relu or tanh
    y_t = sigmoid(z_t W_out)            (batch, 1)

Weights use the course's names and shapes, `x @ W` like Keras's kernels:
`W_in (2, hidden)`, `W (hidden, hidden)`, `W_out (hidden, 1)`.

The course's derivative quirk. The notebook computes the output delta as
`d_mean_squared_error(d, y) * d_sigmoid(y)`, where `d_sigmoid(v) = sigmoid(v) * (1 - sigmoid(v))`
takes a *pre*-activation. It is given the output y = sigmoid(o), so it returns
sigmoid(y)(1 - sigmoid(y)) instead of the true dy/do = y(1 - y). For y in (0, 1) that factor stays
in (0.196, 0.25]: the update is close to 0.2 x (y - d), which is the gradient of binary
cross-entropy scaled by ~0.2, not of the squared error. Unlike the true squared-error gradient it
does not vanish when the output saturates on the wrong side. `output_derivative="course"` keeps the
quirk, `"exact"` uses y(1 - y) (checked against finite differences in tests/test_simple_rnn.py).
"""

import numpy as np

from models.reference.activations import get_activation, sigmoid

INPUT_SIZE = 2  # one bit of a and one bit of b per step
OUTPUT_SIZE = 1  # one bit of a + b per step
INITS = ("std", "xavier", "he")
OUTPUT_DERIVATIVES = ("course", "exact")


def init_weights(rng, init, *, hidden_size=16, weight_init_std=1.0):
    """Draws `{"W_in", "W_out", "W"}` from standard normals, scaled as the course's options.

    Args:
        rng: a `np.random.Generator`; the draws come in the course's order (W_in, W_out, W).
        init: `"std"` (randn * weight_init_std, the course default), `"xavier"` (randn / sqrt(n_in))
            or `"he"` (randn * sqrt(2) / sqrt(n_in)), n_in being the rows of each matrix.
        hidden_size: hidden units.
        weight_init_std: the scale of `"std"`.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected one of {INITS}")
    shapes = {
        "W_in": (INPUT_SIZE, hidden_size),
        "W_out": (hidden_size, OUTPUT_SIZE),
        "W": (hidden_size, hidden_size),
    }
    weights = {}
    for name, shape in shapes.items():
        scale = {
            "std": weight_init_std,
            "xavier": 1 / np.sqrt(shape[0]),
            "he": np.sqrt(2) / np.sqrt(shape[0]),
        }[init]
        weights[name] = rng.standard_normal(shape) * scale
    return weights


def to_bits(values, binary_dim):
    """Integers `(n,)` -> bits `(n, binary_dim)`, most significant first (the course's `binary`)."""
    values = np.asarray(values)
    return (values[:, None] >> np.arange(binary_dim - 1, -1, -1)) & 1


def from_bits(bits):
    """Bits `(n, binary_dim)`, most significant first -> integers `(n,)`."""
    bits = np.asarray(bits, dtype=np.int64)
    return bits @ (1 << np.arange(bits.shape[1] - 1, -1, -1))


def sample_additions(rng, count, binary_dim):
    """`count` pairs (a, b), each uniform in [0, 2**(binary_dim - 1)), so a + b fits in binary_dim
    bits."""
    high = 2 ** (binary_dim - 1)
    return rng.integers(0, high, size=count), rng.integers(0, high, size=count)


def forward(a_bits, b_bits, weights, activation="sigmoid"):
    """Runs the RNN over the bits, least significant first.

    Args:
        a_bits, b_bits: `(batch, binary_dim)`, most significant bit first.
        weights: `{"W_in", "W", "W_out"}`.
        activation: hidden activation, `"sigmoid"`, `"relu"` or `"tanh"`.

    Returns:
        `(y, cache)`: `y (batch, binary_dim)` the output probabilities in processing order
        (column t is bit 2**t).
    """
    f, _ = get_activation(activation)
    batch, steps = a_bits.shape
    # x[:, t] is the bit pair for 2**t: (batch, steps, 2)
    x = np.stack([a_bits[:, ::-1], b_bits[:, ::-1]], axis=-1).astype(float)
    hidden = weights["W"].shape[0]
    u = np.zeros((batch, steps, hidden))
    z = np.zeros((batch, steps + 1, hidden))  # z[:, 0] is the zero initial state
    y = np.zeros((batch, steps))
    for t in range(steps):
        u[:, t] = x[:, t] @ weights["W_in"] + z[:, t] @ weights["W"]
        z[:, t + 1] = f(u[:, t])
        y[:, t] = sigmoid(z[:, t + 1] @ weights["W_out"])[:, 0]
    return y, (x, u, z, y, activation)


def loss_and_gradients(
    a_bits, b_bits, d_bits, weights, activation="sigmoid", output_derivative="course"
):
    """One forward/backward pass (BPTT) on a batch of additions.

    Args:
        a_bits, b_bits, d_bits: `(batch, binary_dim)`, most significant bit first; d = a + b.
        weights: `{"W_in", "W", "W_out"}`.
        activation: hidden activation.
        output_derivative: `"course"` (the notebook's d_sigmoid(y) quirk) or `"exact"`.

    Returns:
        `(loss, grads, y)`: the mean over the batch of sum_t (d_t - y_t)^2 / 2, gradients with the
        keys of `weights` (batch mean; with one addition, exactly the course's), and `y` as from
        `forward`.
    """
    if output_derivative not in OUTPUT_DERIVATIVES:
        raise ValueError(f"unknown output_derivative {output_derivative!r}")
    y, (x, u, z, _, _) = forward(a_bits, b_bits, weights, activation)
    _, f_prime = get_activation(activation)
    batch, steps = y.shape
    d = d_bits[:, ::-1].astype(float)  # processing order, like y
    loss = np.sum((d - y) ** 2) / 2 / batch
    slope = sigmoid(y) * (1 - sigmoid(y)) if output_derivative == "course" else y * (1 - y)
    delta_out = ((y - d) * slope)[..., None]  # (batch, steps, 1): dL/d(z W_out)
    grads = {name: np.zeros_like(w) for name, w in weights.items()}
    delta_next = np.zeros((batch, weights["W"].shape[0]))  # dL/du_{t+1}; zero past the end
    for t in reversed(range(steps)):
        delta = (delta_next @ weights["W"].T + delta_out[:, t] @ weights["W_out"].T) * f_prime(
            u[:, t]
        )
        grads["W_out"] += z[:, t + 1].T @ delta_out[:, t]
        grads["W"] += z[:, t].T @ delta
        grads["W_in"] += x[:, t].T @ delta
        delta_next = delta
    return loss, {name: g / batch for name, g in grads.items()}, y


def predict_bits(a_bits, b_bits, weights, activation="sigmoid"):
    """The network's answer, rounded as the course does (`np.round`), most significant bit first."""
    y, _ = forward(a_bits, b_bits, weights, activation)
    return np.round(y[:, ::-1]).astype(np.int64)


def evaluate(a, b, weights, activation, binary_dim):
    """Accuracy on additions a + b: `{"accuracy": all bits right, "bit_accuracy": per bit}`."""
    a_bits, b_bits = to_bits(a, binary_dim), to_bits(b, binary_dim)
    with np.errstate(over="ignore", invalid="ignore"):
        predicted = predict_bits(a_bits, b_bits, weights, activation)
    correct = predicted == to_bits(a + b, binary_dim)
    return {
        "accuracy": float(np.mean(np.all(correct, axis=1))),
        "bit_accuracy": float(np.mean(correct)),
    }


def diverged(loss, grad_norm, grad_norm_limit=np.inf):
    """True when an addition's loss or gradient norm is not finite, or the norm is above the
    limit: where `train` stops."""
    return not (np.isfinite(loss) and np.isfinite(grad_norm) and grad_norm <= grad_norm_limit)


def train(
    weights,
    rng,
    *,
    iterations,
    learning_rate,
    activation,
    output_derivative,
    binary_dim,
    grad_norm_limit=np.inf,
):
    """The course's loop: one random addition per iteration, plain gradient descent.

    Args:
        weights: `{"W_in", "W", "W_out"}`, updated in place.
        rng: `np.random.Generator` for the additions.
        iterations, learning_rate, activation, output_derivative, binary_dim: as in the course.
        grad_norm_limit: training stops at the first addition whose loss or gradient norm is not
            finite, or whose gradient norm is above this limit; its update is not applied.

    Returns:
        `{"loss": (n,), "grad_norm": (n,)}`: each addition's loss before its update, and the L2
        norm of the update direction (all three gradients together). `n` is `iterations`, or less
        when training stopped: the last entry is then the addition that stopped it.
    """
    losses = np.zeros(iterations)
    grad_norms = np.zeros(iterations)
    # A diverging run (He + ReLU) overflows to inf/nan: recorded, and training stops.
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(iterations):
            a, b = sample_additions(rng, 1, binary_dim)
            loss, grads, _ = loss_and_gradients(
                to_bits(a, binary_dim),
                to_bits(b, binary_dim),
                to_bits(a + b, binary_dim),
                weights,
                activation,
                output_derivative,
            )
            losses[i] = loss
            grad_norms[i] = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
            if diverged(loss, grad_norms[i], grad_norm_limit):
                return {"loss": losses[: i + 1], "grad_norm": grad_norms[: i + 1]}
            for name, grad in grads.items():
                weights[name] -= learning_rate * grad
    return {"loss": losses, "grad_norm": grad_norms}
