"""Binary addition with a numpy RNN and hand-written BPTT: five initialisations and activations
compared.

What you will learn: how back-propagation through time is computed by hand, how the weight
initialisation (std 1, Xavier, He) and the hidden activation (sigmoid, ReLU, tanh) decide whether
an RNN learns at all, and what an exploding gradient looks like (He + ReLU).

Reproduces the course notebook 3_1_simple_RNN: 8-bit binary addition (a, b < 128), 2 inputs,
16 hidden units, 1 output, no biases, sigmoid output, loss sum_t (d - y)^2 / 2 per addition,
one addition per iteration, learning rate 0.1, 10,000 iterations, loss recorded every 100.
The notebook switches init and activation by commenting lines; here every run trains all
five variants on the same additions from the same standard-normal draws (only the scale differs):

    default_sigmoid  randn * 1 (weight_init_std), sigmoid hidden   (the notebook as shipped)
    xavier_sigmoid   randn / sqrt(n_in),           sigmoid hidden
    he_sigmoid       randn * sqrt(2) / sqrt(n_in), sigmoid hidden
    he_relu          randn * sqrt(2) / sqrt(n_in), ReLU hidden
    xavier_tanh      randn / sqrt(n_in),           tanh hidden

Presets:
    course     the notebook exactly, its derivative quirk included: the output delta uses
               d_sigmoid(y) = sigmoid(y)(1 - sigmoid(y)) on the *output* y instead of y(1 - y),
               which acts like ~0.2 x the cross-entropy gradient (never vanishing); see
               models/reference/binary_addition.py.
    corrected  the same with the true squared-error derivative y(1 - y).
Randomness comes from numpy Generators seeded by --seed (additions, initial draws and the 1,000
fresh test additions are separate streams), so a seed reproduces metrics.json exactly. The
notebook used the unseeded global np.random, so its numbers differ run to run.

This lab is numpy, not Keras: --iterations sets the number of iterations (one addition each, as
in the course, which updates after every addition; so there is no --epochs or --batch-size).

Commands:
    python -m labs.simple_rnn                      # course preset, 10,000 iterations x 5 variants
    python -m labs.simple_rnn --preset corrected
    python -m labs.simple_rnn --variants he_relu,xavier_tanh --iterations 3000
    python -m labs.simple_rnn --quick              # 300 iterations, seconds

Outputs (in --output-dir, default runs/simple_rnn):
    loss.png        every variant's loss (mean of each 100 iterations), log scale
    grad_norm.png   the norm of each iteration's gradient, log scale: He + ReLU's explosion
    accuracy.png    accuracy on the fresh additions per variant
    history.csv     per variant and iteration ("epoch" column = iteration): loss, grad_norm
    models/<variant>.npz   trained W_in, W, W_out
    metrics.json:
        {"lab", "preset", "seed", "config": {...}, "variants": {name: {
            "init", "hidden_activation",
            "final_loss"            loss of the addition at the last recorded iteration
                                    (the notebook's number: iteration 9,900 of 10,000),
            "final_loss_mean_100"   mean loss over the last 100 iterations (less noisy),
            "accuracy"              share of the eval additions with every bit right,
            "bit_accuracy"          share of correct bits,
            "max_grad_norm", "final_grad_norm_mean_100",
            "diverged"              true if a loss or gradient became inf/nan,
            "train_seconds"}}}
"""

import dataclasses
import time

import numpy as np

from labs import kit

VARIANTS = {
    # name: (init, hidden activation)
    "default_sigmoid": ("std", "sigmoid"),
    "xavier_sigmoid": ("xavier", "sigmoid"),
    "he_sigmoid": ("he", "sigmoid"),
    "he_relu": ("he", "relu"),
    "xavier_tanh": ("xavier", "tanh"),
}


@dataclasses.dataclass(frozen=True)
class BinaryAdditionConfig:
    binary_dim: int = 8  # bits per number; a, b < 2**(binary_dim - 1) so a + b fits
    hidden_size: int = 16  # hidden units (inputs 2 and output 1 are fixed by the task)
    weight_init_std: float = 1.0  # scale of the default init: randn * weight_init_std
    learning_rate: float = 0.1  # plain gradient descent step
    iterations: int = 10_000  # one addition per iteration (set by --iterations)
    plot_interval: int = 100  # the notebook records the loss every 100 iterations
    output_derivative: str = "course"  # "course": d_sigmoid(y) quirk; "exact": y(1 - y)
    eval_additions: int = 1000  # fresh additions for the accuracy

    def quick(self):
        return dataclasses.replace(self, iterations=300)


PRESETS = {
    "course": BinaryAdditionConfig(),
    "corrected": BinaryAdditionConfig(output_derivative="exact"),
}


def _parse(argv):
    parser = kit.make_parser("simple_rnn", __doc__, PRESETS)
    parser.add_argument(
        "--iterations",
        type=kit.positive_int,
        help="override the preset's iterations (one addition each)",
    )
    parser.add_argument(
        "--variants",
        type=kit.names(VARIANTS),
        default=tuple(VARIANTS),
        help=f"comma-separated subset of: {', '.join(VARIANTS)} (default: all)",
    )
    return parser.parse_args(argv)


def _window_mean(values, window):
    """Mean of each consecutive `window` values (the last, shorter window included)."""
    return np.array([values[i : i + window].mean() for i in range(0, len(values), window)])


