"""RandomHue: rotate each image's hue by a random amount (RGB images)."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register


@register
class RandomHue(ImageAugmentation):
    """Shifts hue by delta ~ U(-max_delta, max_delta) per image, as `tf.image.random_hue`.

    The hue is a fraction of the colour wheel, so `max_delta` is in [0, 0.5] (course: 0.1). The
    batch goes through HSV once; each image gets its own shift.

    Args:
        max_delta: largest hue shift, in turns of the colour wheel, in [0, 0.5].
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `delta`: `(B,)` float32 hue shift in turns.

    Example:
        >>> RandomHue(0.1, seed=1)(tf.random.uniform([2, 8, 8, 3])).shape
        TensorShape([2, 8, 8, 3])
    """

    def __init__(self, max_delta=0.1, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        if not 0.0 <= max_delta <= 0.5:
            raise ValueError(f"max_delta must be in [0, 0.5], got {max_delta}")
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
        hsv = tf.image.rgb_to_hsv(self.clip(self.to_unit(images)))  # needs RGB in [0, 1]
        hue, saturation, value = tf.unstack(hsv, axis=-1)
        hue = tf.math.floormod(hue + tf.reshape(transformation["delta"], [-1, 1, 1]), 1.0)
        rgb = tf.image.hsv_to_rgb(tf.stack([hue, saturation, value], axis=-1))
        return self.clip(self.from_unit(rgb))

    def get_config(self):
        return {**super().get_config(), "max_delta": self.max_delta}
