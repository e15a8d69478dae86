"""The base class every image augmentation derives from: sampling separate from applying.

An op's randomness lives in `sample(batch_shape, seed) -> params` (a dict of per-image tensors); the
pixels change in `apply(images, params)`, a pure function of its inputs. That split is what makes
ops testable (inject params, check the exact output), reproducible (stateless RNG: the same seed
gives the same batch) and composable (a pipeline can mask or reuse the params).
"""

import random

import tensorflow as tf

DEFAULT_VALUE_RANGE = (0.0, 1.0)


def check_value_range(value_range):
    """Returns `value_range` as a `(low, high)` tuple of floats, raising ValueError if it is not
    one."""
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be (low, high), got {value_range!r}") from None
    if not low < high:
        raise ValueError(f"value_range must have low < high, got {value_range!r}")
    return (low, high)


def to_float_images(images, value_range=DEFAULT_VALUE_RANGE):
    """Converts a batch to float32 in `value_range`: uint8 is rescaled from [0, 255], floats are
    cast.

    Args:
        images: `(B, H, W, C)` uint8 or floating tensor (or anything `tf.convert_to_tensor` takes).
        value_range: `(low, high)` the float images are in (or uint8 images are mapped to).

    Returns:
        `(B, H, W, C)` float32 tensor.
    """
    images = tf.convert_to_tensor(images)
    if images.shape.rank is not None and images.shape.rank != 4:
        raise ValueError(f"expected a batch of images (B, H, W, C), got shape {images.shape}")
    if images.dtype == tf.uint8:
        low, high = value_range
        return tf.cast(images, tf.float32) * ((high - low) / 255.0) + low
    return tf.cast(images, tf.float32)


def as_seed(seed):
    """Returns a stateless-RNG seed: a shape-(2,) int64 tensor, from an int or a (2,) tensor."""
    if isinstance(seed, int):
        return tf.constant([seed, 0], tf.int64)
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    return tf.reshape(seed, [2])


def make_generator(seed=None):
    """A `tf.random.Generator` from `seed`; without one, from Python's `random` (so that
    `keras.utils.set_random_seed` makes it reproducible, and op determinism does not object)."""
    return tf.random.Generator.from_seed(random.getrandbits(62) if seed is None else seed)


def split_seed(seed, num):
    """Splits one stateless seed into `num` independent ones: a `(num, 2)` tensor."""
    return tf.random.experimental.stateless_split(as_seed(seed), num)


class ImageAugmentation:
    """Base class of a batched, seeded image augmentation.

    Subclasses implement `sample()` and `apply()` (and `apply_labels()` when labels change, as in
    MixUp). Calling the op runs both:

        op = RandomFlip("horizontal", seed=1)
        augmented = op(images)                        # (B, H, W, C) float32 in op.value_range
        augmented, labels = op(images, labels)        # labels pass through (or get mixed)
        op(images, training=False)                    # inference: the images, as float32 in
                                                      # value_range (as with training=True)

    Args:
        value_range: `(low, high)` the float images are in; outputs are clipped to it. uint8
            inputs are rescaled from [0, 255] into it first.
        seed: int seeding the op's own generator, used when a call passes no `seed`. For
            reproducible tf.data pipelines pass a seed per batch instead (the pipeline does).
    """

    def __init__(self, value_range=DEFAULT_VALUE_RANGE, seed=None):
        self.value_range = check_value_range(value_range)
        self.seed = seed
        # Created here, eagerly: a variable cannot be created inside the tf.data graph later.
        self._generator = make_generator(seed)

    # --- to implement --------------------------------------------------------------------
    def sample(self, batch_shape, seed):
        """Draws this op's random parameters for a batch.

        Args:
            batch_shape: `(B, H, W, C)` as a list or int32 tensor (`tf.shape(images)`).
            seed: stateless seed, an int or a shape-(2,) integer tensor.

        Returns:
            dict of tensors whose first dimension is B.
        """
        raise NotImplementedError

    def apply(self, images, params):
        """Applies the op with the given parameters: `(B, H, W, C)` float32 → same (or cropped)
        shape."""
        raise NotImplementedError

    def apply_labels(self, labels, params):
        """Transforms the labels that go with the images; unchanged by default."""
        return labels

    # --- shared -----------------------------------------------------------------------------
    def __call__(self, images, labels=None, *, training=True, seed=None):
        """Augments a batch.

        Args:
            images: `(B, H, W, C)` uint8 or float images.
            labels: optional labels with leading dimension B (one-hot floats for MixUp/CutMix).
            training: when False, nothing is augmented: the images come back converted as with
                training=True (float32 in `value_range`; uint8 rescaled), the labels unchanged,
                so a model sees the same dtype and scale in training and at inference.
            seed: stateless seed for this batch; drawn from the op's generator when None.

        Returns:
            The augmented images, or `(images, labels)` when labels were given.
        """
        images = to_float_images(images, self.value_range)
        if not training:
            return images if labels is None else (images, labels)
        seed = self.next_seed() if seed is None else as_seed(seed)
        params = self.sample(tf.shape(images), seed)
        images = self.apply(images, params)
        if labels is None:
            return images
        return images, self.apply_labels(labels, params)

    def next_seed(self):
        """A fresh stateless seed from the op's own (seeded) generator."""
        return self._generator.make_seeds(1)[:, 0]

    def clip(self, images):
        """Clips to the declared value range."""
        low, high = self.value_range
        return tf.clip_by_value(images, low, high)

    def to_unit(self, images):
        """Maps images from the value range to [0, 1] (a no-op for the default range)."""
        low, high = self.value_range
        if (low, high) == (0.0, 1.0):
            return images
        return (images - low) / (high - low)

    def from_unit(self, images):
        """Maps images from [0, 1] back to the value range."""
        low, high = self.value_range
        if (low, high) == (0.0, 1.0):
            return images
        return images * (high - low) + low

    def get_config(self):
        """The op's constructor arguments, JSON-serialisable (metrics.json lists them)."""
        return {"value_range": list(self.value_range), "seed": self.seed}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def random_bool(shape, rate, seed):
    """Stateless Bernoulli(rate) booleans of `shape`."""
    return tf.random.stateless_uniform(shape, seed) < rate
