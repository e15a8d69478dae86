"""Shared fixtures: the staged datasets, a prepared tfds data dir, running a lab."""

import os
import pathlib
import signal
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
ARCHIVE_NAME = "free-spoken-digit-dataset-1.0.9.tar.gz"


SHARED_DATA = REPO.parent / "shared" / "data"


def _archive_dir():
    root = os.environ.get("LABS_MANUAL_DIR")
    candidates = [root, root and pathlib.Path(root) / "spoken_digit", SHARED_DATA / "spoken_digit"]
    for candidate in candidates:
        if candidate and (pathlib.Path(candidate) / ARCHIVE_NAME).is_file():
            return pathlib.Path(candidate).resolve()
    return None


def _missing(message):
    """A failure under CI, a skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def data_root():
    """The folder of staged dataset folders (`ptb/`, `dlfs2/`, `fashion_mnist/`, ...), as
    `--manual-dir` takes it: LABS_MANUAL_DIR when it is one, else ../shared/data."""
    for candidate in (os.environ.get("LABS_MANUAL_DIR"), SHARED_DATA):
        if candidate and (pathlib.Path(candidate) / "ptb").is_dir():
            return pathlib.Path(candidate).resolve()
    _missing("no staged data: set LABS_MANUAL_DIR to a folder like ../shared/data")


@pytest.fixture(scope="session")
def manual_dir():
    """The folder holding the FSDD archive; a failure under CI, a skip elsewhere, when missing."""
    path = _archive_dir()
    if path is None:
        _missing(f"{ARCHIVE_NAME} not found: set LABS_MANUAL_DIR or put ../shared beside the repo")
    return path


@pytest.fixture(scope="session")
def data_dir(manual_dir, tmp_path_factory):
    """A tfds data dir with spoken_digit prepared once for the whole session (about 10 s)."""
    from labs.data.spoken_digit import load_spoken_digit

    path = tmp_path_factory.mktemp("tensorflow_datasets")
    load_spoken_digit("course", manual_dir=manual_dir, data_dir=path)
    return path


@pytest.fixture(scope="session")
def fashion_dir(data_root, tmp_path_factory):
    """A tfds data dir with Fashion-MNIST prepared once for the session from the staged files."""
    from labs.data import images

    path = tmp_path_factory.mktemp("tensorflow_datasets_fashion")
    images.load_images(
        "fashion_mnist",
        manual_dir=data_root,
        data_dir=path,
        train_size=10,
        validation_size=10,
        test_size=10,
    )
    return path


@pytest.fixture(scope="session")
def quick_run_of(tmp_path_factory):
    """`quick_run_of(lab, *flags)`: the output dir of `python -m labs.<lab> --quick <flags>`, run
    once per session (in a subprocess, from the repository root) for every test that asks for the
    same command; a failed run fails the test with the end of its stderr.

    Example:
        >>> out = quick_run_of("seq2seq", "--no-plots")
        >>> json.loads((out / "metrics.json").read_text())["quick"]
        True
    """
    runs = {}

    def run(lab, *flags):
        key = (lab, *map(str, flags))
        if key not in runs:
            out = tmp_path_factory.mktemp(f"quick_{lab}")
            result = run_module(f"labs.{lab}", "--quick", *flags, "--output-dir", out)
            runs[key] = (out, result)
        out, result = runs[key]
        assert result.returncode == 0, f"{' '.join(key)}: {result.stderr[-3000:]}"
        return out

    return run


def run_module(module, *args, env=None, timeout=900):
    """Runs `python -m <module> <args>` from the repo root; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kill_when(command, *line_starts, env=None):
    """Runs `command` from the repo root and sends it SIGTERM once lines of its stdout starting
    with `line_starts` have come, in that order (as Ctrl-C or a job scheduler would stop it);
    returns `(returncode, stderr)`."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = subprocess.Popen(
        command, cwd=REPO, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    waiting = list(line_starts)
    for line in process.stdout:
        if line.startswith(waiting[0]):
            waiting.pop(0)
            if not waiting:
                process.send_signal(signal.SIGTERM)
                break
    else:
        pytest.fail(f"no line starting {waiting[0]!r}: {process.stderr.read()[-2000:]}")
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr
