"""Keras models for spoken digits: the course's five on raw samples, and our four on log-mel
frames.

The course models read the first 1,000 raw samples `(samples, 1)`; ours read a whole second of
waveform `(samples,)` and compute log-mel features inside the model, so a saved model classifies
raw audio as it is. Every model starts with `FitLength`: it takes a clip of any length and cuts or
zero-pads it to the length it was trained on. `build_ensemble` makes one model of several that
votes by averaging their probabilities.

Saved models load with `import models` then `keras.saving.load_model(path)` (the audio layers are
registered under `"day3"`).
"""

import dataclasses

import keras

from models.audio_layers import (
    FitLength,
    LogMelSpectrogram,
    PCENSpectrogram,
    SpeakingRateNormalization,
    SpecAugment,
    WaveformAugmentation,
)

NUM_CLASSES = 10
COURSE_ARCHITECTURES = ("conv1d", "simple_rnn", "gru", "bilstm", "lstm_clip")
MODERN_ARCHITECTURES = ("conv1d", "simple_rnn", "gru", "bilstm")  # bodies of our models


def build_course_model(name, *, num_samples=1000):
    """The course notebook's models: the first 1,000 samples `(1000, 1)` -> body -> `Dense(10)`.

    Args:
        name: one of `COURSE_ARCHITECTURES`. `lstm_clip` is the same LSTM(64) the course trains with
            `Adam(clipvalue=0.5)`; the clipping lives in the optimizer, not the model.
        num_samples: samples the model reads; the course cuts every clip to 1,000. A longer input
            is cut, a shorter one zero-padded (`FitLength`).

    Returns:
        An uncompiled `keras.Model` `(batch, any samples, 1)` -> `(batch, 10)` with 490, 17,930,
        51,594, 35,082 or 17,546 parameters.

    Example:

    >>> build_course_model("bilstm").count_params()
    35082
    """
    bodies = {
        "conv1d": lambda: [
            keras.layers.Conv1D(32, 4, strides=2, activation="relu", name="conv"),
            keras.layers.MaxPooling1D(2, name="pool"),
            keras.layers.GlobalAveragePooling1D(name="average"),
        ],
        "simple_rnn": lambda: [keras.layers.SimpleRNN(128, name="simple_rnn")],
        "gru": lambda: [keras.layers.GRU(128, name="gru")],
        "bilstm": lambda: [keras.layers.Bidirectional(keras.layers.LSTM(64), name="bilstm")],
        "lstm_clip": lambda: [keras.layers.LSTM(64, name="lstm")],
    }
    if name not in bodies:
        raise ValueError(f"unknown course model {name!r}; choose from {COURSE_ARCHITECTURES}")
    inputs = keras.Input((None, 1), name="waveform")
    x = FitLength(num_samples, name="fit_length")(inputs)  # (batch, num_samples, 1)
    for layer in bodies[name]():
        x = layer(x)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="digit")(x)
    return keras.Model(inputs, outputs, name=f"course_{name}")


@dataclasses.dataclass(frozen=True)
class FrontEndConfig:
    """Settings of the in-model feature front end and augmentation."""

    num_samples: int = 8000  # one second at 8 kHz: every FSDD clip but a few long ones fits
    frame_length: int = 256  # 32 ms analysis window
    frame_step: int = 128  # 16 ms hop -> 61 frames a second
    num_mel_bins: int = 40
    max_shift: float = 0.1  # random start offset, fraction of a second
    speed_range: float = 0.1  # resample by a factor in [1 - r, 1 + r]: pitch and formants move
    noise_snr_db: tuple = (20.0, 40.0)  # white noise at a random signal-to-noise ratio
    time_masks: int = 1  # SpecAugment masks per example
    time_mask_width: int = 8  # frames
    freq_masks: int = 1
    freq_mask_width: int = 6  # mel bins
    features: str = "log_mel"  # or "pcen": per-channel energy normalisation (PCENSpectrogram)
    speaking_rate_frames: int = 0  # > 0: the spoken part stretched to this many frames


# Our models: name -> (body architecture, front-end settings that differ from FrontEndConfig()).
# The last two read the clip differently from the first four, so that a vote with them
# disagrees in more useful ways on a voice none of them has heard.
MODERN_MODELS = {
    "conv1d": ("conv1d", {}),
    "simple_rnn": ("simple_rnn", {}),
    "gru": ("gru", {}),
    "bilstm": ("bilstm", {}),
    "conv1d_pcen": ("conv1d", {"features": "pcen"}),
    "conv1d_rate": ("conv1d", {"speaking_rate_frames": 40}),
}


