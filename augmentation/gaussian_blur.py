"""GaussianBlur: smooth each image with a Gaussian kernel of its own random sigma."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register


def gaussian_kernel_1d(sigma, kernel_size):
    """Normalised 1-D Gaussian taps for each sigma.

    The course's 2-D kernel G(x, y) = exp(-(x² + y²) / 2σ²) / 2πσ² factors into g(x) g(y), so a
    blur is a pass along rows then columns with g(t) = exp(-t² / 2σ²), normalised to sum 1 (the
    2πσ² factor cancels in the normalisation).

    Args:
        sigma: `(B,)` float32 standard deviations (> 0).
        kernel_size: odd int, the number of taps.

    Returns:
        `(B, kernel_size)` float32, each row summing to 1.
    """
    radius = kernel_size // 2
    t = tf.cast(tf.range(-radius, radius + 1), tf.float32)[None, :]  # (1, k)
    sigma = tf.maximum(tf.reshape(sigma, [-1, 1]), 1e-3)  # (B, 1)
    taps = tf.exp(-(t**2) / (2.0 * sigma**2))
    return taps / tf.reduce_sum(taps, axis=1, keepdims=True)


@register
class GaussianBlur(ImageAugmentation):
    """Blurs each image with sigma ~ U(sigma_min, sigma_max), repeating the border pixels.

    Vectorised: the batch is folded into the channels of one image, so a single depthwise
    convolution applies a different kernel to every image.

    Args:
        kernel_size: odd number of taps per direction, e.g. 5.
        sigma: `(sigma_min, sigma_max)` range, or one float for a fixed sigma (pixels).
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `sigma`: `(B,)` float32.

    Example:
        >>> GaussianBlur(5, (0.1, 2.0), seed=1)(tf.zeros([2, 16, 16, 3])).shape
        TensorShape([2, 16, 16, 3])
    """

    def __init__(
        self,
        kernel_size=5,
        sigma=(0.1, 2.0),
        value_range=DEFAULT_VALUE_RANGE,
        seed=None,
        **kwargs,
    ):
        super().__init__(value_range, seed, **kwargs)
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd int, got {kernel_size}")
        sigma = (sigma, sigma) if isinstance(sigma, (int, float)) else tuple(sigma)
        if not 0 < sigma[0] <= sigma[1]:
            raise ValueError(f"need 0 < sigma_min <= sigma_max, got {sigma}")
        self.kernel_size = int(kernel_size)
        self.sigma = (float(sigma[0]), float(sigma[1]))

    def get_random_transformation(self, data, training=True, seed=None):
        batch = tf.shape(images_of(data))[0]
        sigma = tf.random.stateless_uniform([batch], self.split_seed(seed, 1)[0], *self.sigma)
        return {"sigma": sigma}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        shape = tf.shape(images)
        batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
        radius = self.kernel_size // 2
        taps = gaussian_kernel_1d(transformation["sigma"], self.kernel_size)  # (B, k)
        # One filter per (image, channel): (k, B*C).
        taps = tf.reshape(tf.repeat(taps, channels, axis=0), [batch * channels, -1])
        taps = tf.transpose(taps)
        # (B, H, W, C) -> (1, H, W, B*C): every image's channels side by side.
        folded = tf.reshape(tf.transpose(images, [1, 2, 0, 3]), [1, height, width, -1])
        # Edge padding by gathering clamped indices: works for any image size, even 1 pixel.
        rows_index = tf.clip_by_value(tf.range(-radius, height + radius), 0, height - 1)
        columns_index = tf.clip_by_value(tf.range(-radius, width + radius), 0, width - 1)
        folded = tf.gather(tf.gather(folded, rows_index, axis=1), columns_index, axis=2)
        rows = tf.reshape(taps, [self.kernel_size, 1, -1, 1])
        columns = tf.reshape(taps, [1, self.kernel_size, -1, 1])
        folded = tf.nn.depthwise_conv2d(folded, rows, [1, 1, 1, 1], "VALID")
        folded = tf.nn.depthwise_conv2d(folded, columns, [1, 1, 1, 1], "VALID")
        blurred = tf.transpose(tf.reshape(folded, [height, width, batch, channels]), [2, 0, 1, 3])
        return self.clip(blurred)

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "sigma": list(self.sigma)}
