"""Activation functions and their derivatives, plotted and checked against Keras's autodiff.

What you will learn: the shape of the eight activation functions of the course and of their
derivatives (where each saturates, where it is flat, where it has a kink), and that the
hand-written derivatives are exactly what TensorFlow's automatic differentiation computes.

Reproduces the course's activation-function plots: every function on
`x = np.arange(-600, 601) * 0.01` (-6 to 6 in steps of 0.01) with its derivative:
step, sigmoid, tanh (d = 1/cosh^2), ReLU, Leaky ReLU (alpha 0.01), Swish (beta 1;
d = beta f + sigmoid(beta x)(1 - beta f)), softmax (over the whole x vector; its derivative is the
full Jacobian g_i (delta_ij - g_j)), identity. The numpy formulas live in
models/reference/activations.py.

Check: each function is evaluated in float64 by its Keras counterpart (keras.activations.*, and
keras.ops.heaviside for step), and its derivative taken with tf.GradientTape (tape.jacobian for
softmax). metrics.json records the max absolute difference of values and derivatives.
At kinks (x = 0 is on the grid) the numpy derivatives use TensorFlow's convention. Leaky ReLU
differs by ~1e-9, not 1e-16: TensorFlow stores its alpha as float32 (0.01 -> 0.0099999998).

Nothing is trained: --epochs and --batch-size are refused; --seed is accepted (nothing is random).

Commands:
    python -m labs.activations
    python -m labs.activations --quick      # the same range on a 0.1 grid
    python -m labs.activations --no-plots   # only the check

Outputs (in --output-dir, default runs/activations):
    <name>.png      the function and its derivative, one per function (softmax adds its Jacobian)
    overview.png    all eight side by side
    metrics.json:
        {"lab", "preset", "seed", "quick", "config": {...}, "versions", "points", "check",
         "functions": {name: {"keras": "<the Keras op compared>",
                              "max_abs_error_value", "max_abs_error_derivative"}},
         "max_abs_error_derivative": the largest over all functions}
"""

import dataclasses

import numpy as np

from labs import kit


@dataclasses.dataclass(frozen=True)
class ActivationsConfig:
    x_start: int = -600  # x = np.arange(x_start, x_stop + 1) * x_scale (the course's grid)
    x_stop: int = 600
    x_scale: float = 0.01
    leaky_alpha: float = 0.01  # Leaky ReLU slope for x < 0 (course; Keras's default is 0.2)
    swish_beta: float = 1.0  # Swish f = x * sigmoid(beta * x); beta 1 is Keras's silu

    def quick(self):
        return dataclasses.replace(self, x_start=-60, x_stop=60, x_scale=0.1)  # a 0.1 grid


PRESETS = {"course": ActivationsConfig()}

TITLES = {
    "step": "step: 1 if x > 0 else 0",
    "sigmoid": "sigmoid: 1 / (1 + e^-x)",
    "tanh": "tanh; derivative 1 / cosh^2 x",
    "relu": "ReLU: max(0, x)",
    "leaky_relu": "Leaky ReLU: x if x > 0 else {alpha} x",
    "swish": "Swish: x sigmoid({beta} x)",
    "softmax": "softmax over the whole x vector",
    "identity": "identity: x",
}


def numpy_functions(config):
    """`{name: (f, f_derivative)}` with the config's alpha and beta bound."""
    from models.reference import activations as act  # after parsing: models/ imports TensorFlow

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
    """`{name: (description, keras function on a float64 tensor)}`."""
    import keras

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
    """Max |numpy - Keras| of each function and derivative (GradientTape), in float64."""
    import tensorflow as tf

    from models.reference import activations as act

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


def _draw(ax, x, name, functions, config, legend=True, check=None):
    f, f_prime = functions[name]
    ax.plot(x, f(x), label="f(x)")
    derivative_label = "diagonal of the Jacobian g(1 - g)" if name == "softmax" else "f'(x)"
    ax.plot(x, f_prime(x), linestyle="--", label=derivative_label)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    title = TITLES[name].format(alpha=config.leaky_alpha, beta=config.swish_beta)
    if check is not None:  # a second title line: a footer would sit on the x-axis label
        title += f"\nmax |derivative - GradientTape| = {check:.2g}"
    ax.set(title=title, xlabel="x", ylabel="value")
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize="small")


def _plots(experiment, x, config, results):
    from labs.kit.plotting import plt
    from models.reference import activations as act

    functions = numpy_functions(config)
    for name in functions:
        check = results[name]["max_abs_error_derivative"]
        if name == "softmax":
            fig, (ax, ax_jac) = plt.subplots(1, 2, figsize=(12, 4.5))
            _draw(ax, x, name, functions, config, check=check)
            ax.set_yscale("log")
            ax.set_ylabel("value (log scale)")
            # Over 1,201 points the Jacobian is almost diagonal (every g_j is tiny); on the five
            # grid points -2..2 its negative off-diagonal terms -g_i g_j show.
            small = x[np.isin(np.round(x, 6), [-2.0, -1.0, 0.0, 1.0, 2.0])]
            jacobian = act.softmax_jacobian(small)
            limit = np.abs(jacobian).max()
            image = ax_jac.imshow(jacobian, cmap="RdBu_r", vmin=-limit, vmax=limit)
            for (i, j), value in np.ndenumerate(jacobian):
                ax_jac.text(
                    j,
                    i,
                    f"{value:.3f}",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if abs(value) > 0.6 * limit else "black",
                )
            labels = [f"{v:g}" for v in small]
            ax_jac.set_xticks(range(small.size), labels)
            ax_jac.set_yticks(range(small.size), labels)
            fig.colorbar(image, ax=ax_jac, label="dg_i / dx_j")
            ax_jac.set(
                title="Jacobian g_i (delta_ij - g_j) of softmax([-2, -1, 0, 1, 2])",
                xlabel="x_j",
                ylabel="x_i",
            )
        else:
            fig, ax = plt.subplots(figsize=(6.5, 4.5))
            _draw(ax, x, name, functions, config, check=check)
        experiment.save_figure(fig, f"{name}.png")

    fig, axes = plt.subplots(2, 4, figsize=(18, 8))
    for ax, name in zip(axes.flat, functions, strict=True):
        _draw(ax, x, name, functions, config, legend=(name == "step"))
    fig.suptitle("The course's activation functions (solid) and derivatives (dashed)")
    fig.tight_layout()
    experiment.save_figure(fig, "overview.png")


def main(argv=None):
    parser = kit.make_parser("activations", __doc__, PRESETS)
    args = parser.parse_args(argv)
    config = kit.configure(PRESETS[args.preset], args)
    with kit.Experiment("activations", args, config) as experiment:
        x = np.arange(config.x_start, config.x_stop + 1) * config.x_scale  # the course's grid
        results = check_against_keras(x, config)
        for name, r in results.items():
            print(
                f"{name:11s} max |value - Keras| {r['max_abs_error_value']:.2g}   "
                f"max |derivative - GradientTape| {r['max_abs_error_derivative']:.2g}"
            )
        if experiment.plots:
            _plots(experiment, x, config, results)
        experiment.results.update(
            {
                "points": int(x.size),
                "check": "float64; derivatives by tf.GradientTape (tape.jacobian for softmax)",
                "functions": results,
                "max_abs_error_derivative": max(
                    r["max_abs_error_derivative"] for r in results.values()
                ),
            }
        )
        return experiment.finish()


if __name__ == "__main__":
    kit.run(main)
