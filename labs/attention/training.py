"""The attention lab's training pieces: the learning-rate schedule, a guard against a loss far
above guessing."""

import math

import keras

from labs import kit

# A cross-entropy this many times a uniform guess's (ln V) has diverged, even in the first epoch
# (where the kit's guard, which compares with the first epoch, cannot tell).
ABOVE_CHANCE = 100


def learning_rate(config, steps_per_epoch, epochs):
    """The preset's rate: constant for `hold_epochs`, then a cosine decay to 2 % of it."""
    if not config.cosine_decay:
        return config.learning_rate
    hold = min(config.hold_epochs, epochs - 1) * steps_per_epoch
    # CosineDecay's "warm-up" from the rate to the same rate is a constant stretch.
    return keras.optimizers.schedules.CosineDecay(
        config.learning_rate,
        decay_steps=max(1, epochs * steps_per_epoch - hold),
        alpha=0.02,
        warmup_target=config.learning_rate if hold else None,
        warmup_steps=hold,
    )


class AboveChance(keras.callbacks.Callback):
    """Stops a run as diverged when an epoch's training loss is more than `ABOVE_CHANCE` times
    the cross-entropy of a uniform guess over the vocabulary (`ln V`: 4.1 for dates): with
    `--learning-rate 1e6` the first epoch ends at 3.8e6 and the run used to finish as if fine.

    Args:
        run: the variant's name, for the message.
        vocabulary_size: V.
        hint: what the message suggests.
    """

    def __init__(self, run, vocabulary_size, hint):
        super().__init__()
        self.run, self.hint = run, hint
        self.chance = math.log(vocabulary_size)

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and loss > ABOVE_CHANCE * self.chance:
            raise kit.Diverged(
                f"training diverged: {self.run}'s loss {loss:.3g} in epoch {epoch + 1} is over "
                f"{ABOVE_CHANCE} times a uniform guess's ({self.chance:.2f}); {self.hint}",
                self.run,
                {key: [float(value)] for key, value in logs.items()},
            )
