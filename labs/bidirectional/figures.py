"""The spoken-digit lab's figures and its printed table."""

import numpy as np
from matplotlib import patches, ticker

from labs import kit
from labs.bidirectional.clipping_study import PREFIX as STUDY_PREFIX
from labs.data.spoken_digit import NUM_CLASSES, SAMPLE_RATE
from labs.kit.plotting import plt
from models.audio_layers import LogMelSpectrogram


def save_figures(experiment, best_runs, train, study_steps):
    """Writes every figure of a run.

    Args:
        experiment: the run's `Experiment` (its metrics so far: `preset`, `models`, `best`).
        best_runs: `{held-out speaker or None: TrainedModel}` of the best architecture.
        train: a training split (examples for `digits.png`).
        study_steps: the clipping study's per-step values, or None.
    """
    metrics = experiment.metrics
    augmented = not experiment.config.course_models  # the modern models augment in training
    histories = {  # the lab's models; the clipping study has its own figures
        name: history
        for name, history in experiment.histories.items()
        if not name.startswith(STUDY_PREFIX)
    }
    for metric in ("accuracy", "loss"):
        fig = history_figure(histories, metric, metrics["preset"], augmented)
        experiment.save_figure(fig, f"training_{metric}.png")
    experiment.save_figure(comparison_figure(metrics), "comparison.png")
    experiment.save_figure(
        confusion_figure(best_runs, metrics["best"]["name"]), "confusion_matrix.png"
    )
    experiment.save_figure(digits_figure(train), "digits.png")
    if study_steps:
        experiment.save_figure(study_figure(study_steps, "gradient_norm"), "gradient_norms.png")
        experiment.save_figure(study_figure(study_steps, "step_loss"), "clipping_loss.png")


AUGMENTATION_NOTE = (
    "training values are taken on augmented clips (random delay, speed, noise, "
    "SpecAugment masks) with dropout on;\nvalidation clips are clean, so "
    "validation can look better than training"
)


def history_figure(histories, metric, preset, augmented):
    """Training and validation `metric` per epoch of every run (`{run: Keras history}`).

    Runs of one epoch each (the course preset) are bars, train beside validation, since a curve of
    one point per run says nothing; losses are on a log axis so an early spike does not flatten
    the rest.
    """
    title = f"{metric.capitalize()} per epoch ({preset} preset)"
    if all(len(history.get(metric, [])) == 1 for history in histories.values()):
        return _one_epoch_figure(histories, metric, preset)
    fig = kit.plot_histories(
        histories,
        metric,
        title=title,
        log_scale=metric == "loss",
        ylabel=f"{metric} (log scale)" if metric == "loss" else None,
    )
    ax = fig.axes[0]
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    if metric == "loss":  # plain numbers (0.05, 0.1, 0.5 ...) on the log axis, not 10^-1
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(
            ticker.FuncFormatter(lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else "")
        )
    if augmented:
        ax.annotate(
            AUGMENTATION_NOTE,
            (0.5, -0.16),
            xycoords="axes fraction",
            ha="center",
            va="top",
            fontsize="x-small",
            color="0.3",
        )
    return fig


def _one_epoch_figure(histories, metric, preset):
    names = list(histories)
    positions = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    handles = []
    for offset, key, label, hatch in (
        (-0.2, metric, "train (mean over the epoch)", ""),
        (0.2, f"val_{metric}", "validation (after it)", "//"),
    ):
        values = [histories[name].get(key, [np.nan])[-1] for name in names]
        bars = ax.bar(
            positions + offset,
            values,
            0.4,
            edgecolor="black",
            hatch=hatch,
            color=[f"C{i}" for i in range(len(names))],
        )
        ax.bar_label(bars, fmt="{:.3f}", fontsize="x-small")
        handles.append(patches.Patch(facecolor="0.85", edgecolor="black", hatch=hatch, label=label))
    if metric == "accuracy":
        handles.append(
            ax.axhline(1 / NUM_CLASSES, color="0.3", linestyle=":", label="chance (10 %)")
        )
        ax.set_ylim(0, 1.05)
    ax.set_xticks(positions, names)
    ax.set(
        title=f"{metric.capitalize()} after one epoch ({preset} preset)",
        xlabel="model",
        ylabel=metric,
    )
    ax.legend(handles=handles, fontsize="small")
    return fig


def comparison_figure(metrics):
    names = list(metrics["models"])
    panels = (
        ("test_accuracy", "test accuracy", "{:.3f}"),
        ("params", "parameters", "{:,.0f}"),
        ("epoch_seconds", "seconds per epoch", "{:.2f}"),
    )
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
    for ax, (key, label, fmt) in zip(axes, panels, strict=True):
        values = [metrics["models"][name][key] for name in names]
        bars = ax.bar(names, values, color=[f"C{i}" for i in range(len(names))])
        ax.bar_label(bars, fmt=fmt, fontsize="small")
        ax.set(title=label, xlabel="model", ylabel=label)
        ax.tick_params(axis="x", rotation=30)
    if "ensemble" in metrics:  # the models voting: an accuracy and a size, no speed of its own
        for ax, key, fmt in ((axes[0], "test_accuracy", "{:.3f}"), (axes[1], "params", "{:,.0f}")):
            bars = ax.bar(
                ["ensemble"],
                [metrics["ensemble"][key]],
                color="white",
                edgecolor="black",
                hatch="//",
            )
            ax.bar_label(bars, fmt=fmt, fontsize="small")
    axes[0].axhline(1 / NUM_CLASSES, color="0.3", linestyle=":")
    axes[0].annotate(
        "chance\n10 %",
        (1, 1 / NUM_CLASSES),
        xycoords=("axes fraction", "data"),
        xytext=(3, 0),
        textcoords="offset points",
        va="center",
        fontsize="x-small",
        color="0.3",
    )
    folds = list(next(iter(metrics["models"].values())).get("folds", {}))  # held-out speakers
    if len(folds) > 1:
        axes[0].set_title(f"test accuracy, mean over {len(folds)} unseen speakers")
    elif folds:
        axes[0].set_title(f"test accuracy on unseen speaker {folds[0]}")
    axes[0].set_ylim(0, 1.05)
    axes[1].yaxis.set_major_formatter("{x:,.0f}")
    fig.suptitle(f"{metrics['preset']} preset, {metrics['split']} split")
    return fig


