"""RandomFlip: mirror images left-right and/or up-down, each image deciding on its own."""

import tensorflow as tf

from augmentation.base import (
    DEFAULT_VALUE_RANGE,
    ImageAugmentation,
    images_of,
    random_bool,
    register,
)

_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


@register
class RandomFlip(ImageAugmentation):
    """Flips each image with probability `rate` (the course's `tf.image.random_flip_left_right`).

    Args:
        mode: `"horizontal"` (left-right), `"vertical"` (up-down) or `"horizontal_and_vertical"`
            (two independent coin flips per image).
        rate: probability that an image is flipped along each chosen axis.
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `flip_horizontal`, `flip_vertical`: `(B,)` bool.

    Example:
        >>> flip = RandomFlip("horizontal", seed=123)
        >>> flip(tf.zeros([4, 32, 32, 3])).shape
        TensorShape([4, 32, 32, 3])
    """

    def __init__(
        self, mode="horizontal", rate=0.5, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs
    ):
        super().__init__(value_range, seed, **kwargs)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {rate}")
        self.mode = mode
        self.rate = rate

    def get_random_transformation(self, data, training=True, seed=None):
        batch = tf.shape(images_of(data))[0]
        seeds = self.split_seed(seed, 2)
        horizontal = random_bool([batch], self.rate, seeds[0])
        vertical = random_bool([batch], self.rate, seeds[1])
        never = tf.zeros([batch], tf.bool)
        return {
            "flip_horizontal": horizontal if self.mode != "vertical" else never,
            "flip_vertical": vertical if self.mode != "horizontal" else never,
        }

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        # (B, H, W, C): width is axis 2, height axis 1.
        horizontal = tf.reshape(transformation["flip_horizontal"], [-1, 1, 1, 1])
        vertical = tf.reshape(transformation["flip_vertical"], [-1, 1, 1, 1])
        images = tf.where(horizontal, tf.reverse(images, axis=[2]), images)
        return tf.where(vertical, tf.reverse(images, axis=[1]), images)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "rate": self.rate}
