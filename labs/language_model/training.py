"""The language model's optimizer and schedule, and its per-step records that survive a restart."""

import json
import pathlib

import keras

from labs import kit
from models.language_model import build_language_model, unigram_log_probabilities


def build(config, vocabulary_size, steps_per_epoch, train_tokens=None):
    """The compiled model of `config`, its learning-rate schedule counted in steps.

    `train_tokens` (the training text's ids) sets the output bias when `config.unigram_bias`.
    """
    rate = config.learning_rate
    if config.schedule == "step":
        boundaries = [steps_per_epoch * e for e in range(config.decay_after, config.epochs)]
        rate = keras.optimizers.schedules.PiecewiseConstantDecay(
            boundaries, [rate * config.decay**i for i in range(len(boundaries) + 1)]
        )
    elif config.schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(rate, steps_per_epoch * config.epochs)
    optimizer = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[config.optimizer]
    model = build_language_model(
        vocabulary_size,
        optimizer=optimizer(rate, global_clipnorm=config.clip_norm),
        batch_size=config.batch_size,
        unroll=config.unroll,
        embedding_dim=config.embedding_dim,
        units=config.units,
        layers=config.layers,
        cell=config.cell,
        tied=config.tied,
        dropout=config.dropout,
        init_scale=config.init_scale,
        sampled_softmax=config.sampled_softmax,
        precision=config.precision,
    )
    if config.unigram_bias:
        model.output_bias.assign(unigram_log_probabilities(train_tokens, vocabulary_size))
    return model


class _PerEpochFile(keras.callbacks.Callback):
    """A record kept per epoch in a JSON file beside the run's training backup, written at each
    epoch's end before the backup (callbacks given to `experiment.fit` run first), so that a run
    resumed after a kill finds the epochs it backed up, and drops one recorded but not backed up.
    """

    def __init__(self, path):
        super().__init__()
        self.path = pathlib.Path(path)
        try:
            self.epochs = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        del self.epochs[epoch:]

    def on_epoch_end(self, epoch, logs=None):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kit.write_json(self.path, self.epochs)


class StepRecord(_PerEpochFile):
    """Every training step's `key` (from the batch logs), those before a restart included.

    Attributes:
        values: the value of every step, in order.
    """

    def __init__(self, path, key="gradient_norm"):
        super().__init__(path)
        self.key = key

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self.epochs.append([])

    def on_train_batch_end(self, batch, logs=None):
        self.epochs[-1].append(float(logs[self.key]))

    @property
    def values(self):
        return [value for epoch in self.epochs for value in epoch]
