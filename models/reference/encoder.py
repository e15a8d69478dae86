"""numpy reference of an embedding + SimpleRNN encoder, Keras's
`Sequential([Embedding(vocab, dim), SimpleRNN(units)])`: token ids in, final state out.

Weights are that model's `get_weights()`: `[embeddings (vocab, dim), kernel (dim, units),
recurrent_kernel (units, units), bias (units,)]`. An embedding lookup `embeddings[id]` is the
course's `E.dot(w)` with a one-hot `w` and `E = embeddings.T` (see
`models.reference.course.encode`).
"""

import numpy as np

from models.reference.simple_rnn import simple_rnn_backward, simple_rnn_forward


def embedding_forward(token_ids, embeddings):
    """`embeddings[token_ids]`: `(batch, time)` ints -> `(batch, time, dim)`."""
    token_ids = np.asarray(token_ids)
    if token_ids.min() < 0 or token_ids.max() >= embeddings.shape[0]:
        raise ValueError(f"token ids must lie in [0, {embeddings.shape[0]})")
    return embeddings[token_ids]


def embedding_backward(d_outputs, token_ids, vocab_size):
    """Gradient of the embedding table: each row sums the gradients of the steps that used it."""
    d_embeddings = np.zeros((vocab_size, d_outputs.shape[-1]))
    np.add.at(d_embeddings, np.asarray(token_ids), d_outputs)
    return d_embeddings


def encoder_forward(token_ids, weights, *, activation="tanh"):
    """Encodes `(batch, time)` token ids into the final hidden state `(batch, units)`.

    Returns:
        `(h_last, cache)`.
    """
    embeddings, *rnn_weights = weights
    embedded = embedding_forward(token_ids, embeddings)  # (batch, time, dim)
    h, _, rnn_cache = simple_rnn_forward(embedded, rnn_weights, activation=activation)
    return h, (np.asarray(token_ids), embeddings.shape[0], rnn_cache)


def encoder_backward(d_h, cache):
    """Backward of `encoder_forward`: returns `d_weights` matching the model's `get_weights()`."""
    token_ids, vocab_size, rnn_cache = cache
    d_embedded, d_rnn_weights, _ = simple_rnn_backward(d_h, rnn_cache)
    return [embedding_backward(d_embedded, token_ids, vocab_size), *d_rnn_weights]
