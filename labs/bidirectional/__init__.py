"""Spoken digits with RNNs: the course's bidirectional-RNN lab, a 99 % modern preset, clipping.

What you will learn: how Conv1D, SimpleRNN, GRU and a bidirectional LSTM compare on raw samples
and on log-mel features computed inside the model; why models that read a clip differently vote
better together on an unheard voice; what gradient clipping (clipvalue, clipnorm,
global_clipnorm) does to the real gradient norm; how a model does on voices it never heard.

Course: Day 3, notebook `3_4_spoken_digit` (`--preset course`: five models on the first 1,000 raw
samples, batch 8, one epoch, then the clipping study); `--preset modern` (default) is ours.

Commands:
    python -m labs.bidirectional                       # modern: 6 models + a vote of 4
    python -m labs.bidirectional --preset course       # the notebook, then the clipping study
    python -m labs.bidirectional --split speaker --models conv1d   # 5 unseen-voice folds
    python -m labs.bidirectional --preset course --clipnorm 1.0    # clip every model
    python -m labs.bidirectional predict digit.wav     # the run's models/best.keras
    python -m labs.bidirectional predict --model conv1d,gru digit.wav   # two models vote

Offline: --manual-dir DIR (or LABS_MANUAL_DIR) with the FSDD archive. Every saved model takes a
waveform of any length: `import models; keras.saving.load_model(".../models/best.keras")`.
"""

import dataclasses
import typing

from labs import kit

# Named here so that --help and a bad flag need no TensorFlow; a test checks they agree with
# labs.data.spoken_digit and models.spoken_digit.
SPLITS = ("course", "official", "speaker")
SPEAKERS = ("george", "jackson", "nicolas", "theo", "yweweler")
COURSE_ARCHITECTURES = ("conv1d", "simple_rnn", "gru", "bilstm", "lstm_clip")
MODERN_MODELS = ("conv1d", "simple_rnn", "gru", "bilstm", "conv1d_pcen", "conv1d_rate")
ALL_MODELS = tuple(dict.fromkeys([*COURSE_ARCHITECTURES, *MODERN_MODELS]))
# The vote leaves out SimpleRNN and the bidirectional LSTM: on the development protocol (voices
# the models never heard, see the README) they score 9-15 points below the others alone and the
# vote of all six is worse (83.6 % against 86.1 %); on the five real folds the two votes tie.
VOTE = ("conv1d", "gru", "conv1d_pcen", "conv1d_rate")
CLIPPINGS = ("clipvalue", "clipnorm", "global_clipnorm")


@dataclasses.dataclass(frozen=True)
class FrontEndConfig:
    """`models.spoken_digit.FrontEndConfig`'s fields (same names and defaults)."""

    num_samples: int = 8000  # one second at 8 kHz: every FSDD clip but a few long ones fits
    frame_length: int = 256  # 32 ms analysis window
    frame_step: int = 128  # 16 ms hop -> 61 frames a second
    num_mel_bins: int = 40
    max_shift: float = 0.1  # random start offset, fraction of a second
    speed_range: float = 0.1  # resample by a factor in [1 - r, 1 + r]
    noise_snr_db: tuple = (20.0, 40.0)  # white noise at a random signal-to-noise ratio
    time_masks: int = 1  # SpecAugment masks per example
    time_mask_width: int = 8  # frames
    freq_masks: int = 1
    freq_mask_width: int = 6  # mel bins
    features: str = "log_mel"  # or "pcen"
    speaking_rate_frames: int = 0  # > 0: the spoken part stretched to this many frames


