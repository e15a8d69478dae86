"""RandAugment: `num_ops` operations per image, each picked at random per image, at one
magnitude."""

import tensorflow as tf

from augmentation import rand_augment_ops as ops_lib
from augmentation.base import DEFAULT_VALUE_RANGE, ImageAugmentation, images_of, register

# The RandAugment paper's list (Cubuk et al., 2020), identity included.
DEFAULT_OPS = (
    "identity",
    "auto_contrast",
    "equalize",
    "rotate",
    "solarize",
    "color",
    "posterize",
    "contrast",
    "brightness",
    "sharpness",
    "shear_x",
    "shear_y",
    "translate_x",
    "translate_y",
)
# The ten operations of `keras_cv.layers.RandAugment`, for like-for-like comparisons.
KERAS_CV_OPS = (
    "auto_contrast",
    "equalize",
    "solarize",
    "color",
    "contrast",
    "brightness",
    "shear_x",
    "shear_y",
    "translate_x",
    "translate_y",
)
_DISPATCHES = ("partition", "select")
# Fast nearest-neighbour paths for geometric ops that move whole rows or whole columns.
_SHIFT_GROUPS = {"shift_rows": ops_lib.shift_rows, "shift_columns": ops_lib.shift_columns}


def _geometric_group(name, interpolation):
    """The partition group of geometric op `name`: a shift group when it has one, else `"warp"`."""
    if interpolation == "nearest" and name in ops_lib.ROW_SHIFT_OPS:
        return "shift_rows"
    if interpolation == "nearest" and name in ops_lib.COLUMN_SHIFT_OPS:
        return "shift_columns"
    if interpolation == "bilinear" and (
        name in ops_lib.FRACTIONAL_X_OPS or name in ops_lib.FRACTIONAL_Y_OPS
    ):
        return "shift_bilinear"
    return "warp"


