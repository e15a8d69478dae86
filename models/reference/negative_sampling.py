"""numpy reference of word2vec's negative-sampling loss and its gradients, for one batch.

Weights in the layout of `models.word2vec`: `word_embedding` `(V, d)` (CBOW: `(V + 1, d)`, the
last row the padding) and `output_embedding` `(V, d)`, i.e. `model.get_layer(...).get_weights()[0]`.

    query h:      skip-gram  h = W[target]                (batch, d)
                  CBOW       h = mean of W[context] over the non-padding places
    candidates:   [true word, negatives]                   (batch, 1 + K)
                  true word = context (skip-gram) or target (CBOW)
    logits:       s_bc = h_b . U[candidates_bc]            (batch, 1 + K)
    loss_b:       -log sigmoid(s_b0) - sum_k log sigmoid(-s_bk)
    loss:         sum_b loss_b ("sum") or its mean ("mean")

Backward, with y = (1, 0, ..., 0) and g = dloss/ds = (sigmoid(s) - y) (/ batch for "mean"):
dU[candidates_bc] += g_bc h_b, dh_b = sum_c g_bc U[candidates_bc], and dh flows to W[target]
(skip-gram) or, divided by the window's length, to each non-padding W[context] (CBOW). Words
that repeat in a batch add their gradients (`np.add.at`), as Keras's `IndexedSlices` do.
"""

import numpy as np

from models.reference.activations import sigmoid


def _query(word_embedding, target, context, model, pad_id):
    if model == "skipgram":
        return word_embedding[target], None
    mask = (context != pad_id).astype(word_embedding.dtype)  # (batch, 2w)
    length = np.maximum(mask.sum(axis=1, keepdims=True), 1.0)  # (batch, 1)
    weights = mask / length
    return np.einsum("bw,bwd->bd", weights, word_embedding[context]), weights


def negative_sampling_forward(
    word_embedding, output_embedding, target, context, negatives, model="skipgram", reduction="sum"
):
    """The loss of one batch.

    Args:
        word_embedding: `(V, d)` (CBOW: `(V + 1, d)`), the word vectors.
        output_embedding: `(V, d)`, the output vectors.
        target: int `(batch,)` centre words.
        context: int `(batch,)` (skip-gram) or `(batch, 2w)` padded with V (CBOW).
        negatives: int `(batch, K)`.
        model: `"skipgram"` or `"cbow"`.
        reduction: `"sum"` or `"mean"` over the batch.

    Returns:
        `(loss, cache)`: the scalar loss and what `negative_sampling_backward` needs.
    """
    batch = target.shape[0]
    pad_id = output_embedding.shape[0]
    query, weights = _query(word_embedding, target, context, model, pad_id)  # (batch, d)
    true_word = context if model == "skipgram" else target
    candidates = np.concatenate([true_word[:, None], negatives], axis=1)  # (batch, 1 + K)
    outputs = output_embedding[candidates]  # (batch, 1 + K, d)
    logits = np.einsum("bd,bcd->bc", query, outputs)
    labels = np.zeros_like(logits)
    labels[:, 0] = 1.0
    # -log sigmoid(s) for the true word, -log sigmoid(-s) = -log(1 - sigmoid(s)) for negatives.
    losses = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    per_example = losses.sum(axis=1)  # (batch,)
    scale = 1.0 / batch if reduction == "mean" else 1.0
    loss = per_example.sum() * scale
    cache = (
        word_embedding.shape,
        output_embedding.shape,
        target,
        context,
        model,
        weights,
        query,
        candidates,
        outputs,
        logits,
        labels,
        scale,
    )
    return loss, cache


def negative_sampling_backward(cache):
    """The gradients of the loss of `negative_sampling_forward`.

    Returns:
        `(d_word_embedding, d_output_embedding)`, dense, shaped like the two tables.
    """
    (
        word_shape,
        output_shape,
        target,
        context,
        model,
        weights,
        query,
        candidates,
        outputs,
        logits,
        labels,
        scale,
    ) = cache
    d_logits = (sigmoid(logits) - labels) * scale  # (batch, 1 + K)
    d_output = np.zeros(output_shape, dtype=query.dtype)
    np.add.at(d_output, candidates, d_logits[..., None] * query[:, None, :])
    d_query = np.einsum("bc,bcd->bd", d_logits, outputs)  # (batch, d)
    d_word = np.zeros(word_shape, dtype=query.dtype)
    if model == "skipgram":
        np.add.at(d_word, target, d_query)
    else:
        np.add.at(d_word, context, weights[..., None] * d_query[:, None, :])
    return d_word, d_output
