"""Binary addition with a numpy RNN and hand-written BPTT: five initialisations and activations.

What you will learn: how back-propagation through time is computed by hand, how the weight
initialisation (std 1, Xavier, He) and the hidden activation (sigmoid, ReLU, tanh) decide whether
an RNN learns at all, and what an exploding gradient looks like (He + ReLU).

Course: Day 3, notebook `3_1_simple_RNN` (8-bit additions, 16 hidden units, one addition per
update, learning rate 0.1, 10,000 iterations). Every run trains the variants on the same additions
from the same standard-normal draws (only the scale and activation differ); numpy, not Keras, so
--iterations replaces --epochs and --batch-size. A variant whose gradient stops being finite or
exceeds 1e6 stops there: the run reports every variant and exits 1 (training diverged).

Commands:
    python -m labs.simple_rnn                      # course preset, 10,000 iterations x 5 variants
    python -m labs.simple_rnn --preset corrected   # the true squared-error output derivative
    python -m labs.simple_rnn --variants he_relu,xavier_tanh --iterations 3000
    python -m labs.simple_rnn --quick              # 300 iterations, seconds
"""

import dataclasses
import typing

from labs import kit

VARIANTS = {  # name: (init, hidden activation), as models/reference/binary_addition.py names them
    "default_sigmoid": ("std", "sigmoid"),  # randn * weight_init_std: the notebook as shipped
    "xavier_sigmoid": ("xavier", "sigmoid"),  # randn / sqrt(n_in)
    "he_sigmoid": ("he", "sigmoid"),  # randn * sqrt(2) / sqrt(n_in)
    "he_relu": ("he", "relu"),
    "xavier_tanh": ("xavier", "tanh"),
}


@dataclasses.dataclass(frozen=True)
class Config:
    """The notebook's network and training loop (models/reference/binary_addition.py)."""

    binary_dim: int = 8  # bits per number; a, b < 2**(binary_dim - 1) so a + b fits
    hidden_size: int = 16  # hidden units (inputs 2 and output 1 are fixed by the task)
    weight_init_std: float = 1.0  # scale of the default init: randn * weight_init_std
    learning_rate: float = kit.flag(0.1, "plain gradient descent step")
    iterations: int = kit.flag(
        10_000, "iterations, one addition each (100 x the course at most)", maximum=1_000_000
    )
    plot_interval: int = 100  # the notebook records the loss every 100 iterations
    # "course": the notebook's d_sigmoid(y) quirk in the output delta; "exact": y(1 - y).
    output_derivative: str = "course"
    eval_additions: int = 1000  # fresh additions for the accuracy
    variants: tuple[str, ...] = kit.flag(tuple(VARIANTS), "variants to train", choices=VARIANTS)
    # A gradient norm above this (or not finite) is an explosion: the variant stops, the run
    # exits 1. He + ReLU peaks at 200-12,800 at the course's settings (seeds 0-4) and recovers.
    grad_norm_limit: float = 1e6

    def quick(self):
        return dataclasses.replace(self, iterations=300)


PRESETS = {
    # The notebook exactly, its derivative quirk included: the output delta uses
    # d_sigmoid(y) = sigmoid(y)(1 - sigmoid(y)) on the *output* y instead of y(1 - y), which acts
    # like ~0.2 x the cross-entropy gradient (never vanishing).
    "course": Config(),
    # The same with the true squared-error derivative y(1 - y).
    "corrected": Config(output_derivative="exact"),
}


class VariantMetrics(typing.TypedDict):
    init: typing.Literal["std", "xavier", "he"]
    hidden_activation: typing.Literal["sigmoid", "relu", "tanh"]
    # Loss of the addition at the last recorded iteration (the notebook's number: 9,900 of
    # 10,000); None where it is not finite (a diverged variant).
    final_loss: float | None
    final_loss_mean_100: float | None  # mean loss over the last 100 iterations (less noisy)
    accuracy: float  # share of the fresh additions with every bit right
    bit_accuracy: float  # share of correct bits
    max_grad_norm: float | None  # the largest gradient norm (W_in, W, W_out together)
    final_grad_norm_mean_100: float | None
    diverged: bool  # the gradient stopped being finite or exceeded grad_norm_limit
    train_seconds: float  # timing: varies run to run


class Metrics(typing.TypedDict):
    variants: dict[str, VariantMetrics]


LAB = kit.Lab(__name__, __doc__, PRESETS, section="3_1_simple_RNN", metrics=Metrics)
