"""RandomCrop: a window of fixed size at a random place in each image, optionally resized back."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, split_seed


class RandomCrop(ImageAugmentation):
    """Crops a `height x width` window at a random offset per image (the course's `random_crop`).

    With `resize=True` the window is resized (bilinear) back to the input size, so the op zooms in
    and the output shape equals the input's.

    Args:
        height: crop height in pixels (the course uses 100).
        width: crop width in pixels (the course uses 100).
        resize: resize each crop back to the input's `(H, W)`.
        value_range: `(low, high)` of the float images.
        seed: seeds the op's own generator (used when a call passes no seed).

    Params: `offset`: `(B, 2)` int32 `(top, left)` of each window.

    Raises:
        ValueError: (when applied) if the crop is larger than the images.

    Example:
        >>> RandomCrop(100, 100, seed=123)(tf.zeros([2, 224, 224, 3])).shape
        TensorShape([2, 100, 100, 3])
    """

    def __init__(self, height, width, resize=False, value_range=DEFAULT_VALUE_RANGE, seed=None):
        super().__init__(value_range, seed)
        if height < 1 or width < 1:
            raise ValueError(f"crop size must be positive, got {height}x{width}")
        self.height = int(height)
        self.width = int(width)
        self.resize = bool(resize)

    def sample(self, batch_shape, seed):
        batch, image_height, image_width = batch_shape[0], batch_shape[1], batch_shape[2]
        tf.debugging.assert_less_equal(
            tf.stack([self.height, self.width]),
            tf.stack([image_height, image_width]),
            message=f"RandomCrop: {self.height}x{self.width} crop is larger than the images",
        )
        # Uniform integer offsets in [0, H - h] and [0, W - w], inclusive.
        maxval = tf.stack([image_height - self.height, image_width - self.width]) + 1
        unit = tf.random.stateless_uniform([batch, 2], split_seed(seed, 1)[0])
        offset = tf.cast(unit * tf.cast(maxval, tf.float32), tf.int32)
        return {"offset": tf.minimum(offset, maxval - 1)}

    def apply(self, images, params):
        offset = params["offset"]
        if self.resize:
            shape = tf.shape(images)
            height, width = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
            top, left = tf.cast(offset[:, 0], tf.float32), tf.cast(offset[:, 1], tf.float32)
            # Normalised boxes whose corner pixels are the crop's corner pixels.
            boxes = tf.stack(
                [
                    top / tf.maximum(height - 1, 1),
                    left / tf.maximum(width - 1, 1),
                    (top + self.height - 1) / tf.maximum(height - 1, 1),
                    (left + self.width - 1) / tf.maximum(width - 1, 1),
                ],
                axis=1,
            )
            box_indices = tf.range(shape[0])
            return tf.image.crop_and_resize(images, boxes, box_indices, shape[1:3])
        # Exact pixel copy: gather the window's rows, then its columns, per image.
        rows = offset[:, :1] + tf.range(self.height)[None, :]  # (B, h)
        columns = offset[:, 1:] + tf.range(self.width)[None, :]  # (B, w)
        images = tf.gather(images, rows, axis=1, batch_dims=1)  # (B, h, W, C)
        return tf.gather(images, columns, axis=2, batch_dims=1)  # (B, h, w, C)

    def get_config(self):
        return {
            "height": self.height,
            "width": self.width,
            "resize": self.resize,
            **super().get_config(),
        }
