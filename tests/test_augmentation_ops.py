"""What each op does beyond the shared layer checks of test_augmentation_layers.py: the
distributions it samples from, its edge cases and errors, and RandAugment's operations against
PIL and TensorFlow's warp."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageEnhance, ImageOps

import augmentation as aug
from augmentation import rand_augment_ops as ra_ops
from augmentation.gaussian_blur import gaussian_kernel_1d


def _images(batch=4, height=16, width=16, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (batch, height, width, 3)).astype("float32")


def _sample(op, shape, seed):
    """The op's transformation for a batch of `shape` (only the shape matters)."""
    return op.get_random_transformation(tf.zeros(shape), seed=seed)


def test_value_range_0_255():
    images = _images() * 255
    out = aug.RandomBrightness(0.5, value_range=(0, 255))(images, seed=1).numpy()
    assert out.max() <= 255 and out.max() > 1


def test_flip_rate_zero_and_one():
    images = _images()
    np.testing.assert_array_equal(aug.RandomFlip(rate=0.0)(images, seed=1), images)
    np.testing.assert_array_equal(aug.RandomFlip(rate=1.0)(images, seed=1), images[:, :, ::-1])


def test_crop_offsets_cover_every_position():
    params = _sample(aug.RandomCrop(14, 14), [2000, 16, 16, 3], 0)["offset"].numpy()
    assert set(params.ravel()) == {0, 1, 2}


def test_the_course_names_sample_and_apply_are_the_split():
    images = _images()
    op = aug.RandomErasing(1.0)
    params = op.sample(tf.shape(images), seed=(1, 2))
    for key, value in _sample(op, images.shape, (1, 2)).items():
        np.testing.assert_array_equal(params[key], value)
    np.testing.assert_array_equal(op.apply(images, params), op.transform_images(images, params))
    np.testing.assert_array_equal(op.apply(images, params), op(images, seed=(1, 2)))


def test_crop_larger_than_image_fails_clearly():
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger than the images"):
        aug.RandomCrop(20, 20)(_images(), seed=1)


def test_gaussian_kernel_is_the_course_formula():
    sigma, size = 1.3, 7
    taps = gaussian_kernel_1d(tf.constant([sigma]), size).numpy()[0]
    x = np.arange(size) - size // 2
    xx, yy = np.meshgrid(x, x)
    course = np.exp(-(xx**2 + yy**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
    np.testing.assert_allclose(np.outer(taps, taps), course / course.sum(), rtol=1e-5)


def test_random_erasing_boxes_follow_the_course_parameters():
    params = _sample(aug.RandomErasing(0.5, (0.02, 0.4), (0.2, 0.8)), [4000, 32, 32, 1], 7)
    box, erase = params["box"].numpy(), params["erase"].numpy()
    assert 0.45 < erase.mean() < 0.55
    area = box[:, 2] * box[:, 3] / 32**2
    assert area.max() <= 0.4 + 1e-6 and np.median(area) > 0.02
    assert np.all(box[:, 0] + box[:, 2] <= 32) and np.all(box[:, 1] + box[:, 3] <= 32)
    fill = params["fill"].numpy().ravel()
    assert fill.shape == (4000,) and 0 <= fill.min() and fill.max() <= 1


def test_mixup_lambda_is_beta_distributed():
    lam = _sample(aug.MixUp(0.4), [20000, 1, 1, 1], 0)["lam"].numpy()
    # Beta(0.4, 0.4): mean 0.5, variance 1/7.2; U-shaped.
    assert abs(lam.mean() - 0.5) < 0.01 and abs(lam.var() - 1 / 7.2) < 0.005


def test_mixup_refuses_integer_labels():
    with pytest.raises(ValueError, match="one-hot"):
        aug.MixUp()(_images(), np.arange(4), seed=1)


def test_cutmix_fraction_is_the_true_box_area():
    params = _sample(aug.CutMix(1.0), [64, 16, 16, 3], 5)
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
    out = op.transform_images(images, _randaugment_params([0] * 4, 0.0)).numpy()
    np.testing.assert_allclose(out, images, atol=1e-5)


def test_randaugment_ops_exact():
    images = np.round(_images(batch=1) * 255) / 255
    ops = ("solarize", "brightness", "posterize", "translate_x")
    op = aug.RandAugment(1, 1.0, ops=ops)
    solarized = op.transform_images(images, _randaugment_params([0], 1.0)).numpy()
    np.testing.assert_allclose(solarized, 1 - images, atol=1e-6)  # threshold 0: all inverted
    brighter = op.transform_images(images, _randaugment_params([1], 0.5, +1)).numpy()
    np.testing.assert_allclose(brighter, np.clip(images * 1.45, 0, 1), atol=1e-6)
    posterized = op.transform_images(images, _randaugment_params([2], 1.0)).numpy()
    np.testing.assert_allclose(
        posterized, (np.round(images * 255).astype(int) & 0xF0) / 255, atol=1e-6
    )
    # translate 45 % of 16 px = 7.2 -> 7 px to the right; mid-grey comes in on the left.
    shifted = op.transform_images(images, _randaugment_params([3], 1.0, +1)).numpy()
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
    np.testing.assert_allclose(op.transform_images(images, params), expected, atol=1e-6)
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
    np.testing.assert_allclose(op.transform_images(images, params), expected, atol=1e-3)  # of 255


def test_randaugment_partition_and_select_dispatch_agree():
    images = _images(batch=24)
    partition = aug.RandAugment(2, 0.7, magnitude_stddev=0.2, dispatch="partition")
    select = aug.RandAugment(2, 0.7, magnitude_stddev=0.2, dispatch="select")
    params = _sample(partition, [24, 16, 16, 3], 9)
    np.testing.assert_allclose(
        partition.transform_images(images, params),
        select.transform_images(images, params),
        atol=1e-6,
    )


def test_randaugment_chooses_ops_per_image_uniformly():
    params = _sample(aug.RandAugment(2, 0.5), [7000, 8, 8, 3], 1)
    counts = np.bincount(params["op_index"].numpy().ravel(), minlength=len(aug.DEFAULT_OPS))
    assert counts.min() > 0.8 * counts.mean() and counts.max() < 1.2 * counts.mean()


def test_randaugment_rejects_unknown_ops():
    with pytest.raises(ValueError, match="unknown RandAugment ops"):
        aug.RandAugment(ops=("identity", "wobble"))
