"""Training and scoring one spoken-digit model, and the models voting together."""

import dataclasses

import keras
import numpy as np

from labs.data.spoken_digit import course_batches, waveform_batches
from models.spoken_digit import (
    FrontEndConfig,
    build_course_model,
    build_ensemble,
    build_modern_model,
)

COURSE_CLIPPING = {"lstm_clip": {"clipvalue": 0.5}}  # the notebook's only clipped model


@dataclasses.dataclass
class TrainedModel:
    """A trained model with what the lab reports and plots about it."""

    model: keras.Model
    metrics: dict  # params, epochs, epoch_seconds, val_accuracy, test_accuracy, clipping
    test_labels: np.ndarray  # (clips,)
    test_probabilities: np.ndarray  # (clips, 10)
    val_labels: np.ndarray | None = None  # (clips,)
    val_probabilities: np.ndarray | None = None  # (clips, 10)

    @property
    def test_predictions(self):
        return self.test_probabilities.argmax(axis=-1)  # (clips,) predicted digits


def batches(splits, config, seed):
    """(train, validation, test) batched datasets in the input format of the preset's models."""
    if config.course_models:
        # The course feeds the splits in file order, unshuffled.
        return tuple(
            course_batches(ds, config.batch_size)
            for ds in (splits.train, splits.validation, splits.test)
        )
    return (
        waveform_batches(splits.train, config.batch_size, shuffle_seed=seed),
        waveform_batches(splits.validation, 64),
        waveform_batches(splits.test, 64),
    )


def optimizer(config, clipping, steps):
    """The preset's optimizer: the course's plain Adam, or AdamW with a cosine decay."""
    if config.weight_decay:
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps)
        return keras.optimizers.AdamW(
            schedule, weight_decay=config.weight_decay, **(clipping or {})
        )
    return keras.optimizers.Adam(config.learning_rate, **(clipping or {}))


def train_and_evaluate(experiment, label, name, splits):
    """Trains (or, after a restart, reuses) model `name` and scores it once on the test split.

    Args:
        experiment: the run's `Experiment` (its config: the preset with the flags applied).
        label: the run's name in files and tables (`gru`, or `gru_theo` for a fold).
        name: the architecture.
        splits: a `DigitSplits`.

    Returns:
        A `TrainedModel`.
    """
    config = experiment.config
    clipping = config.clipping
    train, validation, test = batches(splits, config, experiment.context.seed)
    if config.course_models:
        clipping = clipping or COURSE_CLIPPING.get(name)

    def build():
        model = (
            build_course_model(name)
            if config.course_models
            else build_modern_model(name, FrontEndConfig(**dataclasses.asdict(config.front_end)))
        )
        steps = config.epochs * int(train.cardinality())
        model.compile(
            optimizer=optimizer(config, clipping, steps),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    callbacks = []
    if config.patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                "val_loss", patience=config.patience, restore_best_weights=True
            )
        )
    result = experiment.fit(
        label,
        build,
        train,
        epochs=config.epochs,
        validation=validation,
        callbacks=callbacks,
        shuffle=False,
        hint=f"lower --learning-rate (now {config.learning_rate:g}) or clip the "
        "gradients, e.g. --clipnorm 1",
    )
    # Validation probabilities choose the best model (the vote's are their mean); the test split
    # is used once, for the accuracy and the confusion matrix.
    val_labels, val_probabilities = labels_and_probabilities(result.model, validation)
    test_labels, test_probabilities = labels_and_probabilities(result.model, test)
    metrics = {
        "params": result.model.count_params(),
        "epochs": result.epochs,
        "epoch_seconds": result.epoch_seconds,
        "val_accuracy": accuracy(val_probabilities, val_labels),
        "test_accuracy": accuracy(test_probabilities, test_labels),
        "clipping": clipping,
    }
    return TrainedModel(
        result.model, metrics, test_labels, test_probabilities, val_labels, val_probabilities
    )


def labels_and_probabilities(model, batches):
    """`(labels (clips,), model's probabilities (clips, 10))` over a batched `(x, y)` dataset."""
    labels = np.concatenate([np.reshape(y, -1) for _, y in batches.as_numpy_iterator()])
    return labels, model.predict(batches.map(lambda x, y: x), verbose=0)


def accuracy(probabilities, labels):
    return float(np.mean(probabilities.argmax(axis=-1) == labels))


def summarise(runs, models, folds):
    """Per model: its result, or with several folds the mean over them plus each fold's accuracy."""
    summary = {}
    for name in models:
        results = [runs[(name, fold)].metrics for fold in folds]
        entry = dict(results[0])
        if folds != [None]:
            for key in ("epochs", "epoch_seconds", "val_accuracy", "test_accuracy"):
                entry[key] = round(float(np.mean([r[key] for r in results])), 4)
            entry["folds"] = {
                fold: result["test_accuracy"] for fold, result in zip(folds, results, strict=True)
            }
        summary[name] = entry
    return summary


def vote(runs, models, fold):
    """The models of one fold voting: a `TrainedModel` whose model is `build_ensemble` of theirs and
    whose probabilities are the mean of theirs (validation and test), as the saved vote computes
    them."""
    members = [runs[(name, fold)] for name in models]
    val_probabilities = np.mean([run.val_probabilities for run in members], axis=0)
    test_probabilities = np.mean([run.test_probabilities for run in members], axis=0)
    labels, val_labels = members[0].test_labels, members[0].val_labels
    metrics = {
        "params": sum(run.metrics["params"] for run in members),
        "val_accuracy": accuracy(val_probabilities, val_labels),
        "test_accuracy": accuracy(test_probabilities, labels),
    }
    model = build_ensemble([run.model for run in members])
    return TrainedModel(model, metrics, labels, test_probabilities, val_labels, val_probabilities)


def ensemble(runs, models, folds):
    """The models voting together (`runs[("ensemble", fold)]`, see `vote`): their mean
    probabilities scored per fold (each fold's models saw the same clips in order).

    Returns:
        `{"models", "params", "val_accuracy", "test_accuracy"}`, plus `"folds": {speaker:
        test_accuracy}` with the means over several folds.
    """
    votes = [runs[("ensemble", fold)].metrics for fold in folds]
    entry = {"models": list(models), "params": votes[0]["params"]}
    if folds == [None]:
        return {**entry, **{key: votes[0][key] for key in ("val_accuracy", "test_accuracy")}}
    for key in ("val_accuracy", "test_accuracy"):
        entry[key] = round(float(np.mean([v[key] for v in votes])), 4)
    entry["folds"] = {fold: v["test_accuracy"] for fold, v in zip(folds, votes, strict=True)}
    return entry
