"""The activations lab: numpy formulas -> Keras ops and tf.GradientTape -> the differences, plots.

Each function is evaluated in float64 by its Keras counterpart (keras.activations.*, and
keras.ops.heaviside for step) and its derivative taken with tf.GradientTape (tape.jacobian for
softmax, whose derivative is the full Jacobian g_i (delta_ij - g_j)). At the kinks (x = 0 is on the
grid) the numpy derivatives use TensorFlow's convention. Leaky ReLU differs by ~1e-9, not 1e-16:
TensorFlow keeps its alpha in float32 (0.01 -> 0.0099999998).
"""

import keras
import numpy as np
import tensorflow as tf

from labs.activations import figures
from models.reference import activations as act

CHECK = "float64; derivatives by tf.GradientTape (tape.jacobian for softmax)"


def numpy_functions(config):
    """`{name: (f, f_derivative)}` of models/reference/activations.py, the config's alpha and
    beta bound."""
    functions = dict(act.ACTIVATIONS)
    functions["leaky_relu"] = (
        lambda x: act.leaky_relu(x, config.leaky_alpha),
        lambda x: act.leaky_relu_derivative(x, config.leaky_alpha),
    )
    functions["swish"] = (
        lambda x: act.swish(x, config.swish_beta),
        lambda x: act.swish_derivative(x, config.swish_beta),
    )
    return functions


def keras_functions(config):
    """`{name: (description, Keras function of a float64 tensor)}`."""

    def swish(x):
        if config.swish_beta == 1.0:
            return keras.activations.silu(x)
        return x * keras.activations.sigmoid(config.swish_beta * x)

    return {
        "step": ("keras.ops.heaviside(x, 0)", lambda x: keras.ops.heaviside(x, 0.0)),
        "sigmoid": ("keras.activations.sigmoid", keras.activations.sigmoid),
        "tanh": ("keras.activations.tanh", keras.activations.tanh),
        "relu": ("keras.activations.relu", keras.activations.relu),
        "leaky_relu": (
            f"keras.activations.leaky_relu(negative_slope={config.leaky_alpha})",
            lambda x: keras.activations.leaky_relu(x, negative_slope=config.leaky_alpha),
        ),
        "swish": (
            "keras.activations.silu"
            if config.swish_beta == 1.0
            else "x * keras.activations.sigmoid(beta x)",
            swish,
        ),
        # Keras's softmax wants a batch axis.
        "softmax": ("keras.activations.softmax", lambda x: keras.activations.softmax(x[None])[0]),
        "identity": ("keras.activations.linear", keras.activations.linear),
    }


def check_against_keras(x, config):
    """`{name: {"keras", "max_abs_error_value", "max_abs_error_derivative"}}`: max |numpy -
    Keras| of each function and of its derivative (GradientTape), in float64."""
    ours = numpy_functions(config)
    results = {}
    for name, (description, keras_fn) in keras_functions(config).items():
        f, f_prime = ours[name]
        xt = tf.constant(x, dtype=tf.float64)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(xt)
            y = keras_fn(xt)
            total = tf.reduce_sum(y)
        if name == "softmax":
            derivative = tape.jacobian(y, xt, unconnected_gradients="zero").numpy()
            expected_derivative = act.softmax_jacobian(x)
        else:
            # Elementwise: d sum(f) / dx_i = f'(x_i). Step has no gradient path: zero.
            derivative = tape.gradient(total, xt, unconnected_gradients="zero").numpy()
            expected_derivative = f_prime(x)
        del tape
        results[name] = {
            "keras": description,
            "max_abs_error_value": float(np.max(np.abs(f(x) - y.numpy()))),
            "max_abs_error_derivative": float(np.max(np.abs(expected_derivative - derivative))),
        }
    return results


def run(experiment):
    """Checks every function on the course's grid, prints the differences, draws the plots."""
    config = experiment.config
    x = np.arange(config.x_start, config.x_stop + 1) * config.x_scale  # the course's grid
    results = check_against_keras(x, config)
    for name, r in results.items():
        print(
            f"{name:11s} max |value - Keras| {r['max_abs_error_value']:.2g}   "
            f"max |derivative - GradientTape| {r['max_abs_error_derivative']:.2g}"
        )

    if experiment.plots:
        functions = numpy_functions(config)
        for name in functions:
            check = results[name]["max_abs_error_derivative"]
            figure = figures.plot_function(x, name, functions, config, check)
            experiment.save_figure(figure, f"{name}.png")
        experiment.save_figure(figures.plot_overview(x, functions, config), "overview.png")

    experiment.results.update(
        {
            "points": int(x.size),
            "check": CHECK,
            "functions": results,
            "max_abs_error_derivative": max(
                r["max_abs_error_derivative"] for r in results.values()
            ),
        }
    )
