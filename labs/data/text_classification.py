"""The EDA paper's sentence-classification benchmarks, SST-2 and TREC, through
`keras.utils.get_file`.

Wei & Zou (2019) publish their splits in jasonwei20/eda_nlp: one example a line,
`label<TAB>lower-cased, tokenised sentence`. SST-2 (Socher et al., 2013) is movie-review sentiment,
2 classes, 7,447 training and 1,752 test sentences; TREC (Li & Roth, 2002) is question type,
6 classes, 5,452 and 500. The files are the raw ones of that repository at one commit, checked
against their sha256.

Offline, the files come from the manual dir (`--manual-dir` / `LABS_MANUAL_DIR`): a folder of
dataset folders laid out as ../shared/data is (`eda_nlp/sst2/train.txt`), the `eda_nlp` folder
itself (`sst2/train.txt`), or one task's folder (`train.txt`).
"""

import dataclasses
import pathlib

import numpy as np

from labs.data.errors import DataError
from labs.data.files import get_file

COMMIT = "4c4ef42fc0d8ca9bfd4a0c36cfb36412ce103b35"
ORIGIN = f"https://raw.githubusercontent.com/jasonwei20/eda_nlp/{COMMIT}/sized_datasets_f1/"
# Where each staged file comes from in the repository, and its sha256.
FILES = {
    ("sst2", "train"): (
        "4_full/sst2/train_orig.txt",
        "327d99f51ba61391ecc7e23371352519cfc5f0acaaa8432dd1819f0d7c83d39f",
    ),
    ("sst2", "test"): (
        "test/sst2/test.txt",
        "4d5abb459566b04386500ee29974eba6c77dedf8f3dba265876ea3bd23895a88",
    ),
    ("trec", "train"): (
        "4_full/trec/train_orig.txt",
        "1e1b0347251cf1f85603b8d5b615bd3357e84376a4ca6fb68bdb03a7914e71f7",
    ),
    ("trec", "test"): (
        "test/trec/test.txt",
        "3f6e401b297ff348d57d078cedd9bfb9ae8784d3c50448c076c1affdeb0e074e",
    ),
}
TASKS = ("sst2", "trec")
NUM_CLASSES = {"sst2": 2, "trec": 6}
CLASS_NAMES = {
    "sst2": ("negative", "positive"),
    # The six coarse TREC classes, in the label order of the EDA repository's files.
    "trec": ("description", "entity", "abbreviation", "human", "location", "numeric"),
}


@dataclasses.dataclass(frozen=True)
class TextClassification:
    """One task's sentences and integer labels.

    Attributes:
        name: `"sst2"` or `"trec"`.
        train_sentences: tuple of str, the training sentences (lower-cased, tokens split by spaces).
        train_labels: int64 `(n_train,)`.
        test_sentences: tuple of str.
        test_labels: int64 `(n_test,)`.
        num_classes: 2 for SST-2, 6 for TREC.
    """

    name: str
    train_sentences: tuple
    train_labels: np.ndarray
    test_sentences: tuple
    test_labels: np.ndarray
    num_classes: int


def read_examples(path, num_classes):
    """Reads `label<TAB>sentence` lines.

    Args:
        path: the text file.
        num_classes: labels must be in `[0, num_classes)`.

    Returns:
        `(sentences, labels)`: a tuple of str (surrounding spaces stripped) and an int64 array.

    Raises:
        DataError: a line is not `label<TAB>sentence` or its label is out of range.
    """
    sentences, labels = [], []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            label, tab, sentence = line.rstrip("\n").partition("\t")
            if not tab or not label.isdigit() or int(label) >= num_classes:
                raise DataError(
                    f"{path}:{number} is not 'label<TAB>sentence' with a label below "
                    f"{num_classes}: replace the file with the original"
                )
            sentences.append(sentence.strip())
            labels.append(int(label))
    return tuple(sentences), np.asarray(labels, np.int64)


def load_text_classification(task, *, manual_dir=None):
    """Loads SST-2 or TREC as the EDA paper's code reads them.

    Args:
        task: `"sst2"` or `"trec"`.
        manual_dir: offline, a folder holding the files (see the module docstring); None
            downloads them once into Keras's cache (`~/.keras/datasets/<task>/`).

    Returns:
        A `TextClassification`.

    Raises:
        ValueError: `task` is not one of `TASKS`.
        DataError: a file is missing from the manual dir, has another sha256, or cannot be
            downloaded; the message is one line naming `--manual-dir`.

    Example:
        >>> data = load_text_classification("trec", manual_dir="../shared/data")
        >>> len(data.train_sentences), data.num_classes, data.train_sentences[0]
        (5452, 6, 'how did serfdom develop in and then leave russia')
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if manual_dir is not None and (pathlib.Path(manual_dir) / "eda_nlp").is_dir():
        manual_dir = pathlib.Path(manual_dir) / "eda_nlp"  # a folder of dataset folders
    arrays = []
    for split in ("train", "test"):
        source, file_hash = FILES[task, split]
        path = get_file(task, f"{split}.txt", ORIGIN + source, file_hash, manual_dir)
        arrays += read_examples(path, NUM_CLASSES[task])
    return TextClassification(task, *arrays, num_classes=NUM_CLASSES[task])
