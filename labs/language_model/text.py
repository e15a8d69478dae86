"""Prompts in, distributions out: what the run and its `predict` share."""

import numpy as np


def encode(prompt, vocabulary):
    """The prompt's words (lower-cased unless the vocabulary has them as written, as PTB's `N`;
    unknown ones as `<unk>` with a note) and their ids."""
    lookup = {word: index for index, word in enumerate(vocabulary)}
    words = [word if word in lookup else word.lower() for word in prompt.split()]
    unknown = [word for word in words if word not in lookup]
    if unknown:
        print(f"note: not in the vocabulary, read as <unk>: {', '.join(unknown)}")
    words = [word if word in lookup else "<unk>" for word in words]
    return words, [lookup[word] for word in words]


def ranked(probabilities):
    """Word ids, most likely first (ties in id order)."""
    return np.argsort(-probabilities, kind="stable")


def line(word, probability):
    """`word : probability`, the course's output (`word : 1.3192024e-14`)."""
    return f"{word} : {np.float32(probability)!s}"


def distribution(vocabulary, probabilities, order):
    """Every word's line, most likely first: the text of next_word.txt."""
    return "".join(line(vocabulary[i], probabilities[i]) + "\n" for i in order)


def top(vocabulary, probabilities, order, count=10):
    """`[[word, probability], ...]` of the `count` most likely words."""
    return [[vocabulary[i], float(probabilities[i])] for i in order[:count]]
