"""A variational autoencoder (Kingma & Welling 2014) with a Bernoulli decoder, for binarised images.

The encoder gives each image a Gaussian over codes, `q(z|x) = N(mu, diag(sigma^2))`; the decoder
gives each code a Bernoulli per pixel, `p(x|z)`; the prior is `p(z) = N(0, I)`. Training maximises
the evidence lower bound

    ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))  <=  log p(x),

so the loss, `-ELBO`, is in nats per image: the Bernoulli negative log-likelihood summed over the
784 pixels (`bernoulli_nll`) plus the KL term, which has a closed form for two Gaussians
(`gaussian_kl`). The expectation is estimated with one sample drawn by the reparameterisation
trick, `z = mu + sigma * eps` with `eps ~ N(0, I)` (`reparameterize`): the randomness is moved into
`eps`, so the gradient reaches `mu` and `log sigma^2` through an ordinary function.

`GaussianSampler` does both in one layer: it samples `z` and adds the KL term to the model's losses
(`add_loss`), so `model.fit(x, x)` with `loss=bernoulli_nll` minimises the whole `-ELBO`. At
inference it returns `mu`, so reconstructions are deterministic; Keras's `val_loss` is therefore
the KL plus the reconstruction *at mu*, a little below the `-ELBO`, which `negative_elbo` estimates
with sampled codes.

numpy reference: models/reference/vae.py.
"""

import keras
import numpy as np
from keras import layers, ops

from models.autoencoders import IMAGE_SHAPE, RandomStreamLayer, conv_decoder, conv_encoder_body


def gaussian_kl(z_mean, z_log_var):
    """`KL(N(mu, diag(exp(log_var))) || N(0, I))` per example, in nats.

    `0.5 * sum(mu^2 + exp(log_var) - 1 - log_var)` over the last axis.

    Args:
        z_mean: `(batch, latent)`.
        z_log_var: `(batch, latent)`, the log-variance.

    Returns:
        `(batch,)`.
    """
    return 0.5 * ops.sum(ops.square(z_mean) + ops.exp(z_log_var) - 1.0 - z_log_var, axis=-1)


def reparameterize(z_mean, z_log_var, epsilon):
    """The reparameterised sample `z = mu + exp(log_var / 2) * eps`, all `(batch, latent)`."""
    return z_mean + ops.exp(0.5 * z_log_var) * epsilon


@keras.saving.register_keras_serializable(package="day3")
def bernoulli_nll(images, logits):
    """Negative log-likelihood of binary `images` under Bernoulli pixels with these logits.

    Args:
        images: `(batch, 28, 28, 1)` of 0s and 1s.
        logits: `(batch, 28, 28, 1)`, the decoder's output before the sigmoid.

    Returns:
        `(batch,)`, nats per image (summed over pixels, not averaged: the scale of the KL term).
    """
    images = ops.cast(images, logits.dtype)
    per_pixel = ops.binary_crossentropy(images, logits, from_logits=True)
    return ops.sum(ops.reshape(per_pixel, (ops.shape(logits)[0], -1)), axis=-1)


@keras.saving.register_keras_serializable(package="day3")
class GaussianSampler(RandomStreamLayer):
    """`[mu, log_var] -> z`: a reparameterised sample in training, `mu` at inference; adds the KL.

    Args:
        kl_weight: the KL term's weight in the loss (1 for the ELBO; other values give a beta-VAE).
        seed: seed of the layer's random generator.

    Example:
        >>> z = GaussianSampler(seed=0)([z_mean, z_log_var])  # (batch, latent)
    """

    def __init__(self, kl_weight=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        z_mean, z_log_var = inputs
        # Averaged over the batch like the reconstruction loss, so the sum is the mean -ELBO.
        self.add_loss(self.kl_weight * ops.mean(gaussian_kl(z_mean, z_log_var)))
        if not training:
            return z_mean
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return reparameterize(z_mean, z_log_var, epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight, "seed": self.seed}


def build_vae(latent_dim=16, filters=(16, 32), learning_rate=1e-3, seed=None, name="vae"):
    """A convolutional VAE with Bernoulli pixels, compiled to minimise `-ELBO` in nats.

    Args:
        latent_dim: size of `z` (2 draws maps; larger scores better).
        filters: channels of the encoder's convolutions (the decoder mirrors them).
        learning_rate: Adam's learning rate.
        seed: seed of the sampler.
        name: the model's name.

    Returns:
        A compiled `keras.Model` from binary images `(batch, 28, 28, 1)` to pixel logits
        `(batch, 28, 28, 1)`, with sub-models `encoder` (image -> `[mu, log_var]`, each
        `(batch, latent)`) and `decoder` (`z` -> logits) and the layer `sampler`.

    Example:
        >>> model = build_vae(2)
        >>> model.fit(binary_images, binary_images, epochs=10)
        >>> z_mean, z_log_var = model.get_layer("encoder").predict(binary_images)
    """
    images = keras.Input(IMAGE_SHAPE, name="image")
    features = layers.Flatten()(conv_encoder_body(images, filters))
    z_mean = layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(features)
    encoder = keras.Model(images, [z_mean, z_log_var], name="encoder")
    decoder = conv_decoder((latent_dim,), filters, output_activation=None)

    inputs = keras.Input(IMAGE_SHAPE, name="image")
    z = GaussianSampler(seed=seed, name="sampler")(encoder(inputs))
    model = keras.Model(inputs, decoder(z), name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=bernoulli_nll)
    return model


def negative_elbo(model, binary_images, seed=0, samples=1, batch_size=500):
    """The test `-ELBO` in nats per image with its two parts, by Monte Carlo over `eps`.

    Args:
        model: a model of `build_vae`.
        binary_images: `(n, 28, 28, 1)` of 0s and 1s.
        seed: seed of the `eps` draws (the estimate is random; the seed fixes it).
        samples: `eps` draws per image; the reconstruction term is their mean.
        batch_size: images per forward pass.

    Returns:
        `{"negative_elbo", "reconstruction", "kl"}`: means over the images, in nats, with
        `negative_elbo = reconstruction + kl`.
    """
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    rng = np.random.default_rng(seed)
    reconstruction, kl = [], []
    for start in range(0, len(binary_images), batch_size):
        batch = binary_images[start : start + batch_size]
        z_mean, z_log_var = encoder.predict_on_batch(batch)
        kl.append(keras.ops.convert_to_numpy(gaussian_kl(z_mean, z_log_var)))
        nll = 0.0
        for _ in range(samples):
            epsilon = rng.standard_normal(z_mean.shape).astype(np.float32)
            logits = decoder.predict_on_batch(reparameterize(z_mean, z_log_var, epsilon))
            nll = nll + keras.ops.convert_to_numpy(bernoulli_nll(batch, logits)) / samples
        reconstruction.append(nll)
    reconstruction, kl = (
        float(np.mean(np.concatenate(reconstruction))),
        float(np.mean(np.concatenate(kl))),
    )
    return {"negative_elbo": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}
