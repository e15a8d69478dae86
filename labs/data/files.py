"""Plain data files through `keras.utils.get_file`, and the one manual-dir convention of every
loader.

`--manual-dir` / `LABS_MANUAL_DIR` names either one dataset's folder or a folder of dataset folders
laid out as `../shared/data/` is (`spoken_digit/`, `fashion_mnist/`, `ptb/`, `dlfs2/`); a loader
looks in `DIR/<dataset>/` first, then in `DIR/`.
"""

import hashlib
import pathlib

from labs.data.errors import DataError


def manual_folder(manual_dir, dataset, filename):
    """The folder of `manual_dir` holding `filename` of `dataset`, or None.

    Args:
        manual_dir: the `--manual-dir` folder, or None.
        dataset: the dataset's folder name in a folder of datasets, e.g. `"ptb"`.
        filename: a file the dataset's folder must hold, e.g. `"ptb.train.txt"`.

    Returns:
        `manual_dir/<dataset>` or `manual_dir` as a `pathlib.Path`, whichever holds `filename`
        (in that order); None when `manual_dir` is None or neither does.
    """
    if manual_dir is None:
        return None
    for folder in (pathlib.Path(manual_dir) / dataset, pathlib.Path(manual_dir)):
        if (folder / filename).is_file():
            return folder
    return None


def sha256(path):
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def get_file(dataset, filename, origin, file_hash, manual_dir=None):
    """One file of a dataset, checked against its sha256: from the manual dir when one is given,
    otherwise through `keras.utils.get_file` (Keras's cache, downloading once).

    Args:
        dataset: the dataset's name and folder name, e.g. `"ptb"`.
        filename: the file's name, e.g. `"ptb.train.txt"`.
        origin: the URL a user with internet downloads it from.
        file_hash: its sha256.
        manual_dir: `--manual-dir`, or None.

    Returns:
        The file's `pathlib.Path`.

    Raises:
        DataError: the file is not in the manual dir, has another checksum, or cannot be
            downloaded.

    Example:
        >>> get_file("ptb", "ptb.valid.txt", PTB_ORIGIN + "ptb.valid.txt", PTB_SHA256[...],
        ...          manual_dir="../shared/data")
        PosixPath('../shared/data/ptb/ptb.valid.txt')
    """
    if manual_dir is not None:
        folder = manual_folder(manual_dir, dataset, filename)
        if folder is None:
            raise DataError(
                f"{filename} not found in {manual_dir}/{dataset}/ or {manual_dir}/: --manual-dir "
                f"(or LABS_MANUAL_DIR) must name a folder holding it, or a folder of dataset "
                "folders such as ../shared/data"
            )
        path = folder / filename
        if sha256(path) != file_hash:
            raise DataError(
                f"{path} has the wrong sha256 (corrupt or another version of "
                f"{dataset}): replace it with the original from {origin}"
            )
        return path
    import keras

    try:
        return pathlib.Path(
            keras.utils.get_file(
                filename,
                origin,
                file_hash=file_hash,
                hash_algorithm="sha256",
                cache_subdir=f"datasets/{dataset}",
            )
        )
    except Exception as error:  # noqa: BLE001 - network and checksum failures alike
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(
            f"cannot download {filename} ({reason}): offline, pass --manual-dir DIR (or set "
            f"LABS_MANUAL_DIR=DIR) with DIR/{dataset}/{filename} or DIR/{filename}"
        ) from None
