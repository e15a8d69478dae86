"""The Keras layer adapters: in keras.Sequential (fit, save, load), in tf.data, dtype passthrough
at inference, configs that rebuild the same op; and the pipeline's up-front label check."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import augmentation as aug
from augmentation import layers


def _images(batch=4, size=16, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (batch, size, size, 3)).astype("float32")


# Every layer with arguments that suit 16x16 images.
LAYERS = {
    "RandomFlip": lambda: layers.RandomFlip("horizontal_and_vertical", seed=1),
    "RandomCrop": lambda: layers.RandomCrop(8, 12, seed=1),
    "RandomContrast": lambda: layers.RandomContrast(0.4, 0.6, seed=1),
    "RandomBrightness": lambda: layers.RandomBrightness(0.3, seed=1),
    "RandomHue": lambda: layers.RandomHue(0.1, seed=1),
    "RandomRot90": lambda: layers.RandomRot90((1, 2), seed=1),
    "GaussianBlur": lambda: layers.GaussianBlur(5, (0.5, 1.0), seed=1),
    "RandomErasing": lambda: layers.RandomErasing(1.0, seed=1),
    "RandAugment": lambda: layers.RandAugment(2, 0.9, interpolation="bilinear", seed=1),
    "AugmentationPipeline": lambda: layers.AugmentationPipeline(preset="course", seed=1),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_augments_when_training_and_passes_through_otherwise(name):
    layer = LAYERS[name]()
    images = _images()
    out = layer(images, training=True)
    assert out.dtype == tf.float32
    assert tuple(out.shape) == layer.compute_output_shape(images.shape)
    assert not (out.shape == images.shape and np.allclose(out, images))
    # Inference augments nothing, and converts as training does: float32 in the value range.
    as_uint8 = (images * 255).round().astype("uint8")
    for given, expected in (
        (images, images),
        (as_uint8, as_uint8 / 255.0),
        (images.astype("float16"), images.astype("float16")),
    ):
        unchanged = layer(given, training=False)
        assert unchanged.dtype == tf.float32
        if name == "RandomCrop":  # the centre window: the same size as in training
            expected = expected[:, 4:12, 2:14]
        np.testing.assert_allclose(unchanged, expected.astype("float32"), atol=1e-6)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_config_rebuilds_the_same_op(name):
    layer = LAYERS[name]()
    rebuilt = type(layer).from_config(layer.get_config())
    assert rebuilt.op.get_config() == layer.op.get_config()
    assert keras.saving.get_registered_name(type(layer)) == f"day3>{name}"


def test_layer_applies_the_op_it_wraps():
    layer = layers.RandAugment(1, 0.6, ops=("brightness",), magnitude_stddev=0.0)
    images = _images()
    # A one-op RandAugment's only randomness is the sign: +0.54 or -0.54 brightness.
    out = layer(images).numpy()
    for image, result in zip(images, out, strict=True):
        assert any(np.allclose(result, np.clip(image * f, 0, 1), atol=1e-6) for f in (1.54, 0.46))


def test_randaugment_layer_in_sequential_fits_saves_and_loads(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            layers.RandAugment(2, 0.5, interpolation="bilinear", seed=0),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    images, labels = _images(8), np.arange(8) % 2
    history = model.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.layers[0], layers.RandAugment)
    assert loaded.layers[0].op.get_config() == model.layers[0].op.get_config()
    # Inference skips the augmentation: both models give the same predictions.
    np.testing.assert_allclose(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6
    )


def test_layer_in_tf_data_and_with_dict_labels():
    layer = layers.RandAugment(2, 0.5, seed=0)
    dataset = tf.data.Dataset.from_tensor_slices(_images(8)).batch(4)
    batches = list(dataset.map(lambda images: layer(images, training=True)))
    assert [tuple(b.shape) for b in batches] == [(4, 16, 16, 3)] * 2
    mix_up = layers.MixUp(0.4, seed=0)
    out = mix_up({"images": _images(), "labels": tf.one_hot([0, 1, 0, 1], 2)})
    assert out["images"].shape == (4, 16, 16, 3)
    np.testing.assert_allclose(out["labels"].numpy().sum(axis=1), 1.0, atol=1e-6)


def test_pipeline_layer_from_steps_round_trips():
    layer = layers.AugmentationPipeline(
        [aug.RandomFlip("horizontal"), (aug.RandomBrightness(0.2), 0.5), aug.RandomCrop(8, 8)],
        seed=3,
    )
    rebuilt = layers.AugmentationPipeline.from_config(layer.get_config())
    assert rebuilt.op.get_config() == layer.op.get_config()
    assert layer(_images()).shape == (4, 8, 8, 3) == layer.compute_output_shape((4, 16, 16, 3))
    np.testing.assert_array_equal(layer(_images(), training=False), _images()[:, 4:12, 4:12])
    with pytest.raises(ValueError, match="either steps or a preset"):
        layers.AugmentationPipeline()


def test_pipeline_apply_rejects_integer_labels_for_mixup_before_tf_data():
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.zeros((4, 8, 8, 3), np.float32), np.arange(4))
    ).batch(2)
    with pytest.raises(ValueError, match=r"^MixUp mixes one-hot labels, got int64 labels") as error:
        aug.make_pipeline("strong", seed=0).apply(dataset)
    assert "\n" not in str(error.value)
    aug.make_pipeline("course", seed=0).apply(dataset)  # no mixing: integer labels are fine
