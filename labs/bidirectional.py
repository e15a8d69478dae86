"""Spoken digits with RNNs: the course's bidirectional-RNN lab, a 99 % modern preset, gradient clipping.

What you will learn:
- how Conv1D, SimpleRNN, GRU and a bidirectional LSTM compare on the same audio, on the course's raw
  samples and on log-mel features computed inside the model;
- why features, normalisation and augmentation matter more than the recurrent cell;
- what gradient clipping (`clipvalue`, `clipnorm`, `global_clipnorm`) does to the real gradient norm;
- how a model does on voices it has never heard (leave-one-speaker-out).

It reproduces the course notebook `3_4_spoken_digit` (`--preset course`: five models on the first
1,000 raw samples of each clip, batch 8, one epoch) and goes beyond it (`--preset modern`, the default).

Commands:
    python -m labs.bidirectional                       # modern preset: 4 models, official split
    python -m labs.bidirectional --preset course       # the notebook, then the clipping study
    python -m labs.bidirectional --split speaker --models conv1d   # 5 unseen-voice folds
    python -m labs.bidirectional --preset course --clipnorm 1.0   # clip every model's gradients
    python -m labs.bidirectional predict --model runs/bidirectional/models/best.keras digit.wav
    python -m labs.bidirectional predict --model A.keras --model B.keras digit.wav  # A, B vote
    python -m labs.bidirectional --strategy mirrored   # data-parallel over every GPU

Offline, add `--manual-dir DIR` (or set LABS_MANUAL_DIR) with DIR holding the FSDD archive.

Interrupted (Ctrl-C, SIGTERM), the same command continues: models already trained are reused
and the interrupted one resumes from its last finished epoch (backup in <output-dir>/backup/,
deleted when the run completes; early stopping's patience counts again from the restart, and the
clipping study runs again). A loss that becomes NaN or inf stops the run with exit
status 1 and a hint (`--learning-rate`, `--clipnorm`); metrics.json then holds the finished
models and `"diverged": {"model", "message"}`. `--strategy mirrored` trains the models (not the
clipping study, which logs one device's gradient norms) on every GPU, --batch-size being global.

Outputs in `--output-dir` (default runs/bidirectional): `metrics.json`, `history.csv`,
`models/<name>.keras` and `models/best.keras`, and the plots `training_accuracy.png`, `training_loss.png`, `comparison.png`,
`confusion_matrix.png`, `digits.png` (a waveform and its log-mel spectrogram per digit) and, for the
course preset, `gradient_norms.png` and `clipping_loss.png`.

metrics.json:
    {"preset": str, "split": str, "seed": int,
     "models": {name: {"params": int, "epochs": int, "epoch_seconds": float,
                       "val_accuracy": float, "test_accuracy": float,
                       "clipping": {"clipvalue" | "clipnorm" | "global_clipnorm": float} | null,
                       "folds": {speaker: test_accuracy}   # speaker split only
                      }},
     "best": {"name": str, "test_accuracy": float, "path": str},   # chosen on validation accuracy
     "ensemble": {"models": [str], "test_accuracy": float,         # two or more models: their
                  "folds": {speaker: test_accuracy}},              # probabilities averaged
     "clipping_study": {                                           # course preset only
         "steps": int, "runs": {label: {"clipping": {...} | null, "final_loss": float,
                                        "val_accuracy": float, "gradient_norm": {"median": float,
                                        "max": float, "steps_above_1": int, "nonfinite_steps": int}}}}}
"""

import dataclasses
import pathlib
import sys
import time

import keras
import numpy as np

from labs import common, training
from labs.data.spoken_digit import NUM_CLASSES, SAMPLE_RATE, SPEAKERS, SPLITS, load_spoken_digit
from labs.data.spoken_digit import course_batches, waveform_batches
from labs.data.wav import WavError, read_wav, trim_silence
from models.audio_layers import LogMelSpectrogram
from models.gradient_norm import GradientNormModel, StepLogger
from models.spoken_digit import (
    COURSE_ARCHITECTURES,
    MODERN_ARCHITECTURES,
    FrontEndConfig,
    build_course_model,
    build_modern_model,
)

