"""Writing small wav files for tests: PCM of any width, IEEE float, plain or extensible headers."""

import struct

import numpy as np

PCM, FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
# The KSDATAFORMAT_SUBTYPE GUID after its first two bytes (which hold the format tag).
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def write_wav(path, samples, sample_rate, width=2, *, float_format=False, extensible=False):
    """Writes `samples` `(frames,)` or `(frames, channels)` in 16-bit scale as a wav file.

    Args:
        path: the file to write.
        samples: the signal in 16-bit scale (about -32768..32767).
        sample_rate: frames per second.
        width: bytes per sample: 1-4 for PCM, 4 or 8 for float.
        float_format: IEEE float samples (the signal / 32768) instead of PCM.
        extensible: a WAVE_FORMAT_EXTENSIBLE header (what editors write for 24-bit and float).
    """
    samples = np.asarray(samples, np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    if float_format:
        data = (samples / 32768).astype({4: "<f4", 8: "<f8"}[width]).tobytes()
    elif width == 1:
        data = (np.clip(samples / 256 + 128, 0, 255)).astype(np.uint8).tobytes()
    elif width == 3:
        ints = np.clip(samples * 256, -(2**23), 2**23 - 1).astype("<i4")
        data = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        dtype, scale = {2: ("<i2", 1), 4: ("<i4", 65536)}[width]
        clipped = np.clip(samples * scale, np.iinfo(dtype).min, np.iinfo(dtype).max)
        data = clipped.astype(dtype).tobytes()
    channels = samples.shape[1]
    tag = FLOAT if float_format else PCM
    fmt = struct.pack(
        "<HHIIHH",
        EXTENSIBLE if extensible else tag,
        channels,
        sample_rate,
        sample_rate * channels * width,
        channels * width,
        8 * width,
    )
    if extensible:
        fmt += struct.pack("<HHI", 22, 8 * width, 0) + struct.pack("<H", tag) + _GUID_TAIL
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)
    with open(path, "wb") as file:
        file.write(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    return path


def tone(frequency, seconds, sample_rate, amplitude=8000.0):
    time = np.arange(int(seconds * sample_rate)) / sample_rate
    return amplitude * np.sin(2 * np.pi * frequency * time)
