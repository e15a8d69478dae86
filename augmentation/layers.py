"""The image ops and the pipeline as Keras layers, for `keras.Sequential`, models and tf.data.

Each layer is a thin adapter over the op of the same name in `augmentation` (same arguments,
same sampling and pixels): it only adds what Keras expects of a preprocessing layer.

- `training=True` (the default, and what `model.fit` passes) augments; `training=False`
  (inference: `model.predict`, `model.evaluate`) augments nothing. Both return float32 in
  `value_range` (uint8 inputs rescaled from [0, 255] into it, floats cast), as Keras' own
  augmentation layers return their compute dtype either way: the layers after it see the same
  dtype and scale in training and at inference.
- Inputs are a `(B, H, W, C)` batch, or a dict `{"images": ..., "labels": ...}` as Keras' and
  keras_cv's layers take in tf.data (required for MixUp and CutMix, which mix the one-hot labels).
- Each layer draws a fresh seed per call from its own generator (seeded by `seed`); for a
  reproducible tf.data pipeline use `AugmentationPipeline.apply`, which seeds each batch.
- Registered for saving as `day3>{class name}`: a model holding them saves with
  `model.save("model.keras")` and loads with `keras.saving.load_model` once `augmentation` is
  imported.

Example:
    >>> import keras
    >>> from augmentation import layers
    >>> model = keras.Sequential([
    ...     keras.Input((32, 32, 3)),
    ...     layers.RandomFlip("horizontal"),
    ...     layers.RandAugment(2, 0.5, interpolation="bilinear"),
    ...     keras.layers.Conv2D(8, 3),
    ... ])
"""

import keras
import tensorflow as tf

from augmentation import base
from augmentation import cut_mix as cut_mix_lib
from augmentation import gaussian_blur as gaussian_blur_lib
from augmentation import mix_up as mix_up_lib
from augmentation import pipeline as pipeline_lib
from augmentation import rand_augment as rand_augment_lib
from augmentation import random_brightness as random_brightness_lib
from augmentation import random_contrast as random_contrast_lib
from augmentation import random_crop as random_crop_lib
from augmentation import random_erasing as random_erasing_lib
from augmentation import random_flip as random_flip_lib
from augmentation import random_hue as random_hue_lib
from augmentation import random_rot90 as random_rot90_lib

PACKAGE = "day3"
_register = keras.saving.register_keras_serializable(package=PACKAGE)


class AugmentationLayer(keras.layers.Layer):
    """Base of the adapters: wraps one op (built from the layer's arguments) as a Keras layer.

    Subclasses set `op_class`; the constructor takes that op's arguments plus Keras' `name` and
    `dtype`. `layer.op` is the wrapped op (its `sample` and `apply` are there).
    """

    op_class = None

    def __init__(self, *args, name=None, dtype=None, trainable=False, **kwargs):
        # autocast off: the op itself converts the inputs (uint8 is rescaled, not just cast).
        super().__init__(name=name, dtype=dtype, trainable=trainable, autocast=False)
        self.op = self.build_op(*args, **kwargs)
        self.supports_jit = False  # dynamic partitions and stateful seeds: no XLA around it

    def build_op(self, *args, **kwargs):
        return self.op_class(*args, **kwargs)

    def call(self, inputs, training=True):
        training = True if training is None else bool(training)  # None: augment, as Keras does
        if isinstance(inputs, dict):
            images, labels = inputs["images"], inputs.get("labels")
            if labels is None:
                return {**inputs, "images": self.op(images, training=training)}
            images, labels = self.op(images, labels, training=training)
            return {**inputs, "images": images, "labels": labels}
        return self.op(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), **self.op.get_config()}


@_register
class RandomFlip(AugmentationLayer):
    """`augmentation.RandomFlip` as a Keras layer (same arguments)."""

    op_class = random_flip_lib.RandomFlip


def _centre_crop(op, images):
    """A `RandomCrop` op's window at the centre (inference: the output size of training)."""
    shape = tf.shape(images)
    offset = tf.stack([(shape[1] - op.height) // 2, (shape[2] - op.width) // 2])
    return op.apply(images, {"offset": tf.tile(offset[None], [shape[0], 1])})


@_register
class RandomCrop(AugmentationLayer):
    """`augmentation.RandomCrop` as a Keras layer (same arguments). Without `resize`, inference
    takes the centre window, so the output has the crop's size in training and at inference."""

    op_class = random_crop_lib.RandomCrop

    def call(self, inputs, training=True):
        if training is None or training or self.op.resize or isinstance(inputs, dict):
            return super().call(inputs, training)
        return _centre_crop(self.op, self.op(inputs, training=False))

    def compute_output_shape(self, input_shape):
        if self.op.resize:
            return input_shape
        return (input_shape[0], self.op.height, self.op.width, input_shape[-1])


@_register
class RandomContrast(AugmentationLayer):
    """`augmentation.RandomContrast` as a Keras layer (same arguments)."""

    op_class = random_contrast_lib.RandomContrast


@_register
class RandomBrightness(AugmentationLayer):
    """`augmentation.RandomBrightness` as a Keras layer (same arguments)."""

    op_class = random_brightness_lib.RandomBrightness


@_register
class RandomHue(AugmentationLayer):
    """`augmentation.RandomHue` as a Keras layer (same arguments)."""

    op_class = random_hue_lib.RandomHue


@_register
class RandomRot90(AugmentationLayer):
    """`augmentation.RandomRot90` as a Keras layer (same arguments)."""

    op_class = random_rot90_lib.RandomRot90


@_register
class GaussianBlur(AugmentationLayer):
    """`augmentation.GaussianBlur` as a Keras layer (same arguments)."""

    op_class = gaussian_blur_lib.GaussianBlur


@_register
class RandomErasing(AugmentationLayer):
    """`augmentation.RandomErasing` as a Keras layer (same arguments)."""

    op_class = random_erasing_lib.RandomErasing


@_register
class RandAugment(AugmentationLayer):
    """`augmentation.RandAugment` as a Keras layer (same arguments)."""

    op_class = rand_augment_lib.RandAugment


@_register
class MixUp(AugmentationLayer):
    """`augmentation.MixUp` as a Keras layer; call it on `{"images": ..., "labels": one-hot}`."""

    op_class = mix_up_lib.MixUp


@_register
class CutMix(AugmentationLayer):
    """`augmentation.CutMix` as a Keras layer; call it on `{"images": ..., "labels": one-hot}`."""

    op_class = cut_mix_lib.CutMix


_OPS_BY_NAME = {
    cls.__name__: cls
    for cls in (
        random_flip_lib.RandomFlip,
        random_crop_lib.RandomCrop,
        random_contrast_lib.RandomContrast,
        random_brightness_lib.RandomBrightness,
        random_hue_lib.RandomHue,
        random_rot90_lib.RandomRot90,
        gaussian_blur_lib.GaussianBlur,
        random_erasing_lib.RandomErasing,
        rand_augment_lib.RandAugment,
        mix_up_lib.MixUp,
        cut_mix_lib.CutMix,
    )
}


def _op_from_step(step):
    """Rebuilds an op from one entry of `AugmentationPipeline.get_config()["steps"]`."""
    step = dict(step)
    name, probability = step.pop("op"), step.pop("probability", 1.0)
    if name not in _OPS_BY_NAME:
        raise ValueError(f"cannot rebuild pipeline step {name!r}: not an op of `augmentation`")
    return _OPS_BY_NAME[name](**step), probability


@_register
class AugmentationPipeline(AugmentationLayer):
    """`augmentation.AugmentationPipeline` (or a `make_pipeline` preset) as a Keras layer.

    Args:
        steps: ops of `augmentation` or `(op, probability)` pairs, as the pipeline takes; or
            their configs (what `get_config` stores).
        preset: instead of `steps`, a `make_pipeline` preset (`"course"`, `"strong"`).
        value_range: `(low, high)` of the float images.
        seed: seeds the pipeline's generator.
        name, dtype: Keras layer arguments.

    Example:
        >>> layer = AugmentationPipeline(preset="course", seed=0)
        >>> layer(tf.zeros([4, 32, 32, 3])).shape
        TensorShape([4, 32, 32, 3])
    """

    def build_op(self, steps=None, preset=None, value_range=base.DEFAULT_VALUE_RANGE, seed=None):
        if (steps is None) == (preset is None):
            raise ValueError("give AugmentationPipeline either steps or a preset")
        if preset is not None:
            return pipeline_lib.make_pipeline(preset, value_range=value_range, seed=seed)
        steps = [_op_from_step(step) if isinstance(step, dict) else step for step in steps]
        return pipeline_lib.AugmentationPipeline(steps, value_range=value_range, seed=seed)

    def call(self, inputs, training=True):
        outputs = super().call(inputs, training)
        if training is None or training or isinstance(inputs, dict):
            return outputs
        for op, _ in self.op.steps:  # inference: crops keep their size, at the centre
            if isinstance(op, random_crop_lib.RandomCrop) and not op.resize:
                outputs = _centre_crop(op, outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        for op, _ in self.op.steps:
            if isinstance(op, random_crop_lib.RandomCrop) and not op.resize:
                input_shape = (input_shape[0], op.height, op.width, input_shape[-1])
        return input_shape
