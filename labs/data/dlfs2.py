"""DLFS2's character-level seq2seq data, `date.txt` and `addition.txt`, via `keras.utils.get_file`.

The two toy translation tasks of ゼロから作るDeep Learning ❷ (ch07/ch08, MIT licence, © 2018 Koki
Saitoh), 50,000 lines each:

    date.txt      "september 27, 1994           _1994-09-27"   question 29 chars, answer 11
    addition.txt  "16+75  _91  "                               question 7 chars,  answer 5

A line is a question padded with spaces, then the answer: `_` (the decoder's start symbol) and
the target, padded too. Loaded as DLFS2's `dataset/sequence.py` does: the character vocabulary
in order of first appearance (each line's question, then its answer), the lines shuffled with
`numpy.random.seed(1984)`, the first 90 % for training and the last 10 % (5,000) for testing. So
the test split is DLFS2's and its numbers compare with the book's. Validation is carved from
the end of the training part.

Offline, the files come from the manual dir (`--manual-dir` / `LABS_MANUAL_DIR`: a folder holding
them, or a folder of dataset folders with them in `dlfs2/`), checked against their sha256.
"""

import dataclasses
import re

import numpy as np

from labs.data.errors import DataError
from labs.data.files import get_file

ORIGIN = (
    "https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch-2/master/dataset/"
)
SHA256 = {
    "date": "62e66a301ce8537868e725512d2a45663fc366526b7e42028cb703bda2b1c79a",
    "addition": "34e0746f5014c11311c9452ee9050bf14e38eca44ec4aaf4d81eba2b38674009",
}
TASKS = tuple(SHA256)
START = "_"  # the decoder's first input, the first character of every answer
PAD = " "  # questions and answers are padded with spaces to a fixed width
SHUFFLE_SEED = 1984  # DLFS2's `load_data(seed=1984)`
TEST_FRACTION = 0.1  # DLFS2: `split_at = len(x) - len(x) // 10`


@dataclasses.dataclass(frozen=True)
class CharacterTask:
    """One task as character ids over one vocabulary.

    Attributes:
        name: `"date"` or `"addition"`.
        vocabulary: the characters, `vocabulary[id]`, in DLFS2's order (first appearance).
        x_train, x_valid, x_test: int32 `(n, question_length)` question ids.
        t_train, t_valid, t_test: int32 `(n, answer_length)` answer ids, each starting with `_`.
        padding: spaces appended to every question beyond DLFS2's width (see `load_task`).
    """

    name: str
    vocabulary: tuple
    x_train: np.ndarray
    t_train: np.ndarray
    x_valid: np.ndarray
    t_valid: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    padding: int = 0

    @property
    def question_length(self):
        return self.x_train.shape[1]

    @property
    def answer_length(self):
        """Characters of an answer, the start symbol `_` included."""
        return self.t_train.shape[1]

    @property
    def start_id(self):
        return self.vocabulary.index(START)

    def encode_question(self, text):
        """The ids of one question, padded with spaces as in the file.

        Args:
            text: e.g. `"march 3, 2007"` or `"16+75"`.

        Returns:
            int32 `(question_length,)`.

        Raises:
            DataError: empty, longer than `question_length`, or characters outside the vocabulary.
        """
        if not text.strip():
            raise DataError("empty question: give e.g. 'march 3, 2007' or '16+75'")
        longest = self.question_length - self.padding
        if len(text) > longest:
            raise DataError(
                f"{text!r} is {len(text)} characters long; the {self.name} task's "
                f"questions have at most {longest}"
            )
        unknown = sorted(set(text) - set(self.vocabulary))
        if unknown:
            raise DataError(
                f"{text!r} has characters outside the {self.name} vocabulary: "
                f"{''.join(unknown)!r} (it knows {''.join(sorted(self.vocabulary))!r})"
            )
        lookup = {char: index for index, char in enumerate(self.vocabulary)}
        return np.array([lookup[char] for char in text.ljust(self.question_length, PAD)], np.int32)

    def decode(self, ids):
        """The text of `ids` (one sequence), padding and all."""
        return "".join(self.vocabulary[int(index)] for index in ids)


def vocabulary_only(name, vocabulary, question_length, answer_length, padding=0):
    """A `CharacterTask` with no lines: enough to encode and decode questions of a saved run.

    Args:
        name: `"date"` or `"addition"`.
        vocabulary: the run's characters, in id order (a string or a sequence).
        question_length, answer_length: the task's widths (29 + padding and 11 for dates).
        padding: the run's extra question padding.
    """
    questions = np.zeros((0, question_length), np.int32)
    answers = np.zeros((0, answer_length), np.int32)
    return CharacterTask(
        name, tuple(vocabulary), questions, answers, questions, answers, questions, answers, padding
    )


