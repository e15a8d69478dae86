"""VQ-VAE (van den Oord et al. 2017): an autoencoder whose code is a grid of entries of a codebook.

The encoder maps an image to a 7x7 grid of `code_dim`-vectors `z_e`; `VectorQuantizer` replaces
each by its nearest codebook vector `e_k` (squared Euclidean distance), and the decoder restores the
image from the quantised grid `z_q`. The code of an image is the 7x7 grid of indices `k`: discrete,
so a prior over it is an ordinary classifier per position (models/pixel_cnn.py), and it cannot
"collapse" to the prior as a VAE's Gaussian code can, because nothing pulls it towards one.

`argmin` has no gradient, so training uses the straight-through estimator: the forward pass
outputs `z_q`, the backward pass hands the decoder's gradient to `z_e` unchanged
(`z_e + stop_gradient(z_q - z_e)`). The codebook, which then receives no gradient from the
reconstruction, learns from the codebook loss, and the encoder is kept close to its codes by the
commitment loss:

    loss = reconstruction + ||sg[z_e] - e||^2 + beta * ||z_e - sg[e]||^2      (sg = stop_gradient)

(means over the grid and the code dimensions here; beta = 0.25 as in the paper).

numpy reference: models/reference/vector_quantizer.py.
"""

import keras
import numpy as np
from keras import layers, ops

from models.autoencoders import IMAGE_SHAPE, conv_decoder, conv_encoder_body


