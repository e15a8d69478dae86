"""A small PixelCNN (van den Oord et al. 2016): an autoregressive prior over VQ-VAE code grids.

It models a 7x7 grid of codes as a product of one categorical per position, in raster order,
each conditioned on the codes above and to the left:

    p(c) = prod_i p(c_i | c_1 .. c_{i-1})

Masked convolutions make one forward pass give all 49 conditionals at once: the first layer
(mask "A") hides the centre position and everything after it, the later ones (mask "B") may also
see the centre, which by then holds only information about earlier positions. Training is then
classification per position (cross-entropy on the true codes); sampling fills the grid one position
at a time (`sample_codes`). The shape follows keras-io's VQ-VAE example: a 7x7 mask-A layer,
residual blocks with a 3x3 mask-B layer, two 1x1 mask-B layers, a 1x1 output of K logits.
"""

import keras
import numpy as np
from keras import layers, ops


@keras.saving.register_keras_serializable(package="day3")
class MaskedConv2D(layers.Layer):
    """A `same`-padded 2-D convolution that sees only earlier positions (raster order).

    Args:
        filters: output channels.
        kernel_size: odd kernel size.
        mask_type: `"A"` hides the centre position too (first layer); `"B"` lets it through.
        activation: as for `keras.layers.Conv2D`.

    Example:
        >>> MaskedConv2D(64, 7, "A")(one_hot_codes)  # (batch, 7, 7, K) -> (batch, 7, 7, 64)
    """

    def __init__(self, filters, kernel_size, mask_type="B", activation=None, **kwargs):
        super().__init__(**kwargs)
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        self.filters, self.kernel_size, self.mask_type = filters, kernel_size, mask_type
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        size, channels = self.kernel_size, input_shape[-1]
        self.kernel = self.add_weight(
            shape=(size, size, channels, self.filters), name="kernel", initializer="glorot_uniform"
        )
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros")
        mask = np.zeros((size, size, 1, 1), "float32")
        centre = size // 2
        mask[:centre] = 1.0  # the rows above
        mask[centre, : centre + (self.mask_type == "B")] = 1.0  # the left of the centre row
        self.mask = mask

    def call(self, inputs):
        outputs = ops.conv(inputs, self.kernel * self.mask, padding="same") + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mask_type": self.mask_type,
            "activation": keras.activations.serialize(self.activation),
        }


def build_pixel_cnn(
    num_codes, grid_shape=(7, 7), filters=64, residual_blocks=2, learning_rate=3e-3, name="pixelcnn"
):
    """A PixelCNN over code grids, compiled for per-position cross-entropy.

    Args:
        num_codes: the VQ-VAE's codebook size K (classes per position).
        grid_shape: the code grid's `(height, width)`.
        filters: channels of the hidden layers.
        residual_blocks: residual blocks between the first and the last layers.
        learning_rate: Adam's learning rate.
        name: the model's name.

    Returns:
        A compiled `keras.Model` from integer codes `(batch, 7, 7)` to logits `(batch, 7, 7, K)`,
        where position i's logits depend on the codes before i only.

    Example:
        >>> prior = build_pixel_cnn(64)
        >>> prior.fit(train_codes, train_codes, epochs=10)
        >>> new_codes = sample_codes(prior, 16, seed=0)
    """
    codes = keras.Input(grid_shape, dtype="int32", name="codes")
    x = OneHot(num_codes, name="one_hot")(codes)  # (batch, 7, 7, K)
    x = MaskedConv2D(filters, 7, "A", activation="relu", name="masked_a")(x)
    for index in range(residual_blocks):
        # A bottleneck residual block: 1x1 halves the channels, a masked 3x3 mixes neighbours.
        y = layers.Conv2D(filters // 2, 1, activation="relu", name=f"block{index}_reduce")(x)
        y = MaskedConv2D(filters // 2, 3, "B", activation="relu", name=f"block{index}_masked")(y)
        y = layers.Conv2D(filters, 1, activation="relu", name=f"block{index}_expand")(y)
        x = layers.Add(name=f"block{index}_add")([x, y])
    for index in range(2):
        x = MaskedConv2D(filters, 1, "B", activation="relu", name=f"masked_b{index}")(x)
    logits = layers.Conv2D(num_codes, 1, name="logits")(x)  # (batch, 7, 7, K)
    model = keras.Model(codes, logits, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


@keras.saving.register_keras_serializable(package="day3")
class OneHot(layers.Layer):
    """Integer codes `(...)` -> one-hot float32 `(..., num_codes)`."""

    def __init__(self, num_codes, **kwargs):
        super().__init__(**kwargs)
        self.num_codes = num_codes

    def call(self, codes):
        return ops.one_hot(ops.cast(codes, "int32"), self.num_codes)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.num_codes)

    def get_config(self):
        return {**super().get_config(), "num_codes": self.num_codes}


def sample_codes(model, count, seed=0, temperature=1.0):
    """Draws code grids from the prior, one position at a time in raster order.

    Args:
        model: a model of `build_pixel_cnn`.
        count: how many grids.
        seed: seed of the draws.
        temperature: divides the logits (below 1 sharpens the distribution).

    Returns:
        `(count, height, width)` int32 codes.
    """
    height, width = model.input_shape[1:3]
    rng = np.random.default_rng(seed)
    codes = np.zeros((count, height, width), "int32")
    for row in range(height):
        for column in range(width):
            # One pass gives every position's conditional; only (row, column)'s is final so far.
            logits = keras.ops.convert_to_numpy(model(codes, training=False))[:, row, column]
            logits = logits.astype(np.float64) / temperature
            probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            codes[:, row, column] = [rng.choice(len(p), p=p) for p in probabilities]
    return codes


def bits_per_code(model, codes, batch_size=500):
    """The prior's test cross-entropy in bits per code position (log2 K for a uniform prior)."""
    nll = model.evaluate(codes, codes, batch_size=batch_size, verbose=0)  # nats per position
    return float(nll / np.log(2.0))
