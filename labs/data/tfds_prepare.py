"""`tfds.load` for every tfds dataset of the labs, prepared offline from a manual dir, written once.

A user with internet gets the ordinary `tfds.load(name, ...)`; offline, the same call prepares the
dataset from the original files in `--manual-dir` / `LABS_MANUAL_DIR` (a dataset's folder, or a
folder of dataset folders such as ../shared/data). What can go wrong is one `DataError` line: no
files and no network, files with the wrong checksum or damaged, a damaged prepared copy in the
tfds data dir (`--data-dir` / `TFDS_DATA_DIR`).

Example:
    >>> train = tfds_prepare.load(
    ...     "spoken_digit", "free-spoken-digit-dataset-1.0.9.tar.gz", ("github.com", 443),
    ...     manual_dir="../shared/data", data_dir=None, split="train")
"""

import socket
import zlib

import tensorflow as tf
import tensorflow_datasets as tfds
from tensorflow_datasets.core.download.download_manager import NonMatchingChecksumError

from labs.data.errors import DataError
from labs.data.files import manual_folder

# What preparing or reading a dataset raises on damaged or missing bytes (gzip, zlib, numpy's
# reshape of a short file, TensorFlow's readers) and on network failures (OSError).
READ_ERRORS = (OSError, EOFError, ValueError, zlib.error, tf.errors.OpError)


def load(name, marker, host, *, manual_dir, data_dir, what=None, offline=None, **load_kwargs):
    """`tfds.load(name, **load_kwargs)`, prepared from `manual_dir` when it is not yet.

    Args:
        name: the tfds name, also the dataset's folder in a folder of datasets.
        marker: a file of the dataset's manual folder (`free-spoken-digit-dataset-1.0.9.tar.gz`).
        host: `(host, port)` tfds downloads from: reachable means tfds can download.
        manual_dir: `--manual-dir`, or None.
        data_dir: where tfds keeps prepared datasets; tfds's default when None.
        what: the files the manual folder must hold, in messages (default: `marker`).
        offline: the message when the data is in no manual dir and there is no network (a
            dataset that is not staged says what to use instead); a default names --manual-dir.
        **load_kwargs: passed to `tfds.load` (`split`, `as_supervised`, `batch_size`, ...).

    Returns:
        What `tfds.load` returns.

    Raises:
        DataError: the data cannot be had or read; one line saying what to do.
    """
    data_dir = None if data_dir is None else str(data_dir)
    builder = tfds.builder(name, data_dir=data_dir)
    preparing = not builder.is_prepared()
    prepare = {}
    if preparing:
        prepare = _download_kwargs(name, marker, host, manual_dir, what or marker, offline)
        tfds.disable_progress_bar()  # its bars would bury a failure's one line
        source = prepare.get("download_config")
        where = f"the files in {source.manual_dir}" if source else "a download"
        print(f"Preparing {name} from {where} into {builder.data_dir} (once)")
    try:
        return tfds.load(
            name,
            data_dir=data_dir,
            download_and_prepare_kwargs=prepare,
            **load_kwargs,
        )
    except NonMatchingChecksumError:
        raise DataError(
            f"the {name} files in the manual dir have the wrong checksum (corrupt or not the "
            f"original {what or marker}): replace them with the originals"
        ) from None
    except READ_ERRORS as error:
        raise damaged(name, builder.data_dir, error, preparing=preparing) from None


def read_all(dataset, name, data_dir=None):
    """Reads a dataset of `name` once to the end (filling its cache) and returns how many
    elements it has; a damaged prepared copy is a `DataError` here, not a traceback in the middle
    of training."""
    try:
        return int(dataset.reduce(0, lambda count, _: count + 1))
    except tf.errors.OpError as error:
        prepared = tfds.builder(name, data_dir=None if data_dir is None else str(data_dir))
        raise damaged(name, prepared.data_dir, error, preparing=False) from None


def damaged(name, prepared_dir, error, *, preparing):
    """The one-line `DataError` for an exception raised while preparing or reading `name`."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
    reason = f"{type(error).__name__}: {reason[:160]}".rstrip(": ")
    if preparing:
        return DataError(
            f"could not prepare {name} ({reason}): offline, a file in --manual-dir may be damaged "
            "or incomplete; replace it with the original"
        )
    return DataError(
        f"the prepared copy of {name} in {prepared_dir} is damaged or unreadable ({reason}): "
        f"delete {prepared_dir} and run again to prepare it anew"
    )


def _download_kwargs(name, marker, host, manual_dir, what, offline):
    """What `tfds.load` needs to prepare `name` here, or a clear error when it cannot."""
    folder = manual_folder(manual_dir, name, marker)
    if folder is not None:
        return {"download_config": tfds.download.DownloadConfig(manual_dir=str(folder))}
    if manual_dir is not None and offline is None:
        raise DataError(
            f"{marker} not found in {manual_dir}/{name}/ or {manual_dir}/: --manual-dir (or "
            f"LABS_MANUAL_DIR) must name the folder holding {what}, or a folder of dataset "
            "folders such as ../shared/data"
        )
    if not online(host):
        # tfds would retry the download for minutes before failing; say what to do at once.
        raise DataError(
            offline
            or f"{name} is not prepared and there is no network to download it: pass "
            f"--manual-dir DIR (or set LABS_MANUAL_DIR=DIR) with DIR/{name}/ holding {what}"
        )
    return {}


def online(host):
    """True when `(host, port)` answers within 5 s."""
    try:
        socket.create_connection(host, timeout=5).close()
    except OSError:
        return False
    return True
