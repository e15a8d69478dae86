"""The augmentation lab's figures: tile titles that say what each image got, the image grids,
and the study's accuracy-against-N plots."""

import re

import numpy as np

from augmentation import rand_augment_ops
from labs.kit import plt


def describe(params, index, op=None):
    """Short text of image `index`'s sampled parameters, e.g. 'factor=0.47'."""
    params = dict(params)
    parts = []
    if "op_index" in params and hasattr(op, "ops"):  # RandAugment: name the chosen ops
        chosen = [op.ops[i] for i in np.asarray(params.pop("op_index"))[index]]
        signs = np.asarray(params.pop("sign"))[index]
        magnitudes = np.asarray(params.pop("magnitude"))[index]
        for name, sign, magnitude in zip(chosen, signs, magnitudes, strict=True):
            if name in rand_augment_ops.OPS_WITHOUT_MAGNITUDE:
                parts.append(name)
            elif name in rand_augment_ops.SIGNED_OPS:  # the sign is the direction
                parts.append(f"{name} {'-+'[int(sign > 0)]}{magnitude:.2f}")
            else:  # solarize, posterize: a strength, no direction
                parts.append(f"{name} {magnitude:.2f}")
    if "erase" in params:  # RandomErasing: the box and fill only where it erased
        if not np.asarray(params.pop("erase"))[index]:
            return "not erased"
        top, left, height, width = np.asarray(params.pop("box"))[index]
        parts.append(f"box {height}x{width} at y={top}, x={left}")
    if "offset" in params:  # RandomCrop: (top, left) of the window
        top, left = np.asarray(params.pop("offset"))[index]
        parts.append(f"window at y={top}, x={left}")
    for key, value in params.items():
        value = np.asarray(value)[index]
        if value.size > 4:  # e.g. a per-pixel fill
            continue
        if value.size == 1:
            value = value.reshape(())  # a per-image scalar kept as (1, 1, 1): print it as one
        if value.dtype == bool:
            parts.append(key.replace("flip_", "") if value.all() else "")
        elif np.issubdtype(value.dtype, np.floating) and value.ndim == 0:
            parts.append(f"{key}={float(value):.2f}")
        elif np.issubdtype(value.dtype, np.floating):
            parts.append(f"{key}={np.array2string(value, precision=2, separator=',')}")
        else:
            parts.append(f"{key}={np.array2string(value, separator=',')}")
    return "\n".join(p for p in parts if p) or "unchanged"


def describe_pipeline(steps, index, width=32):
    """What pipeline image `index` got, compactly: the steps applied to it with their values,
    joined into lines of about `width` characters, e.g. 'flip left-right, contrast 0.43' /
    'brightness -0.47, rot90 k=1'."""
    parts = []
    for step in steps:
        if not np.asarray(step["applied"])[index]:
            continue
        name = type(step["op"]).__name__.replace("Random", "").lower()
        params = step["params"]
        if params is None:
            parts.append(name)
            continue
        text = describe({k: v.numpy() for k, v in params.items()}, index, step["op"])
        if text in ("", "unchanged", "not erased"):
            continue  # e.g. a flip whose coin said no
        lines = text.split("\n")
        if name == "flip":
            parts += [
                {"horizontal": "flip left-right", "vertical": "flip up-down"}[t] for t in lines
            ]
            continue
        # 'delta=-0.47' -> 'brightness -0.47': the op's name says what the value is.
        first = lines[0]
        if re.fullmatch(r"[a-z_]+=\S+", first) and not first.startswith("k="):
            first = first.split("=", 1)[1]
        parts += [f"{name} {first}", *lines[1:]]
    lines = []
    for part in parts:
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += f", {part}"
        else:
            lines.append(part)
    return "\n".join(lines) or "unchanged"


def show_grid(images, titles, title, columns, footer=None, true_scale=False):
    """A grid of images (values clipped to [0, 1]) with a title per tile; returns the figure.

    With `true_scale`, every tile has the first image's pixel extent, so a smaller image (a
    crop) is drawn at its real size in the corner instead of being stretched to the tile.
    """
    rows = int(np.ceil(len(images) / columns))
    title_lines = max(str(t).count("\n") + 1 for t in titles)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(2.2 * columns, (2.3 + 0.13 * title_lines) * rows + 0.4 + (0.4 if footer else 0.0)),
        squeeze=False,
    )
    for ax in axes.flat:
        ax.axis("off")
    full_height, full_width = np.shape(images[0])[:2]
    # The grid can have more tiles than images: the spare ones stay blank.
    for ax, image, tile_title in zip(axes.flat, images, titles, strict=False):
        height, width = np.shape(image)[:2]
        ax.imshow(np.clip(image, 0.0, 1.0), extent=(0, width, height, 0))
        if true_scale:
            ax.set_xlim(0, full_width)
            ax.set_ylim(full_height, 0)
            ax.axis("on")  # a frame shows the full tile the crop sits in
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_title(tile_title, fontsize=7)
    fig.suptitle(title)
    if footer:
        fig.text(0.5, 0.005, footer, ha="center", va="bottom", fontsize=8, wrap=True)
    fig.tight_layout(rect=(0, 0.05 if footer else 0, 1, 1))
    return fig


