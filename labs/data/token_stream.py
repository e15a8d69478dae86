"""A contiguous token stream cut into batches for truncated back-propagation through time.

The corpus is one long sequence of word ids. A stateful language model reads it as `batch_size`
parallel streams, each a contiguous slice of the corpus, `unroll` steps at a time:

    corpus:   w0 w1 w2 ... (n tokens)
    streams:  row b = the b-th of `batch_size` equal slices
    batch k:  columns [k * unroll, (k + 1) * unroll) of every row

so row b of batch k + 1 continues row b of batch k exactly where it stopped: the RNN's final state
of one batch is the right initial state of the next (Zaremba et al. 2014; DLFS2 ch05). Targets are
the inputs shifted by one token.

For training, the ragged tail is dropped (what Zaremba et al. do). For evaluation every token
counts: the streams are padded to whole batches and each batch carries a weight per position, 1
for a real target and 0 for padding, so that `sum(weight * cross_entropy) / sum(weight)` is the
mean over exactly the n - 1 targets of the text. Padding only ever follows a stream's real tokens,
so it never disturbs the state that a real token sees.
"""

import dataclasses

import numpy as np

from labs.data.errors import DataError


@dataclasses.dataclass(frozen=True)
class StreamBatches:
    """A token stream cut into `(steps, batch, unroll)` blocks.

    Attributes:
        inputs: int32 `(steps, batch_size, unroll)` token ids.
        targets: int32 `(steps, batch_size, unroll)`: the next token of each input.
        weights: float32 `(steps, batch_size, unroll)`: 1 for a real target, 0 for padding.
    """

    inputs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray

    @property
    def steps(self):
        """The number of batches."""
        return self.inputs.shape[0]

    @property
    def tokens(self):
        """The number of real (weight 1) targets."""
        return int(self.weights.sum())

    def dataset(self, with_weights=False):
        """The batches in stream order as a `tf.data.Dataset` (never shuffle it: order is state).

        Args:
            with_weights: yield `(inputs, targets, weights)` (evaluation) instead of
                `(inputs, targets)`.

        Returns:
            A `tf.data.Dataset` of `(batch_size, unroll)` tensors.
        """
        import tensorflow as tf

        parts = (self.inputs, self.targets) + ((self.weights,) if with_weights else ())
        return tf.data.Dataset.from_tensor_slices(parts).prefetch(2)


def stream_batches(tokens, batch_size, unroll, *, pad=False):
    """Cuts `tokens` into batches of `batch_size` parallel streams of `unroll` steps.

    Args:
        tokens: 1-D int array, the corpus as word ids.
        batch_size: the number of parallel streams (the RNN's batch).
        unroll: the steps of one batch (the truncation length of BPTT).
        pad: False drops the tail that does not fill a whole `(batch_size, unroll)` block
            (training); True pads it with weight-0 positions so that every target counts
            (evaluation).

    Returns:
        A `StreamBatches`.

    Raises:
        DataError: the text is too short for one batch.

    Example:
        >>> batches = stream_batches(np.arange(11), batch_size=2, unroll=2)
        >>> batches.inputs[0].tolist(), batches.targets[0].tolist()
        ([[0, 1], [5, 6]], [[1, 2], [6, 7]])
        >>> batches.inputs[1].tolist()
        [[2, 3], [7, 8]]
    """
    tokens = np.asarray(tokens, np.int32)
    pairs = len(tokens) - 1  # (input, next token) pairs
    if pad:
        length = -(-pairs // batch_size)  # ceil: every pair belongs to a stream
        steps = -(-length // unroll)
    else:
        length = pairs // batch_size
        steps = length // unroll
    if steps == 0 or pairs <= 0:
        raise DataError(
            f"a text of {len(tokens)} tokens is too short for one batch of "
            f"{batch_size} streams x {unroll} steps"
        )
    padded = steps * unroll  # positions per stream, padding included
    inputs = np.zeros((batch_size, padded), np.int32)
    targets = np.zeros((batch_size, padded), np.int32)
    weights = np.zeros((batch_size, padded), np.float32)
    for row in range(batch_size):
        start = row * length
        # The last stream may be short (pad); without pad each stream's ragged end is cut.
        stop = min(start + length, pairs, start + padded)
        count = max(0, stop - start)
        inputs[row, :count] = tokens[start:stop]
        targets[row, :count] = tokens[start + 1 : stop + 1]
        weights[row, :count] = 1.0

    def blocks(array):  # (batch, steps * unroll) -> (steps, batch, unroll)
        return np.ascontiguousarray(array.reshape(batch_size, steps, unroll).transpose(1, 0, 2))

    return StreamBatches(blocks(inputs), blocks(targets), blocks(weights))
