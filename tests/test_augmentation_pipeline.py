"""The pipeline: composition with probabilities, tf.data wiring, reproducibility, model.fit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import augmentation as aug


def _dataset(num=24, size=16, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (num, size, size, 3), dtype=np.uint8)
    labels = np.eye(classes, dtype="float32")[rng.integers(0, classes, num)]
    return tf.data.Dataset.from_tensor_slices((images, labels))


def test_course_preset_is_the_course_pipeline():
    config = aug.make_pipeline("course").get_config()
    steps = [
        (
            s["op"],
            s.get("mode"),
            s.get("lower"),
            s.get("upper"),
            s.get("max_delta"),
            s.get("k_choices"),
        )
        for s in config["steps"]
    ]
    assert steps == [
        ("RandomFlip", "horizontal", None, None, None, None),
        ("RandomFlip", "vertical", None, None, None, None),
        ("RandomContrast", None, 0.4, 0.6, None, None),
        ("RandomBrightness", None, None, None, 0.8, None),
        ("RandomRot90", None, None, None, None, [0, 1, 2]),
        ("RandomHue", None, None, None, 0.1, None),
    ]


def test_apply_is_reproducible_and_differs_between_epochs():
    pipeline = aug.make_pipeline("strong", seed=5)
    dataset = pipeline.apply(_dataset().batch(8))
    first = [images.numpy() for images, _ in dataset]
    second = [images.numpy() for images, _ in dataset]
    again = [
        images.numpy()
        for images, _ in aug.make_pipeline("strong", seed=5).apply(_dataset().batch(8))
    ]
    assert not np.allclose(first[0], second[0])  # a new epoch draws new augmentations
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)  # the same seed gives the same run


def test_probability_zero_and_one():
    images = np.random.default_rng(0).uniform(0, 1, (8, 8, 8, 3)).astype("float32")
    never = aug.AugmentationPipeline([(aug.RandomBrightness(0.5), 0.0)])
    np.testing.assert_array_equal(never(images, seed=1), images)
    always = aug.AugmentationPipeline([(aug.RandomFlip(rate=1.0), 1.0)])
    np.testing.assert_array_equal(always(images, seed=1), images[:, :, ::-1])


def test_probability_applies_per_image_to_images_and_labels():
    images = np.zeros((400, 4, 4, 3), np.float32)
    labels = np.tile(np.eye(2, dtype=np.float32), (200, 1))
    pipeline = aug.AugmentationPipeline([(aug.MixUp(1.0), 0.5)])
    mixed_images, mixed_labels = pipeline(images + labels[:, :1, None, None], labels, seed=3)
    changed = ~np.all(np.isclose(mixed_labels, labels), axis=1)
    # Half the images are mixed; half of those get a partner of the other class: about 1/4.
    assert 0.15 < changed.mean() < 0.35
    # Each image carries its label's first component, so images and labels changed together.
    np.testing.assert_allclose(
        mixed_images.numpy()[:, 0, 0, 0], mixed_labels.numpy()[:, 0], atol=1e-6
    )


def test_value_range_mismatch_is_refused():
    with pytest.raises(ValueError, match="value_range"):
        aug.AugmentationPipeline([aug.RandomFlip(value_range=(0, 255))], value_range=(0, 1))


def test_size_changing_crop_needs_probability_one():
    with pytest.raises(ValueError, match="probability 1"):
        aug.AugmentationPipeline([(aug.RandomCrop(8, 8), 0.5)])
    crop = aug.AugmentationPipeline([aug.RandomCrop(8, 8)])
    assert crop(np.zeros((2, 16, 16, 3), np.float32), seed=1).shape == (2, 8, 8, 3)


def test_inference_is_a_no_op():
    # Nothing augmented; uint8 converted as in training (float32 in the value range).
    images = np.full((2, 4, 4, 3), 51, np.uint8)
    out = aug.make_pipeline("course")(images, training=False)
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out, 0.2, atol=1e-6)


def test_dataset_map_with_the_pipeline_as_function():
    pipeline = aug.make_pipeline("strong", seed=1)
    dataset = _dataset().batch(6).map(pipeline, num_parallel_calls=tf.data.AUTOTUNE)
    images, labels = next(iter(dataset))
    assert images.shape == (6, 16, 16, 3) and images.dtype == tf.float32
    np.testing.assert_allclose(labels.numpy().sum(axis=1), 1.0, atol=1e-6)


def test_model_fit_runs_on_a_pipelined_dataset():
    keras.utils.set_random_seed(0)
    train = aug.make_pipeline("strong", seed=0).apply(_dataset().batch(8)).prefetch(2)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(train, epochs=1, steps_per_epoch=2, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_keras_and_keras_cv_randaugment_are_selectable():
    images = np.random.default_rng(0).uniform(0, 1, (4, 32, 32, 3)).astype("float32")
    for backend in ("keras", "keras_cv"):
        pipeline = aug.make_pipeline("strong", seed=0, randaugment=backend)
        names = [step["op"] for step in pipeline.get_config()["steps"]]
        assert names[1] == {"keras": "KerasRandAugment", "keras_cv": "KerasCVRandAugment"}[backend]
        out = pipeline(images, seed=1)
        assert out.shape == images.shape and np.all(np.isfinite(out))
        assert out.numpy().min() >= 0 and out.numpy().max() <= 1
    with pytest.raises(ValueError, match="backend"):
        aug.make_randaugment("torchvision")
