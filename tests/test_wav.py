"""Reading users' wav files: any PCM width, float, any rate and channel count, any length."""

import struct
import tracemalloc

import numpy as np
import pytest

from labs.data.wav import WavError, _lowpass, is_silent, read_wav, trim_silence
from tests.wav_files import tone, write_wav


def _peak_frequency(signal, sample_rate):
    spectrum = np.abs(np.fft.rfft(signal))
    return np.fft.rfftfreq(len(signal), 1 / sample_rate)[spectrum.argmax()]


def test_8khz_mono_16_bit_reads_back_exactly(tmp_path):
    samples = np.round(tone(500, 0.5, 8000))
    audio = read_wav(write_wav(tmp_path / "a.wav", samples, 8000), 8000)
    assert audio.dtype == np.float32
    np.testing.assert_array_equal(audio, samples)


def test_16khz_stereo_is_mixed_down_and_resampled(tmp_path):
    left, right = tone(700, 1.0, 16000, 6000), tone(700, 1.0, 16000, 2000)
    audio = read_wav(write_wav(tmp_path / "s.wav", np.stack([left, right], 1), 16000), 8000)
    assert len(audio) == 8000
    assert _peak_frequency(audio, 8000) == pytest.approx(700, abs=2)
    assert np.abs(audio[100:-100]).max() == pytest.approx(4000, rel=0.02)  # mean of the channels


def test_downsampling_filters_what_8khz_cannot_hold(tmp_path):
    # 5 kHz is above the 4 kHz Nyquist limit of 8 kHz: it must be removed, not aliased to 3 kHz.
    audio = read_wav(write_wav(tmp_path / "hi.wav", tone(5000, 1.0, 16000), 16000), 8000)
    assert np.abs(audio[100:-100]).max() < 0.05 * 8000


@pytest.mark.parametrize("width", [1, 3, 4])
def test_other_sample_widths_come_back_in_16_bit_scale(tmp_path, width):
    samples = tone(300, 0.2, 8000)
    audio = read_wav(write_wav(tmp_path / "w.wav", samples, 8000, width=width), 8000)
    np.testing.assert_allclose(audio, samples, atol=260 if width == 1 else 1.5)


@pytest.mark.parametrize(
    "width, float_format, extensible",
    [(4, True, False), (8, True, True), (3, False, True), (2, False, True)],
    ids=["float32", "float64-extensible", "pcm24-extensible", "pcm16-extensible"],
)
def test_float_and_extensible_wavs_read_as_16_bit_pcm(tmp_path, width, float_format, extensible):
    samples = np.round(tone(300, 0.2, 8000))
    path = write_wav(
        tmp_path / "w.wav", samples, 8000, width, float_format=float_format, extensible=extensible
    )
    np.testing.assert_allclose(read_wav(path, 8000), samples, atol=1e-3)


def test_bad_files_raise_one_clear_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not audio at all\n")
    with pytest.raises(WavError, match="not a wav file"):
        read_wav(text)
    good = write_wav(tmp_path / "good.wav", tone(400, 0.5, 8000), 8000).read_bytes()
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(WavError, match="truncated"):
        read_wav(truncated)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(WavError, match="the file is empty"):
        read_wav(empty)
    no_audio = write_wav(tmp_path / "no_audio.wav", np.zeros(0), 8000)
    with pytest.raises(WavError, match="no audio"):
        read_wav(no_audio)
    with pytest.raises(WavError):
        read_wav(tmp_path / "missing.wav")


def test_compressed_encodings_say_to_convert_to_16_bit_pcm(tmp_path):
    wav = bytearray(write_wav(tmp_path / "pcm.wav", tone(400, 0.1, 8000), 8000).read_bytes())
    wav[20:22] = struct.pack("<H", 0x0011)  # the format tag of IMA ADPCM
    (tmp_path / "adpcm.wav").write_bytes(bytes(wav))
    with pytest.raises(WavError, match="cannot read IMA ADPCM audio: convert it to 16-bit PCM"):
        read_wav(tmp_path / "adpcm.wav")


def test_block_by_block_equals_the_whole_signal_at_once(tmp_path):
    rng = np.random.default_rng(0)
    signal = rng.normal(0, 3000, (44100, 2))
    path = write_wav(tmp_path / "noise.wav", signal, 44100)
    whole = read_wav(path, 8000, block_frames=1 << 20)
    mono = read_wav(path, 44100).astype(np.float64)  # mixed down, not resampled
    # The whole signal low-passed, then linearly interpolated at 8 kHz, in one go.
    filtered = np.convolve(mono, _lowpass(8000 / 2 / 44100), mode="same")
    expected = np.interp(np.arange(8000) / 8000, np.arange(44100) / 44100, filtered)
    np.testing.assert_allclose(whole, expected, atol=1e-2)
    for block_frames in (1, 7, 1000):
        np.testing.assert_array_equal(read_wav(path, 8000, block_frames=block_frames), whole)


def test_a_long_recording_is_read_without_holding_it_whole(tmp_path):
    # Two minutes of 44.1 kHz stereo: a 21 MB file, 3.8 MB at 8 kHz. Decoding it whole as float64
    # (as before) took over 300 MB; block by block it stays a few times the result.
    frames = 120 * 44100
    noise = np.random.default_rng(0).integers(-3000, 3000, (frames, 2), dtype=np.int16)
    path = write_wav(tmp_path / "long.wav", noise, 44100)
    del noise
    tracemalloc.start()
    try:
        audio = read_wav(path, 8000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(audio) == 120 * 8000
    assert peak < 6 * audio.nbytes, f"{peak / 1e6:.0f} MB"


def test_silence_is_told_apart_from_quiet_speech():
    assert is_silent(np.zeros(8000)) and is_silent(np.full(100, 0.4)) and is_silent(np.zeros(0))
    assert not is_silent(tone(300, 0.1, 8000, amplitude=50))


def test_trim_silence_keeps_the_spoken_part():
    speech = tone(300, 0.25, 8000)
    signal = np.concatenate([np.zeros(4000), speech, np.zeros(2000)])
    trimmed = trim_silence(signal)
    assert 2000 - 256 <= len(trimmed) <= 2000 + 2 * 256
    assert len(trim_silence(np.zeros(3000))) == 3000
