"""word2vec in Keras: skip-gram and CBOW with negative sampling, a full-softmax CBOW, and the
evaluation every embedding of the lab goes through (gensim's `KeyedVectors`).

Negative sampling (Mikolov et al. 2013) replaces the softmax over the whole vocabulary by a few
binary questions: for a query vector h and the true word's output vector u_o, and K words u_k
drawn from the noise distribution,

    loss = -log sigmoid(h . u_o) - sum_k log sigmoid(-h . u_k)

so one example touches K + 1 rows of the output table instead of all V of them. Skip-gram's query
is the centre word's vector and the "true word" a context word; CBOW's query is the mean of the
window's word vectors and the true word the centre.

Both models hold two tables, as word2vec does: `word_embedding` (the word vectors we keep,
word2vec's syn0, initialised uniform in +-0.5/dim) and `output_embedding` (syn1neg, initialised
to zeros). Their inputs are a dict `{"target", "context", "negatives"}` (`labs.data.skipgrams`),
their output the logits `(batch, 1 + negatives)` with the true word in column 0.

Example:
    >>> config = Word2VecConfig(vocabulary_size=10000, decay_steps=7000)
    >>> model = compile_word2vec(build_skipgram(config), config)
    >>> model.fit(Word2VecData(...).dataset(), epochs=5)
    >>> vectors = word_vectors(model)  # (10000, 100)
"""

import dataclasses
import time

import keras
import numpy as np
from keras import ops

PACKAGE = "day3"


@dataclasses.dataclass(frozen=True)
class Word2VecConfig:
    """What a word2vec model is built and compiled with."""

    vocabulary_size: int = 10000  # V; CBOW's word table has one more row, the padding
    embedding_dim: int = 100  # d, the length of a word vector
    negatives: int = 5  # K, noise words per example
    window: int = 5  # largest centre-context distance (CBOW's input is 2 * window wide)
    optimizer: str = "sgd"  # "sgd": word2vec's rate on the loss summed over the batch; "adam":
    #   DLFS2's Adam on the batch mean
    learning_rate: float = 0.025  # initial rate (word2vec's and gensim's alpha for SGD)
    min_learning_rate: float = 0.0001  # rate at the last step: a linear decay (gensim min_alpha)
    decay_steps: int = 0  # steps of that linear decay (the whole training); 0 = constant rate
    steps_per_execution: int = 16  # batches a compiled call runs (fewer Python round trips)
    jit_compile: bool = True  # XLA: gathers, dot products and scatters fused into one program


@keras.saving.register_keras_serializable(package=PACKAGE)
class Candidates(keras.layers.Layer):
    """The words scored for each example: the true word in column 0, then the negatives.

    Call args: `true_ids` int `(batch,)`, `negative_ids` int `(batch, K)`.
    Returns: int `(batch, 1 + K)`.
    """

    def call(self, true_ids, negative_ids):
        true_ids = ops.cast(true_ids, negative_ids.dtype)
        return ops.concatenate([ops.expand_dims(true_ids, 1), negative_ids], axis=1)

    def compute_output_shape(self, true_ids_shape, negative_ids_shape):
        return (negative_ids_shape[0], negative_ids_shape[1] + 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class DotScores(keras.layers.Layer):
    """The dot product of each example's query with each of its candidates' output vectors.

    Call args: `query` `(batch, d)`, `candidates` `(batch, C, d)`.
    Returns: logits `(batch, C)`.
    """

    def call(self, query, candidates):
        return ops.einsum("bd,bcd->bc", query, candidates)

    def compute_output_shape(self, query_shape, candidates_shape):
        return candidates_shape[:2]


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaskedMean(keras.layers.Layer):
    """CBOW's hidden vector: the mean of a window's word vectors, padding left out.

    Args:
        pad_id: the id marking an empty place in the window.

    Call args: `vectors` `(batch, width, d)`, `ids` int `(batch, width)`.
    Returns: `(batch, d)`; a window of padding only gives zeros.
    """

    def __init__(self, pad_id, **kwargs):
        super().__init__(**kwargs)
        self.pad_id = pad_id

    def call(self, vectors, ids):
        mask = ops.cast(ops.not_equal(ids, self.pad_id), vectors.dtype)  # (batch, width)
        total = ops.einsum("bw,bwd->bd", mask, vectors)
        return total / ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)

    def compute_output_shape(self, vectors_shape, ids_shape):
        return (vectors_shape[0], vectors_shape[2])

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}


