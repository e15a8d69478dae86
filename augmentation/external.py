"""The course's RandAugment (keras_cv's, and Keras 3's), wrapped to be called like ours.

`keras_cv.layers.RandAugment` (what the course uses) and `keras.layers.RandAugment` keep their
own random state, so they take no per-batch `seed` and have no `sample`/`apply` split; they are
here to compare against, in pipelines and in `benchmarks.augmentation`.
"""

import tensorflow as tf

from augmentation.base import check_value_range, to_float_images


class _KerasLayerAugmentation:
    """Calls a Keras image layer like an `ImageAugmentation` (labels pass through)."""

    def __init__(self, layer, value_range, config):
        self.layer = layer
        self.value_range = check_value_range(value_range)
        self._config = config

    def __call__(self, images, labels=None, *, training=True, seed=None):
        images = to_float_images(images, self.value_range)
        if not training:
            return images if labels is None else (images, labels)
        images = self.layer(images, training=True)
        return images if labels is None else (images, labels)

    def get_config(self):
        return dict(self._config)

    def __repr__(self):
        return f"{type(self).__name__}({self._config})"


class KerasCVRandAugment(_KerasLayerAugmentation):
    """`keras_cv.layers.RandAugment(value_range, augmentations_per_image=num_ops, magnitude, rate)`.

    `rate=1.0` applies all `num_ops` ops to every image (keras_cv's default 10/11 sometimes skips
    one); use it to compare with the same number of ops per image.
    """

    def __init__(
        self,
        num_ops=2,
        magnitude=0.5,
        magnitude_stddev=0.15,
        rate=1.0,
        value_range=(0, 255),
        seed=None,
    ):
        import keras_cv  # imported here: it is slow to import and only needed for comparisons

        try:
            tf.random.get_global_generator()
        except RuntimeError:
            # Op determinism is on (as in the labs) and no global generator is set; keras_cv's
            # random ops draw from it, so give it a seeded one rather than fail.
            tf.random.set_global_generator(tf.random.Generator.from_seed(seed or 0))
        layer = keras_cv.layers.RandAugment(
            value_range=tuple(value_range),
            augmentations_per_image=num_ops,
            magnitude=magnitude,
            magnitude_stddev=magnitude_stddev,
            rate=rate,
            seed=seed,
        )
        config = {
            "num_ops": num_ops,
            "magnitude": magnitude,
            "magnitude_stddev": magnitude_stddev,
            "rate": rate,
            "value_range": list(value_range),
            "seed": seed,
        }
        super().__init__(layer, value_range, config)


class KerasRandAugment(_KerasLayerAugmentation):
    """`keras.layers.RandAugment(value_range, num_ops, factor=magnitude)` (Keras 3)."""

    def __init__(self, num_ops=2, magnitude=0.5, value_range=(0, 255), seed=None):
        import keras

        layer = keras.layers.RandAugment(
            value_range=tuple(value_range), num_ops=num_ops, factor=magnitude, seed=seed
        )
        config = {
            "num_ops": num_ops,
            "magnitude": magnitude,
            "value_range": list(value_range),
            "seed": seed,
        }
        super().__init__(layer, value_range, config)