def describe_accuracy(cell):
    """'0.8123 (0.8050-0.8190)': a cell's mean test accuracy and its range over seeds."""
    accuracy = cell["test_accuracy"]
    return f"{accuracy['mean']:.4f} ({accuracy['min']:.4f}-{accuracy['max']:.4f})"


def study_table(results, seeds):
    """The study's results as Markdown tables: test accuracy, mean (min-max) over the seeds."""
    lines = [f"Test accuracy, mean (min-max) over seeds {', '.join(map(str, seeds))}.", ""]
    if results["images"]:
        sizes = list(results["images"])
        names = list(results["images"][sizes[0]])
        lines += [
            "Fashion-MNIST, small CNN",
            "",
            "| augmentation | " + " | ".join(f"N = {int(n):,}" for n in sizes) + " |",
            "|---|" + "---|" * len(sizes),
        ]
        for name in names:
            row = [describe_accuracy(results["images"][n][name]) for n in sizes]
            lines.append(f"| {name} | " + " | ".join(row) + " |")
        lines.append("")
    for task, by_model in results["text"].items():
        for kind, by_size in by_model.items():
            sizes = list(by_size)
            lines += [
                f"{task.upper()}, {kind.upper()}",
                "",
                "| augmentation | " + " | ".join(f"N = {int(n):,}" for n in sizes) + " |",
                "|---|" + "---|" * len(sizes),
            ]
            for name in by_size[sizes[0]]:
                row = [describe_accuracy(by_size[n][name]) for n in sizes]
                lines.append(f"| {name} | " + " | ".join(row) + " |")
            lines.append("")
    return "\n".join(lines)


def _accuracy_lines(ax, by_size, names, styles):
    """One line per name: mean test accuracy against N, error bars from the seeds' min to max."""
    sizes = [int(n) for n in by_size]
    for name in names:
        accuracy = [by_size[str(n)][name]["test_accuracy"] for n in sizes]
        mean = np.array([a["mean"] for a in accuracy])
        below = mean - np.array([a["min"] for a in accuracy])
        above = np.array([a["max"] for a in accuracy]) - mean
        ax.errorbar(
            sizes, mean, yerr=[below, above], capsize=3, marker="o", label=name, **styles(name)
        )
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.grid(alpha=0.3)


def plot_image_study(by_size, seeds):
    """Fashion-MNIST test accuracy against N (log axis), one line per augmentation."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    names = list(next(iter(by_size.values())))
    colors = {name: f"C{i}" for i, name in enumerate(names)}
    _accuracy_lines(
        ax,
        by_size,
        names,
        lambda name: {"color": colors[name], "linestyle": "--" if name == "none" else "-"},
    )
    ax.set(
        title="Fashion-MNIST, small CNN: test accuracy by training-set size",
        xlabel="training images N (log scale; a fifth of them for early stopping)",
        ylabel=f"test accuracy (mean; bars: min-max over {len(seeds)} seeds)",
    )
    ax.legend(title="augmentation", fontsize="small")
    return fig


def plot_text_study(results, seeds):
    """SST-2 and TREC test accuracy against N, with and without EDA, one panel per task."""
    fig, axes = plt.subplots(1, len(results), figsize=(6.5 * len(results), 4.8), squeeze=False)
    for ax, (task, by_model) in zip(axes[0], results.items(), strict=True):
        for index, (kind, by_size) in enumerate(by_model.items()):
            names = list(next(iter(by_size.values())))
            renamed = {str(n): {f"{kind} {k}": v for k, v in c.items()} for n, c in by_size.items()}
            _accuracy_lines(
                ax,
                renamed,
                [f"{kind} {name}" for name in names],
                lambda label, index=index: {
                    "color": f"C{index}",
                    "linestyle": "--" if label.endswith("none") else "-",
                },
            )
        ax.set(
            title=f"{task.upper()}: test accuracy with and without EDA",
            xlabel="training sentences N (log scale; a fifth for early stopping)",
            ylabel=f"test accuracy (mean; bars: min-max over {len(seeds)} seeds)",
        )
        ax.legend(title="model, augmentation", fontsize="small")
    return fig
