"""The attention lab: DLFS2's task -> each variant trained, scored after every epoch -> heat maps.

Writes metrics.json, history.csv, assets.json (what `translate` needs: the task, its vocabulary
and widths, a question of each format), models/<variant>.keras, exact_match.png and
attention_<variant>.png.
"""

import dataclasses

import numpy as np

from labs.attention import TARGET, figures
from labs.attention.training import AboveChance, learning_rate
from labs.data.dlfs2 import examples_of_each_format, load_task, question_examples
from models import attention_seq2seq as s2s


def train_variant(experiment, variant, task):
    """Trains (or, after a restart, reuses) one variant; returns `(metrics, test weights)`."""
    config, epochs = experiment.config, experiment.config.chosen_epochs
    steps_per_epoch = -(-len(task.x_train) // config.batch_size)
    hint = f"lower --learning-rate (now {config.learning_rate:g})"

    def build():
        model = s2s.build_attention_seq2seq(
            s2s.AttentionSeq2SeqConfig(
                variant, len(task.vocabulary), config.embedding_dim, config.units
            )
        )
        print(f"{variant}: {model.count_params():,} params")
        rate = learning_rate(config, steps_per_epoch, epochs)
        return s2s.compile_seq2seq(model, rate, config.global_clipnorm)

    # Scored after every epoch; the scores go into the epoch's logs, so into the history and
    # the training backup (a resumed run keeps the scores of the epochs before the restart).
    scores = s2s.ExactMatchHistory(
        {"val": (task.x_valid, task.t_valid), "test": (task.x_test, task.t_test)},
        task.start_id,
        config.xla_decoding,
    )
    result = experiment.fit(
        variant,
        build,
        [task.x_train, task.t_train[:, :-1]],
        y=task.t_train[:, 1:],
        validation=([task.x_valid, task.t_valid[:, :-1]], task.t_valid[:, 1:]),
        epochs=epochs,
        batch_size=config.batch_size,
        callbacks=[scores, AboveChance(variant, len(task.vocabulary), hint)],
        hint=hint,
    )
    history = result.history
    elapsed = np.round(np.cumsum(history["epoch_seconds"]), 2).tolist()
    predicted, weights = s2s.GreedyDecoder(result.model, task.start_id, config.xla_decoding)(
        task.x_test, task.answer_length
    )
    test = history["test_exact_match"]
    first = next((epoch for epoch, score in enumerate(test, 1) if score >= TARGET), None)
    wrong = np.flatnonzero(~np.all(predicted == task.t_test, axis=1))[:5]
    metrics = {
        "params": result.model.count_params(),
        "epochs": result.epochs,
        "test_exact_match": s2s.exact_match(predicted, task.t_test),
        "test_exact_match_per_epoch": test,
        "val_exact_match_per_epoch": history["val_exact_match"],
        "elapsed_seconds_per_epoch": elapsed,
        "first_epoch_at_99_9": first,
        "seconds_to_99_9": elapsed[first - 1] if first else None,
        "position_accuracy": s2s.position_accuracy(predicted, task.t_test).round(5).tolist(),
        "wrong_examples": [
            {
                "question": task.decode(task.x_test[i]).rstrip(),
                "answer": task.decode(task.t_test[i, 1:]).rstrip(),
                "predicted": task.decode(predicted[i, 1:]).rstrip(),
            }
            for i in wrong
        ],
        "train_seconds": result.train_seconds,
    }
    print(f"[{variant}] test exact match {metrics['test_exact_match']:.2%}")
    return metrics, (predicted, weights)


def run(experiment):
    """Loads the task, trains and scores every chosen variant, draws the figures."""
    config = experiment.config
    task = load_task(
        config.task, experiment.context.manual_dir, config.validation_size, config.question_padding
    )
    experiment.assets.update(
        task=config.task,
        vocabulary="".join(task.vocabulary),
        question_length=task.question_length,
        question_padding=task.padding,
        answer_length=task.answer_length,
        question_examples=question_examples(task),  # one question of each format of the task
    )
    if config.train_size or config.test_size:  # --quick: a prefix of each split
        task = dataclasses.replace(
            task,
            x_train=task.x_train[: config.train_size],
            t_train=task.t_train[: config.train_size],
            x_test=task.x_test[: config.test_size],
            t_test=task.t_test[: config.test_size],
        )
    experiment.results.update(
        task=config.task,
        vocabulary="".join(task.vocabulary),
        question_length=task.question_length,
        question_padding=task.padding,
        answer_length=task.answer_length,
        split={"train": len(task.x_train), "valid": len(task.x_valid), "test": len(task.x_test)},
        variants={},
    )

    variants, decoded = experiment.results["variants"], {}
    for variant in config.chosen_variants:
        variants[variant], decoded[variant] = train_variant(experiment, variant, task)
    best = max(variants, key=lambda name: variants[name]["test_exact_match"])
    experiment.results["best"] = {
        "variant": best,
        "test_exact_match": variants[best]["test_exact_match"],
    }

    if experiment.plots:
        experiment.save_figure(figures.plot_exact_match(variants, task), "exact_match.png")
        rows = examples_of_each_format(task, 4 if config.task == "date" else 1)
        for variant, (predicted, weights) in decoded.items():
            if weights is not None:
                figure = figures.plot_attention(task, variant, predicted, weights, rows)
                experiment.save_figure(figure, f"attention_{variant}.png")
