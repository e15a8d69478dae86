"""The spoken-digit lab's figures and its printed table."""

import numpy as np

from labs.data.spoken_digit import NUM_CLASSES, SAMPLE_RATE
from labs.kit.plotting import plt
from models.audio_layers import LogMelSpectrogram


def save_figures(experiment, metrics, best_runs, train, study_steps):
    """Writes every figure of a run.

    Args:
        experiment: the run's `kit.Experiment`.
        metrics: the run's metrics so far (`preset`, `models`, `best`, ...).
        best_runs: `{held-out speaker or None: TrainedModel}` of the best architecture.
        train: a training split (examples for `digits.png`).
        study_steps: the clipping study's per-step values, or None.
    """
    from labs import kit

    for metric, title in (("accuracy", "Accuracy per epoch"), ("loss", "Loss per epoch")):
        fig = kit.plot_histories(experiment.histories, metric,
                                 title=f"{title} ({metrics['preset']} preset)")
        experiment.save_figure(fig, f"training_{metric}.png")
    experiment.save_figure(comparison_figure(metrics), "comparison.png")
    experiment.save_figure(confusion_figure(best_runs, metrics["best"]["name"]),
                           "confusion_matrix.png")
    experiment.save_figure(digits_figure(train), "digits.png")
    if study_steps:
        experiment.save_figure(study_figure(study_steps, "gradient_norm"), "gradient_norms.png")
        experiment.save_figure(study_figure(study_steps, "step_loss"), "clipping_loss.png")


def comparison_figure(metrics):
    names = list(metrics["models"])
    panels = (("test_accuracy", "test accuracy", "{:.3f}"), ("params", "parameters", "{:,.0f}"),
              ("epoch_seconds", "seconds per epoch", "{:.2f}"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
    for ax, (key, label, fmt) in zip(axes, panels, strict=True):
        values = [metrics["models"][name][key] for name in names]
        bars = ax.bar(names, values, color=[f"C{i}" for i in range(len(names))])
        ax.bar_label(bars, fmt=fmt, fontsize="small")
        ax.set(title=label, xlabel="model", ylabel=label)
        ax.tick_params(axis="x", rotation=30)
    if "ensemble" in metrics:  # the models voting: an accuracy, with no size or speed of its own
        bars = axes[0].bar(["ensemble"], [metrics["ensemble"]["test_accuracy"]], color="white",
                           edgecolor="black", hatch="//")
        axes[0].bar_label(bars, fmt="{:.3f}", fontsize="small")
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
        NUM_CLASSES, NUM_CLASSES)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    image = ax.imshow(matrix, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            ax.text(col, row, count, ha="center", va="center",
                    color="white" if count > matrix.max() / 2 else "black", fontsize="small")
    ax.set(title=f"Confusion matrix of {name}\n"
                 f"on {tested} ({(predicted == labels).mean():.1%} correct)",
           xlabel="predicted digit", ylabel="spoken digit",
           xticks=range(NUM_CLASSES), yticks=range(NUM_CLASSES))
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
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 2 * rows), layout="constrained",
                             squeeze=False)
    front_end = LogMelSpectrogram()
    for index, digit in enumerate(sorted(examples)):
        row, col = 2 * (index // columns), index % columns
        wave_ax, mel_ax = axes[row, col], axes[row + 1, col]
        audio = examples[digit].astype(np.float32)
        seconds = len(audio) / SAMPLE_RATE
        wave_ax.plot(np.arange(len(audio)) / SAMPLE_RATE, audio, linewidth=0.5)
        wave_ax.set(title=f"digit {digit}", xlim=(0, seconds), ylabel="amplitude")
        mel = front_end(audio[None, :]).numpy()[0]
        mel_ax.imshow(mel.T, origin="lower", aspect="auto", cmap="magma",
                      extent=(0, seconds, 0, mel.shape[1]))
        mel_ax.set(xlabel="seconds", ylabel="mel bin")
    fig.suptitle("One recording per digit: waveform (16-bit samples) and the log-mel spectrogram "
                 "the model sees")
    return fig


def study_figure(steps, key):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, values in steps.items():
        ax.plot(np.arange(1, len(values[key]) + 1), values[key], label=label, linewidth=0.8)
    ax.set_yscale("log")
    what = "global gradient norm (before clipping)" if key == "gradient_norm" else "training loss"
    ax.set(title=f"Course LSTM(64) on raw samples: {what} per step", xlabel="training step",
           ylabel=what + " (log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return fig


def print_table(metrics):
    """Prints the run's results as a table, one row per model."""
    print(f"\n{metrics['preset']} preset, {metrics['split']} split")
    print(f"{'model':<12}{'params':>10}{'epochs':>8}{'s/epoch':>9}{'val acc':>9}{'test acc':>10}")
    for name, row in metrics["models"].items():
        marker = "  <- best (by validation)" if name == metrics["best"]["name"] else ""
        print(f"{name:<12}{row['params']:>10,}{row['epochs']:>8g}{row['epoch_seconds']:>9.1f}"
              f"{row['val_accuracy']:>9.3f}{row['test_accuracy']:>10.3f}{marker}")
    if "ensemble" in metrics:
        print(f"{'ensemble':<12}{'':>36}{metrics['ensemble']['test_accuracy']:>10.3f}"
              f"  <- the {len(metrics['ensemble']['models'])} models' probabilities averaged")
    for label, run in metrics.get("clipping_study", {}).get("runs", {}).items():
        norm = run["gradient_norm"]
        print(f"clipping study, {label:<14} median |g| {norm['median']:.3g}, "
              f"max {norm['max']:.3g}, "
              f"final loss {run['final_loss']:.3f}, val acc {run['val_accuracy']:.3f}")

