"""Fashion-MNIST and MNIST through `tfds.load`, as numpy arrays in [0, 1].

Both are 28x28 grey images in 10 classes, 60,000 for training and 10,000 for testing. tfds ships
them as `train` and `test` splits; this module keeps `test` as the test set and carves the
validation set off the end of `train` (the last 5,000 images by default), so the test set is used
for the final numbers only.

Offline, tfds prepares the data from the four original `.gz` files in a manual dir
(`--manual-dir` / `LABS_MANUAL_DIR`, a dataset's folder or a folder of dataset folders such as
../shared/data), through the same `tfds.load` call a user with internet makes. Fashion-MNIST is
staged there; MNIST is not, so offline `--dataset mnist` says to use Fashion-MNIST.
"""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from labs.data import tfds_prepare

DATASETS = ("fashion_mnist", "mnist")
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"  # the same file name in both datasets
# Where tfds downloads each dataset from: reachable means tfds can download it.
_DOWNLOAD_HOSTS = {
    "fashion_mnist": ("fashion-mnist.s3-website.eu-central-1.amazonaws.com", 80),
    "mnist": ("storage.googleapis.com", 443),
}
_NAMES = {"fashion_mnist": "Fashion-MNIST", "mnist": "MNIST"}
# MNIST is not staged: with a network tfds downloads it, as for any user; without, say what to use.
_NOT_STAGED = {
    "mnist": "mnist is not prepared, not in the manual dir and there is no network to download "
    "it: use --dataset fashion_mnist (staged in ../shared/data), or pass --manual-dir DIR with "
    "DIR/mnist/ holding the four MNIST .gz files"
}


@dataclasses.dataclass(frozen=True)
class ImageSplits:
    """Train, validation and test images with their labels.

    Images are float32 `(n, 28, 28, 1)` in [0, 1] (the uint8 pixel / 255); labels are int64 `(n,)`.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    validation_images: np.ndarray
    validation_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple  # e.g. ("T-shirt/top", "Trouser", ...) or ("0", "1", ...)
    name: str  # "fashion_mnist" or "mnist"


def load_images(
    dataset="fashion_mnist",
    *,
    manual_dir=None,
    data_dir=None,
    validation=5000,
    train_size=None,
    validation_size=None,
    test_size=None,
):
    """Loads Fashion-MNIST or MNIST through `tfds.load`, preparing it from `manual_dir` if given.

    Args:
        dataset: `"fashion_mnist"` or `"mnist"`.
        manual_dir: a folder holding the four `.gz` files (or a folder of dataset folders with
            them in `<dataset>/`), for offline use.
        data_dir: where tfds keeps prepared datasets; tfds's default when None.
        validation: images at the end of `train` kept for validation.
        train_size: keep only the first `train_size` training images (None: all the rest).
        validation_size: keep only the first `validation_size` of the validation images.
        test_size: keep only the first `test_size` test images (None: all 10,000).

    Returns:
        An `ImageSplits`.

    Raises:
        DataError: the data cannot be prepared (no files and no network, a corrupt file).

    Example:
        >>> splits = load_images(manual_dir="../shared/data", train_size=2000)
        >>> splits.train_images.shape, splits.class_names[0]
        ((2000, 28, 28, 1), 'T-shirt/top')
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    end = 60000 - validation
    splits = [
        f"train[:{min(end, train_size or end)}]",
        f"train[{end}:{min(60000, end + (validation_size or validation))}]",
        f"test[:{test_size}]" if test_size else "test",
    ]
    loaded, info = tfds_prepare.load(
        dataset,
        TRAIN_IMAGES,
        _DOWNLOAD_HOSTS[dataset],
        manual_dir=manual_dir,
        data_dir=data_dir,
        what=f"the four {_NAMES[dataset]} .gz files",
        offline=_NOT_STAGED.get(dataset),
        split=splits,
        as_supervised=True,
        batch_size=-1,
        with_info=True,
    )
    arrays = []
    for images, labels in tfds.as_numpy(loaded):
        arrays += [images.astype(np.float32) / 255.0, labels.astype(np.int64)]
    names = info.features["label"].names
    return ImageSplits(*arrays, class_names=tuple(names), name=dataset)


def binarize(images, seed):
    """Binary images drawn pixel by pixel: 1 with probability the grey value (the stochastic
    binarisation of the VAE literature), fixed by `seed`. `(n, 28, 28, 1)` float32 0s and 1s."""
    rng = np.random.default_rng(seed)
    return (rng.random(images.shape, dtype=np.float32) < images).astype(np.float32)
