"""AugmentationPipeline: ops composed with per-image probabilities, as one Keras layer.

    pipeline = make_pipeline("strong", seed=0)
    train = pipeline.apply(train.batch(32))       # images (and one-hot labels) augmented per batch
    model.fit(train, epochs=10)

The same layer goes at the top of a model (`keras.Sequential([keras.Input(...), pipeline, ...])`)
or into `dataset.map`.
"""

import tensorflow as tf

from augmentation.base import (
    DEFAULT_VALUE_RANGE,
    ImageAugmentation,
    check_value_range,
    random_bool,
    register,
    split_seed,
    to_float_images,
)
from augmentation.cut_mix import CutMix
from augmentation.gaussian_blur import GaussianBlur
from augmentation.mix_up import MixUp, check_one_hot
from augmentation.rand_augment import RandAugment
from augmentation.random_brightness import RandomBrightness
from augmentation.random_contrast import RandomContrast
from augmentation.random_crop import RandomCrop
from augmentation.random_erasing import RandomErasing
from augmentation.random_flip import RandomFlip
from augmentation.random_hue import RandomHue
from augmentation.random_rot90 import RandomRot90

PRESETS = ("course", "strong")
RANDAUGMENT_BACKENDS = ("ours", "keras_cv", "keras")
# The ops a saved pipeline's steps can name (`get_config()["steps"][i]["op"]`).
_OPS_BY_NAME = {
    cls.__name__: cls
    for cls in (
        CutMix,
        GaussianBlur,
        MixUp,
        RandAugment,
        RandomBrightness,
        RandomContrast,
        RandomCrop,
        RandomErasing,
        RandomFlip,
        RandomHue,
        RandomRot90,
    )
}


