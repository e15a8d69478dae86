"""A tiny lab for the kit's tests: a linear regression per model, trained with `experiment.fit`.

Commands:
    python -m tests.tiny_lab --epochs 3
    python -m tests.tiny_lab predict 1 2 3
"""

import dataclasses
import typing

from labs import kit

MODELS = ("small", "large", "huge")


@dataclasses.dataclass(frozen=True)
class Config:
    epochs: int = kit.flag(4, "passes over the data")
    batch_size: int = kit.flag(8, "examples per step")
    learning_rate: float = kit.flag(0.05, "SGD's learning rate")
    models: tuple[str, ...] = kit.flag(("small", "large"), "models to train", choices=MODELS)
    noise: float = kit.flag(0.1, "label noise", minimum=0)
    examples: int = 64  # preset-only

    def __post_init__(self):
        if self.noise > 10:
            raise ValueError("--noise above 10 drowns the signal")

    def quick(self):
        return dataclasses.replace(self, epochs=2, examples=32)


@dataclasses.dataclass(frozen=True)
class Predict:
    inputs: tuple[str, ...] = kit.argument("three numbers")
    model: str = kit.flag("small", "the model to ask", choices=MODELS)


class ModelMetrics(typing.TypedDict):
    final_loss: float
    epochs: int
    train_seconds: float


class Metrics(typing.TypedDict):
    models: dict[str, ModelMetrics]


LAB = kit.Lab(
    __name__,
    __doc__,
    {"default": Config(), "long": Config(epochs=40)},
    section="the kit's tests",
    tensorboard=True,
    commands={"predict": kit.Command(Predict, "print a model's prediction for three numbers")},
    metrics=Metrics,
)
