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
  decoder's free-running error is the lower one at 96 steps in every seed measured (0-2) and at
  24 steps in two of three (README). Measure, over seeds, before you add machinery.

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
    python -m labs.seq2seq                       # the course notebook (21 s at load 3, 92 s at 7-8)
    python -m labs.seq2seq --preset improved     # GRU, attention, 96 steps (~17 min, same CPU)
    python -m labs.seq2seq --preset improved --cell lstm
    python -m labs.seq2seq --quick               # 2 epochs, every code path
    python -m labs.seq2seq --strategy mirrored   # data-parallel over every GPU (or logical CPU)
    python -m benchmarks.seq2seq_inference --json   # course predict loop vs generate

Interrupted (Ctrl-C, SIGTERM), the same command continues: finished variants are reused and the
interrupted one resumes from its last finished epoch (backup in <output-dir>/backup/, deleted
when the run completes). A loss that becomes NaN or inf stops the run with exit status 1 and
a hint (`--learning-rate` sets every variant's initial rate); metrics.json then holds the
finished variants and `"diverged": {"run", "message"}`.

Outputs in `--output-dir` (default runs/seq2seq): metrics.json, history.csv, models/<variant>.keras,
loss.png, predictions_<variant>.png (windows 0, 24, 49, 74: true cos, teacher-forced, free-running),
attention_<variant>.png (attention weights of one window), error_by_step.png (free-running error
along the horizon). The models are Keras layers only: `keras.saving.load_model(path)` loads one
in any process, with no import of this project.

metrics.json (after the envelope "lab", "preset", "seed", "quick", "config", "versions"):
    {"best": {"name": str, "free_running_mse": float},   # lowest free_running_mse
     "variants": {name: {
        "cell": str, "units": int, "attention": "none" | "luong" | "bahdanau", "num_steps": int,
        "params": int, "epochs": int,
        "validation": "last 20% of windows" | "half-step grid",
        "final_loss": float,        # teacher-forced training MSE, last epoch
        "val_mse": float,           # teacher-forced MSE on the validation windows
        "free_running_mse": float,  # generate() from 0, all 76 windows of the course grid
        "shifted_free_running_mse": float,  # the same on the half-step grid (never trained on)
        "train_seconds": float}},   # timing: varies run to run
     "diverged": {"run": str, "message": str}}   # only when a loss became NaN or inf
"""

import dataclasses

import numpy as np

from labs import kit
from labs.data.sincos import PLOT_WINDOWS, make_windows

LAB = "seq2seq"
VALIDATION_SPLIT = "last 20% of windows"
VALIDATION_SHIFTED = "half-step grid"
# models.seq2seq's cells (a test checks they agree), named here because models/ imports
# TensorFlow, which --help and a bad flag do not wait for.
CELLS = ("gru", "lstm", "simple_rnn")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """The fields of `models.seq2seq.Seq2SeqConfig` (same names and defaults: the course's model),
    so that the presets are defined without importing TensorFlow."""

    cell: str = "simple_rnn"  # simple_rnn | gru | lstm
    units: int = 10  # state size of encoder and decoder
    attention: str = "none"  # none | luong | bahdanau
    features: int = 1  # values per time step, in and out

    def build(self):
        """The teacher-forced training model (`models.seq2seq.build_seq2seq`)."""
        from models.seq2seq import Seq2SeqConfig, build_seq2seq

        return build_seq2seq(Seq2SeqConfig(**dataclasses.asdict(self)))


@dataclasses.dataclass(frozen=True)
class Variant:
    """One model trained and scored by the lab."""

    name: str  # its key in metrics.json and in file names
    model: ModelSpec  # cell, units, attention
    num_steps: int = 24  # window length, encoder and decoder (the notebook: 24)
    validation: str = VALIDATION_SPLIT  # VALIDATION_SPLIT (Keras validation_split=0.2) or _SHIFTED


@dataclasses.dataclass(frozen=True)
class Seq2SeqLabConfig:
    """A preset: the variants it trains and the settings they share."""

    variants: tuple  # of Variant, trained in order
    epochs: int  # passes over the training windows (the notebook: 80)
    batch_size: int  # windows per step (the notebook: 16)
    learning_rate: float = 1e-3  # adam's initial learning rate (the notebook: Keras's default)
    cosine_alpha: float | None = None  # cosine decay to learning_rate * alpha; None: constant

    def quick(self):
        return dataclasses.replace(self, epochs=2)

    def with_cell(self, cell):
        """This preset with every variant's encoder and decoder switched to `cell`."""
        return dataclasses.replace(
            self,
            variants=tuple(
                dataclasses.replace(v, model=dataclasses.replace(v.model, cell=cell))
                for v in self.variants
            ),
        )


def _improved(name, attention, num_steps):
    return Variant(
        name,
        ModelSpec(cell="gru", units=32, attention=attention),
        num_steps,
        validation=VALIDATION_SHIFTED,
    )


PRESETS = {
    "course": Seq2SeqLabConfig(
        variants=(Variant("course", ModelSpec()),), epochs=80, batch_size=16
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
        learning_rate=1e-2,
        cosine_alpha=1e-2,
    ),
}


def _optimizer(config, steps_per_epoch):
    import keras

    if config.cosine_alpha is None:
        return keras.optimizers.Adam(config.learning_rate)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=config.epochs * steps_per_epoch, alpha=config.cosine_alpha
    )
    return keras.optimizers.Adam(schedule)


def _mse(a, b):
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))