@keras.saving.register_keras_serializable(package=PACKAGE)
class NegativeSamplingLoss(keras.losses.Loss):
    """Sigmoid cross-entropy summed over an example's candidates (1 true word, K negatives).

    `y_true` `(batch, 1 + K)` is 1 for the true word and 0 for the negatives; `logits` the model's
    output. Per example: `-log sigmoid(s_o) - sum_k log sigmoid(-s_k)`; `reduction` then sums
    ("sum", word2vec's per-pair SGD steps added up) or averages ("sum_over_batch_size", DLFS2)
    over the batch.
    """

    def __init__(self, reduction="sum_over_batch_size", name="negative_sampling_loss", **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)

    def call(self, y_true, logits):
        y_true = ops.cast(y_true, logits.dtype)
        # max(s, 0) - s y + log(1 + exp(-|s|)): the stable form of the sigmoid cross-entropy.
        losses = ops.relu(logits) - logits * y_true + ops.log1p(ops.exp(-ops.abs(logits)))
        return ops.sum(losses, axis=-1)  # (batch,)


def _word_embedding(config, rows):
    scale = 0.5 / config.embedding_dim  # word2vec's initialisation of syn0
    return keras.layers.Embedding(
        rows,
        config.embedding_dim,
        name="word_embedding",
        embeddings_initializer=keras.initializers.RandomUniform(-scale, scale),
    )


def _output_embedding(config):
    return keras.layers.Embedding(
        config.vocabulary_size,
        config.embedding_dim,
        embeddings_initializer="zeros",
        name="output_embedding",
    )


def _inputs(context_shape):
    return {
        "target": keras.Input((), dtype="int32", name="target"),
        "context": keras.Input(context_shape, dtype="int32", name="context"),
    }


def build_skipgram(config):
    """Skip-gram with negative sampling: the centre word's vector scores its context word and K
    negatives.

    Args:
        config: a `Word2VecConfig`.

    Returns:
        An uncompiled `keras.Model`, inputs `{"target": (batch,), "context": (batch,),
        "negatives": (batch, K)}`, output logits `(batch, 1 + K)`.
    """
    inputs = {
        **_inputs(()),
        "negatives": keras.Input((config.negatives,), dtype="int32", name="negatives"),
    }
    query = _word_embedding(config, config.vocabulary_size)(inputs["target"])  # (batch, d)
    candidates = Candidates(name="candidates")(inputs["context"], inputs["negatives"])
    outputs = _output_embedding(config)(candidates)  # (batch, 1 + K, d)
    logits = DotScores(name="scores")(query, outputs)  # (batch, 1 + K)
    return keras.Model(inputs, logits, name="skipgram")


def build_cbow(config):
    """CBOW with negative sampling: the mean of the window's vectors scores the centre word and
    K negatives.

    Args:
        config: a `Word2VecConfig`; the window input is `2 * config.window` wide, padded with
            `config.vocabulary_size`.

    Returns:
        An uncompiled `keras.Model`, inputs `{"target": (batch,), "context": (batch, 2w),
        "negatives": (batch, K)}`, output logits `(batch, 1 + K)`.
    """
    inputs = {
        **_inputs((2 * config.window,)),
        "negatives": keras.Input((config.negatives,), dtype="int32", name="negatives"),
    }
    pad_id = config.vocabulary_size
    window = _word_embedding(config, config.vocabulary_size + 1)(inputs["context"])  # (b, 2w, d)
    query = MaskedMean(pad_id, name="context_mean")(window, inputs["context"])  # (batch, d)
    candidates = Candidates(name="candidates")(inputs["target"], inputs["negatives"])
    outputs = _output_embedding(config)(candidates)  # (batch, 1 + K, d)
    logits = DotScores(name="scores")(query, outputs)  # (batch, 1 + K)
    return keras.Model(inputs, logits, name="cbow")


