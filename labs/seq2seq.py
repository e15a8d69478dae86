"""Seq2seq sin -> cos: an encoder-decoder RNN, its autoregressive inference loop, and attention.

What you will learn:
- how an encoder hands its final state to a decoder, and how teacher forcing trains the decoder on
  the true previous value while inference feeds back its own output (free-running);
- why the course's inference loop (one `predict` call per step) is slow, and how one compiled
  `tf.while_loop` over all windows (`models.seq2seq.generate`) gives the same numbers thousands of
  times faster;
- how attention lets each decoder step look at every encoder output instead of the final state
  only, and how to measure whether that helps: at 24 and at 96 steps (`improved`). On this task it
  does not: cos is sin shifted by a quarter period, so the final state carries all the decoder
  needs (the phase), the attention weights stay near uniform (attention_*.png), and the plain
  decoder's free-running error is the lower one. Measure before you add machinery.

Reproduces Day 3, notebook `3_5_Seq2Seq(Encoder-Decoder)_sin-cos`: `sin` windows in, `cos` windows
out, `x = linspace(-3π, 3π, 100)`, 24 steps, 76 windows; SimpleRNN(10) encoder and decoder,
Dense(1), 251 parameters; adam, mse, batch 16, 80 epochs, `validation_split=0.2`.

Presets:
- `course`: exactly the notebook. Quirk kept: Keras's `validation_split` takes the LAST 20% of the
  windows (16 of 76, no shuffle before the split), and since 33 grid steps are one period those 16
  repeat training windows 27..42, so its `val_mse` is not a held-out score. The held-out score is
  `shifted_free_running_mse` (see below). Deliberate difference: the notebook only plots
  free-running predictions; this lab also scores them (`free_running_mse`) and plots teacher-forced
  ones.
- `improved`: GRU(32) encoder/decoder, all 76 windows for training, validation on the half-step
  grid, 150 epochs of adam with a cosine learning-rate decay 1e-2 -> 1e-4; plain and Luong
  attention, at 24 steps and at a 96-step horizon (76 windows of 96 steps on a longer series with
  the same grid step).

Commands:
    python -m labs.seq2seq                       # the course notebook (~2 min on 2 busy cores)
    python -m labs.seq2seq --preset improved     # GRU, attention, 96 steps (~17 min, same CPU)
    python -m labs.seq2seq --preset improved --cell lstm
    python -m labs.seq2seq --quick               # 2 epochs, every code path
    python -m labs.seq2seq --strategy mirrored   # data-parallel over every GPU (or logical CPU)
    python -m benchmarks.seq2seq_inference --json   # course predict loop vs generate

Interrupted (Ctrl-C, SIGTERM), the same command continues: finished variants are reused and the
interrupted one resumes from its last finished epoch (backup in <output-dir>/backup/, deleted
when the run completes). A loss that becomes NaN or inf stops the run with exit status 1 and
a hint (`--learning-rate` sets every variant's initial rate); metrics.json then holds the
finished variants and `"diverged": {"variant", "message"}`.

Outputs in `--output-dir` (default runs/seq2seq): metrics.json, history.csv, models/<variant>.keras,
loss.png, predictions_<variant>.png (windows 0, 24, 49, 74: true cos, teacher-forced, free-running),
attention_<variant>.png (attention weights of one window), error_by_step.png (free-running error
along the horizon).

metrics.json:
    {"lab": "seq2seq", "preset": str, "seed": int, "quick": bool, "epochs": int, "batch_size": int,
     "best_variant": str,           # lowest free_running_mse
     "variants": {name: {
        "cell": str, "units": int, "attention": "none" | "luong" | "bahdanau", "num_steps": int,
        "params": int,
        "validation": "last 20% of windows" | "half-step grid",
        "final_loss": float,        # teacher-forced training MSE, last epoch
        "val_mse": float,           # teacher-forced MSE on the validation windows
        "free_running_mse": float,  # generate() from 0, all 76 windows of the course grid
        "shifted_free_running_mse": float,  # the same on the half-step grid (never trained on)
        "train_seconds": float}}}   # timing: varies run to run
"""

import dataclasses
import time

import keras
import numpy as np

