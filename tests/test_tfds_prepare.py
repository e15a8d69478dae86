"""labs.data.tfds_prepare: what goes wrong while preparing or reading a tfds dataset is one line."""

import os
import shutil

import pytest

from labs.data import DataError, images

FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def test_a_damaged_fashion_mnist_file_is_one_line_without_progress_bars(data_root, tmp_path, capfd):
    manual = tmp_path / "manual" / "fashion_mnist"
    manual.mkdir(parents=True)
    for name in FASHION_FILES:
        shutil.copyfile(data_root / "fashion_mnist" / name, manual / name)
    damaged = manual / "t10k-images-idx3-ubyte.gz"
    os.truncate(damaged, damaged.stat().st_size // 2)
    with pytest.raises(DataError, match="wrong checksum") as error:
        images.load_images(manual_dir=manual.parent, data_dir=tmp_path / "tfds", train_size=10)
    assert "\n" not in str(error.value)
    captured = capfd.readouterr()
    # tfds's download and extraction bars (dozens of lines) would bury the one line.
    assert "Dl Completed" not in captured.err + captured.out
    assert "Extraction completed" not in captured.err + captured.out


def test_a_damaged_prepared_fashion_mnist_is_one_line_naming_the_folder(fashion_dir, tmp_path):
    copy = tmp_path / "tfds"
    shutil.copytree(fashion_dir, copy)
    (record,) = copy.glob("fashion_mnist/*/*test.tfrecord*")
    os.truncate(record, record.stat().st_size // 2)
    with pytest.raises(DataError, match="is damaged") as error:
        images.load_images(data_dir=copy, train_size=10, validation_size=10)
    message = str(error.value)
    assert "\n" not in message and f"delete {copy / 'fashion_mnist'}" in message
