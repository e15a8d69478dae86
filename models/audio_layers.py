"""Audio layers for the spoken-digit models: a fixed-length window, a log-mel front end and
training-only augmentation.

All four work on whole batches inside the model graph, so a saved model carries its own feature
extraction, takes a waveform of any length, and augmentation costs no Python per example. They are
registered under the package `"day3"`: `import models` before `keras.saving.load_model`.
"""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="day3")
class FitLength(keras.layers.Layer):
    """Cuts every clip to its first `length` samples or zero-pads its end: `(batch, any, ...)` ->
    `(batch, length, ...)`.

    The first layer of the spoken-digit models, so a saved model takes a waveform of any length
    (a 2,061-sample clip as well as a 12,000-sample one) and sees it as in training.

    Args:
        length: samples kept along axis 1.

    Example:

    >>> FitLength(8000)(np.ones((2, 2061), "float32")).shape
    TensorShape([2, 8000])
    """

    def __init__(self, length, **kwargs):
        super().__init__(**kwargs)
        self.length = length

    def call(self, waveforms):
        waveforms = waveforms[:, : self.length]
        missing = self.length - tf.shape(waveforms)[1]
        padding = [[0, 0], [0, missing]] + [[0, 0]] * (len(waveforms.shape) - 2)
        padded = tf.pad(waveforms, padding)
        return tf.ensure_shape(padded, [None, self.length, *waveforms.shape[2:]])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.length, *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "length": self.length}


@keras.saving.register_keras_serializable(package="day3")
class LogMelSpectrogram(keras.layers.Layer):
    """Waveforms `(batch, samples)` -> log-mel frames `(batch, frames, num_mel_bins)` in [0, 1].

    Each clip is scaled to its own peak first, so loud and quiet recordings look alike; the log-mel
    energies are then taken relative to the clip's loudest bin and clipped `dynamic_range_db` below
    it, mapping silence (and zero padding) to 0 and the loudest bin to 1.

    Args:
        sample_rate: samples per second of the input.
        frame_length: STFT window in samples (256 = 32 ms at 8 kHz).
        frame_step: hop between frames in samples.
        num_mel_bins: mel filters between `lower_hz` and the Nyquist frequency.
        lower_hz: lowest filter edge.
        dynamic_range_db: how far below the clip's peak the scale bottoms out.

    Example:

    >>> layer = LogMelSpectrogram()
    >>> layer(np.zeros((2, 8000), "float32")).shape
    TensorShape([2, 61, 40])
    """

    def __init__(
        self,
        sample_rate=8000,
        frame_length=256,
        frame_step=128,
        num_mel_bins=40,
        lower_hz=20.0,
        dynamic_range_db=80.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.num_mel_bins = num_mel_bins
        self.lower_hz = lower_hz
        self.dynamic_range_db = dynamic_range_db

    def call(self, waveforms):
        mel = _mel_power(
            waveforms,
            self.sample_rate,
            self.frame_length,
            self.frame_step,
            self.num_mel_bins,
            self.lower_hz,
        )  # (batch, frames, mels)
        decibels = 10.0 * tf.math.log(mel + 1e-12) / tf.math.log(10.0)
        decibels -= tf.reduce_max(decibels, axis=[1, 2], keepdims=True)
        return tf.maximum(decibels + self.dynamic_range_db, 0.0) / self.dynamic_range_db

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None if samples is None else 1 + (samples - self.frame_length) // self.frame_step
        return (input_shape[0], frames, self.num_mel_bins)

    def get_config(self):
        return {
            **super().get_config(),
            "sample_rate": self.sample_rate,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "num_mel_bins": self.num_mel_bins,
            "lower_hz": self.lower_hz,
            "dynamic_range_db": self.dynamic_range_db,
        }


@keras.saving.register_keras_serializable(package="day3")
class WaveformAugmentation(keras.layers.Layer):
    """Training-only waveform augmentation: random delay, speed change and white noise, per clip.

    Speed change resamples the clip by a factor in `[1 - speed_range, 1 + speed_range]`, moving
    pitch and formants the way a different voice does. At inference (`training=False`) the input
    is returned unchanged.

    Args:
        sample_rate: samples per second.
        max_shift: largest delay, as a fraction of a second; the clip moves right, zeros fill in.
        speed_range: largest relative speed change.
        noise_snr_db: `(low, high)` signal-to-noise ratio range of the added white noise, the
            signal's power taken over the whole window (a short clip gets relatively more noise).
            Noise is added only up to the recording's last nonzero sample: zero padding after it
            stays silent, as it is at inference.
        seed: seed of the layer's random draws.
    """

    def __init__(
        self,
        sample_rate=8000,
        max_shift=0.1,
        speed_range=0.1,
        noise_snr_db=(20.0, 40.0),
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.max_shift = max_shift
        self.speed_range = speed_range
        self.noise_snr_db = tuple(noise_snr_db)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, waveforms, training=None):
        if not training:
            return waveforms
        waveforms = tf.cast(waveforms, tf.float32)
        batch, samples = tf.shape(waveforms)[0], tf.shape(waveforms)[1]
        delay = keras.random.uniform(
            (batch, 1), 0.0, self.max_shift * self.sample_rate, seed=self.seed_generator
        )
        speed = keras.random.uniform(
            (batch, 1), 1.0 - self.speed_range, 1.0 + self.speed_range, seed=self.seed_generator
        )
        # Output sample t reads the input at (t - delay) * speed, linearly interpolated.
        time = tf.cast(tf.range(samples), tf.float32)[None, :]
        position = (time - delay) * speed  # (batch, samples)
        # The recording ends at its last nonzero sample; the zero padding after it stays silent,
        # as it is at inference, so noise goes only where the recording is.
        nonzero = tf.cast(tf.not_equal(waveforms, 0.0), tf.float32)
        trailing_zeros = tf.argmax(tf.reverse(nonzero, [1]), axis=1, output_type=tf.int32)
        end = tf.cast(samples - 1 - trailing_zeros, tf.float32)[:, None]  # last nonzero sample
        inside = (position >= 0.0) & (position < end + 1.0)  # interpolating into the padding
        position = tf.clip_by_value(position, 0.0, tf.cast(samples - 1, tf.float32))
        left = tf.cast(tf.floor(position), tf.int32)
        right = tf.minimum(left + 1, samples - 1)
        fraction = position - tf.floor(position)
        resampled = (
            tf.gather(waveforms, left, batch_dims=1) * (1.0 - fraction)
            + tf.gather(waveforms, right, batch_dims=1) * fraction
        )
        resampled = tf.where(inside, resampled, 0.0)

        low, high = self.noise_snr_db
        snr_db = keras.random.uniform((batch, 1), low, high, seed=self.seed_generator)
        rms = tf.sqrt(tf.reduce_mean(tf.square(resampled), axis=-1, keepdims=True))
        noise = keras.random.normal((batch, samples), seed=self.seed_generator)
        noise = tf.where(inside, noise * rms * tf.pow(10.0, -snr_db / 20.0), 0.0)
        return resampled + noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "sample_rate": self.sample_rate,
            "max_shift": self.max_shift,
            "speed_range": self.speed_range,
            "noise_snr_db": self.noise_snr_db,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="day3")
