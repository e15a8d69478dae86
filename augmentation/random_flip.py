"""RandomFlip: mirror images left-right and/or up-down, each image deciding on its own."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, random_bool, split_seed

_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(ImageAugmentation):
    """Flips each image with probability `rate` (the course's `tf.image.random_flip_left_right`).

    Args:
        mode: `"horizontal"` (left-right), `"vertical"` (up-down) or `"horizontal_and_vertical"`
            (two independent coin flips per image).
        rate: probability that an image is flipped along each chosen axis.
        value_range: `(low, high)` of the float images.
        seed: seeds the op's own generator (used when a call passes no seed).

    Params (from `sample`): `flip_horizontal`, `flip_vertical`: `(B,)` bool.

    Example:
        >>> flip = RandomFlip("horizontal", seed=123)
        >>> flip(tf.zeros([4, 32, 32, 3])).shape
        TensorShape([4, 32, 32, 3])
    """

    def __init__(self, mode="horizontal", rate=0.5, value_range=DEFAULT_VALUE_RANGE, seed=None):
        super().__init__(value_range, seed)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {rate}")
        self.mode = mode
        self.rate = rate

    def sample(self, batch_shape, seed):
        batch = batch_shape[0]
        seeds = split_seed(seed, 2)
        horizontal = random_bool([batch], self.rate, seeds[0])
        vertical = random_bool([batch], self.rate, seeds[1])
        never = tf.zeros([batch], tf.bool)
        return {
            "flip_horizontal": horizontal if self.mode != "vertical" else never,
            "flip_vertical": vertical if self.mode != "horizontal" else never,
        }

    def apply(self, images, params):
        # (B, H, W, C): width is axis 2, height axis 1.
        horizontal = tf.reshape(params["flip_horizontal"], [-1, 1, 1, 1])
        vertical = tf.reshape(params["flip_vertical"], [-1, 1, 1, 1])
        images = tf.where(horizontal, tf.reverse(images, axis=[2]), images)
        return tf.where(vertical, tf.reverse(images, axis=[1]), images)

    def get_config(self):
        return {"mode": self.mode, "rate": self.rate, **super().get_config()}
