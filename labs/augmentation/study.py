"""The augmentation study: the same small models trained with and without augmentation on little
data, images (Fashion-MNIST) and text (SST-2, TREC), over several seeds.

Each cell (a training-set size N, an augmentation, a seed) draws a stratified subset of N
examples with its seed, keeps a stratified fifth of it for early stopping (the test set is used
for the final number only), trains a fresh model through the kit (`experiment.fit`: backup,
resume, NaN guard, history.csv) and records its test accuracy.
"""

import numpy as np

# --- images ------------------------------------------------------------------------------------
IMAGE_AUGMENTATIONS = ("none", "pipeline", "randaugment", "mixup", "cutmix", "randaugment_mixup")
# Where each augmentation runs: "data" = an AugmentationPipeline mapped over the tf.data input of
# model.fit; "model" = Keras layers at the front of the model (active in fit, no-ops in evaluate).
# RandAugment runs in the model: its graph executes about 15x faster inside the compiled train
# step than in a tf.data map on this CPU (6 vs 100 ms per batch of 128), for the same images.
IMAGE_PLACEMENT = {
    "none": "",
    "pipeline": "data",
    "randaugment": "model",
    "mixup": "data",
    "cutmix": "data",
    "randaugment_mixup": "model (RandAugment) + data (MixUp)",
}
# --- text --------------------------------------------------------------------------------------
TEXT_TASKS = ("sst2", "trec")
TEXT_MODELS = ("lstm", "cnn")
TEXT_AUGMENTATIONS = ("none", "eda")
# The EDA paper's recommended settings by training-set size (Wei & Zou 2019, Table 3):
# (N up to, alpha for all four operations, augmented sentences per original).
EDA_SETTINGS = ((500, 0.05, 16), (2000, 0.05, 8), (5000, 0.1, 4), (None, 0.1, 4))
# Words kept per sentence: SST-2 99 % of sentences (the paper: 50), TREC the paper's 25.
SEQUENCE_LENGTH = {"sst2": 40, "trec": 25}


def eda_setting(size):
    """The paper's `(alpha, num_aug)` for a training set of `size` sentences.

    Example:
        >>> eda_setting(500), eda_setting(2000), eda_setting(7447)
        ((0.05, 16), (0.05, 8), (0.1, 4))
    """
    for limit, alpha, num_aug in EDA_SETTINGS:
        if limit is None or size <= limit:
            return alpha, num_aug
    raise AssertionError("unreachable")


