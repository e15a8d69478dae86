"""RandomBrightness: add one random offset to every pixel of an image."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register


@register
class RandomBrightness(ImageAugmentation):
    """`x + delta`, delta ~ U(-max_delta, max_delta) per image, in units of the value range's width.

    `tf.image.random_brightness(max_delta=0.8)` of the course on [0, 1] images is
    `RandomBrightness(0.8)`; on (0, 255) images the same op adds up to 0.8 * 255. Unlike
    `tf.image`, the result is clipped to the value range.

    Args:
        max_delta: largest offset, as a fraction of `high - low` (>= 0).
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `delta`: `(B,)` float32, as a fraction of the range's width.

    Example:
        >>> RandomBrightness(0.8, seed=1)(tf.zeros([2, 8, 8, 3])).shape
        TensorShape([2, 8, 8, 3])
    """

    def __init__(self, max_delta=0.8, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        if max_delta < 0:
            raise ValueError(f"max_delta must be >= 0, got {max_delta}")
        self.max_delta = float(max_delta)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = tf.shape(images_of(data))[0]
        delta = tf.random.stateless_uniform(
            [batch], self.split_seed(seed, 1)[0], -self.max_delta, self.max_delta
        )
        return {"delta": delta}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        low, high = self.value_range
        delta = tf.reshape(transformation["delta"], [-1, 1, 1, 1]) * (high - low)
        return self.clip(images + delta)

    def get_config(self):
        return {**super().get_config(), "max_delta": self.max_delta}
