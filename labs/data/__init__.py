"""Dataset loaders for the labs."""

from labs.data.spoken_digit import (
    ARCHIVE,
    NUM_CLASSES,
    SAMPLE_RATE,
    SPEAKERS,
    SPLITS,
    DigitSplits,
    load_spoken_digit,
    pad_or_truncate,
)

__all__ = [
    "ARCHIVE",
    "NUM_CLASSES",
    "SAMPLE_RATE",
    "SPEAKERS",
    "SPLITS",
    "DigitSplits",
    "load_spoken_digit",
    "pad_or_truncate",
]
