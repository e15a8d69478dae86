"""Convolutional autoencoders for 28x28 grey images, the denoising variant, and the PCA baseline.

An autoencoder is trained on its inputs alone: the encoder squeezes an image into a few numbers
(the code), the decoder restores the image from them, and the loss is how far the restoration is
from the input. A denoising autoencoder reads a corrupted image and is scored on the clean one, so
it has to learn what images look like rather than copy pixels. PCA is the linear autoencoder: the
projection on the top principal components is the best any linear encoder-decoder of that size can
do in mean squared error, the baseline every non-linear autoencoder must beat.

The encoder and decoder are sized for a CPU (about 75k parameters together at latent 16):

    encoder  (28, 28, 1) -> Conv 16, stride 2 -> (14, 14, 16) -> Conv 32, stride 2 -> (7, 7, 32)
             -> Flatten -> Dense(latent)
    decoder  (latent,) -> Dense(7*7*32) -> (7, 7, 32) -> ConvTranspose 32, stride 2 -> (14, 14, 32)
             -> ConvTranspose 16, stride 2 -> (28, 28, 16) -> Conv 1 -> (28, 28, 1)

The VAE (models/vae.py) and the VQ-VAE (models/vq_vae.py) reuse `conv_encoder_body` and
`conv_decoder`.
"""

import keras
import numpy as np
from keras import layers, ops

IMAGE_SHAPE = (28, 28, 1)
NOISE_KINDS = ("gaussian", "masking")


def conv_encoder_body(inputs, filters=(16, 32)):
    """The convolutional trunk of every encoder here: two stride-2 convolutions.

    Args:
        inputs: a symbolic image tensor `(batch, 28, 28, 1)`.
        filters: channels of the two convolutions.

    Returns:
        The feature map `(batch, 7, 7, filters[-1])`.
    """
    x = inputs
    for index, width in enumerate(filters):
        x = layers.Conv2D(
            width, 3, strides=2, padding="same", activation="relu", name=f"conv{index + 1}"
        )(x)
    return x


def conv_decoder(latent_shape, filters=(16, 32), output_activation="sigmoid", name="decoder"):
    """The decoder every model here shares: from a code to a `(28, 28, 1)` image.

    Args:
        latent_shape: `(latent_dim,)` for a vector code (a dense layer spreads it onto a 7x7
            grid), or `(7, 7, channels)` for a code that is already a grid (VQ-VAE).
        filters: the encoder's `filters`; the decoder mirrors them.
        output_activation: `"sigmoid"` for pixel values in [0, 1], `None` for Bernoulli logits.
        name: the model's name.

    Returns:
        A `keras.Model` from `latent_shape` to `(28, 28, 1)`.

    Example:
        >>> conv_decoder((16,)).output_shape
        (None, 28, 28, 1)
    """
    latent = keras.Input(latent_shape, name="code")
    x = latent
    if len(latent_shape) == 1:
        x = layers.Dense(7 * 7 * filters[-1], activation="relu", name="spread")(x)
        x = layers.Reshape((7, 7, filters[-1]))(x)  # (batch, 7, 7, channels)
    for index, width in enumerate(reversed(filters)):
        x = layers.Conv2DTranspose(
            width, 3, strides=2, padding="same", activation="relu", name=f"deconv{index + 1}"
        )(x)  # doubles height and width
    image = layers.Conv2D(1, 3, padding="same", activation=output_activation, name="pixels")(x)
    return keras.Model(latent, image, name=name)


def conv_encoder(latent_dim, filters=(16, 32), name="encoder"):
    """Image `(28, 28, 1)` -> code `(latent_dim,)` (no activation: codes may be any real number)."""
    images = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Flatten()(conv_encoder_body(images, filters))  # (batch, 7 * 7 * channels)
    code = layers.Dense(latent_dim, name="code")(x)
    return keras.Model(images, code, name=name)


SEED_STATE = "seed_state"  # the key of a random layer's generator state among its saved variables


class RandomStreamLayer(layers.Layer):
    """A layer drawing from `self.seed_generator` that saves the generator's state with its
    variables.

    Keras saves a layer's variables but not its `SeedGenerator` state, so a model restored from
    a training backup (or a `.keras` file) would draw its first epoch's noise again, and a
    resumed run would not end where an uninterrupted one does. Saved under `"seed_state"`;
    files saved without it load as before.
    """

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[SEED_STATE] = self.seed_generator.state

    def load_own_variables(self, store):
        keys = list(store.keys())
        if SEED_STATE in keys:
            self.seed_generator.state.assign(store[SEED_STATE])
        super().load_own_variables({key: store[key] for key in keys if key != SEED_STATE})


