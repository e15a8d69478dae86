"""Every image op, MixUp, CutMix and the pipeline as the Keras layer it is, on one shared check
(`run_layer_test`, as Keras tests its own layers); plus what holds for all of them together: every
class `augmentation` exports is a Keras layer, models saved before the ops became layers load, and
the deprecated `augmentation.layers` names are the same classes."""

import json
import warnings
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import augmentation as aug

BATCH, SIZE, CLASSES = 4, 16, 4


def _batch(input_shape, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, input_shape).astype("float32")
    labels = np.eye(CLASSES, dtype="float32")[rng.integers(0, CLASSES, input_shape[0])]
    return images, labels


def run_layer_test(
    make_layer,
    tmp_path,
    input_shape=(BATCH, SIZE, SIZE, 3),
    output_shape=None,
    inference=None,
    transformation=None,
    expected=None,
    mixes_labels=False,
):
    """Checks one augmentation layer as Keras's `run_layer_test` checks one of its own.

    1. Shape, dtype and range, for float and uint8 input; `compute_output_shape` agrees; a seed
       reproduces a batch and another seed changes it; labels and dict inputs.
    2. Inference (`training=False`) augments nothing and converts as training does.
    3. An injected transformation gives exactly the expected images (and labels).
    4. Inside `tf.data.Dataset.map`, seeded: the same batch as eagerly.
    5. Inside a model that saves as .keras and reloads: the same class, config and outputs.

    Args:
        make_layer: `() -> layer`, a fresh layer.
        tmp_path: folder for the saved model.
        input_shape: the test batch's shape.
        output_shape: the augmented batch's shape (default `input_shape`).
        inference: `images -> what training=False gives` (default: the images themselves).
        transformation: a hand-made transformation for `transform_images`, or None to skip 3.
        expected: `(images, labels) -> (images, labels)` that `transformation` must give.
        mixes_labels: the layer changes the labels (MixUp, CutMix).
    """
    layer = make_layer()
    images, labels = _batch(input_shape)
    output_shape = tuple(output_shape or input_shape)
    inference = inference or (lambda x: x)

    # 1. Shape, dtype and range; seeds; uint8; labels; dicts.
    out = layer(images, seed=3)
    assert out.dtype == tf.float32 and tuple(out.shape) == output_shape
    assert tuple(layer.compute_output_shape(input_shape)) == output_shape
    assert np.all(np.isfinite(out)) and 0.0 <= out.numpy().min() and out.numpy().max() <= 1.0
    np.testing.assert_array_equal(layer(images, seed=3), out)
    assert not np.array_equal(layer(images, seed=4), out)
    assert not np.array_equal(layer(images), layer(images))  # the layer's generator moves on
    as_uint8 = np.round(images * 255).astype("uint8")
    np.testing.assert_allclose(
        layer(as_uint8, seed=3), layer(as_uint8 / np.float32(255), seed=3), atol=1e-5
    )
    out_images, out_labels = layer(images, labels, seed=3)
    np.testing.assert_array_equal(out_images, out)  # labels do not change what is sampled
    np.testing.assert_allclose(out_labels.numpy().sum(axis=1), 1.0, atol=1e-6)
    if not mixes_labels:
        np.testing.assert_array_equal(out_labels, labels)
    as_dict = layer({"images": images, "labels": labels, "id": tf.range(BATCH)}, seed=3)
    np.testing.assert_array_equal(as_dict["images"], out)
    np.testing.assert_array_equal(as_dict["labels"], out_labels)
    np.testing.assert_array_equal(as_dict["id"], np.arange(BATCH))

    # 2. Inference: nothing augmented; float32 in the value range whatever comes in.
    for given, value in (
        (images, images),
        (as_uint8, as_uint8 / 255.0),
        (images.astype("float16"), images.astype("float16")),
    ):
        unchanged = layer(given, training=False)
        assert unchanged.dtype == tf.float32
        np.testing.assert_allclose(unchanged, inference(value.astype("float32")), atol=1e-6)
    unchanged_images, unchanged_labels = layer(images, labels, training=False)
    np.testing.assert_array_equal(unchanged_labels, labels)

    # 3. The injected transformation gives the expected result exactly.
    if transformation is not None:
        want_images, want_labels = expected(images, labels)
        got = layer.transform_images(tf.constant(images), transformation)
        np.testing.assert_allclose(got, want_images, atol=1e-5)
        if want_labels is not None:
            got = layer.transform_labels(tf.constant(labels), transformation)
            np.testing.assert_allclose(got, want_labels, atol=1e-6)

    # 4. In tf.data: a seeded map gives the eager batch; an unseeded one runs.
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH)
    mapped = next(iter(dataset.map(lambda x, y: layer(x, y, seed=[3, 0]))))
    np.testing.assert_allclose(mapped[0], out, atol=1e-5)
    np.testing.assert_allclose(mapped[1], out_labels, atol=1e-6)
    unseeded = next(iter(dataset.map(lambda x, y: layer(x), num_parallel_calls=2)))
    assert tuple(unseeded.shape) == output_shape

    # 5. In a model, saved and reloaded.
    model = keras.Sequential([keras.Input(input_shape[1:]), layer])
    assert tuple(model(images, training=True).shape) == output_shape
    path = tmp_path / f"{type(layer).__name__}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0]) is type(layer)
    assert loaded.layers[0].get_config() == layer.get_config()
    np.testing.assert_allclose(loaded(images, training=False), unchanged_images, atol=1e-6)
    np.testing.assert_allclose(
        loaded.layers[0](images, seed=3), out, atol=1e-6
    )  # the same op: the same batch for a seed


