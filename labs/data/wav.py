"""Reading a user's wav file as the spoken-digit models expect it: mono, 8 kHz, 16-bit scale.

Reads PCM of 8, 16, 24 or 32 bits and IEEE float of 32 or 64 bits, plain or in the
WAVE_FORMAT_EXTENSIBLE wrapper (what most editors write for 24-bit and float), at any rate and
channel count. The file is read, mixed down and resampled block by block, so a ten-minute
44.1 kHz stereo recording needs tens of megabytes, not gigabytes. Anything else (compressed
encodings) is refused in one line that says to convert it to 16-bit PCM.
"""

import pathlib
import struct
import typing

import numpy as np

PCM, FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE  # wav format tags
# Multipliers that bring each encoding to the 16-bit scale FSDD uses, by (format, bytes).
_TO_INT16_SCALE = {
    (PCM, 1): 256.0,
    (PCM, 2): 1.0,
    (PCM, 3): 1 / 256,
    (PCM, 4): 1 / 65536,
    (FLOAT, 4): 32768.0,
    (FLOAT, 8): 32768.0,
}
_FORMAT_NAMES = {
    0x0002: "ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0055: "MP3",
}
CONVERT = "convert it to 16-bit PCM wav (e.g. `ffmpeg -i IN -c:a pcm_s16le OUT.wav`)"
BLOCK_FRAMES = 1 << 16  # frames read and resampled at a time
SILENCE = 1.0  # a clip whose loudest sample is below one 16-bit step is silent


class WavError(ValueError):
    """The file is not a wav this module can read; the message says why in one line."""


def read_wav(path, sample_rate=8000, block_frames=BLOCK_FRAMES):
    """Reads a wav of any rate, encoding and channel count.

    Stereo is mixed down to mono; other rates are resampled to `sample_rate` (low-pass filtered
    first when downsampling, so high frequencies do not fold back as noise).

    Args:
        path: the wav file.
        sample_rate: the rate to return.
        block_frames: frames read, mixed and resampled at a time (memory, not the result).

    Returns:
        float32 array `(samples,)` in 16-bit scale (about -32768..32767).

    Raises:
        WavError: empty, not a wav, an encoding it cannot read, truncated or without audio; the
            message says which.
    """
    path = pathlib.Path(path)
    try:
        with open(path, "rb") as file:
            header = _read_header(file, path.stat().st_size)
            scale = _TO_INT16_SCALE[(header.format, header.width)]
            resampler = _Resampler(header.rate, sample_rate, header.frames)
            blocks = []
            for start in range(0, header.frames, block_frames):
                count = min(block_frames, header.frames - start)
                data = file.read(count * header.block_align)
                samples = _decode(data, header.format, header.width)
                if not np.isfinite(samples).all():
                    raise WavError("the file holds NaN or infinite samples")
                mono = samples.reshape(-1, header.channels).mean(axis=1) * scale
                blocks.append(resampler.push(mono).astype(np.float32))
            blocks.append(resampler.finish().astype(np.float32))
    except OSError as error:
        raise WavError(error.strerror or str(error)) from None
    return np.concatenate(blocks)


class _Header(typing.NamedTuple):
    format: int  # PCM or FLOAT
    channels: int
    rate: int  # frames per second
    width: int  # bytes per sample
    frames: int

    @property
    def block_align(self):
        return self.channels * self.width


def _read_header(file, size):
    """Parses the RIFF chunks up to `data`; leaves `file` at the first sample."""
    if size == 0:
        raise WavError("the file is empty (0 bytes)")
    riff = file.read(12)
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise WavError("not a wav file (it does not start with a RIFF/WAVE header)")
    fmt = None
    while True:
        chunk = file.read(8)
        if len(chunk) < 8:
            raise WavError("truncated wav: no data chunk" if fmt else "truncated wav header")
        name, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if name == b"fmt ":
            fmt = _parse_format(file.read(length))
            file.seek(length % 2, 1)
        elif name == b"data":
            break
        else:
            file.seek(length + length % 2, 1)
    if fmt is None:
        raise WavError("not a readable wav file (its data comes before its format chunk)")
    format, channels, rate, width = fmt
    available = size - file.tell()
    frames = min(length, available) // (channels * width)
    if length == 0 or frames == 0:
        raise WavError("the wav file holds no audio (0 samples)")
    if available < length:
        raise WavError(
            f"truncated wav: header promises {length // (channels * width)} frames, file holds "
            f"{frames}"
        )
    return _Header(format, channels, rate, width, frames)


