"""The pipeline: composition with probabilities, presets, configs, tf.data wiring and
reproducibility, model.fit, and a user's own script staying quiet (its layer checks are in
test_augmentation_layers.py)."""

import os
import subprocess
import sys
import textwrap

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


def test_steps_round_trip_through_the_config():
    pipeline = aug.AugmentationPipeline(
        [aug.RandomFlip("horizontal"), (aug.RandomBrightness(0.2), 0.5), aug.RandomCrop(8, 8)],
        seed=3,
    )
    rebuilt = aug.AugmentationPipeline.from_config(pipeline.get_config())
    assert rebuilt.get_config() == pipeline.get_config()
    images = np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(rebuilt(images, seed=5), pipeline(images, seed=5))
    with_preset = aug.AugmentationPipeline(preset="course", seed=3)
    assert [type(op) for op, _ in with_preset.steps] == [
        type(op) for op, _ in aug.make_pipeline("course").steps
    ]
    with pytest.raises(ValueError, match="either steps or a preset"):
        aug.AugmentationPipeline()


def test_explain_gives_the_same_images_and_each_step_transformation():
    pipeline = aug.AugmentationPipeline(
        [aug.RandomFlip("horizontal", rate=1.0), (aug.RandomBrightness(0.5), 0.5)]
    )
    images = np.random.default_rng(0).uniform(0, 1, (16, 8, 8, 3)).astype("float32")
    augmented, steps = pipeline.explain(images, seed=3)
    np.testing.assert_array_equal(augmented, pipeline(images, seed=3))
    assert [type(step["op"]) for step in steps] == [aug.RandomFlip, aug.RandomBrightness]
    assert np.all(steps[0]["params"]["flip_horizontal"])
    assert 0 < np.sum(steps[1]["applied"]) < 16 and steps[1]["params"]["delta"].shape == (16,)


def test_apply_rejects_integer_labels_for_mixup_before_tf_data():
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.zeros((4, 8, 8, 3), np.float32), np.arange(4))
    ).batch(2)
    with pytest.raises(ValueError, match=r"^MixUp mixes one-hot labels, got int64 labels") as error:
        aug.make_pipeline("strong", seed=0).apply(dataset)
    assert "\n" not in str(error.value)
    aug.make_pipeline("course", seed=0).apply(dataset)  # no mixing: integer labels are fine


# A newcomer's own script: our pipeline in tf.data feeding model.fit, nothing else set up.
USER_SCRIPT = textwrap.dedent(
    """
    import keras
    import numpy as np
    import tensorflow as tf

    import augmentation

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (48, 32, 32, 3), dtype=np.uint8)
    labels = np.eye(3, dtype="float32")[rng.integers(0, 3, 48)]
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        augmentation.RandomCrop(24, 24, resize=True),
        keras.layers.Conv2D(4, 3),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile("adam", "categorical_crossentropy")
    model.fit(augmentation.make_pipeline("strong", seed=0).apply(dataset), epochs=2, verbose=0)
    print("fitted")
    """
)


def test_reuse_in_a_users_model_fit_is_quiet(tmp_path):
    # Issue 32: grappler printed "Error in PredictCost() for the op: ... CropAndResize" for every
    # traced graph (RandAugment's row shifts, RandomCrop's resize); our ops no longer use it.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", USER_SCRIPT],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and "fitted" in result.stdout, result.stderr[-3000:]
    assert "PredictCost" not in result.stderr, result.stderr[-3000:]
