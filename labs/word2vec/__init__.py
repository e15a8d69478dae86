"""word2vec on Penn Treebank: skip-gram and CBOW with negative sampling, beside PPMI/SVD and gensim.

What you will learn: words used alike get vectors alike (cos(monday, friday) is high) and offsets
carry relations (analogies by b - a + c); why negative sampling exists (K + 1 sigmoid questions
instead of a softmax over 10,000 words: `softmax_vs_negative_sampling`, measured); what word2vec
does to the corpus (subsampling, a dynamic window, unigram^0.75 negatives: labs/data/skipgrams.py);
that count-based vectors (co-occurrence -> PPMI -> truncated SVD) are a serious baseline; and how
the field scores embeddings (WordSim-353, Google analogies) next to gensim's Word2Vec.

Course: Section 6 (word embeddings); `--preset course` is DLFS2 ch04's CBOW (window 5, hidden 100,
batch 100, 10 epochs, Adam, 5 negatives, fixed window, no subsampling).

Commands:
    python -m labs.word2vec --manual-dir ../shared/data    # skip-gram + PPMI/SVD + gensim
    python -m labs.word2vec --model cbow
    python -m labs.word2vec --preset course                 # DLFS2's CBOW (long: batch 100)
    python -m labs.word2vec similar you year car toyota     # on the saved run
    python -m labs.word2vec analogy king man queen          # king : man :: queen : ?
    python -m labs.word2vec --quick                         # tiny slice, every code path
    python -m benchmarks.word2vec --json                    # words/s and scores vs gensim
"""

import dataclasses
import typing

from labs import kit

MODELS = ("skipgram", "cbow")  # labs.data.skipgrams.MODELS (a test checks they agree)
EMBEDDINGS = (*MODELS, "ppmi_svd", "gensim")  # what a run exports under embeddings/


@dataclasses.dataclass(frozen=True)
class Config:
    """One preset of the lab."""

    model: str = kit.flag("skipgram", "the word2vec model to train", choices=MODELS)
    embedding_dim: int = 100  # vector length, of every embedding (ours, PPMI/SVD, gensim)
    window: int = 5  # largest centre-context distance
    dynamic_window: bool = True  # word2vec's window drawn from 1..window per centre
    negatives: int = 5  # noise words per example
    sample: float = 1e-3  # subsampling threshold t (0: none); gensim's default
    epochs: int = kit.flag(10, "passes over the training text (gensim's too)")
    batch_size: int = kit.flag(4096, "examples per step (large batches make Keras fast on CPU)")
    optimizer: str = "sgd"  # "sgd" (word2vec: summed loss, linear decay) or "adam" (DLFS2)
    learning_rate: float = kit.flag(0.025, "initial learning rate (word2vec's alpha)")
    min_learning_rate: float = 0.0001  # rate at the last step (linear decay; Adam: constant)
    edges: bool = True  # CBOW: centres near the text's ends too (DLFS2 drops them)
    max_tokens: int = 0  # train on the first N tokens of ptb.train.txt (0: all 929,589)
    ppmi_svd: bool = True  # the count-based baseline
    gensim_workers: int = 1  # gensim's threads: 1 keeps a seed reproducible
    softmax_tokens: int = 100_000  # tokens of the softmax-vs-negative-sampling timing (0: none)

    def quick(self):
        return dataclasses.replace(
            self,
            embedding_dim=16,
            epochs=1,
            batch_size=min(self.batch_size, 512),
            max_tokens=30_000,
            softmax_tokens=min(self.softmax_tokens, 3_000),
        )


PRESETS = {
    # Skip-gram, gensim's defaults (window 5, 5 negatives, t = 1e-3, SGD 0.025 -> 0.0001).
    "default": Config(),
    # DLFS2 ch04 train.py: CBOW, window 5, hidden 100, batch 100, 10 epochs, Adam(1e-3).
    "course": Config(
        model="cbow",
        dynamic_window=False,
        sample=0.0,
        batch_size=100,
        optimizer="adam",
        learning_rate=1e-3,
        edges=False,
        softmax_tokens=0,
    ),
}


@dataclasses.dataclass(frozen=True)
class Similar:
    """`similar WORD...`: the nearest neighbours of each word in a run's vectors."""

    words: tuple[str, ...] = kit.argument("the words to look up")
    embedding: str | None = kit.flag(
        None, "the run's embedding to query; none: the model it trained", choices=EMBEDDINGS
    )
    top: int = kit.flag(8, "answers to show")


@dataclasses.dataclass(frozen=True)
class Analogy:
    """`analogy A B C`: A : B :: C : ? (the words nearest B - A + C)."""

    words: tuple[str, ...] = kit.argument("A B C, for A : B :: C : ?")
    embedding: str | None = kit.flag(
        None, "the run's embedding to query; none: the model it trained", choices=EMBEDDINGS
    )
    top: int = kit.flag(8, "answers to show")

    def __post_init__(self):
        if len(self.words) != 3:
            raise ValueError(f"analogy takes three words, A B C, got {len(self.words)}")


class WordSim(typing.TypedDict):
    spearman: float | None
    pearson: float | None
    pairs: int  # pairs with both words in the vocabulary
    pairs_total: int
    coverage: float


class Analogies(typing.TypedDict):
    accuracy: float
    questions: int  # Google analogy questions with every word in the vocabulary
    questions_total: int
    coverage: float


class Solved(typing.TypedDict):
    question: str  # "a:b::c:?"
    expected: str
    answer: str
    correct: bool


class EmbeddingScores(typing.TypedDict):
    wordsim353: WordSim
    analogy: Analogies
    neighbours: dict[str, list[tuple[str | float, ...]]]  # word: [[neighbour, cosine], ...]
    analogies: list[Solved]  # the lab's own questions (DLFS2's and ours)
    train_seconds: float  # timing: varies run to run
    words_per_s: float  # timing


class Speed(typing.TypedDict):
    ours_words_per_s: float  # timing
    gensim_words_per_s: float  # timing
    ratio: float  # timing: ours / gensim


class SoftmaxTiming(typing.TypedDict):
    tokens: int
    softmax_epoch_seconds: float  # timing: the second epoch (the first compiles)
    negative_sampling_epoch_seconds: float  # timing
    ratio: float  # timing: softmax / negative sampling


class Metrics(typing.TypedDict):
    tokens: int  # training tokens
    vocabulary: int  # words occurring in them (every embedding is scored on these)
    embeddings: dict[str, EmbeddingScores]  # the model, "ppmi_svd", "gensim"
    speed: Speed
    softmax_vs_negative_sampling: typing.NotRequired[SoftmaxTiming]  # softmax_tokens > 0


LAB = kit.Lab(
    __name__,
    __doc__,
    PRESETS,
    section="Section 6 (word2vec)",
    data="files",
    tensorboard=True,
    commands={
        "similar": kit.Command(Similar, "nearest neighbours of each WORD"),
        "analogy": kit.Command(Analogy, "A : B :: C : ?  (the words nearest B - A + C)"),
    },
    metrics=Metrics,
    figure="similarity_skipgram.png",
    headline={  # the keys a run lacks (cbow or skipgram) are left out
        "skip-gram WordSim-353 Spearman": "embeddings.skipgram.wordsim353.spearman",
        "CBOW WordSim-353 Spearman": "embeddings.cbow.wordsim353.spearman",
        "gensim WordSim-353 Spearman": "embeddings.gensim.wordsim353.spearman",
        "PPMI/SVD WordSim-353 Spearman": "embeddings.ppmi_svd.wordsim353.spearman",
        "words/s, ours / gensim": "speed.ratio",
    },
)