LAB = "bidirectional"


@dataclasses.dataclass(frozen=True)
class Config:
    """One preset of the lab."""

    split: str  # default data split: "course", "official" or "speaker"
    models: tuple  # architectures to train, in order
    course_models: bool  # True: the notebook's raw-sample models; False: our log-mel models
    epochs: int  # most epochs per model (early stopping may end sooner)
    batch_size: int  # clips per step
    learning_rate: float  # peak learning rate
    weight_decay: float  # AdamW decoupled weight decay; 0 means the course's plain Adam
    patience: int  # early stopping: epochs without a better val_loss; 0 disables it
    clipping_study: bool  # also run the clipping study (course data, LSTM, three clipping modes)
    front_end: FrontEndConfig = FrontEndConfig()  # log-mel front end and augmentation (modern only)


PRESETS = {
    # Ours: log-mel features inside the model, augmentation, early stopping, the official split.
    "modern": Config(
        split="official",
        models=MODERN_ARCHITECTURES,
        course_models=False,
        epochs=30,
        batch_size=32,
        learning_rate=3e-3,
        weight_decay=1e-3,
        patience=10,
        clipping_study=False,
    ),
    # The notebook: raw samples, no normalisation, Adam(1e-3), batch 8, `fit` without epochs (= 1).
    "course": Config(
        split="course",
        models=COURSE_ARCHITECTURES,
        course_models=True,
        epochs=1,
        batch_size=8,
        learning_rate=1e-3,
        weight_decay=0.0,
        patience=0,
        clipping_study=True,
    ),
}
COURSE_CLIPPING = {"lstm_clip": {"clipvalue": 0.5}}  # the notebook's only clipped model
CLIPPING_STUDY = {"no clipping": None, "clipvalue 0.5": {"clipvalue": 0.5},
                  "clipnorm 1.0": {"clipnorm": 1.0}}
QUICK_SIZES = {"train": 48, "validation": 16, "test": 16}  # clips per split with --quick
QUICK_STUDY_STEPS = 4


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["predict"]:
        return predict(argv[1:])
    args = _parse_args(argv)
    config = common.configure(PRESETS[args.preset], args)
    split = args.split or config.split
    models = _model_names(args.models, config)
    if args.quick:
        config = dataclasses.replace(config, epochs=min(config.epochs, 2),
                                     patience=min(config.patience, 1))
    if args.learning_rate:
        config = dataclasses.replace(config, learning_rate=args.learning_rate)
    training.check_global_batch(training.get_strategy(args.strategy), config.batch_size)
    common.seed_everything(args.seed)
    out = common.prepare_output_dir(args.output_dir)
    resume = training.Resume(out, args)
    clipping = _clipping_from_flags(args)

    folds = [None] if split != "speaker" else (SPEAKERS if args.speaker == "all" else [args.speaker])
    runs = {}  # (model name, held-out speaker or None) -> TrainedModel
    for fold in folds:
        splits = _load(split, fold, args)
        for name in models:
            label = _run_label(name, fold)
            print(f"\n== {label} ==")
            finished = resume.finished(label)  # trained before a restart
            if finished:
                runs[(name, fold)] = TrainedModel.from_record(*finished)
                continue
            common.seed_everything(args.seed)  # every model starts from the same random state
            try:
                run = _train_and_evaluate(name, config, splits, clipping, args,
                                          resume.backup(label))
            except training.Diverged as error:
                _write_partial_results(out, args, split, runs, label, error)
                raise
            path = out / "models" / f"{label}.keras"
            run.model.save(path)
            resume.save_finished(label, path, run.record())
            runs[(name, fold)] = run

    metrics = {"preset": args.preset, "split": split, "seed": args.seed,
               "models": _summarise(runs, models, folds)}
    # Chosen on validation accuracy: the test split only reports.
    best_name = max(models, key=lambda name: metrics["models"][name]["val_accuracy"])
    best = runs[(best_name, folds[-1])]
    best_path = out / "models" / "best.keras"
    best.model.save(best_path)
    metrics["best"] = {"name": best_name, "path": str(best_path),
                       "test_accuracy": metrics["models"][best_name]["test_accuracy"]}
    if len(models) > 1:
        metrics["ensemble"] = _ensemble(runs, models, folds)
    study_steps = None
    if config.clipping_study:
        metrics["clipping_study"], study_steps = _clipping_study(config, args)
        common.write_json(out / "clipping_study_steps.json", study_steps)

    histories = {_run_label(*key): run.history for key, run in runs.items()}
    common.write_history_csv(out / "history.csv", histories)
    if not args.no_plots:
        best_runs = {fold: runs[(best_name, fold)] for fold in folds}
        _plot_everything(out, metrics, histories, best_runs, splits.train, study_steps)
    common.write_metrics(out, metrics)
    resume.complete()
    _print_table(metrics)
    common.report_outputs(out)
    return metrics


