"""Writing small wav files for tests."""

import wave

import numpy as np


def write_wav(path, samples, sample_rate, width=2):
    """Writes `samples` `(frames,)` or `(frames, channels)` in 16-bit scale as PCM of `width`
    bytes."""
    samples = np.asarray(samples, np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    if width == 1:
        data = (np.clip(samples / 256 + 128, 0, 255)).astype(np.uint8).tobytes()
    elif width == 3:
        ints = np.clip(samples * 256, -(2**23), 2**23 - 1).astype("<i4")
        data = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        dtype, scale = {2: ("<i2", 1), 4: ("<i4", 65536)}[width]
        clipped = np.clip(samples * scale, np.iinfo(dtype).min, np.iinfo(dtype).max)
        data = clipped.astype(dtype).tobytes()
    with wave.open(str(path), "wb") as file:
        file.setnchannels(samples.shape[1])
        file.setsampwidth(width)
        file.setframerate(sample_rate)
        file.writeframes(data)
    return path


def tone(frequency, seconds, sample_rate, amplitude=8000.0):
    time = np.arange(int(seconds * sample_rate)) / sample_rate
    return amplitude * np.sin(2 * np.pi * frequency * time)
