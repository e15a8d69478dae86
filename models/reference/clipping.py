"""Gradient clipping by norm, as the course writes it and as Keras's optimizers apply it.

`gradient_clipping(g, t)` rescales `g` to norm `t` when its norm exceeds `t`: this is
`tf.clip_by_norm` and what `keras.optimizers.*(clipnorm=t)` does to each variable's gradient.
`clip_by_global_norm` rescales a list of gradients together by their joint norm, as
`global_clipnorm=t` does.
"""

import numpy as np


def gradient_clipping(grad, threshold):
    """The course's function; the blank is `grad * rate`.

    Args:
        grad: gradient array of any shape.
        threshold: the largest norm allowed (> 0).

    Returns:
        `grad * threshold / ||grad||` if `||grad|| > threshold`, else `grad` (the L2 norm of all
        entries, as `np.linalg.norm` of a vector; for a matrix the course's `np.linalg.norm` is the
        Frobenius norm, the same number).
    """
    norm = np.sqrt(np.sum(np.square(grad)))
    if norm <= threshold:  # also covers a zero gradient, where the course's rate would be inf
        return grad
    rate = threshold / norm
    return grad * rate


def clip_by_global_norm(grads, threshold):
    """Rescales all `grads` by one factor so their joint L2 norm is at most `threshold`."""
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in grads))
    if norm <= threshold:
        return list(grads)
    return [g * (threshold / norm) for g in grads]
