"""A word-level recurrent language model for truncated BPTT over a token stream.

    tokens (batch, time) -> Embedding -> Dropout -> [LSTM|GRU -> Dropout] x layers
        -> (Dense projection to the embedding size when tied and sizes differ)
        -> logits = features @ W.T + b   (batch, time, vocabulary)

The recurrent layers are *stateful*: the final state of one batch is the initial state of the next,
which is what lets a model that back-propagates through `unroll` steps still condition on the whole
text before them (see `labs/data/token_stream.py` for why row b of consecutive batches is one
contiguous stream). `ResetStates` zeroes the state at the start of every epoch and before every
evaluation, where the stream starts again.

With `tied=True` the output matrix W is the input embedding (Press & Wolf 2017; Inan et al. 2017):
fewer parameters and, on PTB, lower perplexity. With `sampled_softmax=k` training uses
`tf.nn.sampled_softmax_loss` over k classes drawn from a log-uniform (Zipf) distribution, which
fits word ids ordered by frequency (`labs.data.ptb`); it only makes training steps cheaper. Every
perplexity this module reports (`test_step`, `evaluate_perplexity`) uses the exact full softmax.
The candidates are drawn as TensorFlow's `log_uniform_candidate_sampler(unique=True)` draws them,
but from a Keras `SeedGenerator` (`log_uniform_candidates`), whose state can be saved and restored
with the training backup, so that a run resumed after a kill draws what it would have drawn.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
PRECISIONS = ("float32", "mixed_bfloat16")


@keras.saving.register_keras_serializable(package="day3")
class LanguageModel(keras.Model):
    """A stateful word-level LSTM/GRU language model returning next-word logits.

    Args:
        vocabulary_size: the number of words (10,000 on PTB).
        embedding_dim: size of the word vectors (and of the output matrix's rows).
        units: units of each recurrent layer.
        layers: number of stacked recurrent layers.
        cell: `"lstm"` or `"gru"`.
        tied: use the input embedding as the output matrix (a `projection` maps the last layer's
            `units` to `embedding_dim` when they differ).
        dropout: dropout rate on the non-recurrent connections (after the embedding and after
            every recurrent layer), as in Zaremba et al. 2014.
        init_scale: when > 0, every weight starts uniform in [-init_scale, init_scale] (Zaremba et
            al.'s 0.1) and biases too; 0 keeps Keras's initialisers.
        sampled_softmax: when > 0, training uses a sampled softmax over this many classes.
        precision: `"float32"`, or `"mixed_bfloat16"`: the embedding and recurrent layers
            multiply in bfloat16 (float32 weights and carried states; about twice as fast on
            CPUs with AVX512-BF16), the output layer and every softmax stay float32.

    Call: `model(tokens)` with int tokens `(batch, time)` returns logits `(batch, time, vocab)`.
    The batch size is fixed by the first call (stateful layers keep `(batch, units)` states).

    Example:
        >>> model = LanguageModel(10000, embedding_dim=200, units=200, layers=2)
        >>> model.compile(keras.optimizers.SGD(1.0, global_clipnorm=5.0))
        >>> model(np.zeros((20, 35), "int32")).shape
        TensorShape([20, 35, 10000])
    """

    def __init__(
        self,
        vocabulary_size,
        *,
        embedding_dim=200,
        units=200,
        layers=2,
        cell="lstm",
        tied=False,
        dropout=0.0,
        init_scale=0.0,
        sampled_softmax=0,
        precision="float32",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {tuple(CELLS)}, got {cell!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.vocabulary_size, self.embedding_dim, self.units = vocabulary_size, embedding_dim, units
        self.num_layers, self.cell, self.tied = layers, cell, tied
        self.dropout, self.init_scale, self.sampled_softmax = dropout, init_scale, sampled_softmax
        self.precision = precision
        # The embedding and recurrent layers compute in `precision`; the output layer always in
        # float32 (the model's own policy), so every softmax and perplexity is float32.
        inner = {"dtype": precision}
        uniform = keras.initializers.RandomUniform(-init_scale, init_scale) if init_scale else None
        recurrent = (
            {}
            if uniform is None
            else {
                "kernel_initializer": uniform,
                "recurrent_initializer": uniform,
                "bias_initializer": uniform,
                **({"unit_forget_bias": False} if cell == "lstm" else {}),
            }
        )
        self.embedding = keras.layers.Embedding(
            vocabulary_size,
            embedding_dim,
            embeddings_initializer=uniform or "uniform",
            name="embedding",
            **inner,
        )
        self.rnns = [
            CELLS[cell](
                units,
                return_sequences=True,
                stateful=True,
                name=f"{cell}_{i}",
                **recurrent,
                **inner,
            )
            for i in range(layers)
        ]
        self.dropouts = [
            keras.layers.Dropout(dropout, name=f"dropout_{i}", **inner) for i in range(layers + 1)
        ]
        feature_dim = embedding_dim if tied else units
        self.projection = (
            keras.layers.Dense(embedding_dim, name="projection", **inner)
            if tied and units != embedding_dim
            else None
        )
        if not tied:  # rows are words, as the embedding's are, so both cases share one layout
            self.output_embedding = self.add_weight(
                shape=(vocabulary_size, feature_dim),
                initializer=uniform or "glorot_uniform",
                name="output_embedding",
            )
        self.output_bias = self.add_weight(
            shape=(vocabulary_size,), initializer="zeros", name="output_bias"
        )
        # Made last, so that the seeds drawn for the layers above do not depend on it.
        self.candidate_seed = (
            keras.random.SeedGenerator(name="candidate_sampler") if sampled_softmax else None
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.cross_entropy_sum = keras.metrics.Sum(name="cross_entropy_sum")
        self.token_count = keras.metrics.Sum(name="token_count")

    def build(self, tokens_shape):
        # Runs the layers once so that every weight exists when a saved model is loaded (Keras
        # calls `build` from the saved build config before it restores the weights).
        self.features(ops.zeros(tokens_shape, "int32"))
        self.reset_state()
        self.built = True

    @property
    def output_weights(self):
        """The `(vocabulary, features)` output matrix: the embedding itself when tied."""
        return self.embedding.embeddings if self.tied else self.output_embedding

    def features(self, tokens, training=False):
        """The last layer's output (projected when tied): `(batch, time, features)`."""
        hidden = self.dropouts[0](self.embedding(tokens), training=training)
        for rnn, dropout in zip(self.rnns, self.dropouts[1:], strict=True):
            hidden = dropout(rnn(hidden, training=training), training=training)
        if self.projection is not None:
            hidden = self.projection(hidden)
        return ops.cast(hidden, "float32")  # (batch, time, features)

    def call(self, tokens, training=False):
        hidden = self.features(tokens, training=training)
        return ops.einsum("btf,vf->btv", hidden, self.output_weights) + self.output_bias

    def reset_state(self):
        """Zeroes every recurrent layer's carried state (a new stream starts)."""
        for rnn in self.rnns:
            rnn.reset_state()

    @property
    def metrics(self):
        return [self.loss_tracker, self.cross_entropy_sum, self.token_count]

    def train_step(self, data):
        tokens, targets, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            if self.sampled_softmax:
                hidden = self.features(tokens, training=True)
                labels = tf.reshape(tf.cast(targets, "int64"), (-1, 1))
                loss = tf.reduce_mean(
                    tf.nn.sampled_softmax_loss(
                        weights=self.output_weights,
                        biases=self.output_bias,
                        labels=labels,
                        inputs=tf.reshape(hidden, (-1, hidden.shape[-1])),
                        num_sampled=self.sampled_softmax,
                        num_classes=self.vocabulary_size,
                        sampled_values=log_uniform_candidates(
                            labels, self.sampled_softmax, self.vocabulary_size, self.candidate_seed
                        ),
                    )
                )
            else:
                logits = self(tokens, training=True)
                loss = ops.mean(
                    ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
                )
        gradients = tape.gradient(loss, self.trainable_variables)
        # Measured before `optimizer.apply`, where `global_clipnorm` clips: the raw norm.
        gradient_norm = tf.linalg.global_norm(gradients)
        self.optimizer.apply(gradients, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result(), "gradient_norm": gradient_norm}

    def test_step(self, data):
        tokens, targets, weights = keras.utils.unpack_x_y_sample_weight(data)
        logits = self(tokens, training=False)
        cross_entropy = ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
        weights = ops.ones_like(cross_entropy) if weights is None else ops.cast(weights, "float32")
        self.cross_entropy_sum.update_state(ops.sum(cross_entropy * weights))
        self.token_count.update_state(ops.sum(weights))
        # Sums over every batch so far: the last step's values are the whole text's.
        mean = self.cross_entropy_sum.result() / ops.maximum(self.token_count.result(), 1.0)
        return {"cross_entropy": mean, "perplexity": ops.exp(mean)}

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "layers": self.num_layers,
            "cell": self.cell,
            "tied": self.tied,
            "dropout": self.dropout,
            "init_scale": self.init_scale,
            "sampled_softmax": self.sampled_softmax,
            "precision": self.precision,
        }


def log_uniform_candidates(true_classes, num_sampled, range_max, seed, tries_per_sample=8):
    """`tf.random.log_uniform_candidate_sampler(unique=True)` drawn from a Keras `SeedGenerator`.

    Draws ids with P(k) = log((k + 2) / (k + 1)) / log(range_max + 1) (TensorFlow's formula),
    keeps the first `num_sampled` distinct ones, and gives the expected counts as TensorFlow's
    unique sampler does: `-expm1(tries * log1p(-P(k)))`, `tries` the draws it took.

    Args:
        true_classes: int64 `(batch, num_true)`, the target ids.
        num_sampled: distinct candidates to draw (at most `range_max`).
        range_max: the number of classes.
        seed: a `keras.random.SeedGenerator` (its state advances one step per call).
        tries_per_sample: draws made per candidate; 8 leaves no realistic chance of fewer than
            `num_sampled` distinct ids on a 10,000-word Zipf vocabulary (about 2.3 are needed for
            1,024 candidates, 2.9 for 2,048).

    Returns:
        `(sampled_candidates, true_expected_count, sampled_expected_count)`, what
        `tf.nn.sampled_softmax_loss(sampled_values=...)` takes.
    """
    log_range = np.log1p(range_max)
    uniform = keras.random.uniform((num_sampled * tries_per_sample,), dtype="float64", seed=seed)
    draws = tf.cast(tf.exp(uniform * log_range), "int64") - 1
    draws = tf.clip_by_value(draws, 0, range_max - 1)
    distinct, index = tf.unique(draws)
    first = tf.math.unsorted_segment_min(tf.range(tf.size(draws)), index, tf.size(distinct))
    found = tf.minimum(tf.size(distinct), num_sampled)
    sampled = distinct[:num_sampled]
    tries = tf.cast(first[found - 1] + 1, "float64")

    def expected(ids):
        ids = tf.cast(ids, "float64")
        p = tf.math.log((ids + 2.0) / (ids + 1.0)) / log_range
        count = tf.where(
            tries == tf.cast(found, "float64"), p * tries, -tf.math.expm1(tries * tf.math.log1p(-p))
        )
        return tf.cast(count, "float32")

    return (
        tf.stop_gradient(sampled),
        tf.stop_gradient(expected(true_classes)),
        tf.stop_gradient(expected(sampled)),
    )


class ResetStates(keras.callbacks.Callback):
    """Zeroes the model's carried state at every epoch start and before every evaluation."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_state()

    def on_test_begin(self, logs=None):
        self.model.reset_state()


class ExactPerplexity(keras.callbacks.Callback):
    """After each epoch, the exact full-softmax perplexity of `batches` (dropout off).

    The training loss of a sampled softmax is not a cross-entropy and the running training loss
    has dropout on, so the training curve is measured this way on a slice of the training text.
    The value goes into the epoch's logs as `perplexity` (callbacks after this one, such as a
    backup that keeps the history across a restart, see it).

    Attributes:
        values: the perplexity after each epoch trained in this process.
    """

    def __init__(self, dataset, key="perplexity"):
        super().__init__()
        self.dataset, self.key = dataset, key
        self.values = []

    def on_epoch_end(self, epoch, logs=None):
        self.values.append(evaluate_perplexity(self.model, self.dataset))
        if logs is not None:
            logs[self.key] = self.values[-1]


def evaluate_perplexity(model, dataset):
    """exp(mean cross-entropy over every weighted target of `dataset`), state reset first.

    Args:
        model: a `LanguageModel` whose batch size matches the dataset's.
        dataset: `(tokens, targets, weights)` batches in stream order.

    Returns:
        The perplexity as a float.
    """
    model.reset_state()
    logs = model.evaluate(dataset, verbose=0, return_dict=True)
    model.reset_state()
    return float(logs["perplexity"])


def build_language_model(vocabulary_size, *, optimizer, batch_size, unroll, **options):
    """A compiled `LanguageModel`, built for `(batch_size, unroll)` batches.

    Args:
        vocabulary_size: the number of words.
        optimizer: a Keras optimizer (clipping, e.g. `global_clipnorm=5`, set on it).
        batch_size: the number of parallel streams (fixes the stateful layers' state shape).
        unroll: the BPTT length of a training batch.
        **options: `LanguageModel` arguments (`embedding_dim`, `units`, `layers`, ...).

    Returns:
        The compiled model.
    """
    model = LanguageModel(vocabulary_size, **options)
    model(np.zeros((batch_size, unroll), "int32"))  # builds every weight and state
    model.compile(optimizer=optimizer)
    return model


def unigram_log_probabilities(tokens, vocabulary_size):
    """log p(word) in `tokens`, add-one smoothed: the output bias of a model knowing nothing else.

    Starting the output bias here means the first step already predicts at unigram perplexity
    (about 700 on PTB) instead of uniform (10,000): with Adam, whose steps are about the learning
    rate in size, a bias from zero needs thousands of steps to reach log p of -3 to -14.

    Args:
        tokens: 1-D int array of word ids (the training text).
        vocabulary_size: the number of words.

    Returns:
        float32 `(vocabulary_size,)` log-probabilities.

    Example:
        >>> unigram_log_probabilities(np.array([0, 0, 1]), 3).round(3)
        array([-0.693, -1.099, -1.792], dtype=float32)
    """
    counts = np.bincount(np.asarray(tokens), minlength=vocabulary_size).astype(np.float64) + 1.0
    return np.log(counts / counts.sum()).astype(np.float32)


def for_inference(model, batch_size=1, precision=None):
    """A copy of `model` with the same weights for another batch size or precision.

    A stateful model's batch size is fixed when it is built, so predicting one prompt needs a
    batch-1 copy; `precision="float32"` recomputes a bfloat16-trained model in full precision.

    Args:
        model: a `LanguageModel`.
        batch_size: the copy's batch size.
        precision: the copy's precision; None keeps the model's.

    Returns:
        The built copy, its state zero.
    """
    config = model.get_config()
    copy = LanguageModel.from_config(
        {
            **config,
            "name": f"{config['name']}_inference",
            "precision": precision or config["precision"],
        }
    )
    copy(np.zeros((batch_size, 1), "int32"))
    copy.set_weights(model.get_weights())
    return copy


def next_word_probabilities(model, token_ids):
    """The next-word distribution after `token_ids`, read from a fresh state.

    Args:
        model: a batch-1 `LanguageModel` (`for_inference`).
        token_ids: the prompt's word ids, at least one.

    Returns:
        float64 `(vocabulary,)` probabilities summing to 1.
    """
    model.reset_state()
    logits = model(np.asarray(token_ids, "int32")[None], training=False)[0, -1]
    return _softmax(np.asarray(logits, np.float64))


def sample_words(model, token_ids, *, words, temperature=1.0, top_k=0, seed=0):
    """Continues `token_ids` with `words` sampled ids, feeding each back with the state carried.

    Args:
        model: a batch-1 `LanguageModel`.
        token_ids: the prompt's word ids.
        words: how many ids to sample.
        temperature: logits are divided by it (< 1 sharper, > 1 flatter).
        top_k: sample among the k most likely words only; 0 for all.
        seed: seed of the sampler.

    Returns:
        A list of `words` sampled ids.
    """
    rng = np.random.default_rng(seed)
    model.reset_state()
    logits = model(np.asarray(token_ids, "int32")[None], training=False)[0, -1]
    sampled = []
    for _ in range(words):
        scaled = np.asarray(logits, np.float64) / temperature
        if top_k:
            scaled[np.argsort(scaled)[:-top_k]] = -np.inf  # keep the k largest
        word = int(rng.choice(len(scaled), p=_softmax(scaled)))
        sampled.append(word)
        logits = model(np.array([[word]], "int32"), training=False)[0, -1]
    return sampled


def _softmax(logits):
    shifted = np.exp(logits - np.max(logits))
    return shifted / shifted.sum()
