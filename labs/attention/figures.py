"""The attention lab's plots: exact match per epoch, attention heat maps."""

import numpy as np

from labs.attention import TARGET
from labs.kit import plt


def plot_exact_match(variants, task):
    """Test exact match per epoch, one line per variant (DLFS2 fig. 8-26)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, metrics in variants.items():
        scores = [100 * score for score in metrics["test_exact_match_per_epoch"]]
        ax.plot(range(1, len(scores) + 1), scores, marker="o", label=name)
    ax.axhline(100 * TARGET, color="0.5", linestyle=":", linewidth=1, label="99.9 %")
    ax.set(
        title=f"{task.name}: greedy answers exactly right on {len(task.x_test):,} test questions",
        xlabel="epoch",
        ylabel="test exact match (%)",
        ylim=(-2, 102),
    )
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(title="variant")
    return fig


def plot_attention(task, variant, predicted, weights, rows):
    """Heat maps of attention weights: question characters across, answer characters down.

    The colour scale runs from the smallest weight shown to the largest (about 0 to 1 for a
    trained model, whose weights peak on one character): an untrained model (a --quick run)
    spreads its weights almost evenly, about 1/length each, which on a fixed 0..1 scale is one
    flat black.
    """
    questions = [task.decode(task.x_test[row]).rstrip() for row in rows]
    shown = [
        weights[row][:, : len(question)] for row, question in zip(rows, questions, strict=True)
    ]
    low, top = min(float(np.min(w)) for w in shown), max(float(np.max(w)) for w in shown)
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 4.2), squeeze=False)
    for ax, row, question, image_weights in zip(axes[0], rows, questions, shown, strict=True):
        answer = task.decode(predicted[row, 1:])
        image = ax.imshow(image_weights, cmap="gray", vmin=low, vmax=top, aspect="auto")
        ax.set_xticks(range(len(question)), list(question.replace(" ", "␣")), fontsize=8)
        ax.set_yticks(range(len(answer)), list(answer.replace(" ", "␣")), fontsize=8)
        ax.set(title=f"{question!r}", xlabel="question (input)", ylabel="answer (output)")
    fig.suptitle(
        f"{variant}: attention weights of each output character over the test "
        f"question (trailing padding not shown; black {low:.3g}, white {top:.3g})"
    )
    fig.tight_layout()
    fig.colorbar(image, ax=axes[0].tolist(), label="attention weight", fraction=0.02)
    return fig
