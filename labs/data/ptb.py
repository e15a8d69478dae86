"""Penn Treebank (Mikolov's language-modelling version) through `keras.utils.get_file`.

The three files the word-level literature (Zaremba et al. 2014) and DLFS2 use: a 10,000-word
vocabulary with `<unk>`, numbers as `N`, one sentence a line. As DLFS2's `dataset/ptb.py` does,
every line break becomes the word `<eos>`, giving 929,589 / 73,760 / 82,430 tokens. Word ids are
ordered by frequency in the training text (id 0 the most frequent, ties in order of first use),
which is what log-uniform candidate samplers and "the 300 most frequent words" plots expect.

Offline, the files come from the manual dir (`--manual-dir` / `LABS_MANUAL_DIR`: a folder holding
them, or a folder of dataset folders with them in `ptb/`), checked against their sha256.
"""

import collections
import dataclasses

import numpy as np

from labs.data.files import get_file

ORIGIN = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/"
SHA256 = {
    "train": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "valid": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "test": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}
END_OF_SENTENCE = "<eos>"
UNKNOWN = "<unk>"


@dataclasses.dataclass(frozen=True)
class PennTreebank:
    """The corpus as word ids.

    Attributes:
        train: int32 `(929589,)` token ids of `ptb.train.txt`, sentences joined by `<eos>`.
        valid: int32 `(73760,)`.
        test: int32 `(82430,)`.
        vocabulary: the 10,000 words, `vocabulary[id]`; ordered by training frequency.
        counts: int64 `(10000,)` training-text count of each word.
    """

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    vocabulary: tuple
    counts: np.ndarray

    @property
    def word_to_id(self):
        """`{word: id}`."""
        return {word: index for index, word in enumerate(self.vocabulary)}

    def encode(self, words):
        """Ids of `words` (a list of strings); words outside the vocabulary become `<unk>`."""
        lookup = self.word_to_id
        unknown = lookup[UNKNOWN]
        return np.array([lookup.get(word, unknown) for word in words], np.int32)

    def decode(self, ids):
        """The words of `ids`."""
        return [self.vocabulary[int(index)] for index in ids]


def read_words(path):
    """The words of one PTB file, each line break an `<eos>`."""
    with open(path, encoding="utf-8") as file:
        return file.read().replace("\n", f" {END_OF_SENTENCE} ").split()


def load_ptb(manual_dir=None):
    """Loads the three PTB files as word ids over one vocabulary.

    Args:
        manual_dir: offline, a folder holding `ptb.{train,valid,test}.txt` (or a folder of
            dataset folders with them in `ptb/`); None downloads once into Keras's cache.

    Returns:
        A `PennTreebank`.

    Raises:
        DataError: a file is missing, corrupt, or cannot be downloaded.

    Example:
        >>> ptb = load_ptb(manual_dir="../shared/data")
        >>> ptb.train.shape, len(ptb.vocabulary), ptb.decode(ptb.train[:3])
        ((929589,), 10000, ['aer', 'banknote', 'berlitz'])
    """
    words = {}
    for part, file_hash in SHA256.items():
        filename = f"ptb.{part}.txt"
        words[part] = read_words(
            get_file("ptb", filename, ORIGIN + filename, file_hash, manual_dir=manual_dir)
        )
    counter = collections.Counter(words["train"])
    first_use = {}
    for index, word in enumerate(words["train"]):
        first_use.setdefault(word, index)
    vocabulary = tuple(sorted(counter, key=lambda word: (-counter[word], first_use[word])))
    lookup = {word: index for index, word in enumerate(vocabulary)}
    # valid and test use the training vocabulary only (PTB's are identical by construction).
    ids = {
        part: np.array([lookup[word] for word in tokens], np.int32)
        for part, tokens in words.items()
    }
    counts = np.array([counter[word] for word in vocabulary], np.int64)
    return PennTreebank(ids["train"], ids["valid"], ids["test"], vocabulary, counts)
