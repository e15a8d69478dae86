"""The augmentation study's pieces: stratified subsets, the EDA paper's settings, the SST-2 / TREC
loader, the models and where each image augmentation runs."""

import shutil

import keras
import numpy as np
import pytest

from labs.augmentation import PRESETS, study
from labs.data import DataError
from labs.data.text_classification import FILES, load_text_classification, read_examples


def test_stratified_subset_keeps_the_class_shares_and_its_seed():
    labels = np.array([0] * 700 + [1] * 200 + [2] * 100)
    subset = study.stratified_subset(labels, 100, seed=3)
    assert len(set(subset.tolist())) == 100
    assert np.bincount(labels[subset]).tolist() == [70, 20, 10]
    np.testing.assert_array_equal(subset, study.stratified_subset(labels, 100, seed=3))
    assert not np.array_equal(np.sort(subset), np.sort(study.stratified_subset(labels, 100, 4)))
    # Largest remainders: 7 = 4.9 + 1.4 + 0.7 rounds to 5 + 1 + 1.
    assert np.bincount(labels[study.stratified_subset(labels, 7, seed=0)]).tolist() == [5, 1, 1]
    with pytest.raises(ValueError, match="size must be in"):
        study.stratified_subset(labels, 1001, seed=0)


def test_validation_is_a_stratified_fifth_of_the_subset():
    labels = np.repeat(np.arange(10), 50)
    subset = study.stratified_subset(labels, 500, seed=0)
    train, validation = study.split_validation(subset, labels, 0.2, seed=0)
    assert len(train) == 400 and len(validation) == 100
    assert not set(train.tolist()) & set(validation.tolist())
    assert set(train.tolist()) | set(validation.tolist()) == set(subset.tolist())
    assert np.bincount(labels[validation]).tolist() == [10] * 10


def test_eda_settings_are_the_paper_s():
    assert study.eda_setting(500) == (0.05, 16)
    assert study.eda_setting(2000) == (0.05, 8)
    assert study.eda_setting(5000) == (0.1, 4)
    assert study.eda_setting(7447) == (0.1, 4)


def test_eda_augment_keeps_labels_and_adds_num_aug_sentences():
    synonyms = lambda word: {"good": ["fine"], "film": ["movie"]}.get(word, [])  # noqa: E731
    sentences, labels = study.eda_augment(
        ["a good film about a dog", "the worst plot of the year"], [1, 0], 500, synonyms, seed=0
    )
    assert len(sentences) == 2 * 17 and labels.tolist() == [1] * 17 + [0] * 17
    assert sentences[16] == "a good film about a dog"  # each original after its copies
    assert len(set(sentences[:16])) > 1


def test_loader_reads_both_tasks(data_root):
    sst2 = load_text_classification("sst2", manual_dir=data_root)
    assert (len(sst2.train_sentences), len(sst2.test_sentences), sst2.num_classes) == (
        7447,
        1752,
        2,
    )
    assert np.bincount(sst2.train_labels).tolist() == [3570, 3877]
    trec = load_text_classification("trec", manual_dir=data_root / "eda_nlp")
    assert np.bincount(trec.train_labels).tolist() == [1162, 1250, 86, 1223, 835, 896]
    assert trec.train_sentences[0] == "how did serfdom develop in and then leave russia"


def test_loader_errors_are_one_line(data_root, tmp_path):
    with pytest.raises(DataError, match="train.txt not found in .*--manual-dir") as error:
        load_text_classification("trec", manual_dir=tmp_path)
    assert "\n" not in str(error.value)
    shutil.copy(data_root / "eda_nlp" / "trec" / "test.txt", tmp_path / "train.txt")
    with pytest.raises(DataError, match="wrong sha256"):
        load_text_classification("trec", manual_dir=tmp_path)
    (tmp_path / "bad.txt").write_text("1\tfine\n7\tlabel out of range\n")
    with pytest.raises(DataError, match="bad.txt:2 is not 'label<TAB>sentence'"):
        read_examples(tmp_path / "bad.txt", 6)
    assert set(FILES) == {(t, s) for t in ("sst2", "trec") for s in ("train", "test")}


def test_image_augmentations_run_where_the_table_says():
    config = PRESETS["study"]
    for name in study.IMAGE_AUGMENTATIONS:
        pipeline, layers = study.image_augmentation(name, config, seed=0)
        placement = study.IMAGE_PLACEMENT[name]
        assert (pipeline is not None) == ("data" in placement), name
        assert bool(layers) == ("model" in placement), name
        assert all(isinstance(layer, keras.layers.Layer) for layer in layers)
    with pytest.raises(ValueError, match="augmentation must be one of"):
        study.image_augmentation("rotate", config, seed=0)


def test_the_model_s_augmentation_is_off_at_inference():
    _, layers = study.image_augmentation("randaugment", PRESETS["study"], seed=0)
    model = study.build_image_cnn(10, layers)
    images = np.random.default_rng(0).uniform(0, 1, (4, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(model(images, training=False), model(images, training=False))
    assert model.layers[0] is layers[0]


@pytest.mark.parametrize("kind", study.TEXT_MODELS)
def test_text_classifiers_give_class_probabilities(kind):
    model = study.build_text_classifier(kind, 50, 25, 6)
    tokens = np.random.default_rng(0).integers(0, 50, (3, 25))
    probabilities = np.asarray(model(tokens))
    assert probabilities.shape == (3, 6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