def _run_label(name, fold):
    """A model's name in files and tables: `gru`, or `gru_theo` for the fold holding theo out."""
    return name if fold is None else f"{name}_{fold}"


def _write_partial_results(out, args, split, runs, diverged, error):
    """After a divergence: metrics.json with the models finished so far and what diverged,
    history.csv with their epochs and the diverged model's."""
    histories = {_run_label(*key): run.history for key, run in runs.items()}
    common.write_history_csv(out / "history.csv", {**histories, diverged: error.history})
    common.write_metrics(out, {
        "preset": args.preset, "split": split, "seed": args.seed,
        "models": {_run_label(*key): run.metrics for key, run in runs.items()},
        "diverged": {"model": diverged, "message": str(error)},
    })


def _parse_args(argv):
    parser = common.make_parser(LAB, __doc__, PRESETS, uses_tfds=True)
    training.add_flags(parser)
    parser.add_argument("--split", choices=SPLITS,
                        help="data split (default: the preset's: modern=official, course=course)")
    parser.add_argument("--speaker", choices=[*SPEAKERS, "all"], default="all",
                        help="held-out speaker of --split speaker; all = five folds (default)")
    parser.add_argument("--models", help="comma-separated subset of the preset's models, e.g. gru,bilstm")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--clipvalue", type=common.positive_float,
                       help="clip each gradient element to [-X, X], for every model")
    group.add_argument("--clipnorm", type=common.positive_float,
                       help="clip each variable's gradient to norm X, for every model")
    group.add_argument("--global-clipnorm", type=common.positive_float,
                       help="clip all gradients together to global norm X, for every model")
    parser.epilog = "Classify your own recordings: python -m labs.bidirectional predict --help"
    args = parser.parse_args(argv)
    if args.speaker != "all" and (args.split or PRESETS[args.preset].split) != "speaker":
        parser.error("argument --speaker: only used with --split speaker")
    return args


def _model_names(text, config):
    if not text:
        return config.models
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in config.models]
    if unknown or not names:
        raise common.LabError(
            f"--models {text!r}: choose from {', '.join(config.models)} for this preset"
        )
    return names


def _clipping_from_flags(args):
    for key in ("clipvalue", "clipnorm", "global_clipnorm"):
        if getattr(args, key) is not None:
            return {key: getattr(args, key)}
    return None


def _load(split, speaker, args):
    splits = load_spoken_digit(split, speaker=speaker or "theo", manual_dir=args.manual_dir,
                               data_dir=args.data_dir)
    if args.quick:
        splits = dataclasses.replace(
            splits, **{part: getattr(splits, part).take(size) for part, size in QUICK_SIZES.items()}
        )
    return splits


