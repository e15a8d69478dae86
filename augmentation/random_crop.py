"""RandomCrop: a window of fixed size at a random place in each image, optionally resized back."""

import tensorflow as tf

from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register


@register
class RandomCrop(ImageAugmentation):
    """Crops a `height x width` window at a random offset per image (the course's `random_crop`).

    With `resize=True` the window is resized (bilinear, corner pixels kept) back to the input
    size, so the op zooms in and the output shape equals the input's. Without it, inference
    (`training=False`) takes the window at the centre, so a model sees the crop's size in
    training and at inference, as Keras' `RandomCrop` does.

    Args:
        height: crop height in pixels (the course uses 100).
        width: crop width in pixels (the course uses 100).
        resize: resize each crop back to the input's `(H, W)`.
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `offset`: `(B, 2)` int32 `(top, left)` of each window.

    Raises:
        ValueError: (when applied) if the crop is larger than the images.

    Example:
        >>> RandomCrop(100, 100, seed=123)(tf.zeros([2, 224, 224, 3])).shape
        TensorShape([2, 100, 100, 3])
    """

    def __init__(
        self, height, width, resize=False, value_range=DEFAULT_VALUE_RANGE, seed=None, **kwargs
    ):
        super().__init__(value_range, seed, **kwargs)
        if height < 1 or width < 1:
            raise ValueError(f"crop size must be positive, got {height}x{width}")
        self.height = int(height)
        self.width = int(width)
        self.resize = bool(resize)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = tf.shape(images_of(data))
        batch, image_height, image_width = shape[0], shape[1], shape[2]
        self._check_size(image_height, image_width)
        # Uniform integer offsets in [0, H - h] and [0, W - w], inclusive.
        maxval = tf.stack([image_height - self.height, image_width - self.width]) + 1
        unit = tf.random.stateless_uniform([batch, 2], self.split_seed(seed, 1)[0])
        offset = tf.cast(unit * tf.cast(maxval, tf.float32), tf.int32)
        return {"offset": tf.minimum(offset, maxval - 1)}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images if self.resize else self._centre(images)
        offset = transformation["offset"]
        # Exact pixel copy: gather the window's rows, then its columns, per image.
        rows = offset[:, :1] + tf.range(self.height)[None, :]  # (B, h)
        columns = offset[:, 1:] + tf.range(self.width)[None, :]  # (B, w)
        windows = tf.gather(images, rows, axis=1, batch_dims=1)  # (B, h, W, C)
        windows = tf.gather(windows, columns, axis=2, batch_dims=1)  # (B, h, w, C)
        if not self.resize:
            return windows
        # Corner-aligned bilinear resize: output pixel i reads window pixel i (h - 1) / (H - 1),
        # so the corner pixels stay. (Not `crop_and_resize`: with an unknown batch size grappler
        # cannot cost it and prints an error for every traced graph.)
        resized = tf.raw_ops.ResizeBilinear(
            images=windows, size=tf.shape(images)[1:3], align_corners=True
        )
        return tf.ensure_shape(resized, images.shape)

    def _centre(self, images):
        """The window at the centre of each image (inference)."""
        shape = tf.shape(images)
        self._check_size(shape[1], shape[2])
        top, left = (shape[1] - self.height) // 2, (shape[2] - self.width) // 2
        return images[:, top : top + self.height, left : left + self.width]

    def _check_size(self, image_height, image_width):
        tf.debugging.assert_less_equal(
            tf.stack([self.height, self.width]),
            tf.stack([image_height, image_width]),
            message=f"RandomCrop: {self.height}x{self.width} crop is larger than the images",
        )

    def compute_output_shape(self, input_shape):
        if self.resize:
            return input_shape
        return (input_shape[0], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "resize": self.resize,
        }