@keras.saving.register_keras_serializable(package="day3")
class ImageCorruption(RandomStreamLayer):
    """Corrupts images during training only: Gaussian noise or masking, one kind per image.

    Gaussian noise adds `N(0, gaussian_std^2)` to every pixel and clips to [0, 1]; masking sets
    each pixel to 0 with probability `mask_rate` (the "masking noise" of Vincent et al. 2010).
    With both kinds, each image draws one of them with equal probability, so one denoiser learns
    both. At inference (`training=False`) the layer returns its input unchanged.

    Args:
        kinds: a subset of `("gaussian", "masking")`.
        gaussian_std: standard deviation of the Gaussian noise.
        mask_rate: probability of masking a pixel.
        seed: seed of the layer's random generator.

    Example:
        >>> noisy = ImageCorruption(("masking",), seed=1)(images, training=True)
    """

    def __init__(self, kinds=NOISE_KINDS, gaussian_std=0.4, mask_rate=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        unknown = set(kinds) - set(NOISE_KINDS)
        if unknown or not kinds:
            raise ValueError(f"kinds must be a non-empty subset of {NOISE_KINDS}, got {kinds!r}")
        self.kinds = tuple(kinds)
        self.gaussian_std = gaussian_std
        self.mask_rate = mask_rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        noisy = ops.clip(
            images
            + self.gaussian_std * keras.random.normal(ops.shape(images), seed=self.seed_generator),
            0.0,
            1.0,
        )
        keep = ops.cast(
            keras.random.uniform(ops.shape(images), seed=self.seed_generator) >= self.mask_rate,
            images.dtype,
        )
        masked = images * keep
        if self.kinds == ("gaussian",):
            return noisy
        if self.kinds == ("masking",):
            return masked
        batch = ops.shape(images)[0]
        use_gaussian = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator) < 0.5
        return ops.where(use_gaussian, noisy, masked)

    def get_config(self):
        return {
            **super().get_config(),
            "kinds": list(self.kinds),
            "gaussian_std": self.gaussian_std,
            "mask_rate": self.mask_rate,
            "seed": self.seed,
        }


def build_autoencoder(latent_dim=16, filters=(16, 32), learning_rate=1e-3, noise=None, name="ae"):
    """A convolutional autoencoder, or a denoising one when `noise` is given.

    Args:
        latent_dim: size of the code.
        filters: channels of the encoder's convolutions (the decoder mirrors them).
        learning_rate: Adam's learning rate.
        noise: None for a plain autoencoder, or an `ImageCorruption` layer applied to the input
            during training (the target stays the clean image).
        name: the model's name.

    Returns:
        A compiled `keras.Model` `(batch, 28, 28, 1) -> (batch, 28, 28, 1)` trained with mean
        squared error; its sub-models `encoder` and `decoder` are `model.get_layer(...)`.

    Example:
        >>> model = build_autoencoder(16)
        >>> model.fit(train_images, train_images, epochs=5)
    """
    images = keras.Input(IMAGE_SHAPE, name="image")
    x = noise(images) if noise is not None else images
    encoder = conv_encoder(latent_dim, filters)
    decoder = conv_decoder((latent_dim,), filters)
    model = keras.Model(images, decoder(encoder(x)), name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


class PCA:
    """Principal component analysis as a linear autoencoder (numpy, fitted in float64).

    Args:
        components: how many principal components to keep (the code size).

    Attributes:
        mean: the training images' mean, flattened `(pixels,)`.
        basis: the top principal directions, `(components, pixels)`, orthonormal rows.

    Example:
        >>> pca = PCA(16).fit(train_images)
        >>> mse = np.mean((pca.reconstruct(test_images) - test_images) ** 2)
    """

    def __init__(self, components):
        self.components = components

    def fit(self, images):
        flat = images.reshape(len(images), -1).astype(np.float64)  # (n, pixels)
        self.mean = flat.mean(axis=0)
        centred = flat - self.mean
        # The covariance is pixels x pixels (784 x 784): cheaper than an SVD of the images.
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(flat))
        self.basis = eigenvectors[:, ::-1][:, : self.components].T
        return self

    def encode(self, images):
        """Images `(n, 28, 28, 1)` -> codes `(n, components)`."""
        return (images.reshape(len(images), -1) - self.mean) @ self.basis.T

    def decode(self, codes):
        """Codes `(n, components)` -> images `(n, 28, 28, 1)` (float32)."""
        flat = codes @ self.basis + self.mean
        return flat.reshape(len(codes), *IMAGE_SHAPE).astype(np.float32)

    def reconstruct(self, images):
        return self.decode(self.encode(images))


def mean_squared_error(images, reconstructions):
    """The mean squared error per pixel, in pixel units squared (pixels in [0, 1])."""
    difference = np.asarray(images, np.float64) - np.asarray(reconstructions, np.float64)
    return float(np.mean(difference**2))


def psnr(clean, images):
    """Peak signal-to-noise ratio in dB of `images` against `clean`, for pixels in [0, 1]:
    `10 log10(1 / MSE)`, the MSE over the whole set (one number, not a mean of per-image PSNRs)."""
    return float(10.0 * np.log10(1.0 / mean_squared_error(clean, images)))