def _centre(height, width):
    def window(images):
        top, left = (images.shape[1] - height) // 2, (images.shape[2] - width) // 2
        return images[:, top : top + height, left : left + width]

    return window


def _resize_align_corners(image, height, width):
    """Numpy bilinear resize whose corner pixels are the input's corner pixels."""
    y = np.arange(height) * (image.shape[0] - 1) / (height - 1)
    x = np.arange(width) * (image.shape[1] - 1) / (width - 1)
    y0 = np.minimum(np.floor(y).astype(int), image.shape[0] - 2)
    x0 = np.minimum(np.floor(x).astype(int), image.shape[1] - 2)
    wy, wx = (y - y0)[:, None, None], (x - x0)[None, :, None]
    top = image[y0][:, x0] * (1 - wx) + image[y0][:, x0 + 1] * wx
    bottom = image[y0 + 1][:, x0] * (1 - wx) + image[y0 + 1][:, x0 + 1] * wx
    return top * (1 - wy) + bottom * wy


def _blur(image, sigma):
    taps = np.exp(-(np.arange(-2, 3) ** 2) / (2 * sigma**2))
    taps /= taps.sum()
    padded = np.pad(image, ((2, 2), (2, 2), (0, 0)), mode="edge")
    rows = sum(taps[i] * padded[i : i + image.shape[0]] for i in range(5))
    return sum(taps[j] * rows[:, j : j + image.shape[1]] for j in range(5))


def _erased(images, labels):
    out = images.copy()
    out[0, 2:6, 3:8] = 0.7
    out[2, 0:16, 10:16] = 0.1
    return out, None


def _mixed(images, labels):
    lam, partner = np.array([0.25, 1.0, 0.5, 0.0]), [1, 0, 3, 2]
    weight = lam[:, None, None, None]
    return (
        weight * images + (1 - weight) * images[partner],
        lam[:, None] * labels + (1 - lam[:, None]) * labels[partner],
    )


def _cut(images, labels):
    out = images.copy()
    out[0, :8] = images[1, :8]
    out[2, 4:6, 4:12] = images[3, 4:6, 4:12]
    fraction = np.array([0.5, 0.0, 16 / 256, 0.0])[:, None]
    return out, (1 - fraction) * labels + fraction * labels[[1, 0, 3, 2]]