from labs import common, training
from labs.data.sincos import PLOT_WINDOWS, make_windows
from labs.plotting import plot_histories, plt, save_figure
from models.seq2seq import CELLS, Seq2SeqConfig, Seq2SeqGenerator, build_seq2seq

VALIDATION_SPLIT = "last 20% of windows"
VALIDATION_SHIFTED = "half-step grid"


@dataclasses.dataclass(frozen=True)
class Variant:
    """One model trained and scored by the lab."""

    name: str  # its key in metrics.json and in file names
    model: Seq2SeqConfig  # cell, units, attention
    num_steps: int = 24  # window length, encoder and decoder (the notebook: 24)
    learning_rate: float = (
        1e-3  # adam's (initial) learning rate (the notebook: Keras's default 1e-3)
    )
    final_learning_rate: float | None = (
        None  # cosine decay to this by the last epoch; None: constant
    )
    validation: str = VALIDATION_SPLIT  # VALIDATION_SPLIT (Keras validation_split=0.2) or _SHIFTED


@dataclasses.dataclass(frozen=True)
class Seq2SeqLabConfig:
    """A preset: the variants it trains and the settings they share."""

    variants: tuple  # of Variant, trained in order
    epochs: int  # passes over the training windows (the notebook: 80)
    batch_size: int  # windows per step (the notebook: 16)
    quick_epochs: int = 2  # epochs under --quick


def _improved(name, attention, num_steps):
    return Variant(
        name=name,
        model=Seq2SeqConfig(cell="gru", units=32, attention=attention),
        num_steps=num_steps,
        learning_rate=1e-2,
        final_learning_rate=1e-4,
        validation=VALIDATION_SHIFTED,
    )


PRESETS = {
    "course": Seq2SeqLabConfig(
        variants=(Variant("course", Seq2SeqConfig()),), epochs=80, batch_size=16
    ),
    "improved": Seq2SeqLabConfig(
        variants=(
            _improved("plain", "none", 24),
            _improved("luong", "luong", 24),
            _improved("plain_96", "none", 96),
            _improved("luong_96", "luong", 96),
        ),
        epochs=150,
        batch_size=16,
    ),
}


def _optimizer(variant, epochs, steps_per_epoch):
    if variant.final_learning_rate is None:
        return keras.optimizers.Adam(variant.learning_rate)
    schedule = keras.optimizers.schedules.CosineDecay(
        variant.learning_rate,
        decay_steps=epochs * steps_per_epoch,
        alpha=variant.final_learning_rate / variant.learning_rate,
    )
    return keras.optimizers.Adam(schedule)


def _mse(a, b):
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))


