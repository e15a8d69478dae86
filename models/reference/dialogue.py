"""numpy references of HRED / VHRED's own pieces in models/dialogue.py, each with its backward pass.

Shapes: token ids `(batch, time)`, states `(batch, units)`, latent arrays `(batch, latent)`.

- `context_step_forward/backward`: one step of HRED's context RNN. The utterance encoder (an
  embedding and a GRU, Keras weights `[embeddings, kernel, recurrent_kernel, bias]`) turns the
  utterance's words into its encoding `e`; the context GRU (`[kernel, recurrent_kernel, bias]`)
  updates the dialogue state: `c_n = GRU_cell(e_n, c_{n-1})`. Utterances without padding (Keras
  masks padding; a masked step keeps the state).
- `gaussian_kl_forward/backward`: KL between VHRED's posterior and prior, two diagonal Gaussians:

      KL(q || p) = 0.5 * sum(v_p - v_q + (exp(v_q) + (mu_q - mu_p)^2) / exp(v_p) - 1)
        dKL/dmu_q = (mu_q - mu_p) / exp(v_p)             dKL/dmu_p = -dKL/dmu_q
        dKL/dv_q  = 0.5 * (exp(v_q - v_p) - 1)
        dKL/dv_p  = 0.5 * (1 - (exp(v_q) + (mu_q - mu_p)^2) / exp(v_p))

  With `mu_p = 0, v_p = 0` it is `models.reference.vae.gaussian_kl_forward`.
- `latent_sample_forward/backward`: VHRED's prior network and reparameterised sample,
  `hidden = tanh(c W_h + b_h)`, `mu = hidden W_mu + b_mu`, `v = hidden W_v + b_v`,
  `z = mu + exp(v / 2) * eps` (the sample of `models.reference.vae.reparameterize_forward`);
  weights are the `prior` model's `get_weights()`: `[W_h, b_h, W_mu, b_mu, W_v, b_v]`.
"""

import numpy as np

from models.reference.encoder import embedding_backward, embedding_forward
from models.reference.gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward
from models.reference.vae import reparameterize_backward, reparameterize_forward


def context_step_forward(utterance_ids, context_state, utterance_weights, context_weights):
    """One context-RNN step: encode an utterance, then update the context state with it.

    Args:
        utterance_ids: int `(batch, time)`, the utterance's words (no padding).
        context_state: `(batch, units)`, the state after the previous utterances (zeros at first).
        utterance_weights: the utterance encoder's `get_weights()` (embedding, then its GRU).
        context_weights: the context GRU's `get_weights()`.

    Returns:
        `(new_state (batch, units), cache)`.
    """
    embeddings, *gru_weights = utterance_weights
    embedded = embedding_forward(utterance_ids, embeddings)  # (batch, time, dim)
    encoding, _, utterance_cache = gru_forward(embedded, gru_weights)  # (batch, units_u)
    (state,), step_cache = gru_cell_forward(encoding, (context_state,), context_weights)
    cache = (np.asarray(utterance_ids), embeddings.shape[0], utterance_cache, step_cache)
    return state, cache


def context_step_backward(d_state, cache):
    """Backward of `context_step_forward`.

    Returns:
        `(d_context_state, d_utterance_weights, d_context_weights)`.
    """
    utterance_ids, vocab_size, utterance_cache, step_cache = cache
    d_encoding, (d_context_state,), d_context_weights = gru_cell_backward((d_state,), step_cache)
    d_embedded, d_gru_weights, _ = gru_backward(d_encoding, utterance_cache)
    d_embeddings = embedding_backward(d_embedded, utterance_ids, vocab_size)
    return d_context_state, [d_embeddings, *d_gru_weights], d_context_weights


def gaussian_kl_forward(mean_q, log_var_q, mean_p, log_var_p):
    """`KL(q || p)` per example `(batch,)` and the cache for `gaussian_kl_backward`."""
    variance_ratio = np.exp(log_var_q - log_var_p)
    scaled_square = (mean_q - mean_p) ** 2 * np.exp(-log_var_p)
    kl = 0.5 * np.sum(log_var_p - log_var_q + variance_ratio + scaled_square - 1.0, axis=-1)
    return kl, (mean_q, mean_p, log_var_p, variance_ratio, scaled_square)


def gaussian_kl_backward(d_kl, cache):
    """`d_kl` `(batch,)` -> `(d_mean_q, d_log_var_q, d_mean_p, d_log_var_p)`."""
    mean_q, mean_p, log_var_p, variance_ratio, scaled_square = cache
    d_kl = d_kl[:, None]
    d_mean_q = d_kl * (mean_q - mean_p) * np.exp(-log_var_p)
    d_log_var_q = d_kl * 0.5 * (variance_ratio - 1.0)
    d_log_var_p = d_kl * 0.5 * (1.0 - variance_ratio - scaled_square)
    return d_mean_q, d_log_var_q, -d_mean_q, d_log_var_p


def latent_sample_forward(context_state, prior_weights, epsilon):
    """VHRED's prior network and reparameterised sample: `z (batch, latent)` and the cache.

    Args:
        context_state: `(batch, units)`.
        prior_weights: `[W_h, b_h, W_mu, b_mu, W_v, b_v]`, the `prior` model's `get_weights()`.
        epsilon: `(batch, latent)` standard-normal noise.

    Returns:
        `(z, mean, log_var, cache)`.
    """
    w_h, b_h, w_mu, b_mu, w_v, b_v = prior_weights
    hidden = np.tanh(context_state @ w_h + b_h)  # (batch, units)
    mean, log_var = hidden @ w_mu + b_mu, hidden @ w_v + b_v  # (batch, latent) each
    z, sample_cache = reparameterize_forward(mean, log_var, epsilon)
    return z, mean, log_var, (context_state, hidden, prior_weights, sample_cache)


def latent_sample_backward(d_z, cache):
    """`d_z` `(batch, latent)` -> `(d_context_state, d_prior_weights, d_epsilon)`."""
    context_state, hidden, (w_h, _, w_mu, _, w_v, _), sample_cache = cache
    d_mean, d_log_var, d_epsilon = reparameterize_backward(d_z, sample_cache)
    d_hidden = d_mean @ w_mu.T + d_log_var @ w_v.T
    d_pre = d_hidden * (1.0 - hidden**2)  # through tanh
    d_weights = [
        context_state.T @ d_pre,
        d_pre.sum(axis=0),
        hidden.T @ d_mean,
        d_mean.sum(axis=0),
        hidden.T @ d_log_var,
        d_log_var.sum(axis=0),
    ]
    return d_pre @ w_h.T, d_weights, d_epsilon