def _parse_format(fmt):
    if len(fmt) < 16:
        raise WavError("truncated wav header (its format chunk is cut short)")
    format, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if format == EXTENSIBLE and len(fmt) >= 26:
        format = struct.unpack("<H", fmt[24:26])[0]  # the sub-format GUID's first two bytes
    width = (bits + 7) // 8
    if (format, width) not in _TO_INT16_SCALE:
        name = {PCM: f"{bits}-bit PCM", FLOAT: f"{bits}-bit float"}.get(
            format, _FORMAT_NAMES.get(format, f"format 0x{format:04x}")
        )
        raise WavError(f"cannot read {name} audio: {CONVERT}")
    if channels == 0 or rate == 0 or block_align != channels * width:
        raise WavError(f"damaged wav header ({channels} channels, {rate} Hz): {CONVERT}")
    return format, channels, rate, width


def _decode(data, format, width):
    """Samples of one block as float64 (channels interleaved), in the encoding's own scale."""
    if format == FLOAT:
        return np.frombuffer(data, {4: "<f4", 8: "<f8"}[width]).astype(np.float64)
    if width == 1:  # 8-bit wav is unsigned
        return np.frombuffer(data, np.uint8).astype(np.float64) - 128.0
    if width == 3:  # 24-bit little-endian: widen to int32 (the low byte zero), then back
        raw = np.frombuffer(data, np.uint8).reshape(-1, 3)
        padded = np.zeros((len(raw), 4), np.uint8)
        padded[:, 1:] = raw
        return padded.view("<i4").ravel().astype(np.float64) / 256.0
    return np.frombuffer(data, {2: "<i2", 4: "<i4"}[width]).astype(np.float64)


def resample(signal, rate, target_rate):
    """Resamples a 1-D signal by linear interpolation, low-passing first when downsampling."""
    resampler = _Resampler(rate, target_rate, len(signal))
    return np.concatenate([resampler.push(np.asarray(signal, np.float64)), resampler.finish()])


class _Resampler:
    """`resample` block by block: push the signal in pieces, then `finish`; the pieces returned,
    joined, are the whole signal resampled at once (the FIR's zero padding and the interpolation
    carried over from block to block)."""

    def __init__(self, rate, target_rate, frames):
        self.rate, self.target_rate = rate, target_rate
        self.kernel = _lowpass(target_rate / 2 / rate) if target_rate < rate else None
        half = 0 if self.kernel is None else (len(self.kernel) - 1) // 2
        self.pending = np.zeros(half)  # input not yet filtered; 'same' mode's leading zeros
        self.tail = np.zeros(half)  # its trailing zeros, pushed by `finish`
        self.total = int(round(frames / rate * target_rate))  # samples returned in all
        self.returned = 0
        self.filtered = 0  # index of the next filtered sample
        self.previous = None  # the last filtered sample of the previous block

    def push(self, block):
        return self._interpolate(self._filter(block), last=False)

    def finish(self):
        return self._interpolate(self._filter(self.tail), last=True)

    def _filter(self, block):
        if self.kernel is None:
            return block
        buffer = np.concatenate([self.pending, block])
        keep = len(self.kernel) - 1
        if len(buffer) <= keep:
            self.pending = buffer
            return buffer[:0]
        self.pending = buffer[len(buffer) - keep :]
        return np.convolve(buffer, self.kernel, mode="valid")

    def _interpolate(self, filtered, *, last):
        if self.rate == self.target_rate:
            return filtered
        if self.previous is not None:
            filtered = np.concatenate([[self.previous], filtered])
        start = self.filtered - (self.previous is not None)
        if len(filtered) == 0:
            return filtered
        times = np.arange(start, start + len(filtered)) / self.rate
        end = self.total if last else min(self.total, int(times[-1] * self.target_rate) + 2)
        wanted = np.arange(self.returned, end) / self.target_rate
        if not last:  # the samples whose right neighbour is known
            wanted = wanted[: np.searchsorted(wanted, times[-1], side="left")]
        self.returned += len(wanted)
        self.filtered = start + len(filtered)
        self.previous = filtered[-1]
        return np.interp(wanted, times, filtered)


def _lowpass(cutoff, taps=63):
    """Windowed-sinc FIR low-pass; `cutoff` as a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return kernel / kernel.sum()


def is_silent(signal):
    """True when no sample of `signal` (16-bit scale) reaches one 16-bit step."""
    return len(signal) == 0 or float(np.max(np.abs(signal))) < SILENCE


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
