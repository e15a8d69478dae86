"""Audio layers for the spoken-digit models: a log-mel front end and training-only augmentation.

All three work on whole batches inside the model graph, so a saved model carries its own feature
extraction, and augmentation costs no Python per example.
"""

import keras
import tensorflow as tf


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

    def __init__(self, sample_rate=8000, frame_length=256, frame_step=128, num_mel_bins=40,
                 lower_hz=20.0, dynamic_range_db=80.0, **kwargs):
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.num_mel_bins = num_mel_bins
        self.lower_hz = lower_hz
        self.dynamic_range_db = dynamic_range_db

    def call(self, waveforms):
        waveforms = tf.cast(waveforms, tf.float32)
        peak = tf.reduce_max(tf.abs(waveforms), axis=-1, keepdims=True)
        waveforms = waveforms / tf.maximum(peak, 1e-9)
        spectrum = tf.signal.stft(
            waveforms, self.frame_length, self.frame_step, fft_length=self.frame_length
        )  # (batch, frames, frame_length // 2 + 1)
        mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            self.num_mel_bins, self.frame_length // 2 + 1, self.sample_rate,
            self.lower_hz, self.sample_rate / 2,
        )
        mel = tf.tensordot(tf.abs(spectrum) ** 2, mel_matrix, 1)  # (batch, frames, mels)
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

    def __init__(self, sample_rate=8000, max_shift=0.1, speed_range=0.1,
                 noise_snr_db=(20.0, 40.0), seed=None, **kwargs):
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
        delay = keras.random.uniform((batch, 1), 0.0, self.max_shift * self.sample_rate,
                                     seed=self.seed_generator)
        speed = keras.random.uniform((batch, 1), 1.0 - self.speed_range, 1.0 + self.speed_range,
                                     seed=self.seed_generator)
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

    def __init__(self, time_masks=1, time_mask_width=8, freq_masks=1, freq_mask_width=6,
                 seed=None, **kwargs):
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
            width = tf.floor(keras.random.uniform((batch, 1), 0.0, max_width + 1.0,
                                                  seed=self.seed_generator))
            start = tf.floor(keras.random.uniform((batch, 1), 0.0, 1.0, seed=self.seed_generator)
                             * (tf.cast(length, tf.float32) - width + 1.0))
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
