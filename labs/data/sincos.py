"""The course's sin -> cos windows (notebook `3_5_Seq2Seq(Encoder-Decoder)_sin-cos`).

The notebook samples `x = np.linspace(-3π, 3π, 100)` and cuts `seq_in = sin(x)`, `seq_out = cos(x)`
into windows of `NUM_STEPS = 24` consecutive points starting at `i in range(100 - 24)`: 76 windows
(the last full window, starting at 76, is left out, as in the notebook):

    encoder input  ex[i] = sin[i : i + 24]
    decoder input  dx[i] = [0, cos[i], ..., cos[i + 22]]   (teacher forcing: target shifted right)
    target         dy[i] = cos[i : i + 24]

The grid step is 6π/99, so 33 steps are exactly one period: window `i + 33` repeats window `i`.
Keras's `validation_split=0.2` holds out the last 16 windows (60..75), which repeat training windows
27..42, so the course's validation loss is not a held-out measure. `make_windows(phase=...)` shifts
the grid by a fraction of a step to get windows the model never saw.

Longer horizons keep the course's grid step and window count and extend the series instead:
`make_windows(num_steps=96)` samples 171 points from -3π with step 6π/99 and still gives 76 windows.
"""

import dataclasses

import numpy as np

NUM_POINTS = 100  # the notebook's linspace length
NUM_STEPS = 24  # the notebook's window length
X_START, X_STOP = -3 * np.pi, 3 * np.pi  # the notebook's linspace range
STEP = (X_STOP - X_START) / (NUM_POINTS - 1)  # 6π/99: 33 steps per period
# 76: the notebook's `range(100 - 24)` leaves out the last full window.
NUM_WINDOWS = NUM_POINTS - NUM_STEPS
PLOT_WINDOWS = (0, 24, 49, 74)  # the windows the notebook plots


@dataclasses.dataclass(frozen=True)
class SinCosWindows:
    """Sliding windows of sin (encoder) and cos (decoder), all float32 `(windows, steps, 1)`.

    Attributes:
        encoder_input: `sin` over each window.
        decoder_input: the target shifted right by one step with a leading 0 (teacher forcing).
        target: `cos` over each window.
        x: `(windows, steps)` the abscissa of every point, for plotting.
    """

    encoder_input: np.ndarray
    decoder_input: np.ndarray
    target: np.ndarray
    x: np.ndarray

    @property
    def num_windows(self):
        return self.target.shape[0]

    @property
    def num_steps(self):
        return self.target.shape[1]


def make_windows(num_steps=NUM_STEPS, num_windows=NUM_WINDOWS, phase=0.0):
    """Builds the course's windows; the defaults give exactly the notebook's arrays.

    Args:
        num_steps: points per window (the notebook: 24).
        num_windows: how many windows, one per start point (the notebook: 76). The series is
            `num_steps + num_windows - 1` points long with the notebook's step 6π/99.
        phase: shift of the whole grid in grid steps, e.g. `0.5` for points half-way between
            the notebook's; `0` reproduces the notebook.

    Returns:
        A `SinCosWindows`.

    Example:
        >>> windows = make_windows()
        >>> windows.encoder_input.shape, windows.decoder_input[0, :2, 0].tolist()
        ((76, 24, 1), [0.0, -1.0])
    """
    if num_steps < 1 or num_windows < 1:
        raise ValueError(f"num_steps and num_windows must be >= 1, got {num_steps}, {num_windows}")
    num_points = num_steps + num_windows - 1
    if num_points <= NUM_POINTS and phase == 0:
        x = np.linspace(X_START, X_STOP, NUM_POINTS)[:num_points]  # bit-for-bit the notebook's grid
    else:
        x = X_START + (np.arange(num_points) + phase) * STEP
    seq_in, seq_out = np.sin(x), np.cos(x)
    starts = np.arange(num_windows)[:, None] + np.arange(num_steps)[None, :]  # (windows, steps)
    target = seq_out[starts]
    decoder_input = np.concatenate([np.zeros((num_windows, 1)), target[:, :-1]], axis=1)
    as_3d = lambda a: a[..., None].astype(np.float32)  # noqa: E731  (windows, steps) -> (..., 1)
    return SinCosWindows(
        encoder_input=as_3d(seq_in[starts]),
        decoder_input=as_3d(decoder_input),
        target=as_3d(target),
        x=x[starts],
    )
