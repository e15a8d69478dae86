"""RandomContrast: scale each image's deviation from its mean by a random factor."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register


@register
class RandomContrast(ImageAugmentation):
    """`(x - mean) * factor + mean`, factor ~ U(lower, upper) per image, mean per image and channel.

    This is `tf.image.random_contrast(lower, upper)` (the course uses 0.4, 0.6), batched, with the
    result clipped to the value range.

    Args:
        lower: smallest contrast factor (>= 0).
        upper: largest contrast factor.
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `factor`: `(B,)` float32.

    Example:
        >>> RandomContrast(0.4, 0.6, seed=1)(tf.random.uniform([2, 8, 8, 3])).shape
        TensorShape([2, 8, 8, 3])
    """

    def __init__(self, lower=0.4, upper=0.6, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        if not 0.0 <= lower <= upper:
            raise ValueError(f"need 0 <= lower <= upper, got lower={lower}, upper={upper}")
        self.lower = float(lower)
        self.upper = float(upper)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = tf.shape(images_of(data))[0]
        factor = tf.random.stateless_uniform(
            [batch], self.split_seed(seed, 1)[0], self.lower, self.upper
        )
        return {"factor": factor}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        mean = tf.reduce_mean(images, axis=[1, 2], keepdims=True)  # (B, 1, 1, C)
        factor = tf.reshape(transformation["factor"], [-1, 1, 1, 1])
        return self.clip((images - mean) * factor + mean)

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper}
