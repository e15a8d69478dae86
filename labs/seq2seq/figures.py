"""The seq2seq lab's plots: predictions against the truth, attention maps, error by step."""

import numpy as np

from labs.data.sincos import PLOT_WINDOWS
from labs.kit import plt


def plot_predictions(name, outputs, seed=0):
    """True cos vs teacher-forced and free-running predictions at the notebook's windows."""
    windows = outputs["windows"]
    fig, axes = plt.subplots(1, len(PLOT_WINDOWS), figsize=(16, 3.6), sharey=True)
    for ax, index in zip(axes, PLOT_WINDOWS, strict=True):
        x = windows.x[index]
        ax.plot(x, windows.encoder_input[index, :, 0], color="0.7", label="input sin")
        ax.plot(x, windows.target[index, :, 0], color="black", linewidth=2, label="true cos")
        ax.plot(x, outputs["teacher_forced"][index, :, 0], "--", color="C0", label="teacher-forced")
        ax.plot(
            x,
            outputs["free_running"][index, :, 0],
            ":",
            marker="o",
            markersize=3,
            color="C3",
            label="free-running (fed back)",
        )
        ax.set(title=f"window {index}", xlabel="x")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("value")
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.1)
    )
    fig.suptitle(f"{name} (seed {seed}): predicted cos vs true cos", y=1.02)
    return fig


def plot_attention(name, outputs, window=PLOT_WINDOWS[1]):
    """Heat map of one window's free-running attention weights (decoder step x encoder step)."""
    weights = outputs["attention"][window]  # (T_dec, T_enc)
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(weights, aspect="auto", origin="lower", cmap="viridis")
    ax.plot(
        [0, weights.shape[1] - 1],
        [0, weights.shape[0] - 1],
        ":",
        color="white",
        linewidth=1,
        label="same time step",
    )
    fig.colorbar(image, ax=ax, label="attention weight")
    ax.set(
        title=f"{name}: attention, window {window} (free-running)",
        xlabel="encoder step (sin)",
        ylabel="decoder step (cos)",
    )
    ax.legend(fontsize="small", loc="upper left")
    return fig


def plot_error_by_step(results):
    """Free-running squared error along the horizon, averaged over windows, one line per variant."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, outputs in results.items():
        error = np.mean((outputs["free_running"] - outputs["windows"].target) ** 2, axis=(0, 2))
        ax.plot(np.arange(1, len(error) + 1), error, marker=".", label=name)
    ax.set(
        title="Free-running error along the horizon",
        xlabel="decoder step",
        ylabel="MSE over the 76 windows",
        yscale="log",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig
