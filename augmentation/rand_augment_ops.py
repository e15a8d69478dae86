"""The RandAugment operations, batched: each takes `(N, H, W, C)` float32 images in [0, scale]
(scale 1 or 255: working in the caller's range saves two passes over the batch), per-image
`magnitude` in [0, 1] and `sign` in {-1, +1} (both `(N,)`), and returns images in [0, scale].

Magnitude 0 is the identity for every op; magnitude 1 is the strongest setting of RandAugment's
reference implementations (PIL-style, as in timm): rotate ±30°, shear ±0.3, translate ±45 % of
the size, enhance factors 1 ± 0.9, posterize down to 4 bits, solarize threshold down to 0.

The geometric ops (rotate, shear, translate) are given as projective transforms so that one warp
call handles every geometric image in a batch, whatever op each image chose.
"""

import math

import tensorflow as tf

GEOMETRIC_OPS = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")
# Geometric ops that move each row as a whole (source pixel (x + dx(y), y + dy(y))): with nearest
# interpolation they take the fast `shift_rows` path instead of a per-pixel gather.
ROW_SHIFT_OPS = ("shear_x", "translate_x", "translate_y")
# Geometric ops that move each column as a whole (source pixel (x + dx, y + dy(x))): with nearest
# interpolation they take `shift_columns`, the transpose of `shift_rows`.
COLUMN_SHIFT_OPS = ("shear_y",)
# Geometric ops whose source pixel is fractional along one axis only (x for these, y for the
# other two): with bilinear interpolation they take `shift_bilinear`, two taps instead of four.
FRACTIONAL_X_OPS = ("shear_x", "translate_x")
FRACTIONAL_Y_OPS = ("shear_y", "translate_y")

# Ops whose random sign picks a direction (rotate left or right, enhance up or down); the others
# ignore the sign, and identity, auto_contrast and equalize the magnitude too.
SIGNED_OPS = (
    "rotate",
    "color",
    "contrast",
    "brightness",
    "sharpness",
    "shear_x",
    "shear_y",
    "translate_x",
    "translate_y",
)
OPS_WITHOUT_MAGNITUDE = ("identity", "auto_contrast", "equalize")

MAX_ROTATE_DEGREES = 30.0
MAX_SHEAR = 0.3
MAX_TRANSLATE = 0.45  # fraction of the image size
MAX_ENHANCE = 0.9  # enhance factors go from 1 - 0.9 to 1 + 0.9
FILL_VALUE = 0.5  # mid-grey for pixels a geometric op brings in from outside
LUMA_WEIGHTS = (0.2989, 0.5870, 0.1140)  # ITU-R BT.601, as `tf.image.rgb_to_grayscale`


def _column(values):
    return tf.reshape(values, [-1, 1, 1, 1])


def clip(images, scale):
    """Clips to [0, scale] in one pass (`tf.clip_by_value` is a minimum and then a maximum)."""
    return tf.raw_ops.ClipByValue(
        t=images,
        clip_value_min=tf.constant(0.0, images.dtype),
        clip_value_max=tf.constant(scale, images.dtype),
    )


def _blend(degenerate, images, factor, scale):
    """PIL ImageEnhance: `degenerate + factor * (images - degenerate)`, clipped to [0, scale];
    computed as `factor * images + (1 - factor) * degenerate`, so that a small `degenerate`
    (a mean, a grey channel) is scaled rather than the whole batch."""
    factor = _column(factor)
    return clip(factor * images + (1.0 - factor) * degenerate, scale)


def _enhance_factor(magnitude, sign):
    return 1.0 + sign * MAX_ENHANCE * magnitude


def _grayscale(images):
    """Luma of RGB images (or the single channel), as `(N, H, W, 1)`."""
    if images.shape[-1] == 3:
        return tf.image.rgb_to_grayscale(images)
    return tf.reduce_mean(images, axis=-1, keepdims=True)


def _rows(images):
    """`(N, H, W, C)` -> `(N, H, W * C)`. On CPU, broadcasting per-channel values against a last
    axis of W * C (see `_per_channel`) is several times faster than against the 4-D layout's C."""
    shape = tf.shape(images)
    return tf.reshape(images, [shape[0], shape[1], shape[2] * shape[3]])