def _plots(experiment, histories, metrics, config):
    from labs.kit.plotting import plt

    fig, ax = plt.subplots(figsize=(8, 4.8))
    for index, (name, history) in enumerate(histories.items()):
        means = _window_mean(history["loss"], config.plot_interval)
        starts = np.arange(len(means)) * config.plot_interval
        ax.plot(starts, means, color=f"C{index}", label=name)
    ax.set(
        title=f"Binary addition RNN: loss per variant ({config.output_derivative} derivative)",
        xlabel="iteration",
        ylabel=f"loss, mean of each {config.plot_interval} iterations",
    )
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    experiment.save_figure(fig, "loss.png")

    # One panel per variant on a shared log axis: He + ReLU's spikes stand out against the rest.
    fig, axes = plt.subplots(
        len(histories),
        1,
        figsize=(8, 1.9 * len(histories) + 0.8),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for index, (ax, (name, history)) in enumerate(zip(axes[:, 0], histories.items(), strict=True)):
        norms = history["grad_norm"]
        ax.plot(
            np.arange(1, len(norms) + 1),
            norms,
            color=f"C{index}",
            lw=0.4,
            alpha=0.7,
            label="each iteration",
        )
        peaks = [
            norms[i : i + config.plot_interval].max()
            for i in range(0, len(norms), config.plot_interval)
        ]
        ax.plot(
            np.arange(len(peaks)) * config.plot_interval + 1,
            peaks,
            color="black",
            lw=1,
            label=f"max of each {config.plot_interval}",
        )
        ax.set_yscale("log")
        ax.set_ylabel("||gradient||")
        ax.set_title(
            f"{name}: max {metrics[name]['max_grad_norm']:.3g}", fontsize="medium", loc="left"
        )
        ax.grid(alpha=0.3, which="major")
    axes[0, 0].legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("iteration")
    fig.suptitle("Gradient norm per iteration (W_in, W, W_out together), log scale")
    fig.tight_layout()
    experiment.save_figure(fig, "grad_norm.png")

    fig, ax = plt.subplots(figsize=(8, 4))
    names = list(histories)
    accuracies = [metrics[name]["accuracy"] for name in names]
    bars = ax.bar(names, accuracies, color=[f"C{i}" for i in range(len(names))])
    ax.bar_label(bars, labels=[f"{a:.1%}" for a in accuracies])
    # One seed's result: He + ReLU's moves with the seed and the CPU (README: spread over seeds).
    ax.set(
        title=f"Exact-sum accuracy on {config.eval_additions:,} fresh additions "
        f"(seed {experiment.args.seed})",
        xlabel="variant",
        ylabel="accuracy",
        ylim=(0, 1.1),
    )
    experiment.save_figure(fig, "accuracy.png")


def main(argv=None):
    args = _parse(argv)
    config = kit.configure(PRESETS[args.preset], args)
    if args.iterations:
        config = dataclasses.replace(config, iterations=args.iterations)
    with kit.Experiment("simple_rnn", args, config) as experiment:
        return _train_variants(experiment, args, config)


def _train_variants(experiment, args, config):
    # Imported after parsing: numpy only, but the models package registers Keras layers.
    from models.reference import binary_addition

    eval_a, eval_b = binary_addition.sample_additions(
        np.random.default_rng([args.seed, 2]), config.eval_additions, config.binary_dim
    )
    histories, results = {}, {}
    for name in args.variants:
        init, activation = VARIANTS[name]
        # Same draws and additions for every variant: only the init scale and activation differ.
        weights = binary_addition.init_weights(
            np.random.default_rng([args.seed, 1]),
            init,
            hidden_size=config.hidden_size,
            weight_init_std=config.weight_init_std,
        )
        start = time.perf_counter()
        history = binary_addition.train(
            weights,
            np.random.default_rng([args.seed, 0]),
            iterations=config.iterations,
            learning_rate=config.learning_rate,
            activation=activation,
            output_derivative=config.output_derivative,
            binary_dim=config.binary_dim,
        )
        seconds = time.perf_counter() - start
        last_recorded = (config.iterations - 1) // config.plot_interval * config.plot_interval
        results[name] = {
            "init": init,
            "hidden_activation": activation,
            "final_loss": float(history["loss"][last_recorded]),
            "final_loss_mean_100": float(history["loss"][-100:].mean()),
            **binary_addition.evaluate(eval_a, eval_b, weights, activation, config.binary_dim),
            "max_grad_norm": float(np.nanmax(history["grad_norm"])),
            "final_grad_norm_mean_100": float(history["grad_norm"][-100:].mean()),
            "diverged": bool(
                not (
                    np.all(np.isfinite(history["loss"]))
                    and np.all(np.isfinite(history["grad_norm"]))
                )
            ),
            "train_seconds": round(seconds, 2),
        }
        histories[name] = history
        np.savez(experiment.model_path(name).with_suffix(".npz"), **weights)
        r = results[name]
        print(
            f"{name:16s} loss@{last_recorded} {r['final_loss']:.3g}  "
            f"mean last 100 {r['final_loss_mean_100']:.3g}  accuracy {r['accuracy']:.1%}  "
            f"max |grad| {r['max_grad_norm']:.3g}  ({seconds:.1f} s)"
        )

    experiment.histories.update(
        {
            name: {key: values.tolist() for key, values in history.items()}
            for name, history in histories.items()
        }
    )
    if experiment.plots:
        _plots(experiment, histories, results, config)
    experiment.results["variants"] = results
    return experiment.finish()


if __name__ == "__main__":
    kit.run(main)
