"""The dialogue lab's plots: perplexities against the two optima, the models' replies to the same
contexts, VHRED's KL per epoch with its annealing weight.

Sentences are drawn in English (`labs.data.dialogue.translate`): matplotlib's default fonts have
no Japanese glyphs.
"""

import collections

from labs.data import dialogue as task
from labs.kit import plt

COLORS = {"seq2seq": "C0", "hred": "C1", "vhred": "C2"}
# One context of each kind of opening, over four topics: what replies.png shows.
SHOWN_CONTEXTS = (0, 40, 69, 90)  # indices into labs.data.dialogue.all_contexts()


def perplexities(results, optima, elbo=None):
    """Bars: each model's test perplexity; lines: the two optima; VHRED's ELBO bound hatched.

    Args:
        results: `{model: ModelMetrics}`.
        optima: `{"context": float, "last_utterance": float}`.
        elbo: VHRED's ELBO perplexity (a looser bound than its importance-sampled one), or None.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5))
    names = list(results)
    values = [results[name]["perplexity"] for name in names]
    bars = ax.bar(names, values, color=[COLORS.get(name, "C3") for name in names], width=0.6)
    for bar, value, name in zip(bars, values, names, strict=True):
        gap = value / results[name]["optimum_perplexity"] - 1
        ax.annotate(
            f"{value:.3f}\n({gap:+.1%} of its optimum)",
            (bar.get_x() + bar.get_width() / 2, value),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    if elbo is not None and "vhred" in names:
        index = names.index("vhred")
        ax.bar(
            index + 0.33, elbo, width=0.25, color="white", edgecolor="C2", hatch="//",
            label=f"VHRED ELBO bound ({elbo:.3f})",
        )  # fmt: skip
    for sees, style in (("last_utterance", "--"), ("context", ":")):
        seen = sees.replace("_", " ") if sees != "context" else "whole context"
        label = f"optimum seeing the {seen} ({optima[sees]:.3f})"
        ax.axhline(optima[sees], color="0.3", linestyle=style, label=label)
    ax.set_ylim(1.0, max(values + [optima["last_utterance"]]) * 1.25)
    ax.set(
        title="Test perplexity per reply token (VHRED: importance-sampled bound)",
        ylabel="perplexity (lower is better)",
    )
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=1)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _cell(row):
    """A context's replies over its samples, most frequent first, in English:
    `3x parakeets: so cute, right?`."""
    counts = collections.Counter(row).most_common()
    return "\n".join(f"{n}x {task.translate(reply)}" for reply, n in counts)


def reply_table(contexts, topics, replies, shown=SHOWN_CONTEXTS):
    """A table image: a few contexts (rows) and each model's replies to them (columns).

    Args:
        contexts: every context, `labs.data.dialogue.all_contexts()[0]`.
        topics: their topic indices.
        replies: `{model: (contexts, samples) reply texts}`.
        shown: which contexts to show.
    """
    names = list(replies)
    samples = len(next(iter(replies.values()))[0]) if replies else 0
    rows = []
    for index in shown:
        speakers = "ABA"[-len(contexts[index]) :]
        context = "\n".join(
            f"{who}: {task.translate(turn)}"
            for who, turn in zip(speakers, contexts[index], strict=True)
        )
        rows.append([context] + [_cell(replies[name][index]) for name in names])
    lines = max(len(cell.splitlines()) for row in rows for cell in row)
    fig, ax = plt.subplots(figsize=(4 + 3.2 * len(names), 1.0 + 0.32 * lines * len(rows)))
    ax.axis("off")
    table = ax.table(
        cellText=rows,
        colLabels=["context (in English)"] + [f"{name}" for name in names],
        cellLoc="left",
        loc="center",
        colWidths=[0.34] + [0.66 / max(1, len(names))] * len(names),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for (row, _), cell in table.get_celld().items():
        cell.set_height((0.32 * lines + 0.2) / (0.32 * lines * len(rows) + 0.9) if row else 0.06)
        cell.get_text().set_wrap(True)
    ax.set_title(
        f"Greedy replies to the same contexts, {samples} samples each "
        "(VHRED: a new z from the prior each time)",
        fontsize="medium",
        pad=14,
    )
    return fig


def kl_curve(history):
    """VHRED's KL(q || p) per epoch (training and validation) and the annealed KL weight."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    epochs = range(1, len(history["kl"]) + 1)
    ax.plot(epochs, history["kl"], marker=".", color="C2", label="KL, training (word drop on)")
    if "val_kl" in history:
        ax.plot(epochs, history["val_kl"], marker=".", linestyle="--", color="C2",
                label="KL, validation")  # fmt: skip
    ax.axhline(0.5, color="0.5", linestyle=":", label="0.5 nats (below: posterior collapse)")
    ax.set(title="VHRED: KL term per epoch and its annealing weight", xlabel="epoch",
           ylabel="KL(q(z | context, reply) || p(z | context)), nats per reply")  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    weight_axis = ax.twinx()
    weight_axis.plot(epochs, history["kl_weight"], color="0.3", marker="s", markersize=3,
                     label="KL weight (end of epoch)")  # fmt: skip
    weight_axis.set(ylabel="KL weight", ylim=(0, 1.05))
    handles = ax.get_legend_handles_labels()
    more = weight_axis.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], fontsize="small", loc="center right")
    return fig