def _per_channel(values, width):
    """Per-channel values `(N, C)` as `(N, 1, W * C)`, to broadcast against `_rows(images)`."""
    return tf.tile(values[:, None, :], [1, 1, width])


def _channel_reduce(reduce, images):
    """`reduce` (e.g. `tf.reduce_max`) per image and channel, `(N, H, W, C)` -> `(N, C)`; over the
    rows first, where the reduced axis is not the innermost (much faster on CPU)."""
    shape = tf.shape(images)
    columns = reduce(_rows(images), axis=1)  # (N, W * C)
    return reduce(tf.reshape(columns, [shape[0], shape[2], shape[3]]), axis=1)


def identity(images, magnitude, sign, scale=1.0):
    return images


def auto_contrast(images, magnitude, sign, scale=1.0):
    """Stretches each channel of each image to span [0, scale] (no magnitude)."""
    low = _channel_reduce(tf.reduce_min, images)  # (N, C)
    span = _channel_reduce(tf.reduce_max, images) - low
    # A flat channel is left alone: scale 1, offset 0.
    stretch = tf.where(span > 0, scale / tf.where(span > 0, span, 1.0), 1.0)
    offset = tf.where(span > 0, -low * stretch, 0.0)
    width = tf.shape(images)[2]
    stretched = _rows(images) * _per_channel(stretch, width) + _per_channel(offset, width)
    # The clip only catches float rounding (1.0000001).
    return clip(tf.reshape(stretched, tf.shape(images)), scale)


def _round_to_int(values):
    """Rounds float32 values with |v| < 2**22 to int32 (half to even), much faster on CPU than
    `tf.cast(tf.round(v), tf.int32)`: adding 1.5 * 2**23 leaves round(v) in the low mantissa
    bits, so a bitcast and one integer subtraction give it.

    Only for values that are not themselves a sum: in a graph, grappler regroups a chain of
    additions (the small operands first), and `(a + b) + 1.5 * 2**23` then rounds `b` early."""
    magic = tf.bitcast(tf.constant(12582912.0, tf.float32), tf.int32)
    return tf.bitcast(values + 12582912.0, tf.int32) - magic


def _levels(images, scale=1.0):
    """`round(255 x / scale)` as int32 for x in [0, scale]."""
    return _round_to_int(images if scale == 255.0 else images * (255.0 / scale))


