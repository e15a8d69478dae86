"""`python -m labs.bidirectional predict`: classify the user's own wav files."""

import pathlib
import sys

import keras
import numpy as np

from labs import kit
from labs.data.spoken_digit import SAMPLE_RATE
from labs.data.wav import WavError, read_wav, trim_silence
from models import audio_layers  # noqa: F401  (registers the front-end layers saved models use)

LAB = "bidirectional"


def add_parser(subparsers):
    """Adds the `predict` subcommand to the lab's `subparsers`."""
    parser = subparsers.add_parser(
        "predict", help="classify your own wav files with saved models",
        description="Classify spoken-digit wav files (PCM, any rate, mono or stereo, any length).")
    parser.add_argument("--model", type=pathlib.Path, required=True, action="append",
                        help="a saved model, e.g. runs/bidirectional/models/best.keras; give it "
                             "several times to average the models' probabilities (an ensemble, "
                             "steadier on voices none of them has heard)")
    parser.add_argument("wavs", nargs="+", type=pathlib.Path, help="wav files to classify")
    return parser


def predict(args):
    """Prints `path<TAB>digit<TAB>confidence` per file; several models average their probabilities.

    Args:
        args: the parsed `predict` flags (`model`: list of paths, `wavs`: list of paths).

    Returns:
        `{path: {"digit": int, "confidence": float}}` for the files that could be read.

    Raises:
        LabError: a model cannot be loaded, or some file could not be classified (after the
            others were).
    """
    models = [_load_model(path) for path in args.model]
    clips, failures = {}, 0  # path -> trimmed waveform
    for path in args.wavs:
        try:
            clips[path] = trim_silence(read_wav(path, SAMPLE_RATE))
        except WavError as error:
            print(f"{path}\terror: {error}", file=sys.stderr)
            failures += 1
    results = {}
    if clips:
        waveforms = list(clips.values())
        probabilities = np.mean([_probabilities(model, waveforms) for model in models], axis=0)
        for path, row in zip(clips, probabilities, strict=True):
            digit = int(row.argmax())
            results[str(path)] = {"digit": digit, "confidence": float(row[digit])}
            print(f"{path}\t{digit}\t{row[digit]:.3f}")
    if failures:
        raise kit.LabError(f"{failures} of {len(args.wavs)} files could not be classified")
    return results


def _probabilities(model, waveforms):
    """`model`'s digit probabilities `(clips, 10)` for waveforms of any length, each cut or
    zero-padded to the model's input length."""
    input_shape = model.input_shape  # (None, samples) for ours, (None, samples, 1) for the course's
    batch = np.zeros((len(waveforms), input_shape[1]), np.float32)
    for row, audio in zip(batch, waveforms, strict=True):
        row[: min(len(audio), len(row))] = audio[: len(row)]
    return model.predict(batch.reshape((len(waveforms), *input_shape[1:])), verbose=0)


def _load_model(path):
    if not path.is_file():
        raise kit.LabError(f"--model {path}: no such file (train one first: python -m labs.{LAB})")
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # noqa: BLE001 - any failure to load means the same to the user
        raise kit.LabError(f"--model {path}: not a loadable Keras model ({error})") from None
