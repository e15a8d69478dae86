"""The language model's plots: perplexity per epoch, the gradient norm per step, the next word."""

import numpy as np

from labs import kit
from labs.kit import plt


def plot_perplexity(histories):
    """Train and valid perplexity per epoch of each run in `{label: history}`."""
    return kit.plot_histories(
        histories,
        "perplexity",
        log_scale=True,
        ylabel="perplexity (log scale)",
        title="Perplexity per epoch (exact softmax): train = a prefix of the "
        "training text, dropout off",
    )


def plot_norms(norms, clip_norm, preset):
    """The global gradient norm of every step before clipping, against the clip threshold."""
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(np.arange(1, norms.size + 1), norms, linewidth=0.5, label="global norm before clipping")
    ax.axhline(clip_norm, color="C3", linestyle="--", label=f"clip threshold {clip_norm:g}")
    ax.set(
        title=f"{preset}: gradient norm per step ({np.mean(norms > clip_norm):.1%} clipped)",
        xlabel="training step",
        ylabel="global gradient norm (log scale)",
        yscale="log",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_top(vocabulary, probabilities, order, words, count=20):
    """The `count` most likely next words after `words`, as horizontal bars."""
    top = order[:count]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.barh(range(len(top))[::-1], probabilities[top], color="C0")
    ax.set_yticks(range(len(top))[::-1], [vocabulary[i] for i in top])
    ax.set(
        title=f'Next word after "{" ".join(words)}": the {len(top)} most likely',
        xlabel="probability",
        ylabel="next word",
    )
    ax.grid(axis="x", alpha=0.3)
    return fig