def equalize(images, magnitude, sign, scale=1.0):
    """Histogram equalisation per image and channel on 256 levels, as PIL's `ImageOps.equalize`."""
    shape = tf.shape(images)
    n, width, channels = shape[0], shape[2], shape[3]
    pixels = shape[1] * shape[2]
    rows = clip(_rows(images), scale)  # (N, H, W * C)
    if scale != 255.0:
        rows = rows * (255.0 / scale)
    # Row (image, channel) r owns histogram bins [256 r, 256 r + 256): one flat bincount. The
    # bin id round(level) + 256 r comes from `_round_to_int`'s trick with r folded into its
    # integer subtraction (one pass instead of two).
    magic = tf.bitcast(tf.constant(12582912.0, tf.float32), tf.int32)
    row_offset = tf.reshape(tf.range(n * channels) * 256, [n, channels])
    ids = tf.bitcast(rows + 12582912.0, tf.int32) - (magic - _per_channel(row_offset, width))
    # Every id is in [0, n * channels * 256): the histogram's size is known, so no reduce_max
    # over the data (as tf.math.bincount makes to size its output).
    histogram = tf.raw_ops.DenseBincount(
        input=tf.reshape(ids, [-1]), size=n * channels * 256, weights=tf.zeros([0], tf.int32)
    )
    histogram = tf.reshape(histogram, [n * channels, 256])
    # PIL: step = (pixels - count of the highest level present) // 255.
    top_level = tf.reduce_max(tf.where(histogram > 0, tf.range(256)[None, :], 0), axis=1)
    top_count = tf.gather(histogram, top_level, batch_dims=1)
    step = (pixels - top_count) // 255
    safe_step = tf.maximum(step, 1)[:, None]
    lut = (tf.cumsum(histogram, axis=1, exclusive=True) + safe_step // 2) // safe_step
    lut = tf.clip_by_value(lut, 0, 255)
    lut = tf.where(step[:, None] > 0, lut, tf.range(256)[None, :])  # a flat channel: identity
    # Every row's table applied with one flat gather, in the image layout.
    lut = tf.minimum(tf.cast(tf.reshape(lut, [-1]), tf.float32) * (scale / 255.0), scale)
    return tf.reshape(tf.gather(lut, ids), shape)


def solarize(images, magnitude, sign, scale=1.0):
    """Inverts pixels at or above a threshold that falls from past-white (m=0) to 0 (m=1)."""
    threshold = ((256.0 - 256.0 * magnitude) * (scale / 255.0))[:, None]  # (N, 1)
    # One image a row: `tf.where` broadcasts an (N, 1) threshold fast, a 4-D one slowly.
    flat = tf.reshape(images, [tf.shape(images)[0], -1])
    return tf.reshape(tf.where(flat >= threshold, scale - flat, flat), tf.shape(images))


def posterize(images, magnitude, sign, scale=1.0):
    """Keeps `8 - round(4 m)` bits per channel (8 bits: unchanged)."""
    bits = 8 - tf.cast(tf.round(4.0 * magnitude), tf.int32)
    step = _column(tf.cast(tf.bitwise.left_shift(1, 8 - bits), tf.float32))
    levels = tf.cast(_levels(clip(images, scale), scale), tf.float32)
    posterized = tf.minimum(tf.floor(levels / step) * step * (scale / 255.0), scale)
    changed = _column(tf.cast(bits < 8, images.dtype))
    return images + changed * (posterized - images)


def color(images, magnitude, sign, scale=1.0):
    """Saturation: blends with the grayscale image (PIL `ImageEnhance.Color`)."""
    factor = _enhance_factor(magnitude, sign)
    if images.shape[-1] != 3:
        return _blend(_grayscale(images), images, factor, scale)
    # For RGB the blend is linear in each pixel's (r, g, b): out_c = sum_k in_k M[k, c] with
    # M = factor I + (1 - factor) luma 1^T, one 3x3 matrix per image. One batched matmul is a
    # single pass over the batch (2.5 times faster on CPU than a grey image and a blend).
    luma = tf.constant(LUMA_WEIGHTS)[None, :, None]  # (1, 3, 1): row k weighs channel k
    mixing = factor[:, None, None] * tf.eye(3)[None] + (1.0 - factor)[:, None, None] * luma
    shape = tf.shape(images)
    pixels = tf.reshape(images, [shape[0], -1, 3])  # (N, H * W, 3)
    return clip(tf.reshape(tf.matmul(pixels, mixing), shape), scale)


def contrast(images, magnitude, sign, scale=1.0):
    """Blends with the image's mean grey level (PIL `ImageEnhance.Contrast`)."""
    # The mean luma is the luma of the channel means: no grey image needed.
    channel_means = _channel_reduce(tf.reduce_mean, images)  # (N, C)
    mean = tf.reshape(_grayscale(channel_means[:, None, None, :]), [-1, 1, 1, 1])
    return _blend(mean, images, _enhance_factor(magnitude, sign), scale)


def brightness(images, magnitude, sign, scale=1.0):
    """Blends with black (PIL `ImageEnhance.Brightness`)."""
    return clip(images * _column(_enhance_factor(magnitude, sign)), scale)


def sharpness(images, magnitude, sign, scale=1.0):
    """Blends with PIL's SMOOTH-filtered image (3x3 kernel [[1,1,1],[1,5,1],[1,1,1]] / 13); the
    1-pixel border stays as it is."""
    shape = tf.shape(images)
    return tf.cond(
        tf.minimum(shape[1], shape[2]) >= 3,
        lambda: _blend(_smoothed(images), images, _enhance_factor(magnitude, sign), scale),
        lambda: images,  # too small to have an interior
    )


def _smoothed(images):
    # The 3x3 box sum from shifted slices (much faster on CPU than a depthwise convolution).
    rows = images[:, :-2] + images[:, 1:-1] + images[:, 2:]  # (N, H-2, W, C)
    box = rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]  # (N, H-2, W-2, C)
    smooth = (box + 4.0 * images[:, 1:-1, 1:-1]) / 13.0
    degenerate = tf.pad(smooth - images[:, 1:-1, 1:-1], [[0, 0], [1, 1], [1, 1], [0, 0]])
    return images + degenerate  # the interior smoothed, the border the image itself


