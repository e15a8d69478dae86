"""The output contract of every run: the output dir, `metrics.json` in one envelope, history.csv."""

import csv
import dataclasses
import json
import os
import pathlib
import platform

import numpy as np

from labs.kit.cli import LabError, uninterruptible


def prepare_output_dir(path):
    """Creates `path`, checking it is writable.

    Returns:
        `path` as a `pathlib.Path`.

    Raises:
        LabError: when the folder cannot be created or written.
    """
    path = pathlib.Path(path)
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


def plain(data):
    """`data` as `json.load` would read it back: numpy values, paths and dataclasses made plain,
    tuples made lists."""
    return json.loads(json.dumps(data, default=_to_json))


def write_json(path, data):
    """Writes `data` as indented JSON, turning numpy values, paths and dataclasses into plain
    values; the file is replaced whole (written aside, then renamed), never left half written."""
    path = pathlib.Path(path)
    temporary = path.with_name(path.name + ".tmp")
    with uninterruptible():
        temporary.write_text(json.dumps(data, indent=2, default=_to_json) + "\n", encoding="utf-8")
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


def envelope(lab, args, config):
    """The keys every `metrics.json` starts with.

    Returns:
        `{"lab", "preset", "seed", "quick", "config": the config as a dict, "versions"}`.
    """
    return {
        "lab": lab,
        "preset": args.preset,
        "seed": args.seed,
        "quick": bool(getattr(args, "quick", False)),
        "config": dataclasses.asdict(config),
        "versions": versions(),
    }


def write_history_csv(path, histories):
    """Writes training histories as one CSV, a row per (run, epoch).

    Args:
        path: the CSV file to write.
        histories: `{run_name: {metric_name: [value per epoch]}}`, e.g. `{"gru": history.history}`.
    """
    metrics = sorted({name for history in histories.values() for name in history})
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["run", "epoch", *metrics])
        for run, history in histories.items():
            epochs = max((len(values) for values in history.values()), default=0)
            for epoch in range(epochs):
                values = [history.get(name, [])[epoch : epoch + 1] for name in metrics]
                # A metric missing for this epoch (e.g. val_ when not validated) is left blank.
                writer.writerow(
                    [
                        run,
                        epoch + 1,
                        *("" if not v or v[0] is None else f"{v[0]:.6g}" for v in values),
                    ]
                )
    return pathlib.Path(path)


def report_outputs(out):
    """Prints where a run's files went, one path per line."""
    out = pathlib.Path(out)
    files = sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    print(f"\nWrote {len(files)} files to {out}/")
    for file in files:
        print(f"  {file.relative_to(out)}")
