"""Seq2seq sin -> cos: an encoder-decoder RNN, its autoregressive inference loop, and attention.

What you will learn: how an encoder hands its final state to a decoder; teacher forcing (training
on the true previous value) against free-running inference (feeding back its own output); why
the course's loop of one `predict` per step is slow and one compiled `tf.while_loop`
(`models.seq2seq.generate`) gives the same numbers thousands of times faster; and how to measure
whether attention helps (here it does not: cos is sin a quarter period on, so the final state
carries the phase, and the plain decoder is better at 96 steps in every seed measured).

Course: Day 3, notebook `3_5_Seq2Seq(Encoder-Decoder)_sin-cos` (`course` preset, quirks kept).

Commands:
    python -m labs.seq2seq                        # the course notebook (21 s on 2 cores)
    python -m labs.seq2seq --preset improved      # GRU, Luong attention, 24 and 96 steps
    python -m labs.seq2seq --preset improved --cell lstm
    python -m labs.seq2seq --quick                # 2 epochs, every code path
    python -m benchmarks.seq2seq_inference --json # the course's predict loop vs generate

The models are Keras layers only: `keras.saving.load_model` loads them with no import of ours.
"""

import dataclasses
import typing

from labs import kit

# models.seq2seq's cells (a test checks they agree), named here so that --help needs no TensorFlow.
CELLS = ("gru", "lstm", "simple_rnn")
VALIDATION_SPLIT = "last 20% of windows"  # Keras's validation_split=0.2, as the notebook
VALIDATION_SHIFTED = "half-step grid"  # windows between the training grid's points


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """`models.seq2seq.Seq2SeqConfig`'s fields (same names and defaults: the course's model)."""

    cell: str = "simple_rnn"  # simple_rnn | gru | lstm
    units: int = 10  # state size of encoder and decoder
    attention: str = "none"  # none | luong | bahdanau
    features: int = 1  # values per time step, in and out


@dataclasses.dataclass(frozen=True)
class Variant:
    """One model trained and scored by the lab."""

    name: str  # its key in metrics.json and in file names
    model: ModelSpec  # cell, units, attention
    num_steps: int = 24  # window length, encoder and decoder (the notebook: 24)
    validation: str = VALIDATION_SPLIT  # VALIDATION_SPLIT or VALIDATION_SHIFTED


@dataclasses.dataclass(frozen=True)
class Config:
    """A preset: the variants it trains and the settings they share."""

    variants: tuple  # of Variant, trained in order
    epochs: int = kit.flag(80, "passes over the training windows")
    batch_size: int = kit.flag(16, "windows per step")
    learning_rate: float = kit.flag(1e-3, "adam's initial learning rate")
    cell: str | None = kit.flag(None, "recurrent cell of every variant", choices=CELLS)
    cosine_alpha: float | None = None  # cosine decay to learning_rate * alpha; None: constant

    def __post_init__(self):
        if self.cell is not None:  # --cell: every variant's encoder and decoder, as run
            variants = tuple(
                dataclasses.replace(v, model=dataclasses.replace(v.model, cell=self.cell))
                for v in self.variants
            )
            object.__setattr__(self, "variants", variants)

    def quick(self):
        return dataclasses.replace(self, epochs=2)


def _improved(name, attention, num_steps):
    model = ModelSpec(cell="gru", units=32, attention=attention)
    return Variant(name, model, num_steps, validation=VALIDATION_SHIFTED)


PRESETS = {
    # The notebook. Quirk kept: Keras's validation_split takes the LAST 20% of the windows (no
    # shuffle first), and as 33 grid steps are one period they repeat training windows 27..42,
    # so `val_mse` is not held out; `shifted_free_running_mse` is.
    "course": Config(variants=(Variant("course", ModelSpec()),)),
    # GRU(32), all 76 windows to train, validation on the half-step grid, 150 epochs of adam with
    # a cosine decay 1e-2 -> 1e-4; plain and Luong attention, 24 steps and a 96-step horizon.
    "improved": Config(
        variants=(
            _improved("plain", "none", 24),
            _improved("luong", "luong", 24),
            _improved("plain_96", "none", 96),
            _improved("luong_96", "luong", 96),
        ),
        epochs=150,
        learning_rate=1e-2,
        cosine_alpha=1e-2,
    ),
}


class VariantMetrics(typing.TypedDict):
    cell: str
    units: int
    attention: typing.Literal["none", "luong", "bahdanau"]
    num_steps: int
    params: int
    epochs: int
    validation: str
    final_loss: float  # teacher-forced training MSE, last epoch
    val_mse: float  # teacher-forced MSE on the validation windows
    free_running_mse: float  # generate() from 0, all 76 windows of the course grid
    shifted_free_running_mse: float  # the same on the half-step grid (never trained on)
    train_seconds: float  # timing: varies run to run


class Best(typing.TypedDict):
    name: str
    free_running_mse: float


class Metrics(typing.TypedDict):
    best: Best  # the variant of lowest free_running_mse
    variants: dict[str, VariantMetrics]


LAB = kit.Lab(
    __name__,
    __doc__,
    PRESETS,
    section="3_5_Seq2Seq(Encoder-Decoder)_sin-cos",
    strategy=True,
    tensorboard=True,
    metrics=Metrics,
)
