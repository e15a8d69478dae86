"""Plumbing every lab shares: the uniform command line, seeding and the output contract.

A lab reads top to bottom with it:

    parser = common.make_parser("seq2seq", __doc__, PRESETS)
    args = parser.parse_args(argv)
    config = common.configure(PRESETS[args.preset], args)
    common.seed_everything(args.seed)
    out = common.prepare_output_dir(args.output_dir)
    ...
    common.write_metrics(out, metrics)

and ends with `if __name__ == "__main__": common.run(main)`, which turns a `LabError` into one line
on stderr and exit status 1 instead of a traceback.
"""

import argparse
import contextlib
import csv
import dataclasses
import json
import os
import pathlib
import signal
import sys

import numpy as np


class LabError(Exception):
    """A problem the user can fix (bad data, unwritable folder); shown as one line, exit status 1."""


class LabArgumentParser(argparse.ArgumentParser):
    """`ArgumentParser` whose errors are one line (what is wrong and what is accepted), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text):
    """argparse type: an integer > 0."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text):
    """argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def make_parser(lab, doc, presets, *, default_preset=None, uses_tfds=False):
    """Builds the command line every lab shares; the lab adds its own flags after.

    Args:
        lab: the lab's name, e.g. `"bidirectional"`; gives `prog` and the default output dir.
        doc: the lab module's docstring, shown by `--help`.
        presets: dict of preset name to config; its keys are the `--preset` choices.
        default_preset: the preset used when `--preset` is not given; the first key if None.
        uses_tfds: adds `--manual-dir` (env `LABS_MANUAL_DIR`) and `--data-dir` (env `TFDS_DATA_DIR`).

    Returns:
        A `LabArgumentParser`.
    """
    parser = LabArgumentParser(
        prog=f"python -m labs.{lab}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--preset",
        choices=list(presets),
        default=default_preset or next(iter(presets)),
        help="settings to start from: %(choices)s (default: %(default)s)",
    )
    parser.add_argument("--epochs", type=positive_int, help="override the preset's epochs")
    parser.add_argument("--batch-size", type=positive_int, help="override the preset's batch size")
    parser.add_argument("--seed", type=int, default=0, help="seed for every random choice (default: 0)")
    parser.add_argument(
        "--output-dir",
        type=pathlib.Path,
        default=pathlib.Path("runs") / lab,
        help="where metrics.json, history.csv, plots and models go (default: %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smallest run that still exercises every code path"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip writing PNG plots")
    if uses_tfds:
        parser.add_argument(
            "--manual-dir",
            type=pathlib.Path,
            default=os.environ.get("LABS_MANUAL_DIR") or None,
            help="folder holding the dataset archive, for offline use (env LABS_MANUAL_DIR)",
        )
        parser.add_argument(
            "--data-dir",
            type=pathlib.Path,
            default=os.environ.get("TFDS_DATA_DIR") or None,
            help="where tfds keeps prepared datasets (env TFDS_DATA_DIR; tfds default otherwise)",
        )
    return parser


def configure(config, args):
    """Returns `config` with the `--epochs` and `--batch-size` overrides the user gave applied."""
    overrides = {
        field: getattr(args, field)
        for field in ("epochs", "batch_size")
        if getattr(args, field, None) is not None and hasattr(config, field)
    }
    return dataclasses.replace(config, **overrides)


def seed_everything(seed):
    """Seeds Python, numpy and TensorFlow and makes TF ops deterministic, so a seed reproduces a run."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def prepare_output_dir(path):
    """Creates `path` and `path/models`, checking they are writable.

    Returns:
        `path` as a `pathlib.Path`.

    Raises:
        LabError: when the folder cannot be created or written.
    """
    path = pathlib.Path(path)
    try:
        (path / "models").mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise LabError(f"cannot write to output dir {path}: {error.strerror or error}") from None
    global _output_dir
    _output_dir = path
    return path


def _to_json(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, pathlib.Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_json(path, data):
    """Writes `data` as indented JSON, turning numpy scalars/arrays and paths into plain values."""
    path = pathlib.Path(path)
    path.write_text(json.dumps(data, indent=2, default=_to_json) + "\n", encoding="utf-8")
    return path


def write_metrics(out, metrics):
    """Writes `<out>/metrics.json`."""
    return write_json(pathlib.Path(out) / "metrics.json", metrics)


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
                values = [history.get(name, [])[epoch:epoch + 1] for name in metrics]
                # A metric missing for this epoch (e.g. val_ when not validated) is left blank.
                writer.writerow([run, epoch + 1, *(f"{v[0]:.6g}" if v else "" for v in values)])
    return pathlib.Path(path)


def fit_verbosity():
    """Keras `verbose=`: live progress bars on a terminal, one line per epoch in logs and pipes."""
    return 1 if sys.stdout.isatty() else 2


def report_outputs(out):
    """Prints where a run's files went, one path per line."""
    out = pathlib.Path(out)
    files = sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    print(f"\nWrote {len(files)} files to {out}/")
    for file in files:
        print(f"  {file.relative_to(out)}")


_output_dir = None  # the last folder prepare_output_dir made, named when a run is interrupted
_deferring = 0  # > 0 inside `uninterruptible()` blocks
_pending_signal = None  # a Ctrl-C or SIGTERM received inside one, raised when it ends


@contextlib.contextmanager
def uninterruptible():
    """Holds back Ctrl-C and SIGTERM until the block ends, so a file being written (a training
    backup) is never left half written. Effective under `run`, which installs the handlers."""
    global _deferring, _pending_signal
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending_signal is not None:
            _pending_signal = None
            raise KeyboardInterrupt


def _interrupt(signum, frame):
    global _pending_signal
    if _deferring:
        _pending_signal = signum
        return
    raise KeyboardInterrupt


def _interrupted_message(prog):
    if _output_dir is None:
        return f"{prog}: interrupted before writing anything"
    message = f"{prog}: interrupted; partial results are in {_output_dir}/"
    if (_output_dir / "backup").is_dir():
        message += (f" and the training state in {_output_dir / 'backup'}/: run the same command "
                    "again to resume")
    return message


def run(main):
    """Runs a lab's `main()` as a command.

    A `LabError` becomes one line on stderr and exit status 1. Ctrl-C and SIGTERM (what `kill`,
    job schedulers and container runtimes send) print one line saying where the partial results
    are and exit 130.
    """
    prog = pathlib.Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else "lab"
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        main()
    except LabError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"\n{_interrupted_message(prog)}", file=sys.stderr)
        sys.exit(130)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