def _hue(images, labels):
    deltas = [0.1, -0.07, 0.0, 0.5]
    return np.stack([tf.image.adjust_hue(i, d) for i, d in zip(images, deltas, strict=True)]), None


def _contrast(images, labels):
    factors = [0.5, 0.4, 1.0, 2.0]
    return np.stack(
        [
            np.clip(tf.image.adjust_contrast(i, f), 0, 1)
            for i, f in zip(images, factors, strict=True)
        ]
    ), None


# Per layer: constructor, and the rest of run_layer_test's arguments.
CASES = {
    "RandomFlip": dict(
        make_layer=lambda: aug.RandomFlip("horizontal_and_vertical", seed=1),
        transformation={
            "flip_horizontal": tf.constant([True, False, True, False]),
            "flip_vertical": tf.constant([False, False, True, True]),
        },
        expected=lambda x, y: (
            np.stack([x[0, :, ::-1], x[1], x[2, ::-1, ::-1], x[3, ::-1]]),
            None,
        ),
    ),
    "RandomCrop": dict(
        make_layer=lambda: aug.RandomCrop(10, 12, seed=1),
        output_shape=(BATCH, 10, 12, 3),
        inference=_centre(10, 12),
        transformation={"offset": tf.constant([[0, 0], [1, 2], [6, 4], [3, 1]])},
        expected=lambda x, y: (
            np.stack([x[0, 0:10, 0:12], x[1, 1:11, 2:14], x[2, 6:16, 4:16], x[3, 3:13, 1:13]]),
            None,
        ),
    ),
    "RandomCrop_resize": dict(
        make_layer=lambda: aug.RandomCrop(9, 13, resize=True, seed=1),
        transformation={"offset": tf.constant([[0, 0], [7, 3], [2, 1], [0, 3]])},
        expected=lambda x, y: (
            np.stack(
                [
                    _resize_align_corners(image[top : top + 9, left : left + 13], SIZE, SIZE)
                    for image, (top, left) in zip(x, [(0, 0), (7, 3), (2, 1), (0, 3)], strict=True)
                ]
            ),
            None,
        ),
    ),
    "RandomContrast": dict(
        make_layer=lambda: aug.RandomContrast(0.4, 0.6, seed=1),
        transformation={"factor": tf.constant([0.5, 0.4, 1.0, 2.0])},
        expected=_contrast,
    ),
    "RandomBrightness": dict(
        make_layer=lambda: aug.RandomBrightness(0.3, seed=1),
        transformation={"delta": tf.constant([0.25, -0.5, 0.0, 1.0])},
        expected=lambda x, y: (
            np.clip(x + np.array([0.25, -0.5, 0.0, 1.0])[:, None, None, None], 0, 1),
            None,
        ),
    ),
    "RandomHue": dict(
        make_layer=lambda: aug.RandomHue(0.1, seed=1),
        transformation={"delta": tf.constant([0.1, -0.07, 0.0, 0.5])},
        expected=_hue,
    ),
    "RandomRot90": dict(
        make_layer=lambda: aug.RandomRot90((0, 1, 2, 3), seed=1),
        transformation={"k": tf.constant([0, 1, 2, 3])},
        expected=lambda x, y: (np.stack([np.rot90(x[k], k) for k in range(4)]), None),
    ),
    "GaussianBlur": dict(
        make_layer=lambda: aug.GaussianBlur(5, (0.5, 2.0), seed=1),
        transformation={"sigma": tf.constant([0.8, 2.0, 0.5, 1.3])},
        expected=lambda x, y: (
            np.stack([_blur(i, s) for i, s in zip(x, [0.8, 2.0, 0.5, 1.3], strict=True)]),
            None,
        ),
    ),
    "RandomErasing": dict(
        make_layer=lambda: aug.RandomErasing(1.0, seed=1),
        transformation={
            "erase": tf.constant([True, False, True, False]),
            "box": tf.constant([[2, 3, 4, 5], [0, 0, 16, 16], [0, 10, 16, 6], [1, 1, 2, 2]]),
            "fill": tf.constant([0.7, 0.2, 0.1, 0.9])[:, None, None, None],
        },
        expected=_erased,
    ),
    "RandAugment": dict(
        make_layer=lambda: aug.RandAugment(2, 0.9, ops=("solarize", "brightness"), seed=1),
        transformation={
            "op_index": tf.constant([[0, 1], [1, 1], [0, 0], [1, 0]]),
            "magnitude": tf.constant([[1.0, 0.5], [0.5, 0.5], [1.0, 1.0], [0.5, 1.0]]),
            "sign": tf.constant([[1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]),
        },
        # solarize at magnitude 1 inverts all; brightness 0.5 is a factor of 1 +- 0.45.
        expected=lambda x, y: (
            np.stack(
                [
                    np.clip((1 - x[0]) * 1.45, 0, 1),
                    np.clip(np.clip(x[1] * 1.45, 0, 1) * 0.55, 0, 1),
                    x[2],
                    1 - np.clip(x[3] * 0.55, 0, 1),
                ]
            ),
            None,
        ),
    ),
    "RandAugment_bilinear": dict(
        make_layer=lambda: aug.RandAugment(2, 0.9, interpolation="bilinear", seed=1),
    ),
    "MixUp": dict(
        make_layer=lambda: aug.MixUp(0.4, seed=1),
        transformation={"lam": tf.constant([0.25, 1.0, 0.5, 0.0]), "partner": [1, 0, 3, 2]},
        expected=_mixed,
        mixes_labels=True,
    ),
    "CutMix": dict(
        make_layer=lambda: aug.CutMix(1.0, seed=1),
        transformation={
            "box": tf.constant([[0, 0, 8, 16], [0, 0, 0, 0], [4, 4, 6, 12], [3, 3, 3, 9]]),
            "partner": tf.constant([1, 0, 3, 2]),
            "pasted_fraction": tf.constant([0.5, 0.0, 16 / 256, 0.0]),
        },
        expected=_cut,
        mixes_labels=True,
    ),
    "AugmentationPipeline": dict(
        make_layer=lambda: aug.AugmentationPipeline(
            [aug.RandomFlip(), (aug.RandomBrightness(0.2), 0.5), aug.RandomCrop(8, 12)], seed=1
        ),
        output_shape=(BATCH, 8, 12, 3),
        inference=_centre(8, 12),
    ),
    "AugmentationPipeline_strong": dict(
        make_layer=lambda: aug.make_pipeline("strong", seed=1),
        mixes_labels=True,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer(name, tmp_path):
    run_layer_test(tmp_path=tmp_path, **CASES[name])


def test_every_image_class_is_a_keras_layer_with_a_test():
    text_classes = {"EDA", "SynonymSourceUnavailable"}
    classes = {
        name: getattr(aug, name)
        for name in aug.__all__
        if isinstance(getattr(aug, name), type) and name not in text_classes
    }
    assert classes and all(issubclass(cls, keras.layers.Layer) for cls in classes.values())
    # Every concrete one is registered under its own name and checked above.
    tested = {name.split("_")[0] for name in CASES}
    assert set(classes) - {"ImageAugmentation"} == tested
    for name in tested:
        assert keras.saving.get_registered_name(classes[name]) == f"day3>{name}"


def test_the_deprecated_layers_module_names_the_same_classes():
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        from augmentation import layers

    for name in layers.__all__:
        if name != "PACKAGE":
            assert getattr(layers, name) is getattr(aug, name)
    assert aug.layers is layers


def test_a_model_with_augmentation_layers_fits():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            aug.RandomFlip("horizontal"),
            aug.RandAugment(2, 0.5, interpolation="bilinear"),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    images, _ = _batch((8, SIZE, SIZE, 3))
    history = model.fit(images, np.arange(8) % 2, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# config.json of a model saved with the Keras adapters of `augmentation/layers.py` (before the ops
# became layers; `shared_object_id`s dropped): Input(8, 8, 3), RandomFlip, RandomCrop(6, 6),
# RandAugment, AugmentationPipeline([RandomBrightness, (RandomHue, 0.5)]), pooling, Dense(2).
_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
_OLD = {"module": "augmentation.layers", "build_config": {"input_shape": [None, 8, 8, 3]}}
_BASE = {"trainable": False, "dtype": {**_POLICY, "registered_name": None}}
OLD_LAYOUT_LAYERS = [
    {
        **_OLD,
        "class_name": "RandomFlip",
        "registered_name": "day3>RandomFlip",
        "config": {"name": "random_flip", **_BASE, "mode": "horizontal", "rate": 0.5}
        | {"value_range": [0.0, 1.0], "seed": 1},
    },
    {
        **_OLD,
        "class_name": "RandomCrop",
        "registered_name": "day3>RandomCrop",
        "config": {"name": "random_crop", **_BASE, "height": 6, "width": 6, "resize": False}
        | {"value_range": [0.0, 1.0], "seed": 2},
    },
    {
        **_OLD,
        "class_name": "RandAugment",
        "registered_name": "day3>RandAugment",
        "config": {"name": "rand_augment", **_BASE, "num_ops": 2, "magnitude": 0.5}
        | {"magnitude_stddev": 0.0, "ops": list(aug.DEFAULT_OPS), "dispatch": "partition"}
        | {"interpolation": "bilinear", "value_range": [0.0, 1.0], "seed": 3},
    },
    {
        **_OLD,
        "class_name": "AugmentationPipeline",
        "registered_name": "day3>AugmentationPipeline",
        "config": {"name": "augmentation_pipeline", **_BASE, "value_range": [0.0, 1.0]}
        | {
            "seed": 4,
            "steps": [
                {"op": "RandomBrightness", "probability": 1.0, "max_delta": 0.2}
                | {"value_range": [0.0, 1.0], "seed": None},
                {"op": "RandomHue", "probability": 0.5, "max_delta": 0.1}
                | {"value_range": [0.0, 1.0], "seed": None},
            ],
        },
    },
]


def test_a_model_saved_with_the_old_layers_module_loads(tmp_path):
    # The same model made with today's classes gives the weights file; its config.json is then
    # replaced by the old one, so only the old config decides what loads.
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            aug.RandomFlip("horizontal", seed=1, name="random_flip"),
            aug.RandomCrop(6, 6, seed=2, name="random_crop"),
            aug.RandAugment(2, 0.5, interpolation="bilinear", seed=3, name="rand_augment"),
            aug.AugmentationPipeline(
                [aug.RandomBrightness(0.2), (aug.RandomHue(0.1), 0.5)],
                seed=4,
                name="augmentation_pipeline",
            ),
            keras.layers.GlobalAveragePooling2D(name="pool"),
            keras.layers.Dense(2, name="dense"),
        ],
        name="old_layout",
    )
    new_path, old_path = tmp_path / "new.keras", tmp_path / "old.keras"
    model.save(new_path)
    with zipfile.ZipFile(new_path) as new:
        config = json.loads(new.read("config.json"))
        keras_layers = config["config"]["layers"]
        assert [layer["class_name"] for layer in keras_layers[1:5]] == [
            layer["class_name"] for layer in OLD_LAYOUT_LAYERS
        ]
        keras_layers[1:5] = OLD_LAYOUT_LAYERS
        with zipfile.ZipFile(old_path, "w") as old:
            for item in new.namelist():
                data = json.dumps(config) if item == "config.json" else new.read(item)
                old.writestr(item, data)
    loaded = keras.saving.load_model(old_path)
    assert [type(layer) for layer in loaded.layers[:4]] == [
        aug.RandomFlip,
        aug.RandomCrop,
        aug.RandAugment,
        aug.AugmentationPipeline,
    ]
    assert loaded.layers[3].get_config()["steps"][1]["probability"] == 0.5
    images, _ = _batch((2, 8, 8, 3))
    np.testing.assert_allclose(
        loaded(images, training=False), model(images, training=False), atol=1e-6
    )
