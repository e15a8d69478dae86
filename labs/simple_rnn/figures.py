"""The simple_rnn lab's plots: loss per variant, gradient norm per iteration, accuracy."""

import numpy as np

from labs.kit import plt


def _window_mean(values, window):
    """Mean of each consecutive `window` values (the last, shorter window included)."""
    return np.array([values[i : i + window].mean() for i in range(0, len(values), window)])


def plot_loss(histories, config):
    """Every variant's loss, the mean of each `plot_interval` iterations, log scale."""
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for index, (name, history) in enumerate(histories.items()):
        means = _window_mean(history["loss"], config.plot_interval)
        starts = np.arange(len(means)) * config.plot_interval
        ax.plot(starts, means, color=f"C{index}", label=name)
    ax.set(
        title=f"Binary addition RNN: loss per variant ({config.output_derivative} derivative)",
        xlabel="iteration",
        ylabel=f"loss, mean of each {config.plot_interval} iterations",
    )
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return fig


def plot_grad_norm(histories, metrics, config):
    """One panel per variant on a shared log axis: He + ReLU's spikes stand out against the rest."""
    fig, axes = plt.subplots(
        len(histories),
        1,
        figsize=(8, 1.9 * len(histories) + 0.8),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for index, (ax, (name, history)) in enumerate(zip(axes[:, 0], histories.items(), strict=True)):
        norms = history["grad_norm"]
        ax.plot(
            np.arange(1, len(norms) + 1),
            norms,
            color=f"C{index}",
            lw=0.4,
            alpha=0.7,
            label="each iteration",
        )
        peaks = [
            norms[i : i + config.plot_interval].max()
            for i in range(0, len(norms), config.plot_interval)
        ]
        ax.plot(
            np.arange(len(peaks)) * config.plot_interval + 1,
            peaks,
            color="black",
            lw=1,
            label=f"max of each {config.plot_interval}",
        )
        ax.set_yscale("log")
        ax.set_ylabel("||gradient||")
        ax.set_title(
            f"{name}: max {metrics[name]['max_grad_norm']:.3g}", fontsize="medium", loc="left"
        )
        ax.grid(alpha=0.3, which="major")
    axes[0, 0].legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("iteration")
    fig.suptitle("Gradient norm per iteration (W_in, W, W_out together), log scale")
    fig.tight_layout()
    return fig


def plot_accuracy(metrics, config, seed):
    """Exact-sum accuracy per variant on the fresh additions."""
    fig, ax = plt.subplots(figsize=(8, 4))
    names = list(metrics)
    accuracies = [metrics[name]["accuracy"] for name in names]
    bars = ax.bar(names, accuracies, color=[f"C{i}" for i in range(len(names))])
    ax.bar_label(bars, labels=[f"{a:.1%}" for a in accuracies])
    # One seed's result: He + ReLU's moves with the seed and the CPU (README: spread over seeds).
    ax.set(
        title=f"Exact-sum accuracy on {config.eval_additions:,} fresh additions (seed {seed})",
        xlabel="variant",
        ylabel="accuracy",
        ylim=(0, 1.1),
    )
    return fig