def build_softmax_cbow(config):
    """CBOW with a softmax over the whole vocabulary: what negative sampling avoids.

    Args:
        config: a `Word2VecConfig`.

    Returns:
        An uncompiled `keras.Model`, input `{"context": (batch, 2w)}`, output logits
        `(batch, V)`; train it with the centre word's id as the label.
    """
    context = keras.Input((2 * config.window,), dtype="int32", name="context")
    window = _word_embedding(config, config.vocabulary_size + 1)(context)  # (batch, 2w, d)
    hidden = MaskedMean(config.vocabulary_size, name="context_mean")(window, context)
    logits = keras.layers.Dense(config.vocabulary_size, name="output")(hidden)  # (batch, V)
    return keras.Model({"context": context}, logits, name="softmax_cbow")


def compile_word2vec(model, config, loss="negative_sampling"):
    """Compiles a word2vec model with the optimizer and loss `config` names.

    Args:
        model: from `build_skipgram`, `build_cbow` or `build_softmax_cbow`.
        config: a `Word2VecConfig`.
        loss: `"negative_sampling"` (labels `(batch, 1 + K)`) or `"softmax"` (labels: word ids).

    Returns:
        `model`, compiled.
    """
    # SGD steps on the loss summed over the batch are word2vec's per-pair steps added up, so
    # word2vec's rate (0.025) carries over; Adam is scale-free and takes DLFS2's batch mean.
    reduction = "sum" if config.optimizer == "sgd" else "sum_over_batch_size"
    rate = config.learning_rate
    if config.decay_steps:
        rate = keras.optimizers.schedules.PolynomialDecay(
            config.learning_rate, config.decay_steps, config.min_learning_rate
        )
    if config.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(rate)
    elif config.optimizer == "adam":
        optimizer = keras.optimizers.Adam(rate)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {config.optimizer!r}")
    if loss == "negative_sampling":
        loss_function = NegativeSamplingLoss(reduction=reduction)
    elif loss == "softmax":
        loss_function = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction=reduction
        )
    else:
        raise ValueError(f"loss must be 'negative_sampling' or 'softmax', got {loss!r}")
    model.compile(
        optimizer=optimizer,
        loss=loss_function,
        steps_per_execution=config.steps_per_execution,
        jit_compile=config.jit_compile,
    )
    return model


def word_vectors(model):
    """The word vectors of a trained model: `word_embedding`'s rows, padding row dropped.

    Returns:
        float32 `(V, d)` with V the vocabulary size (`output_embedding`'s rows, or the softmax's
        units).
    """
    table = model.get_layer("word_embedding").get_weights()[0]
    rows = (
        model.get_layer("output").units
        if "softmax" in model.name
        else model.get_layer("output_embedding").input_dim
    )
    return table[:rows]


# ---- evaluation through gensim's KeyedVectors, so the scores mean what the field means ----


def keyed_vectors(words, vectors):
    """`gensim.models.KeyedVectors` of `vectors` (`(V, d)`) under `words` (V strings)."""
    from gensim.models import KeyedVectors

    vectors = np.asarray(vectors, np.float32)
    keyed = KeyedVectors(vectors.shape[1])
    keyed.add_vectors(list(words), vectors)
    return keyed


def _data_lines(path, skip):
    with open(path, encoding="utf-8") as file:
        return sum(1 for line in file if line.strip() and not line.startswith(skip))


