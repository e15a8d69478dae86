"""The activations lab's plots: each function with its derivative, softmax's Jacobian, overview."""

import numpy as np

from labs.kit import plt
from models.reference import activations as act

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


def draw(ax, x, name, functions, config, legend=True, check=None):
    """Draws f (solid) and f' (dashed) of `functions[name]` on `ax`; `check`, the largest
    difference from GradientTape, goes on a second title line (a footer would sit on the x-axis
    label)."""
    f, f_prime = functions[name]
    ax.plot(x, f(x), label="f(x)")
    derivative_label = "diagonal of the Jacobian g(1 - g)" if name == "softmax" else "f'(x)"
    ax.plot(x, f_prime(x), linestyle="--", label=derivative_label)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    title = TITLES[name].format(alpha=config.leaky_alpha, beta=config.swish_beta)
    if check is not None:
        title += f"\nmax |derivative - GradientTape| = {check:.2g}"
    ax.set(title=title, xlabel="x", ylabel="value")
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize="small")


def plot_function(x, name, functions, config, check):
    """One function and its derivative; softmax adds its Jacobian on five grid points."""
    if name != "softmax":
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        draw(ax, x, name, functions, config, check=check)
        return fig
    fig, (ax, ax_jac) = plt.subplots(1, 2, figsize=(12, 4.5))
    draw(ax, x, name, functions, config, check=check)
    ax.set_yscale("log")
    ax.set_ylabel("value (log scale)")
    # Over 1,201 points the Jacobian is almost diagonal (every g_j is tiny); on the five grid
    # points -2..2 its negative off-diagonal terms -g_i g_j show.
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
    return fig


def plot_overview(x, functions, config):
    """All eight functions side by side."""
    fig, axes = plt.subplots(2, 4, figsize=(18, 8))
    for ax, name in zip(axes.flat, functions, strict=True):
        draw(ax, x, name, functions, config, legend=(name == "step"))
    fig.suptitle("The course's activation functions (solid) and derivatives (dashed)")
    fig.tight_layout()
    return fig
