"""numpy references of the two attention layers the attention lab uses: weights and context.

Both take a query `q (batch, T_q, dim)` (the decoder's states) and values `v (batch, T_v, dim)`
(the encoder's outputs, also used as keys, as `keras.layers.Attention([query, value])` does):

    dot (Luong, `keras.layers.Attention(score_mode="dot")`, no scale):
        s[b, i, j] = q[b, i] · v[b, j]
    additive (Bahdanau, `keras.layers.AdditiveAttention()`, `use_scale=True`):
        s[b, i, j] = Σ_d scale[d] · tanh(q[b, i, d] + v[b, j, d])   # scale (dim,): its weight

    a = softmax(s, axis=-1)          # (batch, T_q, T_v): how much step i looks at input j
    context = a @ v                  # (batch, T_q, dim)

This is DLFS2 ch08's `AttentionWeight` (h · hs, then softmax) and `WeightSum` (Σ a · hs) in one
place. The backward functions take the gradient of a loss with respect to `context` and return the
gradients with respect to the inputs (and `scale`); `v` receives gradient twice, as key and value.
"""

import numpy as np


def softmax(scores):
    """Softmax over the last axis, shifted by the maximum for stability."""
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _weigh(scores, values):
    weights = softmax(scores)  # (B, T_q, T_v)
    return weights @ values, weights  # (B, T_q, D)


def _softmax_and_sum_backward(d_context, weights, values):
    """Gradients through `context = softmax(s) @ v`: returns `(d_scores, d_values)`."""
    d_weights = d_context @ np.swapaxes(values, 1, 2)  # (B, T_q, T_v)
    d_values = np.swapaxes(weights, 1, 2) @ d_context  # (B, T_v, D)
    d_scores = weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))
    return d_scores, d_values


def dot_attention_forward(query, values):
    """Luong dot-product attention.

    Args:
        query: `(batch, T_q, dim)`.
        values: `(batch, T_v, dim)`, the keys as well.

    Returns:
        `(context (batch, T_q, dim), weights (batch, T_q, T_v), cache)`.

    Example:
        >>> context, weights, cache = dot_attention_forward(decoder_states, encoder_outputs)
        >>> d_query, d_values = dot_attention_backward(np.ones_like(context), cache)
    """
    batch, query_steps, dim = query.shape
    _, value_steps, _ = values.shape
    scores = query @ np.swapaxes(values, 1, 2)  # (B, T_q, T_v)
    context, weights = _weigh(scores, values)
    return context, weights, (query, values, weights)


def dot_attention_backward(d_context, cache):
    """Gradients of `dot_attention_forward`.

    Args:
        d_context: `(batch, T_q, dim)`, dLoss/dcontext.
        cache: from `dot_attention_forward`.

    Returns:
        `(d_query (batch, T_q, dim), d_values (batch, T_v, dim))`.
    """
    query, values, weights = cache
    d_scores, d_values = _softmax_and_sum_backward(d_context, weights, values)
    d_query = d_scores @ values  # (B, T_q, D)
    d_values = d_values + np.swapaxes(d_scores, 1, 2) @ query  # as keys
    return d_query, d_values


def additive_attention_forward(query, values, scale):
    """Additive attention as `keras.layers.AdditiveAttention` computes it.

    Args:
        query: `(batch, T_q, dim)`.
        values: `(batch, T_v, dim)`, the keys as well.
        scale: `(dim,)`, the layer's only weight (`layer.get_weights()[0]`).

    Returns:
        `(context (batch, T_q, dim), weights (batch, T_q, T_v), cache)`.
    """
    batch, query_steps, dim = query.shape
    _, value_steps, _ = values.shape
    hidden = np.tanh(query[:, :, None, :] + values[:, None, :, :])  # (B, T_q, T_v, D)
    scores = hidden @ scale  # (B, T_q, T_v)
    context, weights = _weigh(scores, values)
    return context, weights, (query, values, scale, hidden, weights)


def additive_attention_backward(d_context, cache):
    """Gradients of `additive_attention_forward`.

    Args:
        d_context: `(batch, T_q, dim)`.
        cache: from `additive_attention_forward`.

    Returns:
        `(d_query (batch, T_q, dim), d_values (batch, T_v, dim), d_scale (dim,))`.
    """
    query, values, scale, hidden, weights = cache
    d_scores, d_values = _softmax_and_sum_backward(d_context, weights, values)
    d_scale = np.einsum("bij,bijd->d", d_scores, hidden)
    d_pre = d_scores[..., None] * scale * (1.0 - hidden**2)  # (B, T_q, T_v, D)
    d_query = d_pre.sum(axis=2)
    d_values = d_values + d_pre.sum(axis=1)  # as keys
    return d_query, d_values, d_scale
