"""The base layer every image augmentation derives from: sampling separate from applying.

An op is a `keras.layers.Layer` split as Keras's own preprocessing layers are: its randomness lives
in `get_random_transformation(images, seed=...)` (a dict of per-image tensors, the
"transformation"), the pixels change in `transform_images(images, transformation)` (and the labels
in `transform_labels`), pure functions of their inputs. The base layer owns `call()`. That split
makes ops testable (inject a transformation, check the exact output), reproducible (stateless RNG:
the same seed gives the same batch) and composable (a pipeline can mask or record the
transformations). The same object works on a batch, in `keras.Sequential`, inside a saved model
and in `tf.data.Dataset.map`.
"""

import random

import keras
import tensorflow as tf

DEFAULT_VALUE_RANGE = (0.0, 1.0)
PACKAGE = "day3"  # registered names: "day3>RandomFlip", ..., as `models` registers its layers

register = keras.saving.register_keras_serializable(package=PACKAGE)


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


def random_bool(shape, rate, seed):
    """Stateless Bernoulli(rate) booleans of `shape`."""
    return tf.random.stateless_uniform(shape, seed) < rate


def images_of(data):
    """The images of a layer input: the tensor itself, or `data["images"]` of a dict."""
    return data["images"] if isinstance(data, dict) else data


class ImageAugmentation(keras.layers.Layer):
    """Base layer of a batched, seeded image augmentation.

    Subclasses implement `get_random_transformation()` and `transform_images()` (and
    `transform_labels()` when labels change, as in MixUp); `call()` is the base's:

        op = RandomFlip("horizontal", seed=1)
        augmented = op(images)                        # (B, H, W, C) float32 in op.value_range
        augmented, labels = op(images, labels)        # labels pass through (or get mixed)
        outputs = op({"images": images, "labels": labels})  # dicts, as Keras' layers take
        op(images, seed=(1, 2))                       # a stateless seed: the same batch again
        op(images, training=False)                    # inference: nothing augmented

    With `training=False` (Keras passes it in `predict` and `evaluate`) nothing is augmented, but
    the images are converted as in training: float32 in `value_range`, uint8 rescaled. A model
    thus sees one dtype and scale, as Keras' own augmentation layers return their compute dtype
    either way. An op that changes the image size (`RandomCrop`) keeps that size at inference.

    Args:
        value_range: `(low, high)` the float images are in; outputs are clipped to it. uint8
            inputs are rescaled from [0, 255] into it first.
        seed: int seeding the layer's own generator, used when a call passes no `seed`. For
            reproducible tf.data pipelines pass a seed per batch instead (the pipeline does).
        **kwargs: Keras layer arguments (`name`, `dtype`).
    """

    def __init__(self, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs):
        kwargs.setdefault("trainable", False)
        # autocast off: `call` converts the inputs itself (uint8 is rescaled, not just cast).
        super().__init__(autocast=False, **kwargs)
        self.value_range = check_value_range(value_range)
        self.seed = seed
        # Created here, eagerly: a variable cannot be created inside the tf.data graph later.
        self._generator = make_generator(seed)
        self.supports_jit = False  # dynamic partitions and a stateful generator: no XLA around it
        self.built = True  # no weights

    # --- to implement --------------------------------------------------------------------
    def get_random_transformation(self, data, training=True, seed=None):
        """Draws this op's random parameters for a batch.

        Args:
            data: the `(B, H, W, C)` images (only their shape is used), or a dict holding them
                under `"images"`.
            training: as Keras passes it; `call` only asks for a transformation when training.
            seed: stateless seed, an int or a shape-(2,) integer tensor; the layer's generator
                gives one when None.

        Returns:
            dict of tensors whose first dimension is B.
        """
        raise NotImplementedError

    def transform_images(self, images, transformation, training=True):
        """Applies the op with the given transformation.

        Args:
            images: `(B, H, W, C)` float32 in `value_range`.
            transformation: what `get_random_transformation` returned (None when not training).
            training: when False, return the images as inference sees them (unchanged).

        Returns:
            `(B, H, W, C)` float32 (cropped for `RandomCrop`).
        """
        raise NotImplementedError

    def transform_labels(self, labels, transformation, training=True):
        """Transforms the labels that go with the images; unchanged by default."""
        return labels

    # --- the course's short names ---------------------------------------------------------
    def sample(self, batch_shape, seed):
        """`get_random_transformation` for a batch shape: the name the course's notebooks use."""
        return self.get_random_transformation(tf.zeros(batch_shape), seed=seed)

    def apply(self, images, params):
        """`transform_images`: the name the course's notebooks use."""
        return self.transform_images(tf.cast(images, tf.float32), params)

    # --- shared -----------------------------------------------------------------------------
    def call(self, data, labels=None, *, training=True, seed=None):
        """Augments a batch.

        Args:
            data: `(B, H, W, C)` uint8 or float images, or a dict `{"images": ..., "labels": ...}`
                (labels optional) as Keras' and keras_cv's layers take in tf.data.
            labels: optional labels with leading dimension B (one-hot floats for MixUp/CutMix).
            training: when False, nothing is augmented (see the class docstring).
            seed: stateless seed for this batch; drawn from the layer's generator when None.

        Returns:
            The augmented images; `(images, labels)` when labels were given; a dict for a dict.
        """
        if isinstance(data, dict):
            images, labels = data["images"], data.get("labels")
        else:
            images = data
        images = to_float_images(images, self.value_range)
        images, labels = self.augment(images, labels, training=training, seed=seed)
        if isinstance(data, dict):
            outputs = {**data, "images": images}
            return outputs if labels is None else {**outputs, "labels": labels}
        return images if labels is None else (images, labels)

    def augment(self, images, labels=None, training=True, seed=None):
        """Samples a transformation (when training) and applies it to float32 images and labels.

        Returns:
            `(images, labels)`; labels None when none were given.
        """
        transformation = None
        if training:
            transformation = self.get_random_transformation(images, seed=self.next_seed(seed))
        images = self.transform_images(images, transformation, training=training)
        if labels is not None:
            labels = self.transform_labels(labels, transformation, training=training)
        return images, labels

    def next_seed(self, seed=None):
        """`seed` as a stateless seed; a fresh one from the layer's own generator when None."""
        return self._generator.make_seeds(1)[:, 0] if seed is None else as_seed(seed)

    def split_seed(self, seed, num):
        """`num` independent stateless seeds from `seed` (the layer's next seed when None)."""
        return split_seed(self.next_seed(seed), num)

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

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        """The constructor arguments, JSON-serialisable (saved models and metrics.json hold
        them)."""
        return {**super().get_config(), "value_range": list(self.value_range), "seed": self.seed}

    def __repr__(self):
        # The op's own arguments, then the base's (not Keras' name, trainable and dtype).
        config = self.get_config()
        base = ("name", "trainable", "dtype", "value_range", "seed")
        args = [f"{k}={v!r}" for k, v in config.items() if k not in base]
        args += [f"{k}={config[k]!r}" for k in ("value_range", "seed")]
        return f"{type(self).__name__}({', '.join(args)})"
