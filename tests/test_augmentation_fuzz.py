"""Hypothesis fuzzing of the image ops: batch 1, odd sizes, uint8 and float inputs, both value
ranges, extreme magnitudes. Outputs must be finite, in range, with the right shape and dtype."""

import numpy as np
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import augmentation as aug

FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def batches(draw, square=False, min_side=1):
    batch = draw(st.integers(1, 3))
    height = draw(st.integers(min_side, 19))
    width = height if square else draw(st.integers(min_side, 19))
    value_range = draw(st.sampled_from([(0.0, 1.0), (0.0, 255.0), (-1.0, 1.0)]))
    use_uint8 = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if use_uint8:
        images = rng.integers(0, 256, (batch, height, width, 3), dtype=np.uint8)
    else:
        low, high = value_range
        # Include exact extremes: constant black / white images and full-range noise.
        kind = draw(st.sampled_from(["noise", "low", "high"]))
        fill = {"low": low, "high": high}.get(kind)
        images = (
            np.full((batch, height, width, 3), fill, np.float32)
            if fill is not None
            else rng.uniform(low, high, (batch, height, width, 3)).astype(np.float32)
        )
    return images, value_range, draw(st.integers(0, 2**31 - 1))


def _check(out, value_range, shape):
    out = out.numpy()
    assert out.dtype == np.float32 and out.shape == shape
    assert np.all(np.isfinite(out))
    low, high = value_range
    assert out.min() >= low - 1e-4 * (high - low) and out.max() <= high + 1e-4 * (high - low)


@FUZZ
@given(
    batches(),
    st.sampled_from(
        ["flip", "contrast", "brightness", "hue", "blur", "erasing", "mixup", "cutmix"]
    ),
    st.booleans(),
)
def test_ops_fuzz(batch, name, extreme):
    images, value_range, seed = batch
    r = {"value_range": value_range}
    ops = {
        "flip": lambda: aug.RandomFlip("horizontal_and_vertical", 1.0 if extreme else 0.5, **r),
        "contrast": lambda: aug.RandomContrast(0.0, 50.0 if extreme else 0.6, **r),
        "brightness": lambda: aug.RandomBrightness(10.0 if extreme else 0.8, **r),
        "hue": lambda: aug.RandomHue(0.5 if extreme else 0.1, **r),
        "blur": lambda: aug.GaussianBlur(9, (0.01, 50.0) if extreme else (0.5, 2.0), **r),
        "erasing": lambda: aug.RandomErasing(
            1.0, (0.9, 1.0) if extreme else (0.02, 0.4), fill="noise" if extreme else "value", **r
        ),
        "mixup": lambda: aug.MixUp(0.01 if extreme else 0.4, **r),
        "cutmix": lambda: aug.CutMix(0.01 if extreme else 1.0, **r),
    }
    op = ops[name]()
    _check(op(images, seed=seed), value_range, images.shape)


@FUZZ
@given(
    batches(square=True),
    st.sampled_from([0.0, 0.5, 1.0]),
    st.integers(1, 3),
    st.sampled_from(["partition", "select"]),
    st.sampled_from(["nearest", "bilinear"]),
)
def test_randaugment_fuzz(batch, magnitude, num_ops, dispatch, interpolation):
    images, value_range, seed = batch
    op = aug.RandAugment(
        num_ops,
        magnitude,
        magnitude_stddev=0.5,
        dispatch=dispatch,
        interpolation=interpolation,
        value_range=value_range,
    )
    _check(op(images, seed=seed), value_range, images.shape)
    labels = tf.one_hot(np.arange(len(images)) % 2, 2)
    mixed = aug.MixUp(0.4, value_range=value_range)(images, labels, seed=seed)[1].numpy()
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-5)


@FUZZ
@given(batches(square=True), st.booleans())
def test_rot90_and_crop_fuzz(batch, resize):
    images, value_range, seed = batch
    side = images.shape[1]
    _check(
        aug.RandomRot90((0, 1, 2, 3), value_range=value_range)(images, seed=seed),
        value_range,
        images.shape,
    )
    crop = aug.RandomCrop(max(side // 2, 1), side, resize=resize, value_range=value_range)
    expected = images.shape if resize else (images.shape[0], max(side // 2, 1), side, 3)
    _check(crop(images, seed=seed), value_range, expected)


@FUZZ
@given(batches(), st.sampled_from(["course", "strong"]))
def test_pipelines_fuzz(batch, preset):
    images, value_range, seed = batch
    if images.shape[1] != images.shape[2] and preset == "course":  # rot90 needs square images
        images = images[:, : min(images.shape[1:3]), : min(images.shape[1:3])]
    pipeline = aug.make_pipeline(preset, value_range=value_range, seed=seed)
    _check(pipeline(images, seed=seed), value_range, images.shape)
