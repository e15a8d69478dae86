"""numpy reference of the VAE's pieces in models/vae.py: Gaussian KL, reparameterised sample, and
the Bernoulli negative log-likelihood, each with its backward pass.

Shapes: `z_mean`, `z_log_var`, `epsilon`: `(batch, latent)`; images and logits: `(batch, ...)`.

    KL(N(mu, diag(exp(v))) || N(0, I)) = 0.5 * sum(mu^2 + exp(v) - 1 - v)
        dKL/dmu = mu,   dKL/dv = 0.5 * (exp(v) - 1)
    z = mu + exp(v / 2) * eps
        dz/dmu = 1,     dz/dv = 0.5 * exp(v / 2) * eps,   dz/deps = exp(v / 2)
    -log p(x | logits) = sum(softplus(l) - x * l)          (Bernoulli, summed over pixels)
        d/dl = sigmoid(l) - x
"""

import numpy as np


def gaussian_kl_forward(z_mean, z_log_var):
    """KL per example `(batch,)` and the cache for `gaussian_kl_backward`."""
    kl = 0.5 * np.sum(z_mean**2 + np.exp(z_log_var) - 1.0 - z_log_var, axis=-1)
    return kl, (z_mean, z_log_var)


def gaussian_kl_backward(d_kl, cache):
    """`d_kl` `(batch,)` -> `(d_z_mean, d_z_log_var)`, each `(batch, latent)`."""
    z_mean, z_log_var = cache
    d_kl = d_kl[:, None]
    return d_kl * z_mean, d_kl * 0.5 * (np.exp(z_log_var) - 1.0)


def reparameterize_forward(z_mean, z_log_var, epsilon):
    """`z = mu + exp(log_var / 2) * eps` `(batch, latent)` and the cache."""
    sigma = np.exp(0.5 * z_log_var)
    return z_mean + sigma * epsilon, (sigma, epsilon)


def reparameterize_backward(d_z, cache):
    """`d_z` `(batch, latent)` -> `(d_z_mean, d_z_log_var, d_epsilon)`."""
    sigma, epsilon = cache
    return d_z, d_z * 0.5 * sigma * epsilon, d_z * sigma


def bernoulli_nll_forward(images, logits):
    """Nats per image `(batch,)`, summed over pixels, and the cache."""
    # softplus(l) = log(1 + e^l), written to stay finite for large |l|.
    softplus = np.maximum(logits, 0.0) + np.log1p(np.exp(-np.abs(logits)))
    per_pixel = softplus - images * logits
    return per_pixel.reshape(len(logits), -1).sum(axis=1), (images, logits)


def bernoulli_nll_backward(d_nll, cache):
    """`d_nll` `(batch,)` -> `d_logits` shaped like the logits."""
    images, logits = cache
    d_nll = d_nll.reshape((-1,) + (1,) * (logits.ndim - 1))
    return d_nll * (1.0 / (1.0 + np.exp(-logits)) - images)