def evaluate(keyed):
    """WordSim-353 and Google analogies on the items whose words are all in the vocabulary.

    Args:
        keyed: a `KeyedVectors`.

    Returns:
        `{"wordsim353": {"spearman", "pearson", "pairs", "pairs_total", "coverage"},
          "analogy": {"accuracy", "questions", "questions_total", "coverage"}}`, case-insensitive
        as gensim's own evaluations are usually run; `coverage` is the fraction of items used.
    """
    from gensim.test.utils import datapath

    pairs_path, questions_path = datapath("wordsim353.tsv"), datapath("questions-words.txt")
    pearson, spearman, oov_percent = keyed.evaluate_word_pairs(pairs_path, case_insensitive=True)
    pairs_total = _data_lines(pairs_path, "#")
    pairs = round(pairs_total * (1 - oov_percent / 100))
    accuracy, sections = keyed.evaluate_word_analogies(questions_path, case_insensitive=True)
    total = sections[-1]
    questions = len(total["correct"]) + len(total["incorrect"])
    questions_total = _data_lines(questions_path, ":")
    return {
        "wordsim353": {
            "spearman": float(spearman.statistic),
            "pearson": float(pearson[0]),
            "pairs": pairs,
            "pairs_total": pairs_total,
            "coverage": pairs / pairs_total,
        },
        "analogy": {
            "accuracy": float(accuracy),
            "questions": questions,
            "questions_total": questions_total,
            "coverage": questions / questions_total,
        },
    }


def neighbours(keyed, words, topn=5):
    """`{word: [[neighbour, cosine], ...]}` for the words of `words` in the vocabulary."""
    return {
        word: [
            [other, round(float(cosine), 4)]
            for other, cosine in keyed.most_similar(word, topn=topn)
        ]
        for word in words
        if word in keyed.key_to_index
    }


def solve_analogies(keyed, questions):
    """`a : b :: c : ?` by 3CosAdd (the nearest word to b - a + c, the three excluded).

    Args:
        keyed: a `KeyedVectors`.
        questions: `(a, b, c, expected)` tuples; those with a word outside the vocabulary are
            left out.

    Returns:
        `[{"question": "a:b::c:?", "expected", "answer", "correct"}, ...]`.
    """
    solved = []
    for a, b, c, expected in questions:
        if not all(word in keyed.key_to_index for word in (a, b, c, expected)):
            continue
        answer = keyed.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
        solved.append(
            {
                "question": f"{a}:{b}::{c}:?",
                "expected": expected,
                "answer": answer,
                "correct": answer == expected,
            }
        )
    return solved


def train_gensim(
    sentences, *, embedding_dim, window, negatives, sample, epochs, workers, seed, sg=1
):
    """The anchor: `gensim.models.Word2Vec` (its optimised C loops) on the same tokens.

    Args:
        sentences: lists of words (gensim reads at most 10,000 words a list).
        embedding_dim, window, negatives, sample, epochs: as for our models.
        workers: gensim's threads (1 makes a run reproducible; more make it faster and not).
        seed: gensim's seed; word vectors are seeded by a stable hash of word and seed, not by
            Python's salted `hash`, so the same seed gives the same vectors in every process.
        sg: 1 skip-gram, 0 CBOW.

    Returns:
        `(model, seconds)`: the trained `Word2Vec` and its training wall time (vocabulary
        building excluded).
    """
    import zlib

    from gensim.models import Word2Vec

    model = Word2Vec(
        vector_size=embedding_dim,
        window=window,
        negative=negatives,
        sample=sample,
        sg=sg,
        hs=0,
        min_count=1,
        workers=workers,
        seed=seed,
        hashfxn=lambda text: zlib.crc32(text.encode("utf-8")),
    )
    model.build_vocab(sentences)
    started = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    return model, time.perf_counter() - started


def export(keyed, folder, name):
    """Writes the TensorBoard Embedding Projector files and the word2vec text format.

    Args:
        keyed: a `KeyedVectors`.
        folder: a `pathlib.Path` (created).
        name: the file stem: `<name>_vectors.tsv` (one tab-separated vector a line),
            `<name>_metadata.tsv` (one word a line, same order) and `<name>.txt`
            (`KeyedVectors.load_word2vec_format(path)` reads it).

    Returns:
        The three paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = (
        folder / f"{name}_vectors.tsv",
        folder / f"{name}_metadata.tsv",
        folder / f"{name}.txt",
    )
    np.savetxt(paths[0], keyed.vectors, fmt="%.6g", delimiter="\t")
    paths[1].write_text("".join(f"{word}\n" for word in keyed.index_to_key), encoding="utf-8")
    keyed.save_word2vec_format(str(paths[2]), binary=False)
    return paths
