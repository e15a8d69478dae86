"""Keras models for spoken digits: the course's five on raw samples, and our four on log-mel
frames.

The course models read 1,000 raw samples `(1000, 1)`; ours read a whole second of waveform
`(8000,)` and compute log-mel features inside the model, so a saved model classifies raw audio as
it is.
"""

import dataclasses

import keras

from models.audio_layers import LogMelSpectrogram, SpecAugment, WaveformAugmentation

NUM_CLASSES = 10
COURSE_ARCHITECTURES = ("conv1d", "simple_rnn", "gru", "bilstm", "lstm_clip")
MODERN_ARCHITECTURES = ("conv1d", "simple_rnn", "gru", "bilstm")


def build_course_model(name, *, num_samples=1000):
    """The course notebook's models: `Input((1000, 1))` -> body -> `Dense(10, softmax)`.

    Args:
        name: one of `COURSE_ARCHITECTURES`. `lstm_clip` is the same LSTM(64) the course trains with
            `Adam(clipvalue=0.5)`; the clipping lives in the optimizer, not the model.
        num_samples: input length; the course cuts every clip to 1,000 samples.

    Returns:
        An uncompiled `keras.Model` with 490, 17,930, 51,594, 35,082 or 17,546 parameters.

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
    inputs = keras.Input((num_samples, 1), name="waveform")
    x = inputs
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


def build_modern_model(name, front_end=FrontEndConfig(), *, dropout=0.3):
    """One of our four models: waveform `(num_samples,)` -> log-mel frames -> body -> `Dense(10)`.

    The front end (peak normalisation, log-mel, per-utterance mean/variance normalisation) and the
    training-only augmentation (time shift, speed, noise, SpecAugment) are layers of the model, so
    `model.predict(raw_waveforms)` is all a user needs.

    Args:
        name: `conv1d`, `simple_rnn`, `gru` or `bilstm`, each reading the frames as a sequence.
        front_end: a `FrontEndConfig`.
        dropout: dropout rate before the classifier.

    Returns:
        An uncompiled `keras.Model` taking float waveforms in any scale.
    """
    if name not in MODERN_ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; choose from {MODERN_ARCHITECTURES}")
    f = front_end
    inputs = keras.Input((f.num_samples,), name="waveform")
    x = WaveformAugmentation(
        max_shift=f.max_shift, speed_range=f.speed_range, noise_snr_db=f.noise_snr_db,
        name="augment",
    )(inputs)
    x = LogMelSpectrogram(
        frame_length=f.frame_length, frame_step=f.frame_step, num_mel_bins=f.num_mel_bins,
        name="log_mel",
    )(x)  # (batch, frames, mel bins)
    x = SpecAugment(
        time_masks=f.time_masks, time_mask_width=f.time_mask_width,
        freq_masks=f.freq_masks, freq_mask_width=f.freq_mask_width, name="spec_augment",
    )(x)
    x = _modern_body(name, x)
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
        x = keras.layers.Bidirectional(
            keras.layers.LSTM(96, return_sequences=True), name="bilstm"
        )(x)
    # Max pooling over time lets the steps of the word, not the padding after it, decide.
    return keras.layers.GlobalMaxPooling1D(name="max_over_time")(x)