def _batches(splits, config, seed):
    """(train, validation, test) batched datasets in the input format of the preset's models."""
    if config.course_models:
        # The course feeds the splits in file order, unshuffled.
        return tuple(course_batches(ds, config.batch_size)
                     for ds in (splits.train, splits.validation, splits.test))
    return (waveform_batches(splits.train, config.batch_size, shuffle_seed=seed),
            waveform_batches(splits.validation, 64), waveform_batches(splits.test, 64))


def _optimizer(config, clipping, steps):
    if config.weight_decay:
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps)
        return keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay, **(clipping or {}))
    return keras.optimizers.Adam(config.learning_rate, **(clipping or {}))


@dataclasses.dataclass
class TrainedModel:
    """A trained model with what the lab reports and plots about it."""

    model: keras.Model
    metrics: dict  # params, epochs, epoch_seconds, val_accuracy, test_accuracy, clipping
    history: dict  # keras History.history
    test_labels: np.ndarray  # (clips,)
    test_probabilities: np.ndarray  # (clips, 10)

    @property
    def test_predictions(self):
        return self.test_probabilities.argmax(axis=-1)  # (clips,) predicted digits

    def record(self):
        """What a restart needs besides the saved model, as JSON."""
        return {"metrics": self.metrics, "history": self.history,
                "test_labels": self.test_labels.tolist(),
                "test_probabilities": self.test_probabilities.tolist()}

    @classmethod
    def from_record(cls, model, record):
        return cls(model, record["metrics"], record["history"], np.array(record["test_labels"]),
                   np.array(record["test_probabilities"], np.float32))


def _train_and_evaluate(name, config, splits, clipping, args, backup):
    """Builds, trains (resuming from `backup`, a `training.BackupAndRestore`) and evaluates one
    model; returns a `TrainedModel`."""
    train, validation, test = _batches(splits, config, args.seed)
    steps = config.epochs * int(train.cardinality())
    with training.get_strategy(args.strategy).scope():
        if config.course_models:
            model = build_course_model(name)
            clipping = clipping or COURSE_CLIPPING.get(name)
        else:
            model = build_modern_model(name, config.front_end)
        model.compile(optimizer=_optimizer(config, clipping, steps),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [backup, keras.callbacks.TerminateOnNaN()]
    if config.patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            "val_loss", patience=config.patience, restore_best_weights=True))
    started = time.perf_counter()
    model.fit(train, validation_data=validation, epochs=config.epochs, shuffle=False,
              callbacks=callbacks, verbose=common.fit_verbosity())
    seconds = time.perf_counter() - started
    history = backup.history  # every epoch, those before a restart included
    training.check_finite(history, name, f"lower --learning-rate (now {config.learning_rate:g}) "
                                         "or clip the gradients, e.g. --clipnorm 1")
    epochs = len(history["loss"])
    _, val_accuracy = model.evaluate(validation, verbose=0)
    # The test split is used once: these predictions give the accuracy and the confusion matrix.
    test_labels = np.concatenate([np.reshape(y, -1) for _, y in test.as_numpy_iterator()])
    test_probabilities = model.predict(test.map(lambda x, y: x), verbose=0)
    metrics = {
        "params": model.count_params(),
        "epochs": epochs,
        "epoch_seconds": round(seconds / max(1, epochs - backup.initial_epoch), 2),
        "val_accuracy": float(val_accuracy),
        "test_accuracy": float(np.mean(test_probabilities.argmax(axis=-1) == test_labels)),
        "clipping": clipping,
    }
    return TrainedModel(model, metrics, history, test_labels, test_probabilities)


