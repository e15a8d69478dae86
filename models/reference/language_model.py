"""numpy reference of `models.language_model.LanguageModel` with LSTM cells (no dropout).

    e = E[tokens]                                   (batch, time, embedding)
    h = LSTM_L(... LSTM_1(e))                       (batch, time, units), `models.reference.lstm`
    f = h K_p + b_p   (tied with units != embedding, else f = h)
    logits = f W.T + b                              (batch, time, vocabulary)
    loss = mean over tokens of -log softmax(logits)[target]

W is E itself when tied. Weights are in Keras's layout (`language_model_weights` reads them off a
Keras model); the LSTM blocks are `layer.get_weights()`, gate order (i, f, c, o). States are a list
of `(h, c)` per layer, as the stateful Keras layers carry them from one batch to the next.
"""

import numpy as np

from models.reference.lstm import lstm_backward, lstm_forward


def language_model_weights(model):
    """The weights of a Keras `LanguageModel` (LSTM cells) as the dict this module uses.

    Returns:
        `{"embedding": (V, E), "lstm": [[kernel, recurrent_kernel, bias], ...],
        "projection": [kernel, bias] or None, "output": (V, F) or None (tied),
        "output_bias": (V,)}`.
    """
    return {
        "embedding": np.asarray(model.embedding.embeddings),
        "lstm": [[np.asarray(w) for w in rnn.get_weights()] for rnn in model.rnns],
        "projection": (
            None
            if model.projection is None
            else [np.asarray(w) for w in model.projection.get_weights()]
        ),
        "output": None if model.tied else np.asarray(model.output_embedding),
        "output_bias": np.asarray(model.output_bias),
    }


def language_model_forward(tokens, weights, initial_states=None):
    """Logits of every position of `tokens`.

    Args:
        tokens: int array `(batch, time)`.
        weights: the dict of `language_model_weights`.
        initial_states: a list of `(h, c)` per layer, each `(batch, units)`; zeros when None.

    Returns:
        `(logits (batch, time, vocabulary), final states [(h, c), ...], cache)`.
    """
    tokens = np.asarray(tokens)
    hidden = weights["embedding"][tokens]  # (batch, time, embedding)
    states, layer_caches = [], []
    for index, lstm_weights in enumerate(weights["lstm"]):
        start = None if initial_states is None else initial_states[index]
        hidden, final, cache = lstm_forward(
            hidden, lstm_weights, initial_state=start, return_sequences=True
        )  # (batch, time, units)
        states.append(final)
        layer_caches.append(cache)
    before_projection = hidden
    if weights["projection"] is not None:
        kernel, bias = weights["projection"]
        hidden = hidden @ kernel + bias  # (batch, time, embedding)
    output = weights["embedding"] if weights["output"] is None else weights["output"]
    logits = hidden @ output.T + weights["output_bias"]
    return logits, states, (tokens, layer_caches, before_projection, hidden)


def cross_entropy(logits, targets):
    """Mean over every position of -log softmax(logits)[target]."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probabilities, targets[..., None], axis=-1).mean()


def language_model_backward(logits, targets, cache, weights):
    """Gradients of `cross_entropy(logits, targets)` with respect to every weight.

    Args:
        logits: `language_model_forward`'s logits.
        targets: int array `(batch, time)`.
        cache: `language_model_forward`'s cache.
        weights: the same weights.

    Returns:
        A dict shaped like `weights` (the tied output's gradient is added to the embedding's).
    """
    tokens, layer_caches, before_projection, features = cache
    batch, steps, vocabulary = logits.shape
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    d_logits = probabilities
    np.put_along_axis(
        d_logits,
        targets[..., None],
        np.take_along_axis(d_logits, targets[..., None], axis=-1) - 1.0,
        axis=-1,
    )
    d_logits /= batch * steps  # (batch, time, vocabulary): the mean over positions
    output = weights["embedding"] if weights["output"] is None else weights["output"]
    d_output = np.einsum("btv,btf->vf", d_logits, features)
    grads = {"output_bias": d_logits.sum(axis=(0, 1)), "output": None, "projection": None}
    d_hidden = d_logits @ output  # (batch, time, features)
    if weights["projection"] is not None:
        kernel, _ = weights["projection"]
        grads["projection"] = [
            np.einsum("btu,bte->ue", before_projection, d_hidden),
            d_hidden.sum(axis=(0, 1)),
        ]
        d_hidden = d_hidden @ kernel.T  # (batch, time, units)
    grads["lstm"] = [None] * len(layer_caches)
    for index in reversed(range(len(layer_caches))):
        d_hidden, grads["lstm"][index], _ = lstm_backward(d_hidden, layer_caches[index])
    d_embedding = np.zeros_like(weights["embedding"])
    np.add.at(d_embedding, tokens, d_hidden)  # rows of the words that were read
    if weights["output"] is None:
        d_embedding += d_output
    else:
        grads["output"] = d_output
    grads["embedding"] = d_embedding
    return grads
