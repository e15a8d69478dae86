"""CutMix: paste a rectangle from another image of the batch; labels mixed by area."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register
from augmentation.mix_up import check_one_hot, sample_beta


@register
class CutMix(ImageAugmentation):
    """CutMix (Yun et al., 2019): a box of area (1 - λ)·H·W from the partner image replaces the
    same box of the image; the labels are mixed by the box's actual (clipped) area. Call it with
    labels: `cut_mix(images, one_hot_labels)`, or on `{"images": ..., "labels": ...}`.

    Args:
        alpha: λ ~ Beta(alpha, alpha) per image (> 0).
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `box` `(B, 4)` int32 `(top, left, bottom, right)`, exclusive end; `partner`
        `(B,)` int32; `pasted_fraction` `(B,)` float32, the box's share of the image (the partner's
        label weight).

    Example:
        >>> images, labels = tf.random.uniform([8, 32, 32, 3]), tf.one_hot(tf.range(8) % 2, 2)
        >>> CutMix(1.0, seed=1)(images, labels)[0].shape
        TensorShape([8, 32, 32, 3])
    """

    def __init__(self, alpha=1.0, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = tf.shape(images_of(data))
        batch, height, width = shape[0], shape[1], shape[2]
        seeds = self.split_seed(seed, 3)
        lam = sample_beta([batch], self.alpha, seeds[0])
        h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
        cut = tf.sqrt(1.0 - lam)  # box side as a fraction of the image side
        center = tf.random.stateless_uniform([batch, 2], seeds[1]) * tf.stack([h, w])
        half = tf.stack([cut * h, cut * w], axis=1) / 2.0
        start = tf.cast(tf.clip_by_value(tf.round(center - half), 0.0, tf.stack([h, w])), tf.int32)
        end = tf.cast(tf.clip_by_value(tf.round(center + half), 0.0, tf.stack([h, w])), tf.int32)
        partner = tf.cast(tf.argsort(tf.random.stateless_uniform([batch], seeds[2])), tf.int32)
        box = tf.concat([start, end], axis=1)
        # Labels are mixed by the box's true area, after clipping at the borders.
        area = tf.cast(tf.reduce_prod(end - start, axis=1), tf.float32)
        return {"box": box, "partner": partner, "pasted_fraction": area / (h * w)}

    def _mask(self, shape, box):
        rows = tf.range(shape[1])[None, :]
        columns = tf.range(shape[2])[None, :]
        in_rows = (rows >= box[:, 0, None]) & (rows < box[:, 2, None])  # (B, H)
        in_columns = (columns >= box[:, 1, None]) & (columns < box[:, 3, None])  # (B, W)
        return in_rows[:, :, None] & in_columns[:, None, :]  # (B, H, W)

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        mask = self._mask(tf.shape(images), transformation["box"])[..., None]
        return tf.where(mask, tf.gather(images, transformation["partner"]), images)

    def transform_labels(self, labels, transformation, training=True):
        if not training:
            return labels
        labels = check_one_hot(labels, "CutMix")
        fraction = transformation["pasted_fraction"]
        fraction = tf.reshape(fraction, [-1] + [1] * (labels.shape.rank - 1))
        return (1.0 - fraction) * labels + fraction * tf.gather(labels, transformation["partner"])

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