class SpecAugment(keras.layers.Layer):
    """Training-only SpecAugment masking (Park et al., 2019) on `(batch, frames, bins)` features.

    Zeroes `time_masks` random runs of up to `time_mask_width` frames and `freq_masks` runs of up
    to `freq_mask_width` bins, independently per example. Identity at inference.

    Args:
        time_masks: number of time masks per example.
        time_mask_width: largest time-mask width in frames.
        freq_masks: number of frequency masks per example.
        freq_mask_width: largest frequency-mask width in bins.
        seed: seed of the layer's random draws.
    """

    def __init__(
        self, time_masks=1, time_mask_width=8, freq_masks=1, freq_mask_width=6, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.time_masks = time_masks
        self.time_mask_width = time_mask_width
        self.freq_masks = freq_masks
        self.freq_mask_width = freq_mask_width
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, features, training=None):
        if not training:
            return features
        shape = tf.shape(features)
        keep_time = self._keep(shape[0], shape[1], self.time_masks, self.time_mask_width)
        keep_freq = self._keep(shape[0], shape[2], self.freq_masks, self.freq_mask_width)
        return features * keep_time[:, :, None] * keep_freq[:, None, :]

    def _keep(self, batch, length, count, max_width):
        """`(batch, length)` float mask: 0 inside `count` random runs, 1 elsewhere."""
        keep = tf.ones((batch, length))
        position = tf.cast(tf.range(length), tf.float32)[None, :]
        for _ in range(count):
            width = tf.floor(
                keras.random.uniform((batch, 1), 0.0, max_width + 1.0, seed=self.seed_generator)
            )
            start = tf.floor(
                keras.random.uniform((batch, 1), 0.0, 1.0, seed=self.seed_generator)
                * (tf.cast(length, tf.float32) - width + 1.0)
            )
            inside = (position >= start) & (position < start + width)
            keep *= 1.0 - tf.cast(inside, tf.float32)
        return keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "time_masks": self.time_masks,
            "time_mask_width": self.time_mask_width,
            "freq_masks": self.freq_masks,
            "freq_mask_width": self.freq_mask_width,
            "seed": self.seed,
        }


def _mel_power(waveforms, sample_rate, frame_length, frame_step, num_mel_bins, lower_hz):
    """Peak-normalised waveforms `(batch, samples)` -> mel power `(batch, frames, mels)`."""
    waveforms = tf.cast(waveforms, tf.float32)
    peak = tf.reduce_max(tf.abs(waveforms), axis=-1, keepdims=True)
    waveforms = waveforms / tf.maximum(peak, 1e-9)
    spectrum = tf.signal.stft(waveforms, frame_length, frame_step, fft_length=frame_length)
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins, frame_length // 2 + 1, sample_rate, lower_hz, sample_rate / 2
    )
    return tf.tensordot(tf.abs(spectrum) ** 2, mel_matrix, 1)


