"""The Free Spoken Digit Dataset (FSDD 1.0.9) through `tfds.load("spoken_digit")`.

2,500 recordings at 8 kHz: 5 speakers x 10 digits x 50 takes, named `{digit}_{speaker}_{index}.wav`.
tfds ships it as a single `train` split; this module carves three ways to split it:

| split    | train                 | validation             | test                            |
|----------|-----------------------|------------------------|---------------------------------|
| course   | `train[:70%]` (1,750) | `train[70%:85%]` (375) | `train[85%:]` (375)             |
| official | takes 10-49 (2,000)   | takes 5-9 (250)        | takes 0-4 (250)                 |
| speaker  | takes 5-49 (1,800)    | takes 0-4 (200)        | every take of one speaker (500) |

`official` tests on takes 0-4, as the FSDD README says; in `speaker`, train and validation are the
other speakers' takes.

The `course` split is the notebook's. Because tfds orders the single shard deterministically, its
70/15/15 cut mixes speakers and takes, so the same voice saying the same digit lands on both sides.
`official` keeps every test take unseen; `speaker` measures what matters for a new user: a voice
never heard.

Offline, tfds prepares the data from the archive in a manual dir (`--manual-dir` /
`LABS_MANUAL_DIR`), through the very same `tfds.load` call a user with internet makes.
"""

import dataclasses

import tensorflow as tf

from labs.data import tfds_prepare

SPEAKERS = ("george", "jackson", "nicolas", "theo", "yweweler")
SAMPLE_RATE = 8000
NUM_CLASSES = 10
SPLITS = ("course", "official", "speaker")
ARCHIVE = "free-spoken-digit-dataset-1.0.9.tar.gz"
COURSE_SPLIT = ["train[:70%]", "train[70%:85%]", "train[85%:]"]
_DOWNLOAD_HOST = ("github.com", 443)


@dataclasses.dataclass(frozen=True)
class DigitSplits:
    """Train, validation and test datasets of single recordings.

    Each element is tfds's dict: `audio` int64 `(samples,)` raw 16-bit values, `label` int64 `()`
    the digit, `audio/filename` string `()` such as `b"3_theo_12.wav"`.
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    name: str  # e.g. "course", "official" or "speaker:theo"


def load_spoken_digit(split="course", *, speaker="theo", manual_dir=None, data_dir=None):
    """Loads FSDD through `tfds.load`, preparing it from `manual_dir` when given.

    Args:
        split: `"course"`, `"official"` or `"speaker"` (see the module docstring).
        speaker: the held-out speaker of the `"speaker"` split, one of `SPEAKERS`.
        manual_dir: folder holding `free-spoken-digit-dataset-1.0.9.tar.gz` (or a folder of dataset
            folders with it in `spoken_digit/`), for offline use.
        data_dir: where tfds keeps prepared datasets; tfds's default when None.

    Returns:
        A `DigitSplits`, each dataset cached in memory.

    Raises:
        DataError: the data cannot be prepared (no archive and no network, corrupt archive).

    Example:

    >>> splits = load_spoken_digit("official", manual_dir="../shared/data/spoken_digit")
    >>> example = next(iter(splits.test))
    >>> example["audio"].shape, int(example["label"])
    (TensorShape([3500]), 0)
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if split == "speaker" and speaker not in SPEAKERS:
        raise ValueError(f"speaker must be one of {SPEAKERS}, got {speaker!r}")
    load_kwargs = {"manual_dir": manual_dir, "data_dir": data_dir}
    if split == "course":
        # The notebook's call, verbatim. One shard, so `shuffle_files` does not change the order.
        course = _tfds_load(split=COURSE_SPLIT, shuffle_files=True, **load_kwargs)
        return DigitSplits(*(_cached_with_size(ds, data_dir) for ds in course), "course")

    everything = _tfds_load(split="train", shuffle_files=False, **load_kwargs)
    if split == "official":
        in_test = lambda who, take: take < 5  # noqa: E731
        in_validation = lambda who, take: (take >= 5) & (take < 10)  # noqa: E731
        name = "official"
    else:
        in_test = lambda who, take: who == speaker  # noqa: E731
        in_validation = lambda who, take: (who != speaker) & (take < 5)  # noqa: E731
        name = f"speaker:{speaker}"

    def keep(predicate):
        return lambda example: predicate(*recording_fields(example["audio/filename"]))

    test = everything.filter(keep(in_test))
    validation = everything.filter(keep(in_validation))
    train = everything.filter(
        keep(lambda who, take: ~in_test(who, take) & ~in_validation(who, take))
    )
    return DigitSplits(*(_cached_with_size(ds, data_dir) for ds in (train, validation, test)), name)


def _tfds_load(**kwargs):
    return tfds_prepare.load("spoken_digit", ARCHIVE, _DOWNLOAD_HOST, **kwargs)


def _cached_with_size(dataset, data_dir):
    """Caches a dataset, reading it once (a damaged prepared copy is a `DataError` now, not in
    the middle of training), and records its size, which `filter` hides from Keras and tf.data
    (progress bars and learning-rate schedules need it)."""
    dataset = dataset.cache()
    size = tfds_prepare.read_all(dataset, "spoken_digit", data_dir)
    return dataset.apply(tf.data.experimental.assert_cardinality(size))


def recording_fields(filename):
    """Splits `b"{digit}_{speaker}_{index}.wav"` into `(speaker, index)` tensors (string, int32)."""
    stem = tf.strings.regex_replace(filename, r"\.wav$", "")
    parts = tf.strings.split(stem, "_")
    return parts[1], tf.strings.to_number(parts[2], tf.int32)


def pad_or_truncate(audio, length):
    """Cuts a clip `(samples,)` to its first `length` samples or zero-pads its end; returns
    `(length,)`."""
    audio = audio[:length]
    return tf.pad(audio, [[0, length - tf.shape(audio)[0]]])


def course_batches(dataset, batch_size=8, num_samples=1000):
    """The notebook's preprocessing: first `num_samples` raw values as `(num_samples, 1)` float32,
    label as `[label]`, no normalisation, no shuffling, batched."""

    def preprocess(example):
        audio = tf.cast(pad_or_truncate(example["audio"], num_samples), tf.float32)
        return tf.reshape(audio, (num_samples, 1)), tf.reshape(example["label"], (1,))

    return (
        dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def waveform_batches(dataset, batch_size=32, num_samples=SAMPLE_RATE, shuffle_seed=None):
    """Clips as float32 waveforms `(batch, num_samples)` with integer labels `(batch,)`.

    Args:
        dataset: a split of `load_spoken_digit`.
        batch_size: clips per batch.
        num_samples: every clip is cut or zero-padded to this length (8,000 = one second).
        shuffle_seed: shuffle the whole split with this seed, anew each epoch; None keeps the order.
    """

    def preprocess(example):
        audio = tf.cast(pad_or_truncate(example["audio"], num_samples), tf.float32)
        return audio, example["label"]

    if shuffle_seed is not None:
        dataset = dataset.shuffle(4096, seed=shuffle_seed, reshuffle_each_iteration=True)
    return (
        dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
