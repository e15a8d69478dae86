"""The seq2seq lab: sin windows -> encoder-decoder -> free-running cos, for each variant."""

import dataclasses

import keras
import numpy as np

from labs import kit
from labs.data.sincos import make_windows
from labs.seq2seq import VALIDATION_SPLIT, figures
from models.seq2seq import Seq2SeqConfig, Seq2SeqGenerator, build_seq2seq


def _optimizer(config, steps_per_epoch):
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
        experiment: the run's `Experiment`.
        variant: the `Variant` to train.
        config: the preset (`epochs`, `batch_size`, learning rate).

    Returns:
        `(metrics, outputs)`: the variant's metrics.json entry, and the windows with the
        teacher-forced and free-running predictions (and attention weights) for the plots.
    """
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
        model = build_seq2seq(Seq2SeqConfig(**dataclasses.asdict(variant.model)))
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


def run(experiment):
    """Trains and scores every variant of the preset, then draws the figures."""
    config = experiment.config
    variants = experiment.results["variants"] = {}
    outputs = {}
    for variant in config.variants:
        variants[variant.name], outputs[variant.name] = train_variant(experiment, variant, config)

    if experiment.plots:
        loss = kit.plot_histories(
            experiment.histories,
            "loss",
            title="Seq2seq sin -> cos: teacher-forced MSE",
            ylabel="MSE",
            log_scale=True,
        )
        experiment.save_figure(loss, "loss.png")
        for name, output in outputs.items():
            figure = figures.plot_predictions(name, output, experiment.context.seed)
            experiment.save_figure(figure, f"predictions_{name}.png")
            if output["attention"] is not None:
                experiment.save_figure(
                    figures.plot_attention(name, output), f"attention_{name}.png"
                )
        experiment.save_figure(figures.plot_error_by_step(outputs), "error_by_step.png")

    best = min(variants, key=lambda name: variants[name]["free_running_mse"])
    experiment.results["best"] = {
        "name": best,
        "free_running_mse": variants[best]["free_running_mse"],
    }
    print(f"\nbest variant: {best} (free_running_mse {variants[best]['free_running_mse']:.3g})")
