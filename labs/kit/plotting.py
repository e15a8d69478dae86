"""Plot helpers shared by the labs; everything renders off-screen with the Agg backend."""

import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)


def save_figure(fig, path, note=None):
    """Saves `fig` as a PNG at `path`, closes it, and returns the path.

    Args:
        fig: the matplotlib figure.
        path: the PNG file to write.
        note: a line of small grey text under everything the figure holds (axis labels and
            legends below the axes included), e.g. that the run was a `--quick` one.
    """
    path = pathlib.Path(path)
    if note:
        # Below the drawn content's bounding box, so it never overlaps an axis label.
        bottom = fig.get_tightbbox().y0 / fig.get_figheight()  # inches -> figure fraction
        fig.text(
            0.5,
            bottom - 0.01,
            note,
            ha="center",
            va="top",
            fontsize="small",
            color="0.35",
            style="italic",
        )
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_histories(histories, metric, *, title, ylabel=None, log_scale=False):
    """One line per run for `metric` (solid) and `val_<metric>` (dashed, same colour).

    Args:
        histories: `{run_name: keras History.history dict}`.
        metric: e.g. `"loss"` or `"accuracy"`.
        title: the figure title.
        ylabel: y-axis label; `metric` if None.
        log_scale: use a log y axis (useful for losses spanning decades).

    Returns:
        The matplotlib figure.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for index, (run, history) in enumerate(histories.items()):
        color = f"C{index % 10}"
        if metric in history:
            epochs = range(1, len(history[metric]) + 1)
            ax.plot(epochs, history[metric], color=color, marker=".", label=f"{run} train")
        if f"val_{metric}" in history:
            epochs = range(1, len(history[f"val_{metric}"]) + 1)
            ax.plot(
                epochs,
                history[f"val_{metric}"],
                color=color,
                linestyle="--",
                marker=".",
                label=f"{run} validation",
            )
    ax.set(title=title, xlabel="epoch", ylabel=ylabel or metric)
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig
