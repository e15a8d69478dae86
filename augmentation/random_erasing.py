"""RandomErasing: blank out a random rectangle of each image (Zhong et al., 2017)."""

import tensorflow as tf

from augmentation.base import (
    DEFAULT_VALUE_RANGE,
    ImageAugmentation,
    images_of,
    random_bool,
    register,
)

_FILLS = ("value", "noise")


@register
class RandomErasing(ImageAugmentation):
    """With probability `rate`, fills a random rectangle of an image.

    The rectangle's area is a fraction s ~ U(area) of the image, its aspect ratio (height / width)
    r ~ U(aspect); height = sqrt(s·H·W·r), width = sqrt(s·H·W/r), at a uniform random top-left
    corner. As in the course's loop, a draw whose rectangle falls off the image is rejected and
    redrawn: here `attempts` candidates are drawn at once and each image takes the first that fits
    (in the rare case none fits, the last one is clipped to the image).

    Course parameters: `rate=0.5, area=(0.02, 0.4), aspect=(0.2, 0.8)`, filled with one value
    ~ U(0, 1) (`fill="value"`). The paper (and torchvision) fill with per-pixel noise
    (`fill="noise"`) and use `aspect=(0.3, 3.3)`.

    Args:
        rate: probability that an image is erased.
        area: `(sl, sh)`, range of the erased fraction of the image's area.
        aspect: `(r1, r2)`, range of the rectangle's height / width.
        fill: `"value"` (one uniform value per image, all channels) or `"noise"` (per pixel).
        attempts: candidate rectangles per image (the course's retry loop).
        value_range: `(low, high)` of the float images; fills are uniform over it.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `erase` `(B,)` bool; `box` `(B, 4)` int32 `(top, left, height, width)`;
        `fill` float32, `(B, 1, 1, 1)` for `fill="value"`, `(B, H, W, C)` for `"noise"`.

    Example:
        >>> RandomErasing(seed=1)(tf.zeros([2, 32, 32, 3])).shape
        TensorShape([2, 32, 32, 3])
    """

    def __init__(
        self,
        rate=0.5,
        area=(0.02, 0.4),
        aspect=(0.2, 0.8),
        fill="value",
        attempts=10,
        value_range=DEFAULT_VALUE_RANGE,
        seed=None,
        **kwargs,
    ):
        super().__init__(value_range, seed, **kwargs)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {rate}")
        if not 0.0 < area[0] <= area[1] <= 1.0:
            raise ValueError(f"area must satisfy 0 < sl <= sh <= 1, got {area}")
        if not 0.0 < aspect[0] <= aspect[1]:
            raise ValueError(f"aspect must satisfy 0 < r1 <= r2, got {aspect}")
        if fill not in _FILLS:
            raise ValueError(f"fill must be one of {_FILLS}, got {fill!r}")
        self.rate = float(rate)
        self.area = (float(area[0]), float(area[1]))
        self.aspect = (float(aspect[0]), float(aspect[1]))
        self.fill = fill
        self.attempts = int(attempts)

    def get_random_transformation(self, data, training=True, seed=None):
        batch_shape = tf.shape(images_of(data))
        batch, height, width = batch_shape[0], batch_shape[1], batch_shape[2]
        seeds = self.split_seed(seed, 7)
        candidates = [batch, self.attempts]
        h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
        area = tf.random.stateless_uniform(candidates, seeds[0], *self.area) * h * w
        ratio = tf.random.stateless_uniform(candidates, seeds[1], *self.aspect)
        box_height = tf.cast(tf.sqrt(area * ratio), tf.int32)  # int(), as the course does
        box_width = tf.cast(tf.sqrt(area / ratio), tf.int32)
        top = tf.cast(tf.random.stateless_uniform(candidates, seeds[2]) * h, tf.int32)
        left = tf.cast(tf.random.stateless_uniform(candidates, seeds[3]) * w, tf.int32)
        fits = (top + box_height <= height) & (left + box_width <= width)
        # First fitting candidate per image; the last one (clipped below) if none fits.
        first = tf.argmax(tf.cast(fits, tf.int32), axis=1, output_type=tf.int32)
        first = tf.where(tf.reduce_any(fits, axis=1), first, self.attempts - 1)
        box = tf.gather(tf.stack([top, left, box_height, box_width], axis=-1), first, batch_dims=1)
        box = tf.stack(
            [
                box[:, 0],
                box[:, 1],
                tf.minimum(box[:, 2], height - box[:, 0]),
                tf.minimum(box[:, 3], width - box[:, 1]),
            ],
            axis=1,
        )
        low, high = self.value_range
        if self.fill == "value":
            fill = tf.random.stateless_uniform([batch, 1, 1, 1], seeds[4], low, high)
        else:
            fill = tf.random.stateless_uniform(batch_shape, seeds[4], low, high)
        return {"erase": random_bool([batch], self.rate, seeds[5]), "box": box, "fill": fill}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        shape = tf.shape(images)
        box = transformation["box"]
        top, left = box[:, 0, None], box[:, 1, None]  # (B, 1)
        bottom, right = top + box[:, 2, None], left + box[:, 3, None]
        rows = tf.range(shape[1])[None, :]  # (1, H)
        columns = tf.range(shape[2])[None, :]  # (1, W)
        inside_rows = (rows >= top) & (rows < bottom)  # (B, H)
        inside_columns = (columns >= left) & (columns < right)  # (B, W)
        mask = inside_rows[:, :, None] & inside_columns[:, None, :]  # (B, H, W)
        mask = mask & tf.reshape(transformation["erase"], [-1, 1, 1])
        return tf.where(mask[..., None], tf.cast(transformation["fill"], images.dtype), images)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "area": list(self.area),
            "aspect": list(self.aspect),
            "fill": self.fill,
            "attempts": self.attempts,
        }