@keras.saving.register_keras_serializable(package="day3")
class PCENSpectrogram(keras.layers.Layer):
    """Waveforms `(batch, samples)` -> per-channel energy normalised mel frames `(batch, frames,
    num_mel_bins)` (PCEN, Wang et al., 2017).

    Each mel channel's energy `E` is divided by a smoothed copy of itself, `M[t] = (1 - s) M[t-1]
    + s E[t]`, raised to `alpha`, then compressed: `(E / M**alpha + delta)**r - delta**r`. That is
    an automatic gain control per channel: a steady channel colour (microphone, room, a voice's
    long-term spectrum) divides out, onsets stand out. A different view of the clip than the
    log-mel's, which makes it a useful second front end in a vote.

    Args:
        sample_rate, frame_length, frame_step, num_mel_bins, lower_hz: as in `LogMelSpectrogram`.
        smoothing: `s`, the smoother's weight of the current frame (0.04: about 400 ms memory at a
            16 ms hop).
        alpha: how much of the smoothed energy divides out (1 = all).
        delta, r: the compression's offset and exponent.

    Example:

    >>> PCENSpectrogram()(np.zeros((2, 8000), "float32")).shape
    TensorShape([2, 61, 40])
    """

    def __init__(
        self,
        sample_rate=8000,
        frame_length=256,
        frame_step=128,
        num_mel_bins=40,
        lower_hz=20.0,
        smoothing=0.04,
        alpha=0.98,
        delta=2.0,
        r=0.5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.num_mel_bins = num_mel_bins
        self.lower_hz = lower_hz
        self.smoothing = smoothing
        self.alpha = alpha
        self.delta = delta
        self.r = r

    def call(self, waveforms):
        energy = _mel_power(
            waveforms,
            self.sample_rate,
            self.frame_length,
            self.frame_step,
            self.num_mel_bins,
            self.lower_hz,
        )  # (batch, frames, mels)
        # The first-order smoother as one matrix product: M[t] = sum_k s (1 - s)^(t - k) E[k].
        time = tf.cast(tf.range(tf.shape(energy)[1]), tf.float32)
        lag = time[:, None] - time[None, :]  # (frames, frames): t - k
        weights = tf.where(
            lag >= 0, self.smoothing * (1 - self.smoothing) ** tf.maximum(lag, 0.0), 0.0
        )
        smoothed = tf.einsum("tk,bkm->btm", weights, energy) + 1e-6
        gain = energy / smoothed**self.alpha
        return (gain + self.delta) ** self.r - self.delta**self.r

    def compute_output_shape(self, input_shape):
        return LogMelSpectrogram.compute_output_shape(self, input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "sample_rate": self.sample_rate,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "num_mel_bins": self.num_mel_bins,
            "lower_hz": self.lower_hz,
            "smoothing": self.smoothing,
            "alpha": self.alpha,
            "delta": self.delta,
            "r": self.r,
        }


@keras.saving.register_keras_serializable(package="day3")
class SpeakingRateNormalization(keras.layers.Layer):
    """Stretches each clip's spoken part to the same number of frames: `(batch, frames, bins)` ->
    `(batch, num_frames, bins)`, at training and at inference.

    The spoken part runs from the first to the last frame whose loudest bin reaches `threshold`
    (on `LogMelSpectrogram`'s scale 0.5 is 40 dB below the clip's peak); it is resampled,
    linearly interpolated, onto `num_frames` frames. Pitch and formants stay as they are, only
    the duration goes: a slow talker's 700 ms "six" and a quick 300 ms one look alike.

    Args:
        num_frames: frames out.
        threshold: the level a frame must reach to count as spoken.

    Example:

    >>> SpeakingRateNormalization(40)(np.ones((2, 61, 40), "float32")).shape
    TensorShape([2, 40, 40])
    """

    def __init__(self, num_frames=40, threshold=0.5, **kwargs):
        super().__init__(**kwargs)
        self.num_frames = num_frames
        self.threshold = threshold

    def call(self, features):
        frames = tf.shape(features)[1]
        index = tf.cast(tf.range(frames), tf.float32)[None, :]
        spoken = tf.reduce_max(features, axis=-1) >= self.threshold  # (batch, frames)
        first = tf.reduce_min(tf.where(spoken, index, 1e9), axis=1)
        last = tf.reduce_max(tf.where(spoken, index, -1.0), axis=1)
        silent = last < first  # nothing loud enough: keep the whole clip
        first = tf.where(silent, 0.0, first)[:, None]
        last = tf.where(silent, tf.cast(frames - 1, tf.float32), last)[:, None]
        position = first + (last - first) * tf.linspace(0.0, 1.0, self.num_frames)[None, :]
        left = tf.cast(tf.floor(position), tf.int32)  # (batch, num_frames)
        right = tf.minimum(left + 1, frames - 1)
        fraction = (position - tf.floor(position))[:, :, None]
        return (
            tf.gather(features, left, batch_dims=1) * (1.0 - fraction)
            + tf.gather(features, right, batch_dims=1) * fraction
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_frames, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "num_frames": self.num_frames, "threshold": self.threshold}