NON_GEOMETRIC_OPS = {
    "identity": identity,
    "auto_contrast": auto_contrast,
    "equalize": equalize,
    "solarize": solarize,
    "posterize": posterize,
    "color": color,
    "contrast": contrast,
    "brightness": brightness,
    "sharpness": sharpness,
}


def geometric_transforms(op_index, magnitude, sign, height, width):
    """Per-image projective transforms for the geometric ops, identity for the rest.

    Args:
        op_index: `(N,)` int32, index into `GEOMETRIC_OPS` (any other value gives the identity).
        magnitude, sign: `(N,)` float32.
        height, width: image size (scalars).

    Returns:
        `(N, 8)` float32 transforms `[a0, a1, a2, b0, b1, b2, 0, 0]` mapping each output pixel
        (x, y) to the input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2), as
        `ImageProjectiveTransformV3` expects.
    """
    height = tf.cast(height, tf.float32)
    width = tf.cast(width, tf.float32)
    center_x, center_y = (width - 1.0) / 2.0, (height - 1.0) / 2.0
    amount = sign * magnitude
    zero, one = tf.zeros_like(amount), tf.ones_like(amount)

    angle = amount * (MAX_ROTATE_DEGREES * math.pi / 180.0)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Rotation about the centre: input = R (output - centre) + centre.
    rotate = [
        cos,
        -sin,
        center_x - cos * center_x + sin * center_y,
        sin,
        cos,
        center_y - sin * center_x - cos * center_y,
    ]
    shear = amount * MAX_SHEAR
    shear_x = [one, shear, -shear * center_y, zero, one, zero]
    shear_y = [one, zero, zero, shear, one, -shear * center_x]
    shift = amount * MAX_TRANSLATE
    translate_x = [one, zero, -shift * width, zero, one, zero]
    translate_y = [one, zero, zero, zero, one, -shift * height]
    identity_transform = [one, zero, zero, zero, one, zero]

    candidates = [rotate, shear_x, shear_y, translate_x, translate_y]
    transform = tf.stack(identity_transform, axis=1)  # (N, 6)
    for index, candidate in enumerate(candidates):
        chosen = tf.equal(op_index, index)[:, None]
        transform = tf.where(chosen, tf.stack(candidate, axis=1), transform)
    return tf.concat([transform, tf.zeros_like(transform[:, :2])], axis=1)


def shift_rows(images, transforms, scale=1.0):
    """Nearest-neighbour warp for transforms that shift whole rows (`ROW_SHIFT_OPS`).

    Output row y of image n is input row `y + round(b2)`, shifted by `round(a1 y + a2)` columns
    (the offsets are rounded per row, so every row moves rigidly); pixels from outside are
    mid-grey. One XLA kernel per image fuses the offsets, the gather and the fill into a single
    pass: as fast on CPU as one `crop_and_resize` with a box per row, about twice as fast as
    `warp`'s per-pixel gather, and, unlike `crop_and_resize` on a batch of unknown size, quiet in
    grappler's cost model (which prints an error for every traced graph it cannot cost).

    Args:
        images: `(N, H, W, C)` float32 in [0, scale].
        transforms: `(N, 8)` from `geometric_transforms`, with a0 = b1 = 1 and b0 = 0.
        scale: the images' range is [0, scale] (the fill is mid-grey of it).

    Returns:
        `(N, H, W, C)` float32.
    """
    fill = FILL_VALUE * scale

    def one_image(args):
        image, transform = args
        return _shift_rows_kernel(image[None], transform[None], fill)[0]

    shifted = tf.map_fn(
        one_image, (images, transforms), fn_output_signature=tf.float32, parallel_iterations=1
    )
    return tf.reshape(shifted, tf.shape(images))  # map_fn over no images loses the image shape


