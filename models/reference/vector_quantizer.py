"""numpy reference of `models.vq_vae.VectorQuantizer`: nearest-code lookup, its losses, and the
straight-through backward pass.

Weights: `layer.get_weights()` is `[codebook (num_codes, code_dim)]`; inputs `z_e` are
`(..., code_dim)`.

    k = argmin_j ||z_e - e_j||^2,   z_q = e_k
    output = z_q in the forward pass; its gradient goes to z_e unchanged (straight through)
    codebook loss   = mean((sg[z_e] - z_q)^2)   -> gradient to the codebook only
    commitment loss = mean((z_e - sg[z_q])^2)   -> gradient to z_e only
    loss = codebook loss + beta * commitment loss

`argmin` is piecewise constant, so the lookup's true derivative is 0 almost everywhere and the
straight-through gradient is a chosen surrogate, not a derivative: finite differences check the two
losses (with the codes fixed, as they are locally), never the output.
"""

import numpy as np


def nearest_codes(z_e, codebook):
    """The index of the nearest code of each vector: `(..., code_dim) -> (...)` int."""
    flat = z_e.reshape(-1, codebook.shape[1])  # (n, code_dim)
    distances = ((flat[:, None, :] - codebook[None, :, :]) ** 2).sum(axis=-1)  # (n, num_codes)
    return distances.argmin(axis=1).reshape(z_e.shape[:-1])


def codebook_loss(z_e, codebook):
    """`mean((z_e - z_q)^2)` with the nearest codes (the value both losses share)."""
    return float(np.mean((z_e - codebook[nearest_codes(z_e, codebook)]) ** 2))


def quantize_forward(z_e, codebook, beta=0.25):
    """The quantiser's forward pass.

    Returns:
        `(z_q (..., code_dim), codes (...), loss (float), cache)`.
    """
    codes = nearest_codes(z_e, codebook)
    z_q = codebook[codes]
    mse = np.mean((z_e - z_q) ** 2)  # codebook and commitment losses have this same value
    return z_q, codes, float((1.0 + beta) * mse), (z_e, z_q, codes, codebook, beta)


def quantize_backward(d_output, d_loss, cache):
    """Gradients of `sum(d_output * output) + d_loss * loss`.

    Returns:
        `(d_z_e, d_codebook)`: `d_output` passed straight through plus the commitment gradient
        `beta * 2 (z_e - z_q) / size`; the codebook gradient `2 (z_q - z_e) / size` summed into
        the codes that were picked.
    """
    z_e, z_q, codes, codebook, beta = cache
    size = z_e.size
    d_z_e = d_output + d_loss * beta * 2.0 * (z_e - z_q) / size
    d_codebook = np.zeros_like(codebook)
    np.add.at(
        d_codebook,
        codes.ravel(),
        (d_loss * 2.0 * (z_q - z_e) / size).reshape(-1, codebook.shape[1]),
    )
    return d_z_e, d_codebook
