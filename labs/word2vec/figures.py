"""The word2vec lab's plots: the loss, a PCA map, a cosine heat map, relations as offsets."""

import numpy as np

from labs import kit
from labs.kit import plt

HEATMAP_WORDS = (
    "monday",
    "friday",
    "january",
    "june",
    "stock",
    "shares",
    "bonds",
    "company",
    "firm",
    "president",
    "chairman",
    "car",
    "truck",
    "japan",
    "china",
    "germany",
)
ARROWS = {
    "gender": (
        ("man", "woman"),
        ("he", "she"),
        ("his", "her"),
        ("mr.", "mrs."),
        ("king", "queen"),
        ("father", "mother"),
    ),
    "past tense": (
        ("take", "took"),
        ("go", "went"),
        ("make", "made"),
        ("buy", "bought"),
        ("say", "said"),
        ("rise", "rose"),
    ),
}


def _pca(vectors):
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T  # (words, 2)


def plot_loss(name, history, optimizer):
    """The training loss per epoch."""
    reduction = "summed over" if optimizer == "sgd" else "mean of"
    return kit.plot_histories(
        {name: history},
        "loss",
        title=f"{name}: training loss per epoch",
        ylabel=f"negative-sampling loss ({reduction} a batch)",
    )


def plot_pca(name, keyed, count=300):
    """The `count` most frequent words on the first two principal components."""
    frequent = keyed.index_to_key[:count]  # ids are ordered by frequency
    points = _pca(keyed[frequent])
    fig, ax = plt.subplots(figsize=(14, 11))
    ax.scatter(points[:, 0], points[:, 1], s=4, color="C0")
    for word, (x, y) in zip(frequent, points, strict=True):
        ax.annotate(
            word, (x, y), fontsize=6.5, alpha=0.8, xytext=(2, 2), textcoords="offset points"
        )
    ax.set(
        title=f"{name}: the {count} most frequent PTB words, first two principal components",
        xlabel="PC 1",
        ylabel="PC 2",
    )
    return fig


def plot_similarity(name, keyed):
    """Cosine similarity of hand-picked words (those in the vocabulary)."""
    chosen = [word for word in HEATMAP_WORDS if word in keyed.key_to_index]
    unit = keyed[chosen] / np.linalg.norm(keyed[chosen], axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    image = ax.imshow(unit @ unit.T, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(chosen)), chosen, rotation=60, ha="right")
    ax.set_yticks(range(len(chosen)), chosen)
    fig.colorbar(image, ax=ax, label="cosine similarity")
    ax.set(title=f"{name}: cosine similarity of hand-picked words")
    return fig


def plot_analogies(name, keyed):
    """Word pairs of a relation as arrows on a PCA of their words: parallel arrows = analogies."""
    fig, axes = plt.subplots(1, len(ARROWS), figsize=(13, 5.5))
    for ax, (relation, pairs) in zip(axes, ARROWS.items(), strict=True):
        pairs = [p for p in pairs if all(word in keyed.key_to_index for word in p)]
        points = _pca(keyed[[word for pair in pairs for word in pair]]).reshape(-1, 2, 2)
        for (start, end), (a, b) in zip(points, pairs, strict=True):
            ax.annotate("", end, start, arrowprops={"arrowstyle": "->", "color": "C1"})
            ax.annotate(a, start, fontsize=9, color="C0")
            ax.annotate(b, end, fontsize=9, color="C3")
        ax.scatter(points[:, 0, 0], points[:, 0, 1], color="C0", s=12, label="first word")
        ax.scatter(points[:, 1, 0], points[:, 1, 1], color="C3", s=12, label="second word")
        ax.set(
            title=f"{relation}: word -> its pair (PCA of these words)", xlabel="PC 1", ylabel="PC 2"
        )
        ax.legend(fontsize="small")
    fig.suptitle(f"{name}: relations as offsets (parallel arrows = an analogy that works)")
    return fig