def stratified_subset(labels, size, seed):
    """Indices of a random subset of `size` examples with the class proportions of `labels`.

    Each class gets its share of `size` rounded down, and the largest remainders one more, so the
    subset has exactly `size` examples.

    Args:
        labels: int array of class ids.
        size: how many examples to draw (at most `len(labels)`).
        seed: int; the same seed draws the same subset.

    Returns:
        int64 array of `size` distinct indices into `labels`, in random order.

    Example:
        >>> stratified_subset(np.array([0] * 90 + [1] * 10), 10, seed=0).size
        10
    """
    labels = np.asarray(labels)
    if not 0 < size <= len(labels):
        raise ValueError(f"size must be in [1, {len(labels)}], got {size}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    share = counts / counts.sum() * size
    per_class = np.floor(share).astype(int)
    extra = size - per_class.sum()
    per_class[np.argsort(per_class - share, kind="stable")[:extra]] += 1
    chosen = [
        rng.choice(np.flatnonzero(labels == label), count, replace=False)
        for label, count in zip(classes, per_class, strict=True)
    ]
    return rng.permutation(np.concatenate(chosen)).astype(np.int64)


def split_validation(indices, labels, fraction, seed):
    """Splits `indices` into training and validation parts, stratified by `labels[indices]`.

    Returns:
        `(train, validation)` index arrays; the validation part has `round(fraction * n)`
        indices (at least one).
    """
    size = max(1, round(fraction * len(indices)))
    picked = stratified_subset(np.asarray(labels)[indices], size, seed + 7919)
    keep = np.ones(len(indices), bool)
    keep[picked] = False
    return np.asarray(indices)[keep], np.asarray(indices)[picked]


def accuracy_summary(accuracies):
    """`{"mean", "min", "max", "seeds": {seed: accuracy}}` of `{seed: accuracy}`."""
    values = np.array(list(accuracies.values()), float)
    return {
        "mean": round(float(values.mean()), 4),
        "min": round(float(values.min()), 4),
        "max": round(float(values.max()), 4),
        "seeds": {str(seed): round(float(value), 4) for seed, value in accuracies.items()},
    }


# --- models ------------------------------------------------------------------------------------
def build_image_cnn(num_classes, augmentation_layers=(), learning_rate=1e-3):
    """The study's small CNN for 28x28 grey images, optionally with augmentation layers first.

    conv 16 -> pool -> conv 32 -> pool -> dropout 0.3 -> softmax: about 20k weights, fast on two
    CPU cores, and with room to overfit a few hundred images (what augmentation is for).

    Args:
        num_classes: output classes.
        augmentation_layers: Keras layers run on the images first (training only).
        learning_rate: Adam's.

    Returns:
        A `keras.Model` compiled with categorical cross-entropy (one-hot labels, as MixUp and
        CutMix make) and accuracy.

    Example:
        >>> model = build_image_cnn(10, [augmentation.RandAugment(2, 0.5)])
    """
    import keras

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            *augmentation_layers,
            layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(name="pool1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.3, name="dropout"),
            layers.Dense(num_classes, activation="softmax", name="classes"),
        ],
        name="cnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_text_classifier(kind, vocabulary_size, sequence_length, num_classes):
    """The EDA paper's two classifiers, scaled down, over word embeddings learnt from scratch.

    - `"lstm"`: embedding 64 -> LSTM 32 -> dropout 0.5 -> dense 20 (relu) -> softmax (the
      paper: two bidirectional LSTMs, 64 and 32, on 300-d GloVe vectors).
    - `"cnn"`: embedding 64 -> Conv1D 64 x 5 (relu) -> global max pooling -> dropout 0.5 ->
      dense 20 (relu) -> softmax (the paper: 128 filters on GloVe).

    Args:
        kind: `"lstm"` or `"cnn"`.
        vocabulary_size: token ids are in `[0, vocabulary_size)`, 0 the padding.
        sequence_length: tokens per sentence.
        num_classes: output classes.

    Returns:
        A `keras.Model` taking int token ids, compiled with sparse categorical cross-entropy.

    Example:
        >>> model = build_text_classifier("cnn", 5000, 25, 6)
    """
    import keras

    layers = keras.layers
    tokens = keras.Input((sequence_length,), dtype="int32", name="tokens")
    x = layers.Embedding(vocabulary_size, 64, mask_zero=kind == "lstm", name="embedding")(tokens)
    if kind == "lstm":
        x = layers.LSTM(32, name="lstm")(x)
    elif kind == "cnn":
        x = layers.Conv1D(64, 5, activation="relu", name="conv")(x)
        x = layers.GlobalMaxPooling1D(name="max_pool")(x)
    else:
        raise ValueError(f"kind must be one of {TEXT_MODELS}, got {kind!r}")
    x = layers.Dropout(0.5, name="dropout")(x)
    x = layers.Dense(20, activation="relu", name="dense")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classes")(x)
    model = keras.Model(tokens, outputs, name=kind)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# --- augmentations -----------------------------------------------------------------------------
def course_pipeline_steps(config):
    """The course's pipeline with only the ops that make sense for Fashion-MNIST.

    Kept: left-right flip (a mirrored shirt is still a shirt), a random 28x28 crop of the image
    padded by `config.pipeline_padding` black pixels (`pad_images`: shifts of a few pixels, the
    garments' position varying), and contrast and brightness at gentle strengths. Dropped:
    up-down flip and rot90 (no test image is upside down or sideways: an upside-down ankle boot
    is not an example of anything), hue (the images are grey). The course's contrast
    U(0.4, 0.6) and brightness ±0.8 wipe out a 28x28 grey garment, so the strengths are milder;
    and its crop is resized back (a zoom every training image gets and no test image does),
    so the crop here is of a padded image instead.
    """
    import augmentation as aug

    return [
        aug.RandomFlip("horizontal"),
        aug.RandomCrop(28, 28),
        aug.RandomContrast(*config.pipeline_contrast),
        aug.RandomBrightness(config.pipeline_brightness),
    ]


def pad_images(dataset, pixels):
    """A batched `(images, labels)` dataset with `pixels` of black (0) around every image."""
    import tensorflow as tf

    padding = [[0, 0], [pixels, pixels], [pixels, pixels], [0, 0]]
    return dataset.map(lambda images, labels: (tf.pad(images, padding), labels))


def image_augmentation(name, config, seed):
    """The augmentation `name` as `(data_pipeline or None, model_layers)`.

    Args:
        name: one of `IMAGE_AUGMENTATIONS`.
        config: the lab's config (strengths of each op).
        seed: the cell's seed (the tf.data pipeline's seed; the model's layers draw from Keras's
            seeded generators).

    Returns:
        An `augmentation.AugmentationPipeline` for `pipeline.apply(dataset)` (None when nothing
        runs on the data), and a list of layers for the front of the model.
    """
    import augmentation as aug

    if name not in IMAGE_AUGMENTATIONS:
        raise ValueError(f"augmentation must be one of {IMAGE_AUGMENTATIONS}, got {name!r}")
    randaugment = [aug.RandAugment(config.randaugment_ops, config.randaugment_magnitude)]
    data_steps, layers = {
        "none": ([], []),
        "pipeline": (course_pipeline_steps(config), []),
        "randaugment": ([], randaugment),
        "mixup": ([aug.MixUp(config.mixup_alpha)], []),
        "cutmix": ([aug.CutMix(config.cutmix_alpha)], []),
        "randaugment_mixup": ([aug.MixUp(config.mixup_alpha)], randaugment),
    }[name]
    pipeline = aug.AugmentationPipeline(data_steps, seed=seed) if data_steps else None
    return pipeline, layers


def eda_augment(sentences, labels, size, synonyms, seed):
    """The training sentences with the paper's EDA copies of each, for a subset of `size`.

    Returns:
        `(sentences, labels)`: every original followed by its `num_aug` augmented versions
        (`eda_setting(size)`), all with the original's label.
    """
    import augmentation as aug

    alpha, num_aug = eda_setting(size)
    out_sentences, out_labels = [], []
    for index, (sentence, label) in enumerate(zip(sentences, labels, strict=True)):
        augmented = aug.eda(sentence, synonyms, alpha, alpha, alpha, alpha, num_aug, seed + index)
        out_sentences += augmented
        out_labels += [label] * len(augmented)
    return out_sentences, np.asarray(out_labels, np.int64)


# --- the two studies ---------------------------------------------------------------------------
def run_image_cell(experiment, config, data, size, name, seed):
    """Trains the CNN on a stratified subset of `size` images with augmentation `name`.

    Args:
        experiment: the run (`experiment.fit`).
        config: the lab's config.
        data: `(images, labels, test_images, test_labels, num_classes)`, images float32 in [0, 1].
        size: N, the training-set size (validation carved out of it).
        name: the augmentation.
        seed: the cell's seed (subset, split, initial weights, augmentation).

    Returns:
        `(test_accuracy, epochs)`.
    """
    import keras
    import tensorflow as tf

    images, labels, test_images, test_labels, num_classes = data
    subset = stratified_subset(labels, size, seed)
    train, validation = split_validation(subset, labels, config.validation_fraction, seed)
    one_hot = np.eye(num_classes, dtype=np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((images[train], one_hot[labels[train]]))
    # One endless dataset read by one iterator: tf.data then prepares the augmentation's map
    # function once per model, not at the start of every epoch (seconds each on a busy CPU).
    dataset = dataset.shuffle(len(train), seed=seed).batch(config.image_batch_size).repeat()
    pipeline, _ = image_augmentation(name, config, seed)
    if name == "pipeline":
        dataset = pad_images(dataset, config.pipeline_padding)  # the crop takes 28x28 of it
    if pipeline is not None:
        dataset = pipeline.apply(dataset)
    steps_per_epoch = -(-len(train) // config.image_batch_size)  # one pass over the subset
    epochs = max(config.image_min_epochs, -(-config.image_steps // steps_per_epoch))

    def build():
        keras.utils.set_random_seed(seed)  # the cell's initial weights and layers' generators
        layers = image_augmentation(name, config, seed)[1]
        return build_image_cnn(num_classes, layers, config.image_learning_rate)

    result = experiment.fit(
        f"images-{size}-{name}-seed{seed}",
        build,
        dataset.prefetch(tf.data.AUTOTUNE),
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        validation=(images[validation], one_hot[labels[validation]]),
        callbacks=[early_stopping(config.image_patience)],
        save=False,
    )
    _, accuracy = result.model.evaluate(
        test_images, one_hot[test_labels], batch_size=1000, verbose=0
    )
    keras.backend.clear_session()
    return float(accuracy), result.epochs


def run_text_cell(experiment, config, task, kind, size, name, seed, synonyms):
    """Trains a text classifier on a stratified subset of `size` sentences, with or without EDA.

    Args:
        experiment: the run.
        config: the lab's config.
        task: a `TextClassification`.
        kind: `"lstm"` or `"cnn"`.
        size: N (validation carved out of it, never augmented).
        name: `"none"` or `"eda"`.
        seed: the cell's seed.
        synonyms: the EDA synonym source.

    Returns:
        `(test_accuracy, epochs, training sentences)`.
    """
    import keras

    labels = task.train_labels
    subset = stratified_subset(labels, size, seed)
    train, validation = split_validation(subset, labels, config.validation_fraction, seed)
    sentences = [task.train_sentences[i] for i in train]
    train_labels = labels[train]
    if name == "eda":
        sentences, train_labels = eda_augment(sentences, train_labels, size, synonyms, seed)
    length = SEQUENCE_LENGTH[task.name]
    # The vocabulary is the training sentences' (EDA's new words included); others map to 1.
    vectorize = keras.layers.TextVectorization(
        standardize=None, output_sequence_length=length, name="vectorize"
    )
    vectorize.adapt(sentences, batch_size=1024)

    def encode(texts):
        return np.asarray(vectorize(np.asarray(texts, dtype=object)), np.int32)

    def build():
        keras.utils.set_random_seed(seed)  # the cell's initial weights
        return build_text_classifier(kind, vectorize.vocabulary_size(), length, task.num_classes)

    result = experiment.fit(
        f"{task.name}-{kind}-{size}-{name}-seed{seed}",
        build,
        encode(sentences),
        y=train_labels,
        batch_size=config.text_batch_size,
        epochs=config.text_epochs,
        validation=(encode([task.train_sentences[i] for i in validation]), labels[validation]),
        callbacks=[early_stopping(config.text_patience)],
        save=False,
    )
    _, accuracy = result.model.evaluate(
        encode(task.test_sentences), task.test_labels, batch_size=1000, verbose=0
    )
    keras.backend.clear_session()
    return float(accuracy), result.epochs, len(sentences)


def early_stopping(patience):
    """Early stopping on the validation loss (the validation part of the training subset),
    restoring the best epoch's weights."""
    import keras

    return keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True
    )


def image_details(config):
    """What metrics.json says about the image half besides the accuracies."""
    return {
        "data": "fashion_mnist: subsets of the 60,000 training images, the 10,000 test images",
        "model": "conv 16 -> pool -> conv 32 -> pool -> dropout 0.3 -> softmax, Adam",
        "placement": {name: IMAGE_PLACEMENT[name] for name in config.augmentations},
        "pipeline": [type(op).__name__ for op in course_pipeline_steps(config)],
        "pipeline_padding": config.pipeline_padding,
        "dropped_from_course_pipeline": ["flip up-down", "rot90", "hue"],
    }


def text_details(config, synonym_source, sizes):
    """What metrics.json says about the text half besides the accuracies (`sizes`: every N)."""
    eda = {}
    for size in sorted(sizes):
        alpha, num_aug = eda_setting(size)
        eda[str(size)] = {"alpha": alpha, "num_aug": num_aug}
    return {
        "models": list(TEXT_MODELS),
        "sequence_length": {task: SEQUENCE_LENGTH[task] for task in config.text_tasks},
        "synonyms": synonym_source,
        "eda": eda,
    }
