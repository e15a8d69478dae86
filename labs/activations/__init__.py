"""Activation functions and their derivatives, plotted and checked against Keras's autodiff.

What you will learn: the shape of the course's eight activation functions and of their
derivatives (where each saturates, where it is flat, where it has a kink), and that the
hand-written derivatives (models/reference/activations.py) are exactly what TensorFlow's
automatic differentiation computes: metrics.json gives the largest difference of each.

Course: the activation-function plots of the course notebooks (step, sigmoid, tanh, ReLU, Leaky
ReLU, Swish, softmax, identity on x = np.arange(-600, 601) * 0.01).

Nothing is trained or random: there is no --epochs or --batch-size, and --seed changes nothing.

Commands:
    python -m labs.activations                       # one PNG per function, overview.png
    python -m labs.activations --quick               # the same range on a 0.1 grid
    python -m labs.activations --leaky-alpha 0.2 --swish-beta 2
    python -m labs.activations --no-plots            # only the check
"""

import dataclasses
import typing

from labs import kit


@dataclasses.dataclass(frozen=True)
class Config:
    """The grid and the two parameters of the course's activations."""

    x_start: int = -600  # x = np.arange(x_start, x_stop + 1) * x_scale (the course's grid)
    x_stop: int = 600
    x_scale: float = 0.01
    # Leaky ReLU's slope for x < 0 (the course: 0.01; Keras's default is 0.2).
    leaky_alpha: float = kit.flag(0.01, "Leaky ReLU's slope for x < 0", minimum=0.0, maximum=1.0)
    # Swish f = x sigmoid(beta x); beta 1 is Keras's silu.
    swish_beta: float = kit.flag(1.0, "Swish's beta in x * sigmoid(beta x)", maximum=100.0)

    def quick(self):
        return dataclasses.replace(self, x_start=-60, x_stop=60, x_scale=0.1)  # a 0.1 grid


PRESETS = {"course": Config()}


class FunctionCheck(typing.TypedDict):
    keras: str  # the Keras op compared, e.g. "keras.activations.silu"
    max_abs_error_value: float  # max |numpy f(x) - Keras f(x)| over the grid, float64
    max_abs_error_derivative: float  # max |numpy f'(x) - GradientTape| (softmax: the Jacobian)


class Metrics(typing.TypedDict):
    points: int  # grid points (1,201 for the course, 121 under --quick)
    check: str  # how the derivatives were computed
    functions: dict[str, FunctionCheck]  # step, sigmoid, tanh, relu, leaky_relu, swish, ...
    max_abs_error_derivative: float  # the largest over every function


LAB = kit.Lab(__name__, __doc__, PRESETS, section="activation functions", metrics=Metrics)