@register
class AugmentationPipeline(ImageAugmentation):
    """Applies ops in order; step i is applied to each image with its own probability.

    A Keras layer like its ops: call it on a batch (`pipeline(images)`, `pipeline(images,
    labels)`, a dict `{"images": ..., "labels": ...}`), put it in a model (`training=False`
    augments nothing but converts the images as in training: float32 in the value range; a
    `RandomCrop` step takes the centre window), map it over a batched dataset
    (`dataset.map(pipeline)`: the batches draw seeds from the pipeline's generator, so parallel
    maps are not reproducible), or, best, `pipeline.apply(dataset)`: each batch gets its own
    stateless seed, reproducible for a given `seed` and different in every epoch.

    Each step samples its own transformation, on the images the previous steps made, so the
    pipeline has no `get_random_transformation` of its own: `explain()` returns what every step
    drew.

    Args:
        steps: ops, or `(op, probability)` pairs (probability 1 when not given), or their
            configs (what `get_config()["steps"]` holds). Ops are `ImageAugmentation`s or anything
            called as `op(images, labels, seed=)` (the keras_cv wrappers). An op that changes the
            image size (`RandomCrop` without resize) needs probability 1.
        value_range: `(low, high)` of the float images; every op must declare the same. uint8
            inputs are rescaled from [0, 255] into it.
        seed: int; makes `apply(dataset)` reproducible and seeds calls that pass no seed.
        preset: instead of `steps`, a `make_pipeline` preset (`"course"`, `"strong"`).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Example:
        >>> pipeline = AugmentationPipeline([RandomFlip(), (RandomBrightness(0.2), 0.5)], seed=0)
        >>> pipeline(tf.zeros([4, 32, 32, 3])).shape
        TensorShape([4, 32, 32, 3])
    """

    def __init__(
        self, steps=None, value_range=DEFAULT_VALUE_RANGE, seed=None, preset=None, **kwargs
    ):
        super().__init__(value_range, seed, **kwargs)
        if (steps is None) == (preset is None):
            raise ValueError("give AugmentationPipeline either steps or a preset")
        if preset is not None:
            steps = preset_steps(preset, self.value_range)
        self.steps = [self._check_step(step) for step in steps]

    def _check_step(self, step):
        """`(op, probability)` from a step as given, checked."""
        if isinstance(step, dict):
            step = dict(step)
            name, probability = step.pop("op"), step.pop("probability", 1.0)
            if name not in _OPS_BY_NAME:
                raise ValueError(
                    f"cannot rebuild pipeline step {name!r}: not an op of `augmentation`"
                )
            step = (_OPS_BY_NAME[name](**step), probability)
        op, probability = step if isinstance(step, tuple) else (step, 1.0)
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {probability} for {op!r}")
        if probability < 1.0 and isinstance(op, RandomCrop) and not op.resize:
            raise ValueError(
                f"{op!r} changes the image size, so it needs probability 1 (or resize=True)"
            )
        op_range = check_value_range(getattr(op, "value_range", self.value_range))
        if op_range != self.value_range:
            raise ValueError(
                f"{op!r} works in value_range {op_range}, the pipeline in {self.value_range}"
            )
        return (op, float(probability))

    def get_random_transformation(self, data, training=True, seed=None):
        raise NotImplementedError(
            "a pipeline samples step by step, on the images the steps before made: use explain()"
        )

    def augment(self, images, labels=None, training=True, seed=None):
        if not training:  # nothing augmented; a crop still takes its (centre) window
            for op, _ in self.steps:
                if isinstance(op, ImageAugmentation):
                    images, _ = op.augment(images, training=False)
            return images, labels
        images, labels, _ = self._run(images, labels, seed)
        return images, labels

    def explain(self, images, seed):
        """Augments one batch as `pipeline(images, seed=seed)` does and says what each image got.

        Args:
            images: `(B, H, W, C)` uint8 or float images.
            seed: stateless seed for the batch.

        Returns:
            `(augmented, steps)`: the same images as `pipeline(images, seed=seed)`, and one dict
            per step: `{"op": the op, "applied": (B,) bool, "params": the op's transformation}`
            (`params` is None for steps that do not expose one: pipelines, keras_cv wrappers).
        """
        images, _, steps = self._run(to_float_images(images, self.value_range), None, seed)
        return images, steps

    def _run(self, images, labels, seed):
        """Runs every step on float32 images; returns `(images, labels, what each step did)`."""
        seeds = split_seed(self.next_seed(seed), 2 * max(len(self.steps), 1))
        recorded = []
        for index, (op, probability) in enumerate(self.steps):
            augmented, new_labels, params = _run_step(op, images, labels, seeds[2 * index])
            batch = tf.shape(images)[0]
            if probability >= 1.0:
                images, labels = augmented, new_labels
                recorded.append({"op": op, "applied": tf.ones([batch], tf.bool), "params": params})
                continue
            chosen = random_bool([batch], probability, seeds[2 * index + 1])
            recorded.append({"op": op, "applied": chosen, "params": params})
            images = tf.where(tf.reshape(chosen, [-1, 1, 1, 1]), augmented, images)
            if labels is not None:
                new_labels = tf.cast(new_labels, tf.float32)
                shape = [-1] + [1] * (new_labels.shape.rank - 1)
                labels = tf.where(
                    tf.reshape(chosen, shape), new_labels, tf.cast(labels, tf.float32)
                )
        return images, labels, recorded

    def apply(self, dataset, num_parallel_calls=tf.data.AUTOTUNE):
        """Maps the pipeline over a *batched* dataset of images or `(images, labels[, weights])`.

        Returns:
            The mapped dataset; usable in `model.fit` as is. Its tf.data options run each map
            call on one thread (`max_intra_op_parallelism=1`), several batches at once.
        """
        self._check_element_spec(dataset.element_spec)
        seeds = tf.data.Dataset.random(seed=self.seed, rerandomize_each_iteration=True).batch(2)

        def augment(element, seed):
            if isinstance(element, (tuple, list)):
                images, labels, *rest = element
                return (*self(images, labels, seed=seed), *rest)
            return self(element, seed=seed)

        augmented = tf.data.Dataset.zip(dataset, seeds).map(
            augment, num_parallel_calls=num_parallel_calls
        )
        # Each batch's ops on one thread, batches side by side: on CPU this keeps every core busy
        # with fewer hand-offs than splitting each op across threads (~15 % more images/s).
        options = tf.data.Options()
        options.threading.max_intra_op_parallelism = 1
        return augmented.with_options(options)

    def _check_element_spec(self, spec):
        """Raises the one-line error now, before tf.data traces the map, for what would fail in
        it: dict elements, and integer labels given to an op that mixes one-hot labels."""
        if isinstance(spec, dict):
            raise TypeError("use (images, labels) tuples, not dicts, with AugmentationPipeline")
        if not isinstance(spec, (tuple, list)) or len(spec) < 2:
            return
        labels = spec[1]
        mixing = [
            type(op).__name__
            for op, probability in self.steps
            if isinstance(op, (MixUp, CutMix)) and probability > 0
        ]
        if mixing and getattr(labels, "dtype", None) is not None and labels.dtype.is_integer:
            check_one_hot(tf.zeros([0], labels.dtype), mixing[0])  # raises its ValueError

    def compute_output_shape(self, input_shape):
        for op, _ in self.steps:
            if isinstance(op, ImageAugmentation):
                input_shape = op.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        """JSON-ready: every step's op with its parameters and probability (`from_config` and
        metrics.json)."""
        steps = [
            {"op": type(op).__name__, "probability": probability, **op.get_config()}
            for op, probability in self.steps
        ]
        return {**super().get_config(), "steps": steps}

    def __repr__(self):
        steps = ", ".join(f"({op!r}, {p})" for op, p in self.steps)
        return f"AugmentationPipeline([{steps}], value_range={self.value_range})"


