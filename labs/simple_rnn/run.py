"""The simple_rnn lab: for each variant, the same additions and initial draws -> BPTT training
(models/reference/binary_addition.py) -> accuracy on fresh additions; then models and plots.

Randomness comes from numpy Generators seeded by --seed, separate streams for the training
additions `[seed, 0]`, the initial draws `[seed, 1]` and the fresh test additions `[seed, 2]`, so
a seed reproduces metrics.json exactly (the notebook used the unseeded global np.random).

Outputs: `loss.png` (mean of each 100 iterations, log scale), `grad_norm.png` (each iteration's
gradient norm: He + ReLU's explosion), `accuracy.png`, `history.csv` (a row per variant and
iteration, the "epoch" column being the iteration), `models/<variant>.npz` (W_in, W, W_out).
"""

import time

import numpy as np

from labs import kit
from labs.simple_rnn import VARIANTS, figures
from models.reference import binary_addition


def train_variant(name, config, seed, eval_a, eval_b):
    """Trains one variant as the notebook does and scores it on the fresh additions.

    Returns:
        `(metrics, weights, history)`: its metrics.json entry, the trained weights and
        `{"loss", "grad_norm"}` per iteration (shorter than `config.iterations` if it diverged).
    """
    init, activation = VARIANTS[name]
    # Same draws and additions for every variant: only the init scale and activation differ.
    weights = binary_addition.init_weights(
        np.random.default_rng([seed, 1]),
        init,
        hidden_size=config.hidden_size,
        weight_init_std=config.weight_init_std,
    )
    start = time.perf_counter()
    history = binary_addition.train(
        weights,
        np.random.default_rng([seed, 0]),
        iterations=config.iterations,
        learning_rate=config.learning_rate,
        activation=activation,
        output_derivative=config.output_derivative,
        binary_dim=config.binary_dim,
        grad_norm_limit=config.grad_norm_limit,
    )
    seconds = time.perf_counter() - start
    loss, norms = history["loss"], history["grad_norm"]
    last_recorded = (len(loss) - 1) // config.plot_interval * config.plot_interval
    metrics = {
        "init": init,
        "hidden_activation": activation,
        "final_loss": float(loss[last_recorded]),
        "final_loss_mean_100": float(loss[-100:].mean()),
        **binary_addition.evaluate(eval_a, eval_b, weights, activation, config.binary_dim),
        "max_grad_norm": float(np.nanmax(norms)),
        "final_grad_norm_mean_100": float(norms[-100:].mean()),
        "diverged": binary_addition.diverged(loss[-1], norms[-1], config.grad_norm_limit),
        "train_seconds": round(seconds, 2),
    }
    print(
        f"{name:16s} loss@{last_recorded} {metrics['final_loss']:.3g}  "
        f"mean last 100 {metrics['final_loss_mean_100']:.3g}  "
        f"accuracy {metrics['accuracy']:.1%}  max |grad| {metrics['max_grad_norm']:.3g}  "
        f"({seconds:.1f} s)"
    )
    return metrics, weights, history


def _diverged(names, histories, config):
    """The one-line `kit.Diverged` for the variants whose training stopped."""
    name, history = names[0], histories[names[0]]
    others = f" (and {', '.join(names[1:])})" if len(names) > 1 else ""
    return kit.Diverged(
        f"training diverged: {name}'s gradient norm reached {history['grad_norm'][-1]:.3g} at "
        f"iteration {len(history['grad_norm'])}{others}, above the limit "
        f"{config.grad_norm_limit:g} or not finite; lower --learning-rate (now "
        f"{config.learning_rate:g}) or leave it out of --variants",
        name,
        {key: values.tolist() for key, values in history.items()},
    )


def run(experiment):
    """Trains every variant asked for, then saves the weights and draws the figures."""
    config, seed = experiment.config, experiment.context.seed
    eval_a, eval_b = binary_addition.sample_additions(
        np.random.default_rng([seed, 2]), config.eval_additions, config.binary_dim
    )
    results, weights, histories = {}, {}, {}
    for name in config.variants:
        results[name], weights[name], histories[name] = train_variant(
            name, config, seed, eval_a, eval_b
        )
    experiment.results["variants"] = results
    experiment.histories.update(
        {
            name: {key: values.tolist() for key, values in history.items()}
            for name, history in histories.items()
        }
    )
    # Every variant is trained and reported (in metrics.json, or diverged.json beside a finished
    # run), but a diverged run saves no weights or plots, so it never mixes into a finished one.
    diverged = [name for name in results if results[name]["diverged"]]
    if diverged:
        raise _diverged(diverged, histories, config)

    for name, trained in weights.items():
        experiment.save_arrays(name, **trained)
    if experiment.plots:
        experiment.save_figure(figures.plot_loss(histories, config), "loss.png")
        experiment.save_figure(figures.plot_grad_norm(histories, results, config), "grad_norm.png")
        experiment.save_figure(figures.plot_accuracy(results, config, seed), "accuracy.png")