def confusion_figure(runs, name):
    """Confusion matrix of model `name` over the test clips of every fold in `runs`
    (`{held-out speaker or None: TrainedModel}`)."""
    labels = np.concatenate([run.test_labels for run in runs.values()])
    predicted = np.concatenate([run.test_predictions for run in runs.values()])
    if None in runs:
        tested = "the test split"
    elif len(runs) == 1:
        tested = f"held-out {next(iter(runs))}"
    else:  # each speaker scored by the model of the fold that held it out
        tested = f"{len(runs)} held-out speakers"
    matrix = np.bincount(labels * NUM_CLASSES + predicted, minlength=NUM_CLASSES**2).reshape(
        NUM_CLASSES, NUM_CLASSES
    )
    fig, ax = plt.subplots(figsize=(6, 5.5))
    image = ax.imshow(matrix, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            ax.text(
                col,
                row,
                count,
                ha="center",
                va="center",
                color="white" if count > matrix.max() / 2 else "black",
                fontsize="small",
            )
    ax.set(
        title=f"Confusion matrix of {name}\n"
        f"on {tested} ({(predicted == labels).mean():.1%} correct)",
        xlabel="predicted digit",
        ylabel="spoken digit",
        xticks=range(NUM_CLASSES),
        yticks=range(NUM_CLASSES),
    )
    fig.colorbar(image, ax=ax, label="clips")
    return fig


def digits_figure(train):
    examples = {}
    for example in train:
        examples.setdefault(int(example["label"]), example["audio"].numpy())
        if len(examples) == NUM_CLASSES:
            break
    columns = 5
    rows = 2 * -(-len(examples) // columns)  # a waveform row above a spectrogram row
    fig, axes = plt.subplots(
        rows, columns, figsize=(3 * columns, 2 * rows), layout="constrained", squeeze=False
    )
    front_end = LogMelSpectrogram()
    peak = max(np.abs(audio).max() for audio in examples.values()) * 1.05  # one y scale for all
    for index, digit in enumerate(sorted(examples)):
        row, col = 2 * (index // columns), index % columns
        wave_ax, mel_ax = axes[row, col], axes[row + 1, col]
        audio = examples[digit].astype(np.float32)
        seconds = len(audio) / SAMPLE_RATE
        wave_ax.plot(np.arange(len(audio)) / SAMPLE_RATE, audio, linewidth=0.5)
        wave_ax.set(
            title=f"digit {digit}", xlim=(0, seconds), ylim=(-peak, peak), ylabel="amplitude"
        )
        mel = front_end(audio[None, :]).numpy()[0]
        image = mel_ax.imshow(
            mel.T,
            origin="lower",
            aspect="auto",
            cmap="magma",
            vmin=0,
            vmax=1,
            extent=(0, seconds, 0, mel.shape[1]),
        )
        mel_ax.set(xlabel="seconds", ylabel="mel bin")
    fig.colorbar(
        image,
        ax=axes[1::2, :].ravel().tolist(),
        shrink=0.8,
        label="log-mel level: 0 = 80 dB below the clip's peak, 1 = its peak",
    )
    fig.suptitle(
        "One recording per digit: waveform (16-bit samples, the same scale in every "
        "panel) and the log-mel spectrogram the model sees"
    )
    return fig


def study_figure(steps, key):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, values in steps.items():
        ax.plot(np.arange(1, len(values[key]) + 1), values[key], label=label, linewidth=0.8)
    ax.set_yscale("log")
    what = "global gradient norm (before clipping)" if key == "gradient_norm" else "training loss"
    ax.set(
        title=f"Course LSTM(64) on raw samples: {what} per step",
        xlabel="training step",
        ylabel=what + " (log scale)",
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return fig


def print_table(metrics):
    """Prints the run's results as a table, one row per model."""
    print(f"\n{metrics['preset']} preset, {metrics['split']} split")
    print(f"{'model':<12}{'params':>10}{'epochs':>8}{'s/epoch':>9}{'val acc':>9}{'test acc':>10}")
    best = "  <- best (by validation)"
    for name, row in metrics["models"].items():
        marker = best if name == metrics["best"]["name"] else ""
        print(
            f"{name:<12}{row['params']:>10,}{row['epochs']:>8g}{row['epoch_seconds']:>9.1f}"
            f"{row['val_accuracy']:>9.3f}{row['test_accuracy']:>10.3f}{marker}"
        )
    if "ensemble" in metrics:
        row = metrics["ensemble"]
        marker = best if metrics["best"]["name"] == "ensemble" else ""
        print(
            f"{'ensemble':<12}{row['params']:>10,}{'':>17}{row['val_accuracy']:>9.3f}"
            f"{row['test_accuracy']:>10.3f}{marker or '  '}  (the {len(row['models'])} "
            "models' probabilities averaged)"
        )
    for label, run in metrics.get("clipping_study", {}).get("runs", {}).items():
        norm = run["gradient_norm"]
        print(
            f"clipping study, {label:<14} median |g| {norm['median']:.3g}, "
            f"max {norm['max']:.3g}, "
            f"final loss {run['final_loss']:.3f}, val acc {run['val_accuracy']:.3f}"
        )
