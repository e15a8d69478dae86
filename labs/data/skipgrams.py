"""word2vec training examples as a `tf.data.Dataset`: (target, context, negatives) batches.

What word2vec (Mikolov et al. 2013) does to a corpus before any model sees it, vectorised with
numpy once per epoch and fed to `model.fit` through `tf.data`:

- subsampling of frequent words: each occurrence of word w is kept with probability
  `(sqrt(f(w) / (t * N)) + 1) * (t * N) / f(w)` (capped at 1), word2vec's C code and gensim's
  formula, with t the `sample` threshold and N the corpus length. "the" loses most occurrences,
  rare words none; the window then spans over the words removed.
- a dynamic window: each centre word draws its own window b in 1..`window`, so near neighbours
  are used more often than far ones (an implicit weight (window - d + 1) / window at distance d).
- negatives drawn from the unigram distribution raised to the power 3/4 (`negative_distribution`),
  with Walker's alias method (exact, O(1) a draw). As in DLFS2, a negative may equal the
  positive word (gensim and word2vec skip such a draw; at 10,000 words it is rare).

Skip-gram examples are (centre word, one context word); CBOW examples are (centre word, every
word of its window), the window padded with `pad_id` (the vocabulary size) to `2 * window`.

Example:
    >>> ptb = load_ptb(manual_dir="../shared/data")
    >>> data = Word2VecData(ptb.train, ptb.counts, model="skipgram", window=5, negatives=5,
    ...                     sample=1e-3, batch_size=4096, seed=0)
    >>> (inputs, labels), = data.dataset().take(1)
    >>> inputs["target"].shape, inputs["context"].shape, inputs["negatives"].shape, labels.shape
    (TensorShape([4096]), TensorShape([4096]), TensorShape([4096, 5]), TensorShape([4096, 6]))
"""

import numpy as np

MODELS = ("skipgram", "cbow")