@dataclasses.dataclass(frozen=True)
class Config:
    """One preset of the lab; the flags' fields say what ran."""

    course_models: bool  # True: the notebook's raw-sample models; False: our log-mel models
    split: str = kit.flag(
        "official",
        "data split: course (the notebook's 70/15/15 cut), official (test = FSDD takes 0-4), "
        "speaker (one voice held out)",
        choices=SPLITS,
    )
    speaker: str = kit.flag(
        "all", "held-out speaker of --split speaker; all = five folds", choices=(*SPEAKERS, "all")
    )
    models: tuple[str, ...] = kit.flag(
        MODERN_MODELS,
        "models to train, in order: the preset's or some of them (then every one chosen votes)",
        choices=ALL_MODELS,
    )
    epochs: int = kit.flag(30, "most epochs per model (early stopping may end sooner)")
    batch_size: int = kit.flag(32, "clips per step")
    learning_rate: float = kit.flag(3e-3, "peak learning rate")
    clipvalue: float | None = kit.flag(None, "clip each gradient element to [-X, X], every model")
    clipnorm: float | None = kit.flag(None, "clip each variable's gradient to norm X, every model")
    global_clipnorm: float | None = kit.flag(
        None, "clip all gradients together to global norm X, every model"
    )
    weight_decay: float = 1e-3  # AdamW decoupled weight decay; 0 means the course's plain Adam
    patience: int = 10  # early stopping: epochs without a better val_loss; 0 disables it
    clipping_study: bool = False  # also run the clipping study (course data, LSTM, 3 clippings)
    vote: tuple = VOTE  # the models voting in ensemble.keras; () = every model trained
    front_end: FrontEndConfig = FrontEndConfig()  # log-mel front end and augmentation (modern)
    clips: dict | None = None  # clips per split, e.g. {"train": 48, ...}; None: all

    def __post_init__(self):
        preset_models = COURSE_ARCHITECTURES if self.course_models else MODERN_MODELS
        if not set(self.models) <= set(preset_models):
            kind = "course" if self.course_models else "modern"
            raise ValueError(
                f"argument --models: choose from {', '.join(preset_models)} for the {kind} preset"
            )
        if self.speaker != "all" and self.split != "speaker":
            raise ValueError("argument --speaker: only used with --split speaker")
        given = [
            f"--{name.replace('_', '-')}" for name in CLIPPINGS if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise ValueError(f"argument {given[1]}: not allowed with {given[0]} (give one)")
        if self.models != preset_models:  # --models: every chosen model votes
            object.__setattr__(self, "vote", ())

    @property
    def clipping(self):
        """`{"clipvalue" | "clipnorm" | "global_clipnorm": X}` of the flags, or None."""
        given = [name for name in CLIPPINGS if getattr(self, name) is not None]
        return {given[0]: getattr(self, given[0])} if given else None

    @property
    def voters(self):
        """The models voting in ensemble.keras."""
        return self.vote or self.models

    @property
    def folds(self):
        """The held-out speakers, one fold each (`[None]`: the one split)."""
        if self.split != "speaker":
            return [None]
        return list(SPEAKERS) if self.speaker == "all" else [self.speaker]

    def quick(self):
        return dataclasses.replace(
            self,
            epochs=min(self.epochs, 2),
            patience=min(self.patience, 1),
            clips={"train": 48, "validation": 16, "test": 16},
        )


PRESETS = {
    # Ours: log-mel features inside the model, augmentation, AdamW with a cosine decay, early
    # stopping, the official split; six models and a vote of four.
    "modern": Config(course_models=False),
    # The notebook: raw samples, no normalisation, Adam(1e-3), batch 8, `fit` without epochs (= 1).
    "course": Config(
        course_models=True,
        split="course",
        models=COURSE_ARCHITECTURES,
        epochs=1,
        batch_size=8,
        learning_rate=1e-3,
        weight_decay=0.0,
        patience=0,
        clipping_study=True,
        vote=(),
    ),
}


@dataclasses.dataclass(frozen=True)
class Predict:
    """`python -m labs.bidirectional predict`: classify your own wav files."""

    wavs: tuple[str, ...] = kit.argument(
        "wav files: 8-32-bit PCM or 32/64-bit float, any rate, mono or stereo, any length"
    )
    model: tuple[str, ...] = kit.flag(
        ("best",),
        "the run's model(s): best, ensemble, conv1d, ... (a fold's: gru_theo); several, "
        "comma-separated, average their probabilities",
    )


class ModelMetrics(typing.TypedDict):
    params: int
    epochs: float  # --split speaker: the mean over the folds
    epoch_seconds: float  # timing
    val_accuracy: float  # speaker split: fold means
    test_accuracy: float
    clipping: dict[str, float] | None  # {"clipvalue" | "clipnorm" | "global_clipnorm": X}
    folds: typing.NotRequired[dict[str, float]]  # speaker split: {speaker: test_accuracy}


class Best(typing.TypedDict):
    name: str  # a model's name or "ensemble", chosen on validation (a tie: the vote)
    val_accuracy: float
    test_accuracy: float
    path: typing.NotRequired[str]  # models/best.keras (official and course splits)
    folds: typing.NotRequired[dict[str, str]]  # speaker split: each fold's model instead


class Ensemble(typing.TypedDict):
    models: list[str]  # the voters: their probabilities averaged
    params: int
    val_accuracy: float
    test_accuracy: float
    path: typing.NotRequired[str]  # models/ensemble.keras
    folds: typing.NotRequired[dict[str, float]]  # speaker split instead of path


class GradientNorm(typing.TypedDict):
    median: float | None
    max: float | None
    steps_above_1: int
    nonfinite_steps: int


class StudyRun(typing.TypedDict):
    clipping: dict[str, float] | None
    final_loss: float
    val_accuracy: float
    gradient_norm: GradientNorm


class ClippingStudy(typing.TypedDict):
    steps: int
    runs: dict[str, StudyRun]  # "no clipping", "clipvalue 0.5", "clipnorm 1.0"


class Metrics(typing.TypedDict):
    split: str
    models: dict[str, ModelMetrics]
    ensemble: typing.NotRequired[Ensemble]  # two or more models
    best: Best
    clipping_study: typing.NotRequired[ClippingStudy]  # course preset only


LAB = kit.Lab(
    __name__,
    __doc__,
    PRESETS,
    section="3_4_spoken_digit",
    data="tfds",
    strategy=True,
    tensorboard=True,
    commands={"predict": kit.Command(Predict, "classify your own wav files with the run's models")},
    metrics=Metrics,
)
