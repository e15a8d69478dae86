"""nltk's Switchboard sample (36 telephone calls) through `nltk.corpus.switchboard`.

A user with internet runs `nltk.download("switchboard")` once; nltk then finds the zip in one of
`nltk.data.path` (`NLTK_DATA`, `~/nltk_data`, ...). Offline, and when `NLTK_DATA` is not set, this
loader also looks in the manual dir (`--manual-dir` / `LABS_MANUAL_DIR`): `DIR/nltk_data/` and then
`DIR/`, each holding `corpora/switchboard.zip`. It never downloads.

`backchannel_share` measures the data-side reason an HRED trained by maximum likelihood answers
blandly: a few short turns ("uh-huh", "yeah", "right") make up a large share of real conversation.
"""

import collections
import os
import pathlib

from labs.data.errors import DataError

RESOURCE = "corpora/switchboard.zip"


def _nltk_data_folders(manual_dir):
    """Where the manual dir may hold nltk data: `DIR/nltk_data` and `DIR`."""
    if manual_dir is None:
        return []
    root = pathlib.Path(manual_dir)
    return [folder for folder in (root / "nltk_data", root) if (folder / RESOURCE).is_file()]


def load_switchboard_turns(manual_dir=None):
    """Every speaker turn of the sample as a list of word tokens, in order.

    Args:
        manual_dir: a folder holding `nltk_data/corpora/switchboard.zip` (or
            `corpora/switchboard.zip`), used when nltk's own path does not find it.

    Returns:
        A list of turns, each a list of strings (nltk's tokens, punctuation included).

    Raises:
        DataError: the sample is nowhere nltk or the manual dir would look.
    """
    import nltk  # here, so that importing labs.data stays light

    if "NLTK_DATA" not in os.environ:
        for folder in _nltk_data_folders(manual_dir):
            if str(folder) not in nltk.data.path:
                nltk.data.path.append(str(folder))
    try:
        nltk.data.find(RESOURCE)
    except LookupError:
        raise DataError(
            "nltk's Switchboard sample not found: run nltk.download('switchboard'), or pass "
            f"--manual-dir DIR (env LABS_MANUAL_DIR) with DIR/nltk_data/{RESOURCE}"
        ) from None
    from nltk.corpus import switchboard

    return [list(turn) for turn in switchboard.turns()]


def normalise_turn(tokens):
    """A turn as lower-cased words joined by spaces, punctuation-only tokens dropped."""
    return " ".join(token.lower() for token in tokens if any(c.isalnum() for c in token))


def most_common_turns(turns, count=15):
    """The `count` most frequent turns (normalised; turns without a word skipped), with counts."""
    texts = [normalise_turn(turn) for turn in turns]
    return collections.Counter(text for text in texts if text).most_common(count)


def backchannel_share(turns, count=15):
    """The share of turns (those with at least one word) that are one of the `count` most common.

    Args:
        turns: lists of tokens, e.g. `load_switchboard_turns()`.
        count: how many of the most common turns count as backchannels.

    Returns:
        A float in [0, 1]; on the sample about a quarter ("uh-huh", "yeah", "right", ...).
    """
    spoken = sum(1 for turn in turns if normalise_turn(turn))
    if spoken == 0:
        raise ValueError("no turn has a word")
    return sum(n for _, n in most_common_turns(turns, count)) / spoken
