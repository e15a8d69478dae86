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
DEFAULT_MODEL = pathlib.Path("runs") / LAB / "models" / "best.keras"  # what the default run saves


def add_parser(subparsers):
    """Adds the `predict` subcommand to the lab's `subparsers`."""
    parser = subparsers.add_parser(
        "predict",
        help="classify your own wav files with saved models",
        description="Classify spoken-digit wav files (PCM, any rate, mono or stereo, any length).",
    )
    parser.add_argument(
        "--model",
        type=pathlib.Path,
        action="append",
        help=f"a saved model (default: {DEFAULT_MODEL}, which the default run "
        "saves: the best by validation of its models and their vote); "
        "give it several times to average the models' probabilities",
    )
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
    if not args.model:
        if not DEFAULT_MODEL.is_file():
            raise kit.LabError(
                f"no model at {DEFAULT_MODEL}: train one first with "
                f"`python -m labs.{LAB}`, or pass --model PATH"
            )
        args.model = [DEFAULT_MODEL]
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
    """`model`'s digit probabilities `(clips, 10)` for waveforms of any length.

    The clips are zero-padded to the longest of them to make one batch; the model cuts or pads
    them to the length it was trained on (`FitLength`). A model saved with a fixed input length
    (before `FitLength`) gets them cut or padded to it here."""
    input_shape = model.input_shape  # (None, samples) for ours, (None, samples, 1) for the course's
    length = input_shape[1] or max(len(audio) for audio in waveforms)
    batch = np.zeros((len(waveforms), length), np.float32)
    for row, audio in zip(batch, waveforms, strict=True):
        row[: min(len(audio), length)] = audio[:length]
    return model.predict(batch.reshape((len(waveforms), length, *input_shape[2:])), verbose=0)


def _load_model(path):
    if not path.is_file():
        raise kit.LabError(f"--model {path}: no such file (train one first: python -m labs.{LAB})")
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # noqa: BLE001 - any failure to load means the same to the user
        raise kit.LabError(f"--model {path}: not a loadable Keras model ({error})") from None
