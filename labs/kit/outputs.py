"""The output contract of every run: the output dir, `metrics.json` in one envelope, history.csv."""

import csv
import dataclasses
import json
import os
import pathlib
import platform

import numpy as np

from labs.kit.cli import uninterruptible
from labs.kit.errors import LabError

METRICS = "metrics.json"  # the envelope, then the lab's results
HISTORY = "history.csv"  # a row per (model, epoch)
ASSETS = "assets.json"  # what the saved models need to be used again (a vocabulary, a task)
# What a run writes as folders and as files: anything else in their place stops it at the start.
FOLDERS = ("models", "backup")
FILES = (METRICS, HISTORY, ASSETS)


def prepare_output_dir(path):
    """Creates `path`, checking it is writable and that nothing stands where the run writes.

    Returns:
        `path` as a `pathlib.Path`.

    Raises:
        LabError: when the folder cannot be created or written, or a file stands where a folder
            goes (`models`, `backup`) or a folder where a file goes (`metrics.json`, ...).
    """
    path = pathlib.Path(path)
    if str(path).strip() in ("", "."):
        raise LabError("--output-dir must name a folder for the run, not the current folder")
    for name in FOLDERS:
        if (path / name).exists() and not (path / name).is_dir():
            raise LabError(f"{path / name} is a file where the run keeps a folder: move it away")
    for name in FILES:
        if (path / name).is_dir():
            raise LabError(f"{path / name} is a folder where the run writes a file: move it away")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise LabError(f"cannot write to output dir {path}: {error.strerror or error}") from None
    return path


def _to_json(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, pathlib.Path):
        return str(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _finite(data):
    """`data` with every NaN or infinite float made None (strict JSON has neither)."""
    if isinstance(data, float):
        return data if np.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data


def plain(data):
    """`data` as `json.load` would read it back: numpy values, paths and dataclasses made plain,
    tuples made lists, NaN and infinities made None."""
    return _finite(json.loads(json.dumps(data, default=_to_json)))


def write_json(path, data):
    """Writes `data` as indented JSON, turning numpy values, paths and dataclasses into plain
    values; the file is replaced whole (written aside, then renamed), never left half written."""
    path = pathlib.Path(path)
    temporary = path.with_name(path.name + ".tmp")
    text = json.dumps(plain(data), indent=2, allow_nan=False) + "\n"
    with uninterruptible():
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    return path


def versions():
    """`{"tensorflow", "keras", "python"}` versions, for the metrics envelope."""
    import keras
    import tensorflow as tf

    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
    }


def envelope(context, config):
    """The keys every `metrics.json` starts with (`kit.schema.Envelope`).

    Args:
        context: the run's `RunContext`.
        config: the config it ran with.

    Returns:
        `{"lab", "preset", "seed", "quick", "config": the config as a dict, "versions"}`.
    """
    return {
        "lab": context.lab,
        "preset": context.preset,
        "seed": context.seed,
        "quick": context.quick,
        "config": dataclasses.asdict(config),
        "versions": versions(),
    }


def write_history_csv(path, histories):
    """Writes training histories as one CSV, a row per (run, epoch); replaced whole, never half
    written. `read_history_csv` reads it back.

    Args:
        path: the CSV file to write.
        histories: `{run_name: {metric_name: [value per epoch]}}`, e.g. `{"gru": history.history}`.
    """
    path = pathlib.Path(path)
    metrics = sorted({name for history in histories.values() for name in history})
    rows = [["run", "epoch", *metrics]]
    for run, history in histories.items():
        epochs = max((len(values) for values in history.values()), default=0)
        for epoch in range(epochs):
            values = [history.get(name, [])[epoch : epoch + 1] for name in metrics]
            # A metric missing for this epoch (e.g. val_ when not validated) is left blank.
            cells = ("" if not v or v[0] is None else f"{v[0]:.6g}" for v in values)
            rows.append([run, epoch + 1, *cells])
    temporary = path.with_name(path.name + ".tmp")
    with uninterruptible():
        with open(temporary, "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(rows)
        os.replace(temporary, path)
    return path


def read_history_csv(path):
    """Reads a `history.csv` written by `write_history_csv`.

    Returns:
        `{run_name: {metric_name: [value per epoch]}}`, a blank cell read as None.
    """
    histories = {}
    with open(path, newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            run = histories.setdefault(row.pop("run"), {})
            row.pop("epoch", None)
            for name, text in row.items():
                run.setdefault(name, []).append(float(text) if text else None)
    return histories


def report_outputs(out):
    """Prints where a run's files went, one path per line."""
    out = pathlib.Path(out)
    files = sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    print(f"\nWrote {len(files)} files to {out}/")
    for file in files:
        print(f"  {file.relative_to(out)}")