def train_variant(variant, config, seed, strategy="default", resume=None):
    """Builds, trains and scores one variant.

    Args:
        variant: the `Variant` to train.
        config: the preset (`epochs`, `batch_size`).
        seed: the seed every variant starts from.
        strategy: `--strategy`, the `tf.distribute` strategy to train under.
        resume: a `training.Resume`: reuse the variant if it was trained before a restart,
            continue its training from the last finished epoch; None trains from scratch.

    Returns:
        `(model, history dict, metrics dict, outputs)` where outputs holds the windows and the
        teacher-forced and free-running predictions (and attention weights) for the plots.
    """
    common.seed_everything(seed)  # each variant starts from the same seed, whatever runs before it
    windows = make_windows(num_steps=variant.num_steps)
    shifted = make_windows(num_steps=variant.num_steps, phase=0.5)
    inputs = [windows.encoder_input, windows.decoder_input]

    if variant.validation == VALIDATION_SPLIT:
        # The notebook: Keras holds out the LAST 20% of windows (no shuffle before the split).
        fit_kwargs = {"validation_split": 0.2}
        num_train = int(np.floor(windows.num_windows * 0.8))  # Keras's rule: 60 of 76
        val_inputs = [a[num_train:] for a in inputs]
        val_target = windows.target[num_train:]
    else:
        fit_kwargs = {}
        num_train = windows.num_windows
        val_inputs = [shifted.encoder_input, shifted.decoder_input]
        val_target = shifted.target
        fit_kwargs["validation_data"] = (val_inputs, val_target)
    steps_per_epoch = int(np.ceil(num_train / config.batch_size))
    finished = resume.finished(variant.name) if resume else None
    if finished:
        model, saved = finished
        history, train_seconds = saved["history"], saved["train_seconds"]
    else:
        with training.get_strategy(strategy).scope():
            model = build_seq2seq(variant.model)
            model.compile(
                optimizer=_optimizer(variant, config.epochs, steps_per_epoch),
                loss="mean_squared_error",
            )
        print(
            f"\n[{variant.name}] {variant.model.cell}({variant.model.units}), attention "
            f"{variant.model.attention}, {variant.num_steps} steps, {model.count_params()} params"
        )
        callbacks = [keras.callbacks.TerminateOnNaN()]
        if resume:
            callbacks.insert(0, resume.backup(variant.name))
        start = time.perf_counter()
        history = model.fit(
            inputs,
            windows.target,
            batch_size=config.batch_size,
            epochs=config.epochs,
            verbose=common.fit_verbosity(),
            callbacks=callbacks,
            **fit_kwargs,
        ).history
        train_seconds = time.perf_counter() - start
        if resume:
            history = callbacks[0].history  # every epoch, those before a restart included
        training.check_finite(
            history,
            variant.name,
            f"lower --learning-rate (now {variant.learning_rate:g})",
        )

    teacher_forced = model.predict(inputs, batch_size=len(windows.target), verbose=0)
    val_mse = _mse(model.predict(val_inputs, batch_size=len(val_target), verbose=0), val_target)
    generator = Seq2SeqGenerator(model)
    free_running, attention = generator(windows.encoder_input)
    shifted_free_running, _ = generator(shifted.encoder_input)
    metrics = {
        "cell": variant.model.cell,
        "units": variant.model.units,
        "attention": variant.model.attention,
        "num_steps": variant.num_steps,
        "params": model.count_params(),
        "validation": variant.validation,
        "final_loss": float(history["loss"][-1]),
        "val_mse": val_mse,
        "free_running_mse": _mse(free_running, windows.target),
        "shifted_free_running_mse": _mse(shifted_free_running, shifted.target),
        "train_seconds": round(train_seconds, 2),
    }
    print(
        f"[{variant.name}] val_mse {val_mse:.3g}  "
        f"free_running_mse {metrics['free_running_mse']:.3g}  "
        f"shifted_free_running_mse {metrics['shifted_free_running_mse']:.3g}"
    )
    outputs = {
        "windows": windows,
        "teacher_forced": teacher_forced,
        "free_running": free_running,
        "attention": attention,
    }
    return model, history, metrics, outputs


def plot_predictions(name, outputs):
    """True cos vs teacher-forced and free-running predictions at the notebook's windows."""
    windows = outputs["windows"]
    fig, axes = plt.subplots(1, len(PLOT_WINDOWS), figsize=(16, 3.6), sharey=True)
    for ax, index in zip(axes, PLOT_WINDOWS, strict=True):
        x = windows.x[index]
        ax.plot(x, windows.encoder_input[index, :, 0], color="0.7", label="input sin")
        ax.plot(x, windows.target[index, :, 0], color="black", linewidth=2, label="true cos")
        ax.plot(x, outputs["teacher_forced"][index, :, 0], "--", color="C0", label="teacher-forced")
        ax.plot(
            x,
            outputs["free_running"][index, :, 0],
            ":",
            marker="o",
            markersize=3,
            color="C3",
            label="free-running (fed back)",
        )
        ax.set(title=f"window {index}", xlabel="x")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("value")
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.1)
    )
    fig.suptitle(f"{name}: predicted cos vs true cos", y=1.02)
    return fig


def plot_attention(name, outputs, window=PLOT_WINDOWS[1]):
    """Heat map of one window's free-running attention weights (decoder step x encoder step)."""
    weights = outputs["attention"][window]  # (T_dec, T_enc)
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(weights, aspect="auto", origin="lower", cmap="viridis")
    ax.plot(
        [0, weights.shape[1] - 1],
        [0, weights.shape[0] - 1],
        ":",
        color="white",
        linewidth=1,
        label="same time step",
    )
    fig.colorbar(image, ax=ax, label="attention weight")
    ax.set(
        title=f"{name}: attention, window {window} (free-running)",
        xlabel="encoder step (sin)",
        ylabel="decoder step (cos)",
    )
    ax.legend(fontsize="small", loc="upper left")
    return fig