@tf.function(jit_compile=True, reduce_retracing=True)
def _shift_rows_kernel(images, transforms, fill):
    shape = tf.shape(images)
    n, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    y = tf.range(height)[None, :]  # (1, H)
    # tf.round: `_round_to_int` cannot take a sum (see there); in XLA the round is fused anyway.
    shift_x = tf.cast(
        tf.round(transforms[:, 1, None] * tf.cast(y, tf.float32) + transforms[:, 2, None]),
        tf.int32,
    )  # (N, H)
    source_y = y + tf.cast(tf.round(transforms[:, 5, None]), tf.int32)  # (N, H)
    source_x = tf.range(width)[None, None, :] + shift_x[:, :, None]  # (N, H, W)
    inside = ((source_y >= 0) & (source_y < height))[:, :, None] & (
        (source_x >= 0) & (source_x < width)
    )
    row = tf.range(n)[:, None] * height + tf.clip_by_value(source_y, 0, height - 1)  # (N, H)
    index = row[:, :, None] * width + tf.clip_by_value(source_x, 0, width - 1)  # (N, H, W)
    pixels = tf.gather(tf.reshape(images, [-1, channels]), index)  # (N, H, W, C)
    return tf.where(inside[..., None], pixels, fill)


def shift_columns(images, transforms, scale=1.0):
    """Nearest-neighbour warp for transforms that shift whole columns (`COLUMN_SHIFT_OPS`):
    `shift_rows` on the transposed images (two transposes and a row shift cost about two thirds
    of `warp`'s per-pixel gather on CPU).

    Args:
        images: `(N, H, W, C)` float32 in [0, scale].
        transforms: `(N, 8)` from `geometric_transforms`, with a0 = b1 = 1 and a1 = 0.
        scale: the images' range is [0, scale] (the fill is mid-grey of it).

    Returns:
        `(N, H, W, C)` float32.
    """
    # Output (x, y) reads input (x + a2, y + b0 x + b2); transposed, row x reads row x + a2
    # shifted by b0 x + b2 columns: the row-shift transform [1, b0, b2, 0, 1, a2].
    one, zero = tf.ones_like(transforms[:, 0]), tf.zeros_like(transforms[:, 0])
    transposed = tf.stack(
        [one, transforms[:, 3], transforms[:, 5], zero, one, transforms[:, 2], zero, zero], axis=1
    )
    shifted = shift_rows(tf.transpose(images, [0, 2, 1, 3]), transposed, scale)
    return tf.transpose(shifted, [0, 2, 1, 3])


def shift_bilinear(images, transforms, along_x, scale=1.0):
    """Bilinear warp for the shear and translate transforms, equal (to float rounding) to
    `warp(images, transforms, "bilinear", scale)` and about three times faster on CPU.

    For these transforms each output pixel's source is an integer along one axis, so two taps
    (not four) interpolate it: along x for shear_x / translate_x, along y for shear_y /
    translate_y. One XLA kernel per image fuses the coordinates, the two gathers and the blend
    into a single pass; images go through it one at a time, so it compiles once per image size
    rather than once per number of images (which changes from batch to batch).

    Args:
        images: `(N, H, W, C)` float32 in [0, scale].
        transforms: `(N, 8)` from `geometric_transforms`, of the ops above.
        along_x: `(N,)` bool, True where the source is fractional in x (shear_x, translate_x),
            False where it is fractional in y (shear_y, translate_y).
        scale: the images' range is [0, scale] (the fill is mid-grey of it).

    Returns:
        `(N, H, W, C)` float32 in [0, scale].
    """
    fill = FILL_VALUE * scale

    def one_image(args):
        image, transform, x_axis = args
        return _shift_bilinear_kernel(image[None], transform[None], x_axis[None], fill, scale)[0]

    warped = tf.map_fn(
        one_image,
        (images, transforms, along_x),
        fn_output_signature=tf.float32,
        parallel_iterations=1,
    )
    return tf.reshape(warped, tf.shape(images))  # map_fn over no images loses the image shape


