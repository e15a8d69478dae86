"""Helpers for the numpy-reference tests: random Keras weights and central finite differences."""

import numpy as np


def randomize(layer, rng, scale=0.5):
    """Gives every weight of a built Keras layer random values (biases too); returns them as
    float64."""
    weights = [
        rng.normal(scale=scale, size=w.shape).astype(np.float32) for w in layer.get_weights()
    ]
    layer.set_weights(weights)
    return [w.astype(np.float64) for w in weights]


def numeric_gradient(loss, array, eps=1e-6):
    """Central finite differences of the scalar `loss()` with respect to `array`, edited in
    place."""
    grad = np.zeros_like(array, dtype=np.float64)
    it = np.nditer(array, flags=["multi_index"])
    for _ in it:
        index = it.multi_index
        original = array[index]
        array[index] = original + eps
        plus = loss()
        array[index] = original - eps
        minus = loss()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def max_gradient_error(loss, arrays, analytic, eps=1e-6):
    """Largest |analytic - numeric| over `arrays`, each compared with its analytic gradient."""
    errors = [
        np.max(np.abs(numeric_gradient(loss, a, eps) - g), initial=0.0)
        for a, g in zip(arrays, analytic, strict=True)
    ]
    return max(errors)