def read_lines(path):
    """`(questions, answers)` of one DLFS2 file: each line split before its first `_`."""
    questions, answers = [], []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            line = line.rstrip("\n")
            split = line.find(START)
            if split <= 0:
                raise DataError(f"{path}:{number} has no question before '_': not a DLFS2 file")
            questions.append(line[:split])
            answers.append(line[split:])
    if len({len(q) for q in questions}) != 1 or len({len(a) for a in answers}) != 1:
        raise DataError(f"{path}: questions or answers of different widths: not a DLFS2 file")
    return questions, answers


def build_vocabulary(questions, answers):
    """The characters in order of first appearance, each line's question before its answer."""
    seen = {}
    for question, answer in zip(questions, answers, strict=True):
        for char in question + answer:
            seen.setdefault(char, len(seen))
    return tuple(seen)


def load_task(name, manual_dir=None, validation_size=2000, padding=0):
    """Loads one task split as DLFS2 splits it, with a validation part carved from training.

    Args:
        name: `"date"` or `"addition"`.
        manual_dir: offline, a folder holding `<name>.txt` (or a folder of dataset folders with it
            in `dlfs2/`); None downloads once into Keras's cache.
        validation_size: lines taken from the end of DLFS2's training part for validation (they
            are not trained on); 0 keeps all 45,000 for training.
        padding: spaces appended to every question. DLFS2's width (29) is the longest date, so
            the 0.3 % that fill it ("WEDNESDAY, SEPTEMBER 30, 2009") end without a space; a
            model reading them reversed starts on their year with no padding before it, unlike
            every other question. One space more gives every question the same start.

    Returns:
        A `CharacterTask`: 45,000 − `validation_size` / `validation_size` / 5,000 lines.

    Raises:
        DataError: no file and no network, a wrong checksum, or not a DLFS2 file.

    Example:
        >>> task = load_task("date", manual_dir="../shared/data")
        >>> task.decode(task.x_test[0]), task.decode(task.t_test[0])
    """
    if name not in SHA256:
        raise DataError(f"unknown DLFS2 task {name!r}: expected one of {', '.join(TASKS)}")
    path = get_file("dlfs2", f"{name}.txt", ORIGIN + f"{name}.txt", SHA256[name], manual_dir)
    questions, answers = read_lines(path)
    vocabulary = build_vocabulary(questions, answers)
    lookup = {char: index for index, char in enumerate(vocabulary)}
    x = np.array([[lookup[c] for c in q + PAD * padding] for q in questions], np.int32)
    t = np.array([[lookup[c] for c in a] for a in answers], np.int32)

    # DLFS2's shuffle: the global numpy generator seeded with 1984 (kept local here).
    indices = np.arange(len(x))
    np.random.RandomState(SHUFFLE_SEED).shuffle(indices)
    x, t = x[indices], t[indices]
    split_at = len(x) - int(len(x) * TEST_FRACTION)
    if not 0 <= validation_size < split_at:
        raise DataError(f"validation_size must be in [0, {split_at}), got {validation_size}")
    carve = split_at - validation_size
    return CharacterTask(
        name,
        vocabulary,
        x[:carve],
        t[:carve],
        x[carve:split_at],
        t[carve:split_at],
        x[split_at:],
        t[split_at:],
        padding,
    )


def question_format(text):
    """A question's format: runs of digits, capitals and small letters each collapsed to one
    symbol, trailing spaces dropped: "August 19, 2003" and "Mar 25, 2003" are both `Aa 9, 9`."""
    text = re.sub(r"[0-9]+", "9", text.rstrip())
    return re.sub(r"[a-z]+", "a", re.sub(r"[A-Z]+", "A", text))


def question_examples(task):
    """`{format: first question of that format}` over every split, the most common format first
    (dates come in seven formats, additions in one); what a trained model knows how to read."""
    shapes = {}
    for x in (task.x_train, task.x_valid, task.x_test):
        for row in x:
            question = task.decode(row).rstrip()
            shapes.setdefault(question_format(question), []).append(question)
    ranked = sorted(shapes.items(), key=lambda item: len(item[1]), reverse=True)
    return {shape: questions[0] for shape, questions in ranked}


def examples_of_each_format(task, count):
    """Indices of test questions of `count` different formats, the most common format first
    (see `question_format`)."""
    shapes = {}
    for index, row in enumerate(task.x_test):
        shapes.setdefault(question_format(task.decode(row)), []).append(index)
    ranked = sorted(shapes.values(), key=len, reverse=True)
    return [rows[0] for rows in ranked[:count]]