@keras.saving.register_keras_serializable(package="day3")
class VectorQuantizer(layers.Layer):
    """Nearest-code lookup, straight-through gradient; adds the codebook and commitment losses.

    Args:
        num_codes: codebook size K.
        code_dim: size of each code vector (the encoder's output channels).
        beta: weight of the commitment loss.

    Attributes:
        codebook: the codes, `(num_codes, code_dim)`.

    Example:
        >>> quantizer = VectorQuantizer(64, 16)
        >>> z_q = quantizer(z_e)  # (batch, 7, 7, 16) -> (batch, 7, 7, 16)
        >>> codes = quantizer.codes(z_e)  # (batch, 7, 7) int
    """

    def __init__(self, num_codes, code_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_codes, self.code_dim, self.beta = num_codes, code_dim, beta

    def build(self, input_shape):
        self.codebook = self.add_weight(
            shape=(self.num_codes, self.code_dim),
            name="codebook",
            initializer=keras.initializers.RandomUniform(
                -1.0 / self.num_codes, 1.0 / self.num_codes
            ),
        )

    def codes(self, z_e):
        """The index of the nearest code of every vector: `(..., code_dim) -> (...)` int32."""
        flat = ops.reshape(z_e, (-1, self.code_dim))  # (n, code_dim)
        # ||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2, for every (z, e) pair at once.
        distances = (
            ops.sum(flat**2, axis=1, keepdims=True)
            - 2.0 * flat @ ops.transpose(self.codebook)
            + ops.sum(self.codebook**2, axis=1)
        )  # (n, num_codes)
        indices = ops.cast(ops.argmin(distances, axis=1), "int32")
        return ops.reshape(indices, ops.shape(z_e)[:-1])

    def lookup(self, codes):
        """Code indices `(...)` -> their vectors `(..., code_dim)`."""
        return ops.take(self.codebook, codes, axis=0)

    def call(self, z_e):
        z_q = self.lookup(self.codes(z_e))  # (batch, 7, 7, code_dim)
        codebook_loss = ops.mean((ops.stop_gradient(z_e) - z_q) ** 2)
        commitment_loss = ops.mean((z_e - ops.stop_gradient(z_q)) ** 2)
        self.add_loss(codebook_loss + self.beta * commitment_loss)
        return z_e + ops.stop_gradient(z_q - z_e)  # forward: z_q; backward: identity to z_e

    def get_config(self):
        return {
            **super().get_config(),
            "num_codes": self.num_codes,
            "code_dim": self.code_dim,
            "beta": self.beta,
        }


def build_vq_vae(
    num_codes=64, code_dim=16, filters=(16, 32), beta=0.25, learning_rate=1e-3, name="vqvae"
):
    """A convolutional VQ-VAE with a 7x7 grid of codes from a codebook of `num_codes`.

    Args:
        num_codes: codebook size K.
        code_dim: size of each code vector.
        filters: channels of the encoder's convolutions (the decoder mirrors them).
        beta: weight of the commitment loss.
        learning_rate: Adam's learning rate.
        name: the model's name.

    Returns:
        A compiled `keras.Model` `(batch, 28, 28, 1) -> (batch, 28, 28, 1)` (mean squared error
        plus the quantiser's losses) with sub-models `encoder` (image -> `z_e` `(batch, 7, 7,
        code_dim)`) and `decoder` (`z_q` -> image) and the layer `quantizer`.

    Example:
        >>> model = build_vq_vae(64, 16)
        >>> model.fit(images, images, epochs=5)
        >>> codes = encode_codes(model, images)  # (n, 7, 7)
    """
    images = keras.Input(IMAGE_SHAPE, name="image")
    z_e = layers.Conv2D(code_dim, 1, name="to_code_dim")(conv_encoder_body(images, filters))
    encoder = keras.Model(images, z_e, name="encoder")
    decoder = conv_decoder((7, 7, code_dim), filters)
    inputs = keras.Input(IMAGE_SHAPE, name="image")
    quantized = VectorQuantizer(num_codes, code_dim, beta, name="quantizer")(encoder(inputs))
    model = keras.Model(inputs, decoder(quantized), name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def initialize_codebook(model, images, seed=0):
    """Sets the codebook to the encoder's outputs at `num_codes` random grid cells of `images`.

    A codebook initialised far from where the encoder's vectors lie leaves most codes never
    nearest to anything: they get no codebook gradient and stay dead. Starting the codes on
    encoder outputs (the k-means++-free version of a data-dependent init) puts every code where
    vectors are.

    Args:
        model: a model of `build_vq_vae`.
        images: a sample of training images, `(n, 28, 28, 1)`.
        seed: seed of the choice of grid cells.
    """
    quantizer = model.get_layer("quantizer")
    z_e = model.get_layer("encoder").predict(images, verbose=0).reshape(-1, quantizer.code_dim)
    picked = np.random.default_rng(seed).choice(len(z_e), quantizer.num_codes, replace=False)
    quantizer.codebook.assign(z_e[picked])


def encode_codes(model, images, batch_size=500):
    """The code grid of every image: `(n, 28, 28, 1) -> (n, 7, 7)` int32."""
    encoder, quantizer = model.get_layer("encoder"), model.get_layer("quantizer")
    z_e = encoder.predict(images, batch_size=batch_size, verbose=0)
    return keras.ops.convert_to_numpy(quantizer.codes(z_e))


def decode_codes(model, codes, batch_size=500):
    """Images from code grids: `(n, 7, 7)` int -> `(n, 28, 28, 1)`."""
    z_q = keras.ops.convert_to_numpy(model.get_layer("quantizer").lookup(codes))
    return model.get_layer("decoder").predict(z_q, batch_size=batch_size, verbose=0)


def codebook_usage(codes, num_codes):
    """How the codes of a dataset use the codebook.

    Args:
        codes: code indices, any shape.
        num_codes: codebook size K.

    Returns:
        `{"counts": (K,) assignments per code, "perplexity": exp(entropy of the code frequencies)
        (K when every code is used equally, 1 when one code takes all), "used": codes assigned at
        least once, "dead": K - used, "used_fraction": used / K}`.
    """
    counts = np.bincount(np.asarray(codes).ravel(), minlength=num_codes)
    frequencies = counts / counts.sum()
    nonzero = frequencies[frequencies > 0]
    used = int(np.count_nonzero(counts))
    return {
        "counts": counts.tolist(),
        "perplexity": float(np.exp(-np.sum(nonzero * np.log(nonzero)))),
        "used": used,
        "dead": num_codes - used,
        "used_fraction": used / num_codes,
    }
