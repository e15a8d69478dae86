"""Training and scoring one spoken-digit model, and the models voting together."""

import dataclasses

import keras
import numpy as np

from labs.data.spoken_digit import course_batches, waveform_batches
from models.spoken_digit import build_course_model, build_modern_model

COURSE_CLIPPING = {"lstm_clip": {"clipvalue": 0.5}}  # the notebook's only clipped model


@dataclasses.dataclass
class TrainedModel:
    """A trained model with what the lab reports and plots about it."""

    model: keras.Model
    metrics: dict  # params, epochs, epoch_seconds, val_accuracy, test_accuracy, clipping
    test_labels: np.ndarray  # (clips,)
    test_probabilities: np.ndarray  # (clips, 10)

    @property
    def test_predictions(self):
        return self.test_probabilities.argmax(axis=-1)  # (clips,) predicted digits


def batches(splits, config, seed):
    """(train, validation, test) batched datasets in the input format of the preset's models."""
    if config.course_models:
        # The course feeds the splits in file order, unshuffled.
        return tuple(course_batches(ds, config.batch_size)
                     for ds in (splits.train, splits.validation, splits.test))
    return (waveform_batches(splits.train, config.batch_size, shuffle_seed=seed),
            waveform_batches(splits.validation, 64), waveform_batches(splits.test, 64))


def optimizer(config, clipping, steps):
    """The preset's optimizer: the course's plain Adam, or AdamW with a cosine decay."""
    if config.weight_decay:
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps)
        return keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay,
                                      **(clipping or {}))
    return keras.optimizers.Adam(config.learning_rate, **(clipping or {}))


def train_and_evaluate(experiment, label, name, config, splits, clipping, seed):
    """Trains (or, after a restart, reuses) model `name` and scores it once on the test split.

    Args:
        experiment: the run's `kit.Experiment`.
        label: the run's name in files and tables (`gru`, or `gru_theo` for a fold).
        name: the architecture.
        config: the preset.
        splits: a `DigitSplits`.
        clipping: `{"clipvalue" | "clipnorm" | "global_clipnorm": float}` or None.
        seed: the shuffling seed.

    Returns:
        A `TrainedModel`.
    """
    train, validation, test = batches(splits, config, seed)
    if config.course_models:
        clipping = clipping or COURSE_CLIPPING.get(name)

    def build():
        model = (build_course_model(name) if config.course_models
                 else build_modern_model(name, config.front_end))
        steps = config.epochs * int(train.cardinality())
        model.compile(optimizer=optimizer(config, clipping, steps),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    callbacks = []
    if config.patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            "val_loss", patience=config.patience, restore_best_weights=True))
    result = experiment.fit(
        label, build, train, epochs=config.epochs, validation=validation, callbacks=callbacks,
        shuffle=False, hint=f"lower --learning-rate (now {config.learning_rate:g}) or clip the "
                            "gradients, e.g. --clipnorm 1")
    _, val_accuracy = result.model.evaluate(validation, verbose=0)
    # The test split is used once: these predictions give the accuracy and the confusion matrix.
    test_labels = np.concatenate([np.reshape(y, -1) for _, y in test.as_numpy_iterator()])
    test_probabilities = result.model.predict(test.map(lambda x, y: x), verbose=0)
    metrics = {
        "params": result.model.count_params(),
        "epochs": result.epochs,
        "epoch_seconds": result.epoch_seconds,
        "val_accuracy": float(val_accuracy),
        "test_accuracy": float(np.mean(test_probabilities.argmax(axis=-1) == test_labels)),
        "clipping": clipping,
    }
    return TrainedModel(result.model, metrics, test_labels, test_probabilities)


def summarise(runs, models, folds):
    """Per model: its result, or with several folds the mean over them plus each fold's accuracy."""
    summary = {}
    for name in models:
        results = [runs[(name, fold)].metrics for fold in folds]
        entry = dict(results[0])
        if folds != [None]:
            for key in ("epochs", "epoch_seconds", "val_accuracy", "test_accuracy"):
                entry[key] = round(float(np.mean([r[key] for r in results])), 4)
            entry["folds"] = {fold: result["test_accuracy"]
                              for fold, result in zip(folds, results, strict=True)}
        summary[name] = entry
    return summary


def ensemble(runs, models, folds):
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