def train_variant(experiment, variant, config):
    """Trains (or, after a restart, reuses) and scores one variant.

    Args:
        experiment: the run's `kit.Experiment`.
        variant: the `Variant` to train.
        config: the preset (`epochs`, `batch_size`, learning rate).

    Returns:
        `(metrics, outputs)`: the variant's metrics.json entry, and the windows with the
        teacher-forced and free-running predictions (and attention weights) for the plots.
    """
    from models.seq2seq import Seq2SeqGenerator

    windows = make_windows(num_steps=variant.num_steps)
    shifted = make_windows(num_steps=variant.num_steps, phase=0.5)
    inputs = [windows.encoder_input, windows.decoder_input]
    if variant.validation == VALIDATION_SPLIT:
        # The notebook: Keras holds out the LAST 20% of windows (no shuffle before the split).
        num_train = int(np.floor(windows.num_windows * 0.8))  # Keras's rule: 60 of 76
        val_inputs, val_target = [a[num_train:] for a in inputs], windows.target[num_train:]
        validation = {"validation_split": 0.2}
    else:
        num_train = windows.num_windows
        val_inputs, val_target = [shifted.encoder_input, shifted.decoder_input], shifted.target
        validation = {"validation": (val_inputs, val_target)}

    def build():
        model = variant.model.build()
        model.compile(
            optimizer=_optimizer(config, -(-num_train // config.batch_size)),
            loss="mean_squared_error",
        )
        print(
            f"{variant.model.cell}({variant.model.units}), attention {variant.model.attention}, "
            f"{variant.num_steps} steps, {model.count_params()} params"
        )
        return model

    result = experiment.fit(
        variant.name,
        build,
        inputs,
        y=windows.target,
        batch_size=config.batch_size,
        epochs=config.epochs,
        hint=f"lower --learning-rate (now {config.learning_rate:g})",
        **validation,
    )
    model = result.model
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
        "epochs": result.epochs,
        "validation": variant.validation,
        "final_loss": result.history["loss"][-1],
        "val_mse": val_mse,
        "free_running_mse": _mse(free_running, windows.target),
        "shifted_free_running_mse": _mse(shifted_free_running, shifted.target),
        "train_seconds": result.train_seconds,
    }
    print(
        f"[{variant.name}] val_mse {val_mse:.3g}  free_running_mse "
        f"{metrics['free_running_mse']:.3g}  shifted_free_running_mse "
        f"{metrics['shifted_free_running_mse']:.3g}"
    )
    outputs = {
        "windows": windows,
        "teacher_forced": teacher_forced,
        "free_running": free_running,
        "attention": attention,
    }
    return metrics, outputs


def plot_predictions(name, outputs, seed=0):
    """True cos vs teacher-forced and free-running predictions at the notebook's windows."""
    from labs.kit.plotting import plt

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
    fig.suptitle(f"{name} (seed {seed}): predicted cos vs true cos", y=1.02)
    return fig


def plot_attention(name, outputs, window=PLOT_WINDOWS[1]):
    """Heat map of one window's free-running attention weights (decoder step x encoder step)."""
    from labs.kit.plotting import plt

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
    from labs.kit.plotting import plt

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


def main(argv=None):
    parser = kit.make_parser(LAB, __doc__, PRESETS, strategy=True, tensorboard=True)
    parser.add_argument(
        "--cell", choices=CELLS, help="recurrent cell of every variant, overriding the preset's"
    )
    args = parser.parse_args(argv)
    config = kit.configure(PRESETS[args.preset], args)
    if args.cell:
        config = config.with_cell(args.cell)

    with kit.Experiment(LAB, args, config) as experiment:
        variants = experiment.results["variants"] = {}
        outputs = {}
        for variant in config.variants:
            variants[variant.name], outputs[variant.name] = train_variant(
                experiment, variant, config
            )

        if experiment.plots:
            experiment.save_figure(
                kit.plot_histories(
                    experiment.histories,
                    "loss",
                    title="Seq2seq sin -> cos: teacher-forced MSE",
                    ylabel="MSE",
                    log_scale=True,
                ),
                "loss.png",
            )
            for name, output in outputs.items():
                experiment.save_figure(
                    plot_predictions(name, output, args.seed), f"predictions_{name}.png"
                )
                if output["attention"] is not None:
                    experiment.save_figure(plot_attention(name, output), f"attention_{name}.png")
            experiment.save_figure(plot_error_by_step(outputs), "error_by_step.png")

        best = min(variants, key=lambda name: variants[name]["free_running_mse"])
        experiment.results["best"] = {
            "name": best,
            "free_running_mse": variants[best]["free_running_mse"],
        }
        print(f"\nbest variant: {best} (free_running_mse {variants[best]['free_running_mse']:.3g})")
        return experiment.finish()


if __name__ == "__main__":
    kit.run(main)
