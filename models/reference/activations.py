"""The course's activation functions and their derivatives, in numpy.

Each function `f(x)` has a partner `f_derivative(x)` giving df/dx elementwise, except softmax,
whose derivative is a full Jacobian (`softmax_jacobian`). Where a function has a kink
(step and ReLU at 0, Leaky ReLU at 0) the derivative takes the value TensorFlow's gradient
uses there, so the two can be compared on a grid that contains 0.

Example:

>>> x = np.array([-1.0, 0.0, 2.0])
>>> relu(x), relu_derivative(x)
(array([0., 0., 2.]), array([0., 0., 1.]))
"""

import numpy as np


def step(x):
    """Heaviside step as the course writes it, `x > 0` (so step(0) = 0)."""
    x = np.asarray(x)
    return (x > 0).astype(np.result_type(x, np.float32))


def step_derivative(x):
    """0 everywhere it exists (undefined at 0, where 0 is returned)."""
    return np.zeros_like(np.asarray(x, dtype=np.result_type(x, np.float32)))


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    x = np.asarray(x, dtype=np.result_type(x, np.float32))
    # exp(-|x|) never overflows; pick the algebraically equal branch by sign.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(x):
    """sigmoid(x) * (1 - sigmoid(x))."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """Hyperbolic tangent."""
    return np.tanh(x)


def tanh_derivative(x):
    """1 / cosh(x)^2, written as 1 - tanh(x)^2 so it cannot overflow for large |x|."""
    return 1.0 - np.tanh(x) ** 2


def relu(x):
    """max(0, x)."""
    return np.maximum(0, x)


def relu_derivative(x):
    """1 where x > 0, else 0 (TensorFlow's choice at the kink x = 0)."""
    x = np.asarray(x)
    return (x > 0).astype(np.result_type(x, np.float32))


def leaky_relu(x, alpha=0.01):
    """x where x > 0, else alpha * x. The course uses alpha = 0.01 (Keras's default is 0.2)."""
    return np.where(x > 0, x, alpha * x)


def leaky_relu_derivative(x, alpha=0.01):
    """1 where x > 0, else alpha (TensorFlow's choice at x = 0)."""
    x = np.asarray(x)
    return np.where(x > 0, 1.0, alpha).astype(np.result_type(x, np.float32))


def swish(x, beta=1.0):
    """x * sigmoid(beta * x); beta = 1 is Keras's `silu` / `swish`."""
    return x * sigmoid(beta * x)


def swish_derivative(x, beta=1.0):
    """beta * f(x) + sigmoid(beta * x) * (1 - beta * f(x)), with f = swish (the course's form)."""
    f = swish(x, beta)
    return beta * f + sigmoid(beta * x) * (1.0 - beta * f)


def softmax(x, axis=-1):
    """exp(x_i) / sum_j exp(x_j) along `axis`, shifted by the max so it cannot overflow."""
    x = np.asarray(x, dtype=np.result_type(x, np.float32))
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(x):
    """The full Jacobian d softmax(x)_i / d x_j = g_i (delta_ij - g_j) over the last axis.

    Args:
        x: array of shape `(..., n)`.

    Returns:
        Array of shape `(..., n, n)`; entry `[..., i, j]` is dg_i/dx_j.
    """
    g = softmax(x, axis=-1)  # (..., n)
    return g[..., :, None] * (np.eye(g.shape[-1], dtype=g.dtype) - g[..., None, :])


def softmax_derivative(x):
    """The Jacobian's diagonal g_i (1 - g_i): the slope of each output along its own input."""
    g = softmax(x, axis=-1)
    return g * (1.0 - g)


def identity(x):
    """x unchanged (Keras's `linear`)."""
    return np.asarray(x)


def identity_derivative(x):
    """1 everywhere."""
    return np.ones_like(np.asarray(x, dtype=np.result_type(x, np.float32)))


#: name -> (function, elementwise derivative); softmax's full derivative is `softmax_jacobian`.
ACTIVATIONS = {
    "step": (step, step_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "swish": (swish, swish_derivative),
    "softmax": (softmax, softmax_derivative),
    "identity": (identity, identity_derivative),
}

# Keras spells identity "linear"; accept both in recurrent references.
_ELEMENTWISE = {
    **{k: v for k, v in ACTIVATIONS.items() if k != "softmax"},
    "linear": ACTIVATIONS["identity"],
}


def get_activation(name):
    """Returns `(f, f_derivative)` for an elementwise activation name (`"tanh"`, `"linear"`, ...).

    Raises:
        ValueError: for an unknown name or softmax (not elementwise).
    """
    try:
        return _ELEMENTWISE[name]
    except KeyError:
        raise ValueError(
            f"unknown elementwise activation {name!r}; expected one of {sorted(_ELEMENTWISE)}"
        ) from None
