"""Reading a user's wav file as the spoken-digit models expect it: mono, 8 kHz, 16-bit scale."""

import wave

import numpy as np

# Divisors that bring each PCM sample width to the 16-bit scale FSDD uses.
_TO_INT16_SCALE = {1: 1 / 256, 2: 1.0, 3: 256.0, 4: 65536.0}


class WavError(ValueError):
    """The file is not a readable PCM wav."""


def read_wav(path, sample_rate=8000):
    """Reads a PCM wav of any rate, width and channel count.

    Stereo is mixed down to mono; other rates are resampled to `sample_rate` (low-pass filtered
    first when downsampling, so high frequencies do not fold back as noise).

    Args:
        path: the wav file.
        sample_rate: the rate to return.

    Returns:
        float32 array `(samples,)` in 16-bit scale (about -32768..32767).

    Raises:
        WavError: not a wav, not PCM, truncated or empty; the message says which.
    """
    try:
        with wave.open(str(path), "rb") as file:
            channels, width = file.getnchannels(), file.getsampwidth()
            rate, frames = file.getframerate(), file.getnframes()
            data = file.readframes(frames)
    except (wave.Error, EOFError) as error:
        raise WavError(f"not a readable PCM wav file ({error})") from None
    except OSError as error:
        raise WavError(error.strerror or str(error)) from None
    if width not in _TO_INT16_SCALE:
        raise WavError(f"unsupported sample width of {width} bytes")
    if frames == 0 or not data:
        raise WavError("the wav file holds no audio")
    if len(data) < frames * channels * width:
        raise WavError(
            f"truncated wav: header promises {frames} frames, file holds "
            f"{len(data) // (channels * width)}"
        )
    samples = _decode(data, width).reshape(-1, channels).mean(axis=1)
    samples = samples / _TO_INT16_SCALE[width]
    return resample(samples, rate, sample_rate).astype(np.float32)


def resample(signal, rate, target_rate):
    """Resamples a 1-D signal by linear interpolation, low-passing first when downsampling."""
    if rate == target_rate:
        return signal
    if target_rate < rate:
        signal = np.convolve(signal, _lowpass(target_rate / 2 / rate), mode="same")
    duration = len(signal) / rate
    target_times = np.arange(int(round(duration * target_rate))) / target_rate
    return np.interp(target_times, np.arange(len(signal)) / rate, signal)


def _lowpass(cutoff, taps=63):
    """Windowed-sinc FIR low-pass; `cutoff` as a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return kernel / kernel.sum()


def _decode(data, width):
    if width == 1:  # 8-bit wav is unsigned
        return np.frombuffer(data, np.uint8).astype(np.float64) - 128.0
    if width == 3:  # 24-bit little-endian: widen to int32
        raw = np.frombuffer(data, np.uint8).reshape(-1, 3)
        padded = np.zeros((len(raw), 4), np.uint8)
        padded[:, 1:] = raw
        return padded.view("<i4").ravel().astype(np.float64) / 256.0
    return np.frombuffer(data, {2: "<i2", 4: "<i4"}[width]).astype(np.float64)


def trim_silence(signal, frame_length=256, threshold_db=30.0):
    """Drops leading and trailing frames quieter than `threshold_db` below the loudest frame.

    FSDD clips are trimmed to the spoken digit; a user's recording usually is not, and a second
    of silence before the word would push the digit out of the model's one-second window.

    Args:
        signal: 1-D array.
        frame_length: samples per frame whose RMS is compared.
        threshold_db: frames this far below the loudest one count as silence.

    Returns:
        The trimmed signal (the whole signal if it is silent throughout).
    """
    frames = len(signal) // frame_length
    if frames == 0:
        return signal
    rms = np.sqrt(np.mean(signal[: frames * frame_length].reshape(frames, -1) ** 2, axis=1))
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (-threshold_db / 20))
    if rms.max() == 0 or loud.size == 0:
        return signal
    return signal[loud[0] * frame_length : (loud[-1] + 1) * frame_length]
