"""The embeddings the lab compares, made from the same tokens and scored the same way.

`run.py` uses them for the lab, `benchmarks/word2vec.py` for its words-per-second comparison, so
both train and score exactly alike.
"""

import dataclasses

import numpy as np

from labs.data.skipgrams import Word2VecData
from models import count_embeddings, word2vec
from models.word2vec import Word2VecConfig

QUERIES = ("you", "year", "car", "toyota", "monday", "stock", "japan", "president")  # DLFS2's 4
ANALOGIES = (
    ("king", "man", "queen", "woman"),
    ("take", "took", "go", "went"),  # DLFS2's four
    ("car", "cars", "child", "children"),
    ("good", "better", "bad", "worse"),
    ("he", "his", "she", "her"),
    ("big", "bigger", "small", "smaller"),
    ("japan", "japanese", "germany", "german"),
    ("rise", "rose", "fall", "fell"),
)


@dataclasses.dataclass(frozen=True)
class Corpus:
    """The training tokens and the words they use (every embedding is scored on these).

    Attributes:
        ptb: the `PennTreebank` (vocabulary, counts).
        tokens: int32 `(tokens,)` the training text's ids (its first `max_tokens`).
        present: the ids occurring in `tokens`, ascending (most frequent first).
        words: their words.
    """

    ptb: object
    tokens: np.ndarray
    present: np.ndarray
    words: list

    @property
    def vocabulary_size(self):
        return len(self.ptb.vocabulary)

    def sentences(self):
        """The tokens as gensim reads them: lists of at most 10,000 words."""
        text = self.ptb.decode(self.tokens)
        return [text[i : i + 10_000] for i in range(0, len(text), 10_000)]


def corpus(ptb, max_tokens=0):
    """The first `max_tokens` (0: all) of PTB's training text as a `Corpus`."""
    tokens = ptb.train[:max_tokens] if max_tokens else ptb.train
    present = np.flatnonzero(np.bincount(tokens, minlength=len(ptb.vocabulary)))
    return Corpus(ptb, tokens, present, [ptb.vocabulary[index] for index in present])


def pipeline(config, corpus, model, seed, ids=None):
    """word2vec's examples of `ids` (default: the corpus's tokens) for `model`, as `config` says."""
    return Word2VecData(
        corpus.tokens if ids is None else ids,
        corpus.ptb.counts,
        model=model,
        window=config.window,
        negatives=config.negatives,
        sample=config.sample,
        batch_size=config.batch_size,
        seed=seed,
        dynamic_window=config.dynamic_window,
        edges=config.edges,
    )


def network(config, corpus, data, epochs):
    """The `Word2VecConfig` of a model trained on `data` for `epochs` (SGD: a linear decay over
    all its steps)."""
    return Word2VecConfig(
        vocabulary_size=corpus.vocabulary_size,
        embedding_dim=config.embedding_dim,
        negatives=config.negatives,
        window=config.window,
        optimizer=config.optimizer,
        learning_rate=config.learning_rate,
        min_learning_rate=config.min_learning_rate,
        decay_steps=epochs * data.steps_per_epoch() if config.optimizer == "sgd" else 0,
    )


def build(model, network_config, loss="negative_sampling"):
    """The compiled Keras model: `"skipgram"`, `"cbow"` or `"softmax_cbow"`."""
    builders = {
        "skipgram": word2vec.build_skipgram,
        "cbow": word2vec.build_cbow,
        "softmax_cbow": word2vec.build_softmax_cbow,
    }
    return word2vec.compile_word2vec(builders[model](network_config), network_config, loss)


def count_based(config, corpus, seed):
    """PPMI/SVD vectors of the corpus: `((V, d) vectors, seconds)`."""
    return count_embeddings.train_ppmi_svd(
        corpus.tokens,
        corpus.vocabulary_size,
        window=config.window,
        dim=config.embedding_dim,
        seed=seed,
    )


def anchor(config, corpus, seed, workers=None):
    """gensim's Word2Vec, same algorithm and settings, on the same tokens: `((V, d) vectors
    (zeros for words the tokens do not use), seconds of training)`."""
    model, seconds = word2vec.train_gensim(
        corpus.sentences(),
        embedding_dim=config.embedding_dim,
        window=config.window,
        negatives=config.negatives,
        sample=config.sample,
        epochs=config.epochs,
        workers=config.gensim_workers if workers is None else workers,
        seed=seed,
        sg=int(config.model == "skipgram"),
    )
    vectors = np.zeros((corpus.vocabulary_size, config.embedding_dim), np.float32)
    vectors[corpus.present] = model.wv[corpus.words]
    return vectors, seconds


def score(corpus, vectors):
    """`(keyed, scores)`: the vectors of the corpus's words as gensim `KeyedVectors`, and their
    WordSim-353 and Google-analogy scores, neighbours of `QUERIES` and answers to `ANALOGIES`."""
    keyed = word2vec.keyed_vectors(corpus.words, np.asarray(vectors)[corpus.present])
    scores = {
        **word2vec.evaluate(keyed),
        "neighbours": word2vec.neighbours(keyed, QUERIES),
        "analogies": word2vec.solve_analogies(keyed, ANALOGIES),
    }
    return keyed, scores
