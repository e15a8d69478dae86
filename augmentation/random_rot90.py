"""RandomRot90: rotate each image by its own random multiple of 90 degrees."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register


@register
class RandomRot90(ImageAugmentation):
    """Rotates each image counter-clockwise by `k * 90` degrees, k drawn per image from `k_choices`.

    The course's combined pipeline uses `tf.image.rot90(k)` with k in {0, 1, 2}. A quarter turn
    swaps height and width, so odd k in one batch needs square images.

    Args:
        k_choices: the quarter turns to choose from, uniformly (each in 0..3).
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `k`: `(B,)` int32 in `k_choices`.

    Example:
        >>> RandomRot90((0, 1, 2), seed=1)(tf.zeros([2, 32, 32, 3])).shape
        TensorShape([2, 32, 32, 3])
    """

    def __init__(self, k_choices=(0, 1, 2), value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        k_choices = tuple(int(k) for k in k_choices)
        if not k_choices or any(k not in (0, 1, 2, 3) for k in k_choices):
            raise ValueError(f"k_choices must be a non-empty subset of 0..3, got {k_choices}")
        self.k_choices = k_choices

    def get_random_transformation(self, data, training=True, seed=None):
        batch = tf.shape(images_of(data))[0]
        index = tf.random.stateless_uniform(
            [batch], self.split_seed(seed, 1)[0], 0, len(self.k_choices), dtype=tf.int32
        )
        return {"k": tf.gather(tf.constant(self.k_choices, tf.int32), index)}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        k = tf.reshape(transformation["k"], [-1, 1, 1, 1])
        if any(choice % 2 for choice in self.k_choices):
            shape = tf.shape(images)
            tf.debugging.assert_equal(
                shape[1], shape[2], message="RandomRot90 with odd k needs square images"
            )
        # Each candidate rotation is cheap (a transpose and/or reverse of the whole batch);
        # every image then picks its own.
        output = images
        for choice in sorted(set(self.k_choices) - {0}):
            rotated = tf.image.rot90(images, k=choice)
            output = tf.where(tf.equal(k, choice), rotated, output)
        return output

    def get_config(self):
        return {**super().get_config(), "k_choices": list(self.k_choices)}