@tf.function(jit_compile=True, reduce_retracing=True)
def _shift_bilinear_kernel(images, transforms, along_x, fill, scale):
    # As ImageProjectiveTransformV3 (BILINEAR, CONSTANT): a tap outside the image reads `fill`.
    shape = tf.shape(images)
    n, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    x = tf.cast(tf.range(width), tf.float32)[None, None, :]  # (1, 1, W)
    y = tf.cast(tf.range(height), tf.float32)[None, :, None]  # (1, H, 1)
    t = [transforms[:, i, None, None] for i in range(6)]  # each (N, 1, 1)
    source_x = t[0] * x + t[1] * y + t[2]  # (N, H, W)
    source_y = t[3] * x + t[4] * y + t[5]
    x_axis = along_x[:, None, None]
    # The integral coordinate is rounded (it is an integer up to float error), the fractional
    # one floored; the second tap is one pixel further along the fractional axis.
    first_x = tf.where(x_axis, tf.floor(source_x), tf.round(source_x))
    first_y = tf.where(x_axis, tf.round(source_y), tf.floor(source_y))
    weight = tf.where(x_axis, source_x - first_x, source_y - first_y)[..., None]  # (N, H, W, 1)
    first_x, first_y = tf.cast(first_x, tf.int32), tf.cast(first_y, tf.int32)
    step_x = tf.cast(x_axis, tf.int32)
    table = tf.reshape(images, [-1, channels])
    image_row = tf.range(n)[:, None, None] * height  # (N, 1, 1)

    def tap(tap_y, tap_x):
        inside = (tap_x >= 0) & (tap_x < width) & (tap_y >= 0) & (tap_y < height)
        index = (image_row + tf.clip_by_value(tap_y, 0, height - 1)) * width + tf.clip_by_value(
            tap_x, 0, width - 1
        )
        return tf.where(inside[..., None], tf.gather(table, index), fill)

    blended = (1.0 - weight) * tap(first_y, first_x) + weight * tap(
        first_y + 1 - step_x, first_x + step_x
    )
    return tf.clip_by_value(blended, 0.0, scale)  # interpolation can round past the range


def warp(images, transforms, interpolation="nearest", scale=1.0):
    """Applies one affine transform per image; pixels from outside the image are mid-grey.

    Args:
        images: `(N, H, W, C)` float32.
        transforms: `(N, 8)` from `geometric_transforms`.
        scale: the images' range is [0, scale] (the fill is mid-grey of it).
        interpolation: `"nearest"` (as TensorFlow's reference AutoAugment/RandAugment code: one
            flat gather, several times faster on CPU) or `"bilinear"`
            (`ImageProjectiveTransformV3`, smoother).

    Returns:
        `(N, H, W, C)` float32.
    """
    if interpolation == "bilinear":
        warped = tf.raw_ops.ImageProjectiveTransformV3(
            images=images,
            transforms=transforms,
            output_shape=tf.shape(images)[1:3],
            fill_value=FILL_VALUE * scale,
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )
        return clip(warped, scale)  # interpolation can round past the range
    shape = tf.shape(images)
    n, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    x = tf.cast(tf.range(width), tf.float32)[None, None, :]  # (1, 1, W)
    y = tf.cast(tf.range(height), tf.float32)[None, :, None]  # (1, H, 1)
    t = [transforms[:, i, None, None] for i in range(6)]  # each (N, 1, 1)
    # tf.round: these are sums, which `_round_to_int` cannot take (see there).
    source_x = tf.cast(tf.round(t[0] * x + t[1] * y + t[2]), tf.int32)  # (N, H, W)
    source_y = tf.cast(tf.round(t[3] * x + t[4] * y + t[5]), tf.int32)
    inside = (source_x >= 0) & (source_x < width) & (source_y >= 0) & (source_y < height)
    pixels = n * height * width
    flat_index = (tf.range(n)[:, None, None] * height + source_y) * width + source_x
    # Pixels from outside point at one extra fill pixel appended to the table.
    flat_index = tf.where(inside, flat_index, pixels)
    table = tf.concat(
        [tf.reshape(images, [-1, channels]), tf.fill([1, channels], FILL_VALUE * scale)], axis=0
    )
    return tf.reshape(tf.gather(table, tf.reshape(flat_index, [-1])), shape)
