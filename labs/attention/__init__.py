"""Seq2seq with attention on DLFS2's date formats and additions, with alignments you can see.

What you will learn: why a plain encoder-decoder struggles when the whole question must pass
through one final state, and what reversing the input and "peeking" buy (DLFS2 ch07); how
attention lets every decoder step look at every question character (Luong's dot score,
`keras.layers.Attention`; the additive score, `keras.layers.AdditiveAttention`); how to read an
attention map (the month word lines up with MM, the day with DD); greedy decoding of a whole
test split in one compiled loop (`models.attention_seq2seq`). The score is DLFS2's: exact match
of the whole greedy answer on its 5,000 test lines, after every epoch.

Course: Sections 5 and 7 (attention) on DLFS2 ch07/ch08's `date.txt` and `addition.txt`.

Commands:
    python -m labs.attention --manual-dir ../shared/data   # dates: baseline and luong
    python -m labs.attention --task addition --variants baseline,reverse,peeky,luong,bahdanau
    python -m labs.attention --preset dlfs2 --variants luong
    python -m labs.attention --quick                                 # tiny, every code path
    python -m labs.attention translate "march 3, 2007" "2/10/93"    # on the saved run
    python -m labs.attention translate --variant baseline "TUESDAY, SEPTEMBER 25, 1984"
"""

import dataclasses
import typing

from labs import kit
from labs.data.dlfs2 import TASKS

# models.attention_seq2seq.VARIANTS (a test checks they agree), named here so that --help and a
# bad flag answer before TensorFlow starts (models/ imports it).
VARIANTS = ("baseline", "reverse", "peeky", "luong", "bahdanau")
TARGET = 0.999  # "99.9 % exact match": DLFS2's ch08 attention reaches it in epoch 3


@dataclasses.dataclass(frozen=True)
class Config:
    """A preset: the task, the variants and the training settings they share."""

    task: str = kit.flag("date", "date formats or additions", choices=TASKS)
    variants: tuple[str, ...] | None = kit.flag(
        None,
        "variants to train (none: baseline,luong for dates, all for additions)",
        choices=VARIANTS,
    )
    date_variants: tuple = ("baseline", "luong")  # trained on dates when --variants is not given
    addition_variants: tuple = VARIANTS  # trained on additions when --variants is not given
    epochs: int | None = kit.flag(
        None,
        "epochs of every variant (none: the preset's for the task, default 3 for dates, 8 "
        "for additions; dlfs2 10 and 25)",
    )
    date_epochs: int = 3  # passes over the date training lines
    addition_epochs: int = 8  # passes over the addition training lines
    batch_size: int = kit.flag(64, "lines per step (DLFS2: 128)")
    learning_rate: float = kit.flag(
        5e-3, "Adam's rate, held for hold_epochs, then decayed (DLFS2: 1e-3 throughout)"
    )
    hold_epochs: int = 1  # epochs at the full rate before the decay (decaying early stalls it)
    cosine_decay: bool = True  # then cosine decay to 2 % of it by the last step; False: constant
    global_clipnorm: float = 5.0  # DLFS2's max_grad
    embedding_dim: int = 16  # DLFS2's wordvec_size
    units: int = 256  # LSTM width (DLFS2 ch08: 256)
    validation_size: int = 2000  # lines of DLFS2's training part held out for validation
    question_padding: int = 1  # spaces added after every question (DLFS2: 0; see load_task)
    train_size: int | None = None  # None: all of it; --quick: a few lines
    test_size: int | None = None  # None: DLFS2's 5,000 test lines
    xla_decoding: bool = True  # compile greedy decoding with XLA (twice as fast on 5,000 lines)

    def quick(self):
        return dataclasses.replace(
            self,
            date_epochs=1,
            addition_epochs=1,
            batch_size=64,
            units=32,
            validation_size=128,
            train_size=256,
            test_size=128,
            xla_decoding=False,
        )

    @property
    def chosen_variants(self):
        """The variants the run trains, in order."""
        return (
            self.variants
            or {"date": self.date_variants, "addition": self.addition_variants}[self.task]
        )

    @property
    def chosen_epochs(self):
        """The epochs of every variant."""
        return (
            self.epochs or {"date": self.date_epochs, "addition": self.addition_epochs}[self.task]
        )


PRESETS = {
    # Batch 64, Adam at 5e-3 for the first epoch then a cosine decay to 1e-4 (DLFS2: batch 128,
    # 1e-3 throughout); 3 epochs of dates, 8 of additions; one more space of padding after every
    # question, so the longest dates (29 characters, DLFS2's width) are read like the others.
    "default": Config(),
    # DLFS2's settings: 10 epochs of dates (ch08), 25 of additions (ch07). Deliberate differences
    # from DLFS2: the decoder starts from the encoder's (h, c), not (h, 0); 256 units for
    # addition too (DLFS2 ch07: 128).
    "dlfs2": Config(
        date_epochs=10,
        addition_epochs=25,
        batch_size=128,
        learning_rate=1e-3,
        cosine_decay=False,
        question_padding=0,
    ),
}


@dataclasses.dataclass(frozen=True)
class Translate:
    """`translate QUESTION...`: answers questions with a model of the saved run."""

    questions: tuple[str, ...] = kit.argument('questions, e.g. "march 3, 2007" "2/10/93"')
    variant: str | None = kit.flag(
        None, "the model to use (default: the run's best)", choices=VARIANTS
    )


class Split(typing.TypedDict):
    train: int
    valid: int
    test: int


class Best(typing.TypedDict):
    variant: str
    test_exact_match: float


class WrongExample(typing.TypedDict):
    question: str
    answer: str
    predicted: str


class VariantMetrics(typing.TypedDict):
    params: int
    epochs: int
    test_exact_match: float  # after the last epoch, 0..1
    test_exact_match_per_epoch: list[float]
    val_exact_match_per_epoch: list[float]
    elapsed_seconds_per_epoch: list[float]  # timing: since training began, decoding included
    first_epoch_at_99_9: int | None
    seconds_to_99_9: float | None  # timing
    position_accuracy: list[float]  # test character accuracy per answer position
    wrong_examples: list[WrongExample]  # up to 5
    train_seconds: float  # timing: varies run to run


class Metrics(typing.TypedDict):
    task: typing.Literal["date", "addition"]
    vocabulary: str  # the characters in id order
    question_length: int
    question_padding: int
    answer_length: int  # the start symbol `_` included
    split: Split
    variants: dict[str, VariantMetrics]
    best: Best  # the variant of highest test exact match


LAB = kit.Lab(
    __name__,
    __doc__,
    PRESETS,
    section="Sections 5 and 7 (attention)",
    data="files",
    strategy=True,
    tensorboard=True,
    commands={
        "translate": kit.Command(Translate, "answer questions with a model of the saved run")
    },
    metrics=Metrics,
    figure="exact_match.png",
    headline={
        "best variant": "best.variant",
        "its test exact match": "best.test_exact_match",
        "luong test exact match": "variants.luong.test_exact_match",
        "baseline test exact match": "variants.baseline.test_exact_match",
    },
)
