"""Reading users' wav files: any PCM width, rate and channel count."""

import numpy as np
import pytest

from labs.data.wav import WavError, read_wav, trim_silence
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


def test_bad_files_raise_one_clear_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not audio at all\n")
    with pytest.raises(WavError, match="not a readable PCM wav"):
        read_wav(text)
    good = write_wav(tmp_path / "good.wav", tone(400, 0.5, 8000), 8000).read_bytes()
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(WavError, match="truncated"):
        read_wav(truncated)
    empty = write_wav(tmp_path / "empty.wav", np.zeros(0), 8000)
    with pytest.raises(WavError, match="no audio"):
        read_wav(empty)
    with pytest.raises(WavError):
        read_wav(tmp_path / "missing.wav")


def test_trim_silence_keeps_the_spoken_part():
    speech = tone(300, 0.25, 8000)
    signal = np.concatenate([np.zeros(4000), speech, np.zeros(2000)])
    trimmed = trim_silence(signal)
    assert 2000 - 256 <= len(trimmed) <= 2000 + 2 * 256
    assert len(trim_silence(np.zeros(3000))) == 3000