@register
class RandAugment(ImageAugmentation):
    """RandAugment (Cubuk et al., 2020): each image gets `num_ops` ops drawn uniformly (with
    replacement) from `ops`, one after another, each at magnitude `magnitude`.

    The ops (see `augmentation.rand_augment_ops` for their exact definitions) work on [0, 1]
    internally: identity, auto_contrast, equalize, rotate (±30°), solarize, color, posterize
    (8 → 4 bits), contrast, brightness, sharpness (enhance factors 1 ± 0.9 m), shear_x / shear_y
    (±0.3), translate_x / translate_y (±45 % of the size). Signed ops pick a random direction.

    Vectorised per layer of ops: `dispatch="partition"` (default) splits the batch by chosen op,
    runs each op once on just its images and stitches the batch back. The geometric ops take
    three calls with nearest interpolation (`shift_rows`' one-tap XLA kernel for shear_x /
    translate_x / translate_y, the same on the transposed images for shear_y, one warp for
    rotate) and two with bilinear (`shift_bilinear`'s two-tap XLA kernel for the shears and
    translations, `ImageProjectiveTransformV3` for rotate). `dispatch="select"` runs every
    op on the whole batch and selects per image (simple and several times slower: the reference
    the tests check "partition" against).

    Args:
        num_ops: operations per image (the paper's N).
        magnitude: strength in [0, 1] (the paper's M / 30; keras_cv's `magnitude`).
        magnitude_stddev: per-image magnitudes ~ N(magnitude, stddev) clipped to [0, 1];
            0 (the paper) uses `magnitude` for every image. keras_cv defaults to 0.15.
        ops: names of the ops to choose from (default `DEFAULT_OPS`; `KERAS_CV_OPS` matches
            keras_cv's list).
        dispatch: `"partition"` or `"select"`, see above.
        interpolation: for the geometric ops, `"nearest"` (TensorFlow's reference RandAugment;
            fast: shear_x / translate_x / translate_y move each row by a rounded offset, shear_y
            each column, rotate is one gather) or `"bilinear"` (smoother; what keras_cv and
            Keras use; 15-20 % more time than nearest with keras_cv's ops).
        value_range: `(low, high)` of the float images.
        seed: seeds the layer's own generator (used when a call passes no seed).
        **kwargs: Keras layer arguments (`name`, `dtype`).

    Transformation: `op_index` `(B, num_ops)` int32 into `ops`; `magnitude` `(B, num_ops)` float32;
        `sign` `(B, num_ops)` float32 in {-1, +1}.

    Example:
        >>> augment = RandAugment(num_ops=2, magnitude=0.5, value_range=(0, 255), seed=1)
        >>> augment(tf.zeros([8, 224, 224, 3])).shape
        TensorShape([8, 224, 224, 3])
    """

    def __init__(
        self,
        num_ops=2,
        magnitude=0.5,
        magnitude_stddev=0.0,
        ops=DEFAULT_OPS,
        dispatch="partition",
        interpolation="nearest",
        value_range=DEFAULT_VALUE_RANGE,
        seed=None,
        **kwargs,
    ):
        super().__init__(value_range, seed, **kwargs)
        known = set(ops_lib.NON_GEOMETRIC_OPS) | set(ops_lib.GEOMETRIC_OPS)
        unknown = [name for name in ops if name not in known]
        if unknown or not ops:
            raise ValueError(f"unknown RandAugment ops {unknown}; choose from {sorted(known)}")
        if num_ops < 0:
            raise ValueError(f"num_ops must be >= 0, got {num_ops}")
        if not 0.0 <= magnitude <= 1.0 or magnitude_stddev < 0:
            raise ValueError(
                f"need magnitude in [0, 1] and stddev >= 0, got {magnitude}, {magnitude_stddev}"
            )
        if dispatch not in _DISPATCHES:
            raise ValueError(f"dispatch must be one of {_DISPATCHES}, got {dispatch!r}")
        self.num_ops = int(num_ops)
        self.magnitude = float(magnitude)
        self.magnitude_stddev = float(magnitude_stddev)
        self.ops = tuple(ops)
        self.dispatch = dispatch
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"interpolation must be 'nearest' or 'bilinear', got {interpolation!r}"
            )
        self.interpolation = interpolation
        # Index into GEOMETRIC_OPS for each op (-1: not geometric), and the op's group for
        # partitioning: one group per non-geometric op, one for the row-shift ops and one for the
        # column-shift ops (nearest interpolation only), one for the rest (a general warp).
        self._geometric_index = [
            ops_lib.GEOMETRIC_OPS.index(name) if name in ops_lib.GEOMETRIC_OPS else -1
            for name in self.ops
        ]
        group_of_name = {name: name for name in self.ops if name in ops_lib.NON_GEOMETRIC_OPS}
        for name in self.ops:
            if name in ops_lib.GEOMETRIC_OPS:
                group_of_name[name] = _geometric_group(name, interpolation)
        self._groups = sorted(set(group_of_name.values()))
        self._fractional_x = [name in ops_lib.FRACTIONAL_X_OPS for name in self.ops]
        self._group_of_op = [self._groups.index(group_of_name[name]) for name in self.ops]

    def get_random_transformation(self, data, training=True, seed=None):
        shape = [tf.shape(images_of(data))[0], self.num_ops]
        seeds = self.split_seed(seed, 3)
        op_index = tf.random.stateless_uniform(shape, seeds[0], 0, len(self.ops), dtype=tf.int32)
        magnitude = self.magnitude + self.magnitude_stddev * tf.random.stateless_normal(
            shape, seeds[1]
        )
        sign = tf.where(tf.random.stateless_uniform(shape, seeds[2]) < 0.5, -1.0, 1.0)
        return {
            "op_index": op_index,
            "magnitude": tf.clip_by_value(magnitude, 0.0, 1.0),
            "sign": sign,
        }

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        low, high = self.value_range
        # The ops work in [0, scale]: in place for (0, 255) or (0, 1) images; other ranges are
        # mapped to [0, 1] and back. Every op maps [0, scale] into [0, scale].
        scale = high if low == 0 else 1.0
        if low != 0:
            images = tf.clip_by_value((images - low) / (high - low), 0.0, 1.0)
        for layer in range(self.num_ops):
            args = (
                transformation["op_index"][:, layer],
                transformation["magnitude"][:, layer],
                transformation["sign"][:, layer],
                scale,
            )
            if self.dispatch == "partition":
                images = self._apply_partitioned(images, *args)
            else:
                images = self._apply_selected(images, *args)
        return images if low == 0 else images * (high - low) + low

    def _run_group(self, name, images, op_index, magnitude, sign, scale):
        """Runs group `name` (an op, `"shift_rows"`, `"shift_columns"`, `"shift_bilinear"` or
        `"warp"`) on every image given."""
        if name in ops_lib.NON_GEOMETRIC_OPS:
            return ops_lib.NON_GEOMETRIC_OPS[name](images, magnitude, sign, scale)
        geometric_index = tf.gather(tf.constant(self._geometric_index, tf.int32), op_index)
        shape = tf.shape(images)
        transforms = ops_lib.geometric_transforms(
            geometric_index, magnitude, sign, shape[1], shape[2]
        )
        if name == "warp":
            return ops_lib.warp(images, transforms, self.interpolation, scale)
        if name == "shift_bilinear":
            along_x = tf.gather(tf.constant(self._fractional_x), op_index)
            return ops_lib.shift_bilinear(images, transforms, along_x, scale)
        return _SHIFT_GROUPS[name](images, transforms, scale)

    def _apply_partitioned(self, images, op_index, magnitude, sign, scale):
        group = tf.gather(tf.constant(self._group_of_op, tf.int32), op_index)  # (B,)
        positions = tf.dynamic_partition(tf.range(tf.shape(images)[0]), group, len(self._groups))
        outputs = []
        for name, indices in zip(self._groups, positions, strict=True):
            subset = tf.gather(images, indices)
            outputs.append(
                self._run_group(
                    name,
                    subset,
                    tf.gather(op_index, indices),
                    tf.gather(magnitude, indices),
                    tf.gather(sign, indices),
                    scale,
                )
            )
        stitched = tf.dynamic_stitch(positions, outputs)
        return tf.ensure_shape(stitched, images.shape)

    def _apply_selected(self, images, op_index, magnitude, sign, scale):
        group = tf.gather(tf.constant(self._group_of_op, tf.int32), op_index)  # (B,)
        output = images
        for index, name in enumerate(self._groups):
            if name == "identity":
                continue
            chosen = tf.reshape(tf.equal(group, index), [-1, 1, 1, 1])
            candidate = self._run_group(name, images, op_index, magnitude, sign, scale)
            output = tf.where(chosen, candidate, output)
        return output

    def get_config(self):
        return {
            **super().get_config(),
            "num_ops": self.num_ops,
            "magnitude": self.magnitude,
            "magnitude_stddev": self.magnitude_stddev,
            "ops": list(self.ops),
            "dispatch": self.dispatch,
            "interpolation": self.interpolation,
        }