def build_modern_model(name, front_end=FrontEndConfig(), *, dropout=0.3):
    """One of our models: waveform -> log-mel (or PCEN) frames -> body -> `Dense(10, softmax)`.

    The front end (peak normalisation, log-mel or PCEN, for `conv1d_rate` the spoken part
    stretched to a fixed number of frames) and the training-only augmentation (time shift, speed,
    noise, SpecAugment) are layers of the model, so `model.predict(raw_waveforms)` is all a user
    needs.

    Args:
        name: one of `MODERN_MODELS`: `conv1d`, `simple_rnn`, `gru` or `bilstm` reading log-mel
            frames as a sequence, or `conv1d_pcen` / `conv1d_rate`, the Conv1D on PCEN frames /
            on log-mel frames at a normalised speaking rate.
        front_end: a `FrontEndConfig`; the model's own settings in `MODERN_MODELS` go on top.
        dropout: dropout rate before the classifier.

    Returns:
        An uncompiled `keras.Model` `(batch, any samples)` -> `(batch, 10)` taking float
        waveforms in any scale; clips are cut or zero-padded to `front_end.num_samples`.
    """
    if name not in MODERN_MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {tuple(MODERN_MODELS)}")
    architecture, own_settings = MODERN_MODELS[name]
    f = dataclasses.replace(front_end, **own_settings)
    inputs = keras.Input((None,), name="waveform")
    x = FitLength(f.num_samples, name="fit_length")(inputs)  # (batch, num_samples)
    x = WaveformAugmentation(
        max_shift=f.max_shift,
        speed_range=f.speed_range,
        noise_snr_db=f.noise_snr_db,
        name="augment",
    )(x)
    features = {"log_mel": LogMelSpectrogram, "pcen": PCENSpectrogram}[f.features]
    x = features(
        frame_length=f.frame_length,
        frame_step=f.frame_step,
        num_mel_bins=f.num_mel_bins,
        name=f.features,
    )(x)  # (batch, frames, mel bins)
    if f.speaking_rate_frames:
        x = SpeakingRateNormalization(f.speaking_rate_frames, name="speaking_rate")(x)
    x = SpecAugment(
        time_masks=f.time_masks,
        time_mask_width=f.time_mask_width,
        freq_masks=f.freq_masks,
        freq_mask_width=f.freq_mask_width,
        name="spec_augment",
    )(x)
    x = _modern_body(architecture, x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="digit")(x)
    return keras.Model(inputs, outputs, name=name)


def _modern_body(name, x):
    """Maps frames `(batch, frames, mels)` to one feature vector `(batch, features)`."""
    if name == "conv1d":
        for index, filters in enumerate((64, 128, 128)):
            x = keras.layers.Conv1D(
                filters, 5, padding="same", use_bias=False, name=f"conv{index}"
            )(x)
            x = keras.layers.BatchNormalization(name=f"bn{index}")(x)
            x = keras.layers.Activation("relu", name=f"relu{index}")(x)
            if index < 2:
                x = keras.layers.MaxPooling1D(2, name=f"pool{index}")(x)
        return keras.layers.GlobalAveragePooling1D(name="average")(x)
    # Recurrent cells learn several times faster on frames normalised to zero mean, unit variance.
    x = keras.layers.LayerNormalization(name="frame_norm")(x)
    # Pairs of 16 ms frames max-pooled into 32 ms steps: half the sequential steps (twice as
    # fast), still several steps per phoneme.
    x = keras.layers.MaxPooling1D(2, name="frame_pool")(x)  # (batch, frames // 2, mels)
    if name == "simple_rnn":
        x = keras.layers.SimpleRNN(128, return_sequences=True, name="simple_rnn")(x)
    elif name == "gru":
        x = keras.layers.GRU(128, return_sequences=True, name="gru")(x)
    else:
        x = keras.layers.Bidirectional(keras.layers.LSTM(96, return_sequences=True), name="bilstm")(
            x
        )
    # Max pooling over time lets the steps of the word, not the padding after it, decide.
    return keras.layers.GlobalMaxPooling1D(name="max_over_time")(x)


def build_ensemble(members, *, name="ensemble"):
    """One model of several voting: the mean of their digit probabilities.

    Args:
        members: trained models with the same input, `(batch, any samples)` -> `(batch, 10)`,
            each with its own name.
        name: the ensemble's name.

    Returns:
        A `keras.Model` `(batch, any samples)` -> `(batch, 10)` holding the members (their weights
        shared, not copied), which saves and loads as one `.keras` file.

    Example:

    >>> vote = build_ensemble([build_modern_model("conv1d"), build_modern_model("gru")])
    >>> vote.predict(np.zeros((1, 2061), "float32"), verbose=0).shape
    (1, 10)
    """
    if len(members) < 2:
        raise ValueError(f"an ensemble needs two or more models, got {len(members)}")
    inputs = keras.Input(members[0].input_shape[1:], name="waveform")
    outputs = keras.layers.Average(name="vote")([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name=name)
