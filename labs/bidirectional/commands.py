"""`python -m labs.bidirectional predict`: classify the user's own wav files with a run's models."""

import sys

import numpy as np

from labs import kit
from labs.data.wav import WavError, is_silent, read_wav, trim_silence


def predict(context, options):
    """Prints `path<TAB>digit<TAB>confidence` per file; several models average their probabilities.

    The files are read first (a file that cannot be read is named on stderr, the others are still
    classified), then the run's models are loaded (`kit.load_run`: `--output-dir`, default
    runs/bidirectional). A silent clip is classified with a warning: its digit is a guess.

    Args:
        context: the `kit.RunContext` (`output_dir`: the run to read).
        options: the `Predict` options (`wavs`, `model`: names of the run's models).

    Returns:
        `{path: {"digit": int, "confidence": float}}` for the files that could be read.

    Raises:
        LabError: no finished run, a missing or damaged model, or some file could not be
            classified (after the others were).
    """
    saved = kit.load_run(context)
    sample_rate = saved.assets.get("sample_rate", 8000)
    clips, failures = {}, 0  # path -> trimmed waveform
    for path in options.wavs:
        try:
            audio = read_wav(path, sample_rate)
        except WavError as error:
            print(f"{path}\terror: {error}", file=sys.stderr)
            failures += 1
            continue
        if is_silent(audio):
            print(f"{path}\twarning: the clip is silent: its digit is a guess", file=sys.stderr)
        clips[path] = trim_silence(audio)
    results = {}
    if clips:
        models = [saved.model(name) for name in options.model]
        waveforms = list(clips.values())
        probabilities = np.mean([_probabilities(model, waveforms) for model in models], axis=0)
        for path, row in zip(clips, probabilities, strict=True):
            digit = int(row.argmax())
            results[path] = {"digit": digit, "confidence": float(row[digit])}
            print(f"{path}\t{digit}\t{row[digit]:.3f}")
    if failures:
        raise kit.LabError(f"{failures} of {len(options.wavs)} files could not be classified")
    return results


def _probabilities(model, waveforms):
    """`model`'s digit probabilities `(clips, 10)` for waveforms of any length.

    The clips are cut to what the model reads (its `FitLength`: the first second for ours; a
    long recording is not batched whole) and zero-padded to the longest of them."""
    input_shape = model.input_shape  # (None, samples) for ours, (None, samples, 1) for the course's
    reads = input_shape[1] or _fit_length(model) or sys.maxsize
    length = min(max(len(audio) for audio in waveforms), reads)
    batch = np.zeros((len(waveforms), length), np.float32)
    for row, audio in zip(batch, waveforms, strict=True):
        row[: min(len(audio), length)] = audio[:length]
    return model.predict(batch.reshape((len(waveforms), length, *input_shape[2:])), verbose=0)


def _fit_length(model):
    """The most samples a `FitLength` layer of `model` (or of a model inside it) keeps; 0 if
    it has none."""
    lengths = [
        layer.length if type(layer).__name__ == "FitLength" else _fit_length(layer)
        for layer in getattr(model, "layers", ())
    ]
    return max(lengths, default=0)