def keep_probabilities(counts, sample):
    """The probability of keeping each occurrence of each word under subsampling.

    Args:
        counts: int `(vocabulary,)` corpus count of each word.
        sample: the threshold t (word2vec's `-sample`, gensim's `sample`); 0 keeps everything.

    Returns:
        float64 `(vocabulary,)` in (0, 1].
    """
    counts = np.asarray(counts, np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore"):
        keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.minimum(keep, 1.0)


def negative_distribution(counts, power=0.75):
    """The noise distribution of negative sampling: unigram counts to the power 3/4, normalised."""
    weights = np.asarray(counts, np.float64) ** power
    return weights / weights.sum()


class AliasSampler:
    """Draws from a discrete distribution in O(1) a draw (Walker's alias method, Vose's build).

    Args:
        probabilities: `(n,)` non-negative weights summing to 1.

    Example:
        >>> sampler = AliasSampler(np.array([0.5, 0.25, 0.25]))
        >>> sampler.sample((2, 3), np.random.default_rng(0)).shape
        (2, 3)
    """

    def __init__(self, probabilities):
        probabilities = np.asarray(probabilities, np.float64)
        size = len(probabilities)
        scaled = probabilities * size
        self.threshold = np.ones(size)
        self.alias = np.arange(size)
        small = [i for i in range(size) if scaled[i] < 1.0]
        large = [i for i in range(size) if scaled[i] >= 1.0]
        while small and large:
            low, high = small.pop(), large.pop()
            self.threshold[low] = scaled[low]
            self.alias[low] = high
            scaled[high] -= 1.0 - scaled[low]
            (small if scaled[high] < 1.0 else large).append(high)

    def sample(self, shape, rng):
        """int32 draws of `shape`, from the numpy Generator `rng`."""
        column = rng.integers(0, len(self.threshold), size=shape)
        keep_column = rng.random(size=shape) < self.threshold[column]
        return np.where(keep_column, column, self.alias[column]).astype(np.int32)


def subsample(ids, keep, rng):
    """The tokens of `ids` that survive subsampling (`keep`: per-word keep probability)."""
    if np.all(keep >= 1.0):
        return ids
    return ids[rng.random(len(ids)) < keep[ids]]


def window_sizes(length, window, dynamic, rng):
    """Each position's window: drawn from 1..`window` when `dynamic`, else `window` everywhere."""
    if dynamic:
        return rng.integers(1, window + 1, size=length)
    return np.full(length, window)


def skipgram_pairs(ids, window, rng, dynamic=True):
    """Every (centre, context) pair of a token sequence.

    Args:
        ids: int `(tokens,)` word ids (already subsampled).
        window: the largest distance between centre and context.
        rng: numpy Generator for the window sizes.
        dynamic: draw each centre's window from 1..`window` (word2vec) instead of using `window`.

    Returns:
        `(targets, contexts)`, int32 `(pairs,)` each, grouped by distance (shuffle them before
        training).
    """
    ids = np.asarray(ids, np.int32)
    sizes = window_sizes(len(ids), window, dynamic, rng)
    targets, contexts = [], []
    for distance in range(1, window + 1):
        centres = np.nonzero(sizes[:-distance] >= distance)[0]  # context to the right
        targets.append(ids[centres])
        contexts.append(ids[centres + distance])
        centres = np.nonzero(sizes[distance:] >= distance)[0] + distance  # context to the left
        targets.append(ids[centres])
        contexts.append(ids[centres - distance])
    return np.concatenate(targets), np.concatenate(contexts)


def cbow_windows(ids, window, rng, pad_id, dynamic=True, edges=True):
    """Every (centre, window) example of a token sequence.

    Args:
        ids: int `(tokens,)` word ids (already subsampled).
        window: the largest distance between centre and context.
        rng: numpy Generator for the window sizes.
        pad_id: the id filling the window's empty places (beyond `b`, or beyond the text).
        dynamic: draw each centre's window from 1..`window` instead of using `window`.
        edges: keep the first and last `window` tokens as centres (with padded windows); DLFS2's
            `create_contexts_target` drops them.

    Returns:
        `(targets (examples,), contexts (examples, 2 * window))`, int32; contexts are ordered
        `[w-window, ..., w-1, w+1, ..., w+window]`.
    """
    ids = np.asarray(ids, np.int32)
    sizes = window_sizes(len(ids), window, dynamic, rng)
    padded = np.concatenate(
        [np.full(window, pad_id, np.int32), ids, np.full(window, pad_id, np.int32)]
    )
    positions = np.arange(len(ids))
    offsets = [*range(-window, 0), *range(1, window + 1)]
    contexts = np.stack([padded[positions + window + offset] for offset in offsets], axis=1)
    contexts[np.abs(np.array(offsets))[None, :] > sizes[:, None]] = pad_id  # (examples, 2w)
    if not edges:
        inside = slice(window, len(ids) - window)
        return ids[inside], contexts[inside]
    return ids, contexts


class Word2VecData:
    """A corpus as word2vec batches, drawn afresh (subsampling, windows, order, negatives) each
    epoch from one seeded numpy Generator per epoch, so a seed reproduces every batch.

    Args:
        ids: int `(tokens,)` the training text as word ids.
        counts: int `(vocabulary,)` count of each word (for subsampling and the noise
            distribution).
        model: `"skipgram"` or `"cbow"`.
        window: the largest centre-context distance.
        negatives: negative words per example.
        sample: subsampling threshold t (0: no subsampling).
        batch_size: examples per batch; the last, smaller batch of an epoch is dropped.
        seed: seeds the draws of epoch e with `(seed, e)`.
        dynamic_window: word2vec's window drawn from 1..`window` per centre word.
        shuffle: shuffle the examples each epoch (DLFS2 does too).
        edges: CBOW only: keep centres whose window runs past the text (padded).

    Attributes:
        pad_id: the CBOW padding id (= vocabulary size).
        epochs_drawn: how many epochs the dataset has produced so far.
    """

    def __init__(
        self,
        ids,
        counts,
        *,
        model,
        window,
        negatives,
        sample,
        batch_size,
        seed,
        dynamic_window=True,
        shuffle=True,
        edges=True,
    ):
        if model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {model!r}")
        self.ids = np.asarray(ids, np.int32)
        self.counts = np.asarray(counts)
        self.model, self.window, self.negatives = model, window, negatives
        self.sample, self.batch_size, self.seed = sample, batch_size, seed
        self.dynamic_window, self.shuffle, self.edges = dynamic_window, shuffle, edges
        self.pad_id = len(self.counts)
        self.keep = keep_probabilities(self.counts, sample)
        self.sampler = AliasSampler(negative_distribution(self.counts))
        self.labels = np.zeros((batch_size, negatives + 1), np.float32)  # (batch, 1 + negatives)
        self.labels[:, 0] = 1.0  # the true context (or centre) is column 0, negatives follow
        self.epochs_drawn = 0

    def expected_examples(self):
        """The mean number of examples an epoch holds (for learning-rate schedules)."""
        kept = float(self.keep[self.ids].sum())
        if self.model == "cbow":
            return kept if self.edges else kept - 2 * self.window
        mean_window = (self.window + 1) / 2 if self.dynamic_window else self.window
        return 2 * mean_window * kept

    def steps_per_epoch(self):
        """The mean number of batches an epoch holds."""
        return max(1, int(self.expected_examples() // self.batch_size))

    def epoch(self, index):
        """The examples of epoch `index`: `(targets, contexts)` int32, shuffled; no negatives."""
        rng = np.random.default_rng([self.seed, index])
        ids = subsample(self.ids, self.keep, rng)
        if self.model == "skipgram":
            targets, contexts = skipgram_pairs(ids, self.window, rng, self.dynamic_window)
        else:
            targets, contexts = cbow_windows(
                ids, self.window, rng, self.pad_id, self.dynamic_window, self.edges
            )
        if self.shuffle:
            order = rng.permutation(len(targets))
            targets, contexts = targets[order], contexts[order]
        return targets, contexts, rng

    def batches(self):
        """Yields one epoch of `({"target", "context", "negatives"}, labels)` numpy batches."""
        targets, contexts, rng = self.epoch(self.epochs_drawn)
        self.epochs_drawn += 1
        size = self.batch_size
        for start in range(0, len(targets) - size + 1, size):
            negatives = self.sampler.sample((size, self.negatives), rng)  # (batch, negatives)
            yield (
                {
                    "target": targets[start : start + size],
                    "context": contexts[start : start + size],
                    "negatives": negatives,
                },
                self.labels,
            )

    def dataset(self):
        """The `tf.data.Dataset` of batches; each pass over it (each Keras epoch) is a new epoch."""
        import tensorflow as tf

        size, window = self.batch_size, self.window
        context_shape = (size,) if self.model == "skipgram" else (size, 2 * window)
        signature = (
            {
                "target": tf.TensorSpec((size,), tf.int32),
                "context": tf.TensorSpec(context_shape, tf.int32),
                "negatives": tf.TensorSpec((size, self.negatives), tf.int32),
            },
            tf.TensorSpec((size, self.negatives + 1), tf.float32),
        )
        # Batches are cut in numpy (one Python call a batch, not one a pair); prefetching lets
        # the next batches be drawn while the model trains on this one.
        return tf.data.Dataset.from_generator(self.batches, output_signature=signature).prefetch(8)