def _summarise(runs, models, folds):
    """Per model: its result, or with several folds the mean over them plus each fold's accuracy."""
    summary = {}
    for name in models:
        results = [runs[(name, fold)].metrics for fold in folds]
        first = results[0]
        entry = {key: first[key] for key in ("params", "epochs", "epoch_seconds", "val_accuracy",
                                             "test_accuracy", "clipping")}
        if folds != [None]:
            for key in ("epochs", "epoch_seconds", "val_accuracy", "test_accuracy"):
                entry[key] = round(float(np.mean([r[key] for r in results])), 4)
            entry["folds"] = {fold: r["test_accuracy"] for fold, r in zip(folds, results)}
        summary[name] = entry
    return summary


def _ensemble(runs, models, folds):
    """The models voting together, as `predict --model A --model B ...` does: the mean of their
    test probabilities, scored per fold (each fold's models saw the same test clips in order)."""
    accuracies = {}
    for fold in folds:
        probabilities = np.mean([runs[(name, fold)].test_probabilities for name in models], axis=0)
        labels = runs[(models[0], fold)].test_labels
        accuracies[fold] = float(np.mean(probabilities.argmax(axis=-1) == labels))
    if folds == [None]:
        return {"models": list(models), "test_accuracy": accuracies[None]}
    mean = round(float(np.mean(list(accuracies.values()))), 4)
    return {"models": list(models), "test_accuracy": mean, "folds": accuracies}


