"""EDA: Easy Data Augmentation for text (Wei & Zou, EMNLP 2019).

Four edits, each keeping the sentence's label: synonym replacement (SR), random insertion (RI),
random swap (RS) and random deletion (RD). `eda()` follows the paper's reference code: the
sentence is lower-cased and stripped to letters, each edit makes `num_aug // 4 + 1` sentences
with `n = max(1, int(alpha * words))` changes (RD: each word deleted with probability `p_rd`),
and `num_aug` of them are kept at random, plus the original.
"""

import random
import re

# The stop words the paper's code never replaces (NLTK's English list).
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()
)


def normalize(sentence):
    """Lower-case letters and single spaces only, as the paper's `get_only_chars`."""
    sentence = sentence.replace("’", "").replace("'", "").replace("-", " ").replace("\t", " ")
    sentence = re.sub(r"[^a-z ]", " ", sentence.replace("\n", " ").lower())
    return re.sub(" +", " ", sentence).strip()


def synonym_replacement(words, n, synonyms, rng):
    """Replaces up to `n` distinct non-stop words (every occurrence) with a random synonym."""
    new_words = list(words)
    candidates = sorted({w for w in words if w not in STOP_WORDS})
    rng.shuffle(candidates)
    replaced = 0
    for word in candidates:
        options = synonyms(word)
        if options:
            choice = rng.choice(options)
            new_words = [choice if w == word else w for w in new_words]
            replaced += 1
        if replaced >= n:
            break
    # A multi-word synonym becomes several words.
    return " ".join(new_words).split()


def random_insertion(words, n, synonyms, rng):
    """Inserts a synonym of a random word at a random position, `n` times."""
    new_words = list(words)
    for _ in range(n):
        for _attempt in range(10):  # the paper gives up after 10 words without synonyms
            if not new_words:
                break
            options = synonyms(rng.choice(new_words))
            if options:
                new_words.insert(rng.randint(0, len(new_words)), rng.choice(options))
                break
    return " ".join(new_words).split()


def random_swap(words, n, rng):
    """Swaps two random words, `n` times."""
    new_words = list(words)
    for _ in range(n):
        if len(new_words) < 2:
            break
        first = rng.randrange(len(new_words))
        second = first
        for _attempt in range(3):  # the paper tries three times to draw a different position
            second = rng.randrange(len(new_words))
            if second != first:
                break
        new_words[first], new_words[second] = new_words[second], new_words[first]
    return new_words


def random_deletion(words, p, rng):
    """Deletes each word with probability `p`; never returns an empty sentence."""
    if len(words) <= 1:
        return list(words)
    kept = [w for w in words if rng.uniform(0, 1) > p]
    return kept if kept else [rng.choice(words)]


def eda(
    sentence, synonyms, alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, num_aug=9, seed=None
):
    """Augmented versions of `sentence` (the paper's `eda`), the normalised original last.

    Args:
        sentence: the text.
        synonyms: callable `word -> list[str]` (`synonym_table(...)`, `wordnet_synonyms()`).
        alpha_sr, alpha_ri, alpha_rs: fraction of words changed by SR, RI, RS (0 turns it off).
        p_rd: deletion probability of RD (0 turns it off).
        num_aug: augmented sentences per original; below 1, the expected fraction kept.
        seed: int seeding a private `random.Random`, so a seed reproduces the output.

    Returns:
        `list[str]`: the augmented sentences, then the normalised original.

    Example:
        >>> synonyms = synonym_table({"quick": ["fast"], "dog": ["hound"]})
        >>> eda("The quick dog runs", synonyms, num_aug=4, seed=0)[-1]
        'the quick dog runs'
    """
    rng = random.Random(seed)
    sentence = normalize(sentence)
    words = sentence.split()
    if not words:
        return [sentence]
    per_technique = int(num_aug / 4) + 1
    augmented = []
    if alpha_sr > 0:
        n = max(1, int(alpha_sr * len(words)))
        augmented += [synonym_replacement(words, n, synonyms, rng) for _ in range(per_technique)]
    if alpha_ri > 0:
        n = max(1, int(alpha_ri * len(words)))
        augmented += [random_insertion(words, n, synonyms, rng) for _ in range(per_technique)]
    if alpha_rs > 0:
        n = max(1, int(alpha_rs * len(words)))
        augmented += [random_swap(words, n, rng) for _ in range(per_technique)]
    if p_rd > 0:
        augmented += [random_deletion(words, p_rd, rng) for _ in range(per_technique)]
    augmented = [normalize(" ".join(w)) for w in augmented]
    rng.shuffle(augmented)
    if num_aug >= 1:
        augmented = augmented[: int(num_aug)]
    elif augmented:
        keep = num_aug / len(augmented)
        augmented = [s for s in augmented if rng.uniform(0, 1) < keep]
    return augmented + [sentence]


class EDA:
    """EDA with its settings bound: `EDA(synonyms, num_aug=4)(sentence, seed=0)`.

    Args:
        synonyms: callable `word -> list[str]`.
        alpha_sr, alpha_ri, alpha_rs, p_rd, num_aug: as in `eda()`; the paper's defaults.
    """

    def __init__(self, synonyms, alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, num_aug=9):
        for name, value in (
            ("alpha_sr", alpha_sr),
            ("alpha_ri", alpha_ri),
            ("alpha_rs", alpha_rs),
            ("p_rd", p_rd),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if num_aug < 0:
            raise ValueError(f"num_aug must be >= 0, got {num_aug}")
        self.synonyms = synonyms
        self.alpha_sr, self.alpha_ri, self.alpha_rs, self.p_rd = alpha_sr, alpha_ri, alpha_rs, p_rd
        self.num_aug = num_aug

    def __call__(self, sentence, seed=None):
        return eda(
            sentence,
            self.synonyms,
            self.alpha_sr,
            self.alpha_ri,
            self.alpha_rs,
            self.p_rd,
            self.num_aug,
            seed=seed,
        )

    def get_config(self):
        return {
            "alpha_sr": self.alpha_sr,
            "alpha_ri": self.alpha_ri,
            "alpha_rs": self.alpha_rs,
            "p_rd": self.p_rd,
            "num_aug": self.num_aug,
        }