def _run_step(op, images, labels, seed):
    """One step on float32 images: `(images, labels, transformation or None)`."""
    if isinstance(op, ImageAugmentation) and not isinstance(op, AugmentationPipeline):
        transformation = op.get_random_transformation(images, seed=seed)
        if labels is not None:
            labels = op.transform_labels(labels, transformation)
        return op.transform_images(images, transformation), labels, transformation
    if isinstance(op, AugmentationPipeline):
        return (*op.augment(images, labels, seed=seed), None)
    if labels is None:
        return op(images, seed=seed), None, None
    return (*op(images, labels, seed=seed), None)


def make_randaugment(
    backend="ours", num_ops=2, magnitude=0.5, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs
):
    """RandAugment from `backend`: `"ours"` (`RandAugment`), `"keras_cv"` or `"keras"`."""
    if backend == "ours":
        return RandAugment(num_ops, magnitude, value_range=value_range, seed=seed, **kwargs)
    from augmentation import external

    if backend == "keras_cv":
        return external.KerasCVRandAugment(
            num_ops, magnitude, value_range=value_range, seed=seed, **kwargs
        )
    if backend == "keras":
        return external.KerasRandAugment(
            num_ops, magnitude, value_range=value_range, seed=seed, **kwargs
        )
    raise ValueError(f"backend must be one of {RANDAUGMENT_BACKENDS}, got {backend!r}")


def make_pipeline(preset="strong", value_range=DEFAULT_VALUE_RANGE, seed=None, randaugment="ours"):
    """A ready pipeline.

    Presets:
        course: the course's combined pipeline, in its order: flip left-right, flip up-down
            (each p = 0.5), contrast U(0.4, 0.6), brightness ±0.8, rot90 k ∈ {0, 1, 2}, hue ±0.1
            (outputs clipped to the value range; `tf.image` does not clip).
        strong: flip left-right, RandAugment (2 ops, magnitude 0.5), random erasing (p = 0.25,
            per-pixel noise, aspect 0.3-3.3), MixUp (alpha 0.2: most images stay mostly
            themselves). A good default for training an image classifier from scratch.

    Args:
        preset: `"course"` or `"strong"`.
        value_range: `(low, high)` of the float images.
        seed: int making `pipeline.apply(dataset)` reproducible.
        randaugment: the strong preset's RandAugment: `"ours"`, `"keras_cv"` or `"keras"`.

    Returns:
        An `AugmentationPipeline`.
    """
    return AugmentationPipeline(
        preset_steps(preset, value_range, randaugment), value_range=value_range, seed=seed
    )


def preset_steps(preset, value_range=DEFAULT_VALUE_RANGE, randaugment="ours"):
    """The ops of a `make_pipeline` preset, in order (see `make_pipeline`)."""
    if preset == "course":
        return [
            RandomFlip("horizontal", value_range=value_range),
            RandomFlip("vertical", value_range=value_range),
            RandomContrast(0.4, 0.6, value_range=value_range),
            RandomBrightness(0.8, value_range=value_range),
            RandomRot90((0, 1, 2), value_range=value_range),
            RandomHue(0.1, value_range=value_range),
        ]
    if preset == "strong":
        return [
            RandomFlip("horizontal", value_range=value_range),
            make_randaugment(randaugment, 2, 0.5, value_range=value_range),
            RandomErasing(0.25, aspect=(0.3, 1 / 0.3), fill="noise", value_range=value_range),
            MixUp(0.2, value_range=value_range),
        ]
    raise ValueError(f"preset must be one of {PRESETS}, got {preset!r}")