def plot_error_by_step(results):
    """Free-running squared error along the horizon, averaged over windows, one line per variant."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, outputs in results.items():
        error = np.mean((outputs["free_running"] - outputs["windows"].target) ** 2, axis=(0, 2))
        ax.plot(np.arange(1, len(error) + 1), error, marker=".", label=name)
    ax.set(
        title="Free-running error along the horizon",
        xlabel="decoder step",
        ylabel="MSE over the 76 windows",
        yscale="log",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def with_cell(config, cell):
    """`config` with every variant's encoder and decoder switched to `cell`."""
    return dataclasses.replace(
        config,
        variants=tuple(
            dataclasses.replace(v, model=dataclasses.replace(v.model, cell=cell))
            for v in config.variants
        ),
    )


def with_learning_rate(config, learning_rate):
    """`config` with every variant's learning rate set to `learning_rate` (a cosine decay keeps
    its final/initial ratio)."""
    return dataclasses.replace(
        config,
        variants=tuple(
            dataclasses.replace(
                v,
                learning_rate=learning_rate,
                final_learning_rate=None
                if v.final_learning_rate is None
                else learning_rate * v.final_learning_rate / v.learning_rate,
            )
            for v in config.variants
        ),
    )



def _run_metrics(args, config, variant_metrics, **extra):
    """metrics.json: the run's settings, `extra` (best_variant, or diverged), every variant."""
    return {
        "lab": "seq2seq",
        "preset": args.preset,
        "seed": args.seed,
        "quick": args.quick,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        **extra,
        "variants": variant_metrics,
    }

def main(argv=None):
    parser = common.make_parser("seq2seq", __doc__, PRESETS)
    training.add_flags(parser)
    parser.add_argument(
        "--cell",
        choices=sorted(CELLS),
        help="recurrent cell of every variant, overriding the preset's",
    )
    args = parser.parse_args(argv)
    config = common.configure(PRESETS[args.preset], args)
    if args.quick and args.epochs is None:
        config = dataclasses.replace(config, epochs=config.quick_epochs)
    if args.cell:
        config = with_cell(config, args.cell)
    if args.learning_rate:
        config = with_learning_rate(config, args.learning_rate)
    training.check_global_batch(training.get_strategy(args.strategy), config.batch_size)
    out = common.prepare_output_dir(args.output_dir)
    resume = training.Resume(out, args)

    histories, variant_metrics, results = {}, {}, {}
    for variant in config.variants:
        try:
            model, history, metrics, outputs = train_variant(
                variant, config, args.seed, args.strategy, resume
            )
        except training.Diverged as error:
            # Keep what the finished variants and the diverged one's epochs show, then stop.
            common.write_history_csv(out / "history.csv", {**histories, error.run: error.history})
            diverged = {"variant": error.run, "message": str(error)}
            common.write_metrics(out, _run_metrics(args, config, variant_metrics, diverged=diverged))
            raise
        path = out / "models" / f"{variant.name}.keras"
        model.save(path)
        resume.save_finished(
            variant.name, path, {"history": history, "train_seconds": metrics["train_seconds"]}
        )
        histories[variant.name], variant_metrics[variant.name] = history, metrics
        results[variant.name] = outputs

    common.write_history_csv(out / "history.csv", histories)
    if not args.no_plots:
        save_figure(
            plot_histories(
                histories,
                "loss",
                title="Seq2seq sin -> cos: teacher-forced MSE",
                ylabel="MSE",
                log_scale=True,
            ),
            out / "loss.png",
        )
        for name, outputs in results.items():
            save_figure(plot_predictions(name, outputs), out / f"predictions_{name}.png")
            if outputs["attention"] is not None:
                save_figure(plot_attention(name, outputs), out / f"attention_{name}.png")
        save_figure(plot_error_by_step(results), out / "error_by_step.png")

    best = min(variant_metrics, key=lambda name: variant_metrics[name]["free_running_mse"])
    metrics = _run_metrics(args, config, variant_metrics, best_variant=best)
    common.write_metrics(out, metrics)
    print(
        f"\nbest variant: {metrics['best_variant']} (free_running_mse "
        f"{variant_metrics[metrics['best_variant']]['free_running_mse']:.3g})"
    )
    resume.complete()
    common.report_outputs(out)
    return metrics


if __name__ == "__main__":
    common.run(main)
