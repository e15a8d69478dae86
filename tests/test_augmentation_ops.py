"""Keras-style tests for each image op: shape/dtype, inference no-op, injected params give an exact
result, works inside tf.data, and a seed reproduces a batch."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageEnhance, ImageOps

import augmentation as aug
from augmentation import rand_augment_ops as ra_ops
from augmentation.gaussian_blur import gaussian_kernel_1d


def _images(batch=4, height=16, width=16, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (batch, height, width, 3)).astype("float32")


# Every op with a constructor that suits 16x16 images; the same-size ops first.
OPS = {
    "flip": lambda: aug.RandomFlip("horizontal_and_vertical"),
    "crop": lambda: aug.RandomCrop(10, 12),
    "crop_resize": lambda: aug.RandomCrop(10, 12, resize=True),
    "contrast": lambda: aug.RandomContrast(0.4, 0.6),
    "brightness": lambda: aug.RandomBrightness(0.8),
    "hue": lambda: aug.RandomHue(0.1),
    "rot90": lambda: aug.RandomRot90((0, 1, 2, 3)),
    "blur": lambda: aug.GaussianBlur(5, (0.5, 2.0)),
    "erasing": lambda: aug.RandomErasing(rate=1.0),
    "randaugment": lambda: aug.RandAugment(2, 0.5),
    "mixup": lambda: aug.MixUp(0.4),
    "cutmix": lambda: aug.CutMix(1.0),
}


def _expected_shape(name, images):
    return (images.shape[0], 10, 12, 3) if name == "crop" else images.shape


@pytest.mark.parametrize("name", OPS)
def test_shape_dtype_and_range(name):
    images = _images()
    out = OPS[name]()(images, seed=1)
    assert out.dtype == tf.float32
    assert out.shape == _expected_shape(name, images)
    assert np.all(np.isfinite(out)) and out.numpy().min() >= 0.0 and out.numpy().max() <= 1.0


@pytest.mark.parametrize("name", OPS)
def test_inference_is_a_no_op(name):
    images = _images()
    np.testing.assert_array_equal(OPS[name]()(images, training=False), images)
    labels = np.eye(4, dtype="float32")
    out_images, out_labels = OPS[name]()(images, labels, training=False)
    np.testing.assert_array_equal(out_images, images)
    assert out_labels is labels
    # uint8 comes back as in training: float32 in the value range, not uint8.
    as_uint8 = (images * 255).round().astype("uint8")
    out = OPS[name]()(as_uint8, training=False)
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out, as_uint8 / 255.0, atol=1e-6)


@pytest.mark.parametrize("name", OPS)
def test_seed_reproduces_the_batch_and_changes_it(name):
    op = OPS[name]()
    images = _images(batch=8)
    first, again, other = op(images, seed=3), op(images, seed=3), op(images, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", OPS)
def test_works_inside_tf_data_map(name):
    op = OPS[name]()
    dataset = tf.data.Dataset.from_tensor_slices(_images(batch=6)).batch(3)
    dataset = dataset.map(lambda x: op(x, seed=[1, 2]), num_parallel_calls=tf.data.AUTOTUNE)
    shapes = [tuple(batch.shape) for batch in dataset]
    assert shapes == [_expected_shape(name, np.zeros((3, 16, 16, 3)))] * 2


@pytest.mark.parametrize("name", ["contrast", "brightness", "rot90", "randaugment"])
def test_uint8_is_rescaled_into_the_value_range(name):
    images = (_images() * 255).astype("uint8")
    op = OPS[name]()
    out = op(images, seed=1)
    assert out.dtype == tf.float32 and out.numpy().max() <= 1.0
    # Same params on the float version of the batch: same result.
    params = op.sample(tf.shape(images), 1)
    np.testing.assert_allclose(out, op.apply(images.astype("float32") / 255, params), atol=1e-6)


def test_value_range_0_255():
    images = _images() * 255
    out = aug.RandomBrightness(0.5, value_range=(0, 255))(images, seed=1).numpy()
    assert out.max() <= 255 and out.max() > 1


# --- injected parameters give an exact result ----------------------------------------------


def test_flip_exact():
    images = _images(batch=3)
    params = {
        "flip_horizontal": tf.constant([True, False, True]),
        "flip_vertical": tf.constant([False, False, True]),
    }
    out = aug.RandomFlip("horizontal_and_vertical").apply(images, params).numpy()
    np.testing.assert_array_equal(out[0], images[0, :, ::-1])
    np.testing.assert_array_equal(out[1], images[1])
    np.testing.assert_array_equal(out[2], images[2, ::-1, ::-1])


def test_flip_rate_zero_and_one():
    images = _images()
    np.testing.assert_array_equal(aug.RandomFlip(rate=0.0)(images, seed=1), images)
    np.testing.assert_array_equal(aug.RandomFlip(rate=1.0)(images, seed=1), images[:, :, ::-1])


def test_crop_exact():
    images = _images(batch=2, height=16, width=20)
    params = {"offset": tf.constant([[1, 2], [6, 8]])}
    out = aug.RandomCrop(10, 12).apply(images, params).numpy()
    np.testing.assert_array_equal(out[0], images[0, 1:11, 2:14])
    np.testing.assert_array_equal(out[1], images[1, 6:16, 8:20])


def test_crop_offsets_cover_every_position():
    params = aug.RandomCrop(14, 14).sample([2000, 16, 16, 3], 0)["offset"].numpy()
    assert set(params.ravel()) == {0, 1, 2}


def test_crop_resize_of_the_full_image_is_the_image():
    images = _images()
    out = aug.RandomCrop(16, 16, resize=True).apply(images, {"offset": tf.zeros([4, 2], tf.int32)})
    np.testing.assert_allclose(out, images, atol=1e-5)


def test_crop_larger_than_image_fails_clearly():
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger than the images"):
        aug.RandomCrop(20, 20)(_images(), seed=1)


def test_contrast_exact_and_matches_tf_image():
    images = _images(batch=2)
    params = {"factor": tf.constant([0.5, 0.4])}
    out = aug.RandomContrast().apply(images, params).numpy()
    mean = images.mean(axis=(1, 2), keepdims=True)
    expected = np.clip((images - mean) * np.array([0.5, 0.4])[:, None, None, None] + mean, 0, 1)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    np.testing.assert_allclose(out[0], tf.image.adjust_contrast(images[0], 0.5), atol=1e-6)


def test_brightness_exact():
    images = _images(batch=2)
    out = aug.RandomBrightness().apply(images, {"delta": tf.constant([0.25, -0.5])}).numpy()
    np.testing.assert_allclose(out[0], np.clip(images[0] + 0.25, 0, 1), atol=1e-7)
    np.testing.assert_allclose(out[1], np.clip(images[1] - 0.5, 0, 1), atol=1e-7)


def test_hue_matches_tf_image_adjust_hue():
    images = _images(batch=2)
    deltas = [0.1, -0.07]
    out = aug.RandomHue().apply(images, {"delta": tf.constant(deltas)}).numpy()
    for image, delta, result in zip(images, deltas, out, strict=True):
        np.testing.assert_allclose(result, tf.image.adjust_hue(image, delta), atol=1e-5)


def test_rot90_exact_per_image():
    images = _images()
    out = aug.RandomRot90((0, 1, 2, 3)).apply(images, {"k": tf.constant([0, 1, 2, 3])}).numpy()
    for k in range(4):
        np.testing.assert_array_equal(out[k], np.rot90(images[k], k, axes=(0, 1)))


def test_gaussian_kernel_is_the_course_formula():
    sigma, size = 1.3, 7
    taps = gaussian_kernel_1d(tf.constant([sigma]), size).numpy()[0]
    x = np.arange(size) - size // 2
    xx, yy = np.meshgrid(x, x)
    course = np.exp(-(xx**2 + yy**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
    np.testing.assert_allclose(np.outer(taps, taps), course / course.sum(), rtol=1e-5)


def test_gaussian_blur_exact_against_numpy():
    images = _images(batch=2, height=9, width=11)
    sigmas = [0.8, 2.0]
    out = aug.GaussianBlur(5).apply(images, {"sigma": tf.constant(sigmas)}).numpy()
    for image, sigma, result in zip(images, sigmas, out, strict=True):
        taps = np.exp(-(np.arange(-2, 3) ** 2) / (2 * sigma**2))
        taps /= taps.sum()
        padded = np.pad(image, ((2, 2), (2, 2), (0, 0)), mode="edge")
        rows = sum(taps[i] * padded[i : i + 9] for i in range(5))
        expected = sum(taps[j] * rows[:, j : j + 11] for j in range(5))
        np.testing.assert_allclose(result, expected, atol=1e-5)


def test_random_erasing_exact():
    images = _images(batch=2)
    params = {
        "erase": tf.constant([True, False]),
        "box": tf.constant([[2, 3, 4, 5]] * 2),
        "fill": tf.constant([0.7, 0.2])[:, None, None, None],
    }
    out = aug.RandomErasing().apply(images, params).numpy()
    expected = images[0].copy()
    expected[2:6, 3:8] = 0.7
    np.testing.assert_allclose(out[0], expected)
    np.testing.assert_array_equal(out[1], images[1])


def test_random_erasing_boxes_follow_the_course_parameters():
    params = aug.RandomErasing(0.5, (0.02, 0.4), (0.2, 0.8)).sample([4000, 32, 32, 3], 7)
    box, erase = params["box"].numpy(), params["erase"].numpy()
    assert 0.45 < erase.mean() < 0.55
    area = box[:, 2] * box[:, 3] / 32**2
    assert area.max() <= 0.4 + 1e-6 and np.median(area) > 0.02
    assert np.all(box[:, 0] + box[:, 2] <= 32) and np.all(box[:, 1] + box[:, 3] <= 32)
    fill = params["fill"].numpy().ravel()
    assert fill.shape == (4000,) and 0 <= fill.min() and fill.max() <= 1


def test_mixup_exact_and_labels_mixed_by_the_same_lambda():
    images, labels = _images(batch=2), np.eye(2, dtype="float32")
    op = aug.MixUp()
    params = {"lam": tf.constant([0.25, 1.0]), "partner": tf.constant([1, 0])}
    out = op.apply(images, params).numpy()
    np.testing.assert_allclose(out[0], 0.25 * images[0] + 0.75 * images[1], atol=1e-6)
    np.testing.assert_allclose(out[1], images[1], atol=1e-6)
    np.testing.assert_allclose(op.apply_labels(labels, params), [[0.25, 0.75], [0.0, 1.0]])


def test_mixup_lambda_is_beta_distributed_and_labels_sum_to_one():
    lam = aug.MixUp(0.4).sample([20000, 1, 1, 1], 0)["lam"].numpy()
    # Beta(0.4, 0.4): mean 0.5, variance 1/7.2; U-shaped.
    assert abs(lam.mean() - 0.5) < 0.01 and abs(lam.var() - 1 / 7.2) < 0.005
    images, labels = _images(batch=16), tf.one_hot(np.arange(16) % 3, 3)
    _, mixed = aug.MixUp(0.4)(images, labels, seed=2)
    np.testing.assert_allclose(mixed.numpy().sum(axis=1), 1.0, atol=1e-6)


def test_mixup_refuses_integer_labels():
    with pytest.raises(ValueError, match="one-hot"):
        aug.MixUp()(_images(), np.arange(4), seed=1)


def test_cutmix_exact_and_labels_mixed_by_area():
    images, labels = _images(batch=2), np.eye(2, dtype="float32")
    op = aug.CutMix()
    params = {
        "box": tf.constant([[0, 0, 8, 16], [0, 0, 0, 0]]),
        "partner": tf.constant([1, 0]),
        "pasted_fraction": tf.constant([0.5, 0.0]),
    }
    out = op.apply(images, params).numpy()
    np.testing.assert_array_equal(out[0, :8], images[1, :8])
    np.testing.assert_array_equal(out[0, 8:], images[0, 8:])
    np.testing.assert_array_equal(out[1], images[1])
    np.testing.assert_allclose(op.apply_labels(labels, params), [[0.5, 0.5], [0.0, 1.0]])


def test_cutmix_fraction_is_the_true_box_area():
    params = aug.CutMix(1.0).sample([64, 16, 16, 3], 5)
    box = params["box"].numpy()
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]) / 256
    np.testing.assert_allclose(params["pasted_fraction"], area, atol=1e-6)


# --- RandAugment ------------------------------------------------------------------------------


def _randaugment_params(op_index, magnitude, sign=1.0):
    batch = len(op_index)
    return {
        "op_index": tf.constant(op_index, tf.int32)[:, None],
        "magnitude": tf.fill([batch, 1], float(magnitude)),
        "sign": tf.fill([batch, 1], float(sign)),
    }


@pytest.mark.parametrize(
    "name",
    [n for n in aug.DEFAULT_OPS if n not in ("auto_contrast", "equalize")],  # no magnitude
)
def test_randaugment_magnitude_zero_is_the_identity_for_every_op(name):
    images = np.round(_images() * 255) / 255  # 8-bit values, as RandAugment assumes
    op = aug.RandAugment(1, 0.0, ops=(name,))
    out = op.apply(images, _randaugment_params([0] * 4, 0.0)).numpy()
    np.testing.assert_allclose(out, images, atol=1e-5)


def test_randaugment_ops_exact():
    images = np.round(_images(batch=1) * 255) / 255
    ops = ("solarize", "brightness", "posterize", "translate_x")
    op = aug.RandAugment(1, 1.0, ops=ops)
    solarized = op.apply(images, _randaugment_params([0], 1.0)).numpy()
    np.testing.assert_allclose(solarized, 1 - images, atol=1e-6)  # threshold 0: all inverted
    brighter = op.apply(images, _randaugment_params([1], 0.5, +1)).numpy()
    np.testing.assert_allclose(brighter, np.clip(images * 1.45, 0, 1), atol=1e-6)
    posterized = op.apply(images, _randaugment_params([2], 1.0)).numpy()
    np.testing.assert_allclose(
        posterized, (np.round(images * 255).astype(int) & 0xF0) / 255, atol=1e-6
    )
    # translate 45 % of 16 px = 7.2 -> 7 px to the right; mid-grey comes in on the left.
    shifted = op.apply(images, _randaugment_params([3], 1.0, +1)).numpy()
    np.testing.assert_allclose(shifted[:, :, 7:], images[:, :, :9], atol=1e-6)
    np.testing.assert_allclose(shifted[:, :, :7], 0.5)


def _pil_reference(function, images):
    return np.stack([np.asarray(function(Image.fromarray(image))) for image in images]) / 255


def test_randaugment_equalize_matches_pil_exactly():
    images = (_images(batch=3, height=20, width=24) ** 2 * 255).round().astype("uint8")
    ours = ra_ops.equalize(images.astype("float32") / 255, None, None).numpy()
    np.testing.assert_allclose(ours, _pil_reference(ImageOps.equalize, images), atol=1e-6)


def test_randaugment_enhance_ops_match_pil():
    images = (_images(batch=2, height=20, width=24) * 255).round().astype("uint8")
    floats = images.astype("float32") / 255
    magnitude, sign = tf.fill([2], 0.5), tf.fill([2], 1.0)  # factor 1.45
    for ours, pil in (
        (ra_ops.color, ImageEnhance.Color),
        (ra_ops.contrast, ImageEnhance.Contrast),
        (ra_ops.sharpness, ImageEnhance.Sharpness),
        (ra_ops.brightness, ImageEnhance.Brightness),
    ):
        reference = _pil_reference(lambda image, pil=pil: pil(image).enhance(1.45), images)
        # PIL rounds to 8 bits (and its contrast mean is an integer): within 2 levels.
        np.testing.assert_allclose(ours(floats, magnitude, sign), reference, atol=2.01 / 255)
    reference = _pil_reference(ImageOps.autocontrast, images)
    np.testing.assert_allclose(ra_ops.auto_contrast(floats, None, None), reference, atol=1.01 / 255)


@pytest.mark.parametrize("name", ["shear_x", "shear_y", "translate_x", "translate_y"])
def test_randaugment_row_and_column_shifts_equal_the_general_warp(name):
    images = _images(batch=4, height=12, width=16)
    op = aug.RandAugment(1, 0.37, ops=(name,))
    params = _randaugment_params([0, 0, 0, 0], 0.37)
    params["sign"] = tf.constant([[1.0], [-1.0], [1.0], [-1.0]])
    transforms = ra_ops.geometric_transforms(
        tf.fill([4], ra_ops.GEOMETRIC_OPS.index(name)),
        params["magnitude"][:, 0],
        params["sign"][:, 0],
        12,
        16,
    )
    expected = ra_ops.warp(tf.constant(images), transforms, "nearest")
    np.testing.assert_allclose(op.apply(images, params), expected, atol=1e-6)
    assert not np.allclose(expected, images)  # the op moved the pixels


@pytest.mark.parametrize("name", ["shear_x", "shear_y", "translate_x", "translate_y"])
@pytest.mark.parametrize("size", [(12, 16), (1, 5), (7, 1)])
def test_randaugment_bilinear_shifts_equal_image_projective_transform(name, size):
    # The two-tap XLA kernel against TensorFlow's bilinear warp (edges and fill included).
    images = _images(batch=4, height=size[0], width=size[1]) * 255
    op = aug.RandAugment(1, 0.37, ops=(name,), interpolation="bilinear", value_range=(0, 255))
    params = _randaugment_params([0, 0, 0, 0], 0.37)
    params["sign"] = tf.constant([[1.0], [-1.0], [1.0], [-1.0]])
    transforms = ra_ops.geometric_transforms(
        tf.fill([4], ra_ops.GEOMETRIC_OPS.index(name)),
        params["magnitude"][:, 0],
        params["sign"][:, 0],
        *size,
    )
    expected = ra_ops.warp(tf.constant(images), transforms, "bilinear", 255.0)
    np.testing.assert_allclose(op.apply(images, params), expected, atol=1e-3)  # of 255


def test_randaugment_partition_and_select_dispatch_agree():
    images = _images(batch=24)
    partition = aug.RandAugment(2, 0.7, magnitude_stddev=0.2, dispatch="partition")
    select = aug.RandAugment(2, 0.7, magnitude_stddev=0.2, dispatch="select")
    params = partition.sample([24, 16, 16, 3], 9)
    np.testing.assert_allclose(
        partition.apply(images, params), select.apply(images, params), atol=1e-6
    )


def test_randaugment_chooses_ops_per_image_uniformly():
    params = aug.RandAugment(2, 0.5).sample([7000, 8, 8, 3], 1)
    counts = np.bincount(params["op_index"].numpy().ravel(), minlength=len(aug.DEFAULT_OPS))
    assert counts.min() > 0.8 * counts.mean() and counts.max() < 1.2 * counts.mean()


def test_randaugment_rejects_unknown_ops():
    with pytest.raises(ValueError, match="unknown RandAugment ops"):
        aug.RandAugment(ops=("identity", "wobble"))