def _clipping_study(config, args):
    """Trains the course LSTM three ways from the same initial weights, logging every step's
    global gradient norm (before clipping).

    Returns:
        `(summary, per_step)`: the summary for metrics.json and `{label: {"step_loss": [...],
        "gradient_norm": [...]}}`.
    """
    print("\n== clipping study: course LSTM(64), raw samples ==")
    splits = _load("course", None, args)
    course = dataclasses.replace(PRESETS["course"], batch_size=config.batch_size)
    train, validation, _ = _batches(splits, course, args.seed)
    if args.quick:
        train = train.take(QUICK_STUDY_STEPS)
    common.seed_everything(args.seed)
    initial_weights = build_course_model("lstm_clip").get_weights()
    runs, per_step = {}, {}
    for label, clipping in CLIPPING_STUDY.items():
        print(f"-- {label}")
        course_lstm = build_course_model("lstm_clip")
        model = GradientNormModel(course_lstm.inputs, course_lstm.outputs)
        model.set_weights(initial_weights)
        model.compile(optimizer=keras.optimizers.Adam(course.learning_rate, **(clipping or {})),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        logger = StepLogger()
        model.fit(train, epochs=course.epochs, callbacks=[logger], shuffle=False,
                  verbose=common.fit_verbosity())
        _, val_accuracy = model.evaluate(validation, verbose=0)
        per_step[label] = logger.values
        norms = np.array(logger.values["gradient_norm"])
        finite = norms[np.isfinite(norms)]
        runs[label] = {
            "clipping": clipping,
            "final_loss": logger.values["step_loss"][-1],
            "val_accuracy": float(val_accuracy),
            "gradient_norm": {
                "median": float(np.median(finite)) if finite.size else float("nan"),
                "max": float(finite.max()) if finite.size else float("nan"),
                "steps_above_1": int((finite > 1.0).sum()),
                "nonfinite_steps": int(norms.size - finite.size),
            },
        }
    steps = len(next(iter(per_step.values()))["gradient_norm"])
    return {"steps": steps, "runs": runs}, per_step


# ---------------------------------------------------------------------------------------------
# Plots


def _plot_everything(out, metrics, histories, best_runs, train, study_steps):
    from labs import plotting

    for metric, title in (("accuracy", "Accuracy per epoch"), ("loss", "Loss per epoch")):
        fig = plotting.plot_histories(histories, metric, title=f"{title} ({metrics['preset']} preset)")
        plotting.save_figure(fig, out / f"training_{metric}.png")
    plotting.save_figure(_comparison_figure(metrics), out / "comparison.png")
    plotting.save_figure(_confusion_figure(best_runs, metrics["best"]["name"]),
                         out / "confusion_matrix.png")
    plotting.save_figure(_digits_figure(train), out / "digits.png")
    if study_steps:
        plotting.save_figure(_study_figure(study_steps, "gradient_norm"), out / "gradient_norms.png")
        plotting.save_figure(_study_figure(study_steps, "step_loss"), out / "clipping_loss.png")


def _comparison_figure(metrics):
    from labs.plotting import plt

    names = list(metrics["models"])
    panels = (("test_accuracy", "test accuracy", "{:.3f}"), ("params", "parameters", "{:,.0f}"),
              ("epoch_seconds", "seconds per epoch", "{:.2f}"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
    for ax, (key, label, fmt) in zip(axes, panels):
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


def _confusion_figure(runs, name):
    """Confusion matrix of model `name` over the test clips of every fold in `runs`
    (`{held-out speaker or None: TrainedModel}`)."""
    from labs.plotting import plt

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


def _digits_figure(train):
    from labs.plotting import plt

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


def _study_figure(steps, key):
    from labs.plotting import plt

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


def _print_table(metrics):
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
        print(f"clipping study, {label:<14} median |g| {norm['median']:.3g}, max {norm['max']:.3g}, "
              f"final loss {run['final_loss']:.3f}, val acc {run['val_accuracy']:.3f}")


# ---------------------------------------------------------------------------------------------
# predict: classify the user's own wav files


def predict(argv):
    """`predict --model PATH [--model PATH ...] WAV [WAV ...]`: prints
    `path<TAB>digit<TAB>confidence` per file; several models average their probabilities."""
    parser = common.LabArgumentParser(
        prog=f"python -m labs.{LAB} predict",
        description="Classify spoken-digit wav files (PCM, any rate, mono or stereo, any length).",
    )
    parser.add_argument("--model", type=pathlib.Path, required=True, action="append",
                        help="a saved model, e.g. runs/bidirectional/models/best.keras; give it "
                             "several times to average the models' probabilities (an ensemble, "
                             "steadier on voices none of them has heard)")
    parser.add_argument("wavs", nargs="+", type=pathlib.Path, help="wav files to classify")
    args = parser.parse_args(argv)
    models = [_load_model(path) for path in args.model]

    clips, failures = {}, 0  # path -> trimmed waveform
    for path in args.wavs:
        try:
            clips[path] = trim_silence(read_wav(path, SAMPLE_RATE))
        except WavError as error:
            print(f"{path}\terror: {error}", file=sys.stderr)
            failures += 1
    results = {}
    if clips:
        waveforms = list(clips.values())
        probabilities = np.mean([_probabilities(model, waveforms) for model in models], axis=0)
        for path, row in zip(clips, probabilities):
            digit = int(row.argmax())
            results[str(path)] = {"digit": digit, "confidence": float(row[digit])}
            print(f"{path}\t{digit}\t{row[digit]:.3f}")
    if failures:
        raise common.LabError(f"{failures} of {len(args.wavs)} files could not be classified")
    return results


def _probabilities(model, waveforms):
    """`model`'s digit probabilities `(clips, 10)` for waveforms of any length, each cut or
    zero-padded to the model's input length."""
    input_shape = model.input_shape  # (None, samples) for ours, (None, samples, 1) for the course's
    batch = np.zeros((len(waveforms), input_shape[1]), np.float32)
    for row, audio in zip(batch, waveforms):
        row[: min(len(audio), len(row))] = audio[: len(row)]
    return model.predict(batch.reshape((len(waveforms), *input_shape[1:])), verbose=0)


def _load_model(path):
    if not path.is_file():
        raise common.LabError(f"--model {path}: no such file (train one first: python -m labs.{LAB})")
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # noqa: BLE001 - any failure to load means the same to the user
        raise common.LabError(f"--model {path}: not a loadable Keras model ({error})") from None


if __name__ == "__main__":
    common.run(main)
