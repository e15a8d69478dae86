"""The command line every lab shares: flags, presets, seeding, and one-line errors.

A lab's `main` starts with:

    parser = kit.make_parser("word2vec", __doc__, PRESETS, data="files")
    parser.add_argument("--model", choices=("cbow", "skipgram"), default="skipgram")
    args = parser.parse_args(argv)
    config = kit.configure(PRESETS[args.preset], args)

and the module ends with `if __name__ == "__main__": kit.run(main)`.
"""

import argparse
import contextlib
import dataclasses
import logging
import os
import pathlib
import signal
import sys
import warnings

import numpy as np

from labs.data import DataError
from labs.kit.errors import Interrupted, LabError  # noqa: F401  (re-exported for the labs)

# Flags `configure` applies to a preset, each overriding the config field of the same name.
TRAINING_FLAGS = ("epochs", "batch_size", "learning_rate")
STRATEGIES = ("default", "mirrored")  # --strategy (labs.kit.training.get_strategy)


class LabArgumentParser(argparse.ArgumentParser):
    """`ArgumentParser` whose errors are one line (what is wrong and what is accepted), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def parse_args(self, args=None, namespace=None):
        """Parses as argparse does, and keeps the flags given as `argv` (for the run's page)."""
        parsed = super().parse_args(args, namespace)
        parsed.argv = list(sys.argv[1:] if args is None else args)
        return parsed


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


def names(choices):
    """argparse type for a comma-separated subset of `choices`, e.g. `--models gru,bilstm`.

    Args:
        choices: the accepted names, in their canonical order.

    Returns:
        A function turning `"gru,bilstm"` into `("gru", "bilstm")`; an unknown or empty list is an
        argparse error (exit 2) that names the accepted values.

    Example:
        >>> parser.add_argument("--models", type=kit.names(("ae", "vae")), default=("ae", "vae"))
    """
    choices = tuple(choices)

    def parse(text):
        picked = tuple(name.strip() for name in text.split(",") if name.strip())
        unknown = [name for name in picked if name not in choices]
        if unknown or not picked:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected a comma-separated list of {', '.join(choices)}"
            )
        return picked

    parse.__name__ = "names"  # argparse names the type in its message
    return parse


def _config_fields(presets):
    config = next(iter(presets.values()))
    return {field.name for field in dataclasses.fields(config)}


def make_parser(
    lab, doc, presets, *, default_preset=None, data=None, strategy=False, tensorboard=False
):
    """Builds the command line every lab shares; the lab adds its own flags after.

    `--epochs`, `--batch-size` and `--learning-rate` are offered only where the presets have a
    field of that name, so `--help` never lists a flag the lab would refuse.

    Args:
        lab: the lab's name, e.g. `"bidirectional"`; gives `prog` and the default output dir.
        doc: the lab module's docstring, shown by `--help`.
        presets: dict of preset name to a frozen dataclass config; its keys are the `--preset`
            choices.
        default_preset: the preset used when `--preset` is not given; the first key if None.
        data: `"tfds"` adds `--manual-dir` (env `LABS_MANUAL_DIR`) and `--data-dir` (env
            `TFDS_DATA_DIR`); `"files"` adds `--manual-dir` only; None adds neither.
        strategy: adds `--strategy default|mirrored` (Keras labs).
        tensorboard: adds `--tensorboard` (labs that train with `Experiment.fit`): per-epoch
            scalars under `<output-dir>/tensorboard/<model>/`.

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
    fields = _config_fields(presets)
    if "epochs" in fields:
        parser.add_argument("--epochs", type=positive_int, help="override the preset's epochs")
    if "batch_size" in fields:
        parser.add_argument(
            "--batch-size", type=positive_int, help="override the preset's batch size"
        )
    if "learning_rate" in fields:
        parser.add_argument(
            "--learning-rate",
            type=positive_float,
            help="override the preset's (peak) learning rate",
        )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for every random choice (default: 0)"
    )
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
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's and other libraries' log messages and warnings",
    )
    if data is not None:
        parser.add_argument(
            "--manual-dir",
            type=pathlib.Path,
            default=os.environ.get("LABS_MANUAL_DIR") or None,
            help="offline: a folder holding the dataset's files, or a folder of dataset folders "
            "such as ../shared/data (env LABS_MANUAL_DIR)",
        )
    if data == "tfds":
        parser.add_argument(
            "--data-dir",
            type=pathlib.Path,
            default=os.environ.get("TFDS_DATA_DIR") or None,
            help="where tfds keeps prepared datasets (env TFDS_DATA_DIR; tfds default otherwise)",
        )
    if strategy:
        parser.add_argument(
            "--strategy",
            choices=STRATEGIES,
            default="default",
            help="default: one device; mirrored: tf.distribute.MirroredStrategy over every GPU "
            "(every logical CPU without one), --batch-size being the global batch "
            "(default: %(default)s)",
        )
    if tensorboard:
        parser.add_argument(
            "--tensorboard",
            action="store_true",
            help="also log per-epoch scalars to <output-dir>/tensorboard/<model>/ "
            "(view: tensorboard --logdir <output-dir>/tensorboard)",
        )
    return parser


def subcommand(argv, commands):
    """Picks a lab's subcommand, such as `python -m labs.attention translate "march 3, 2007"`.

    Args:
        argv: the lab's arguments; None reads `sys.argv[1:]`.
        commands: `{name: function}`; the function takes the whole argument list, its name first.

    Returns:
        `(function, argv)` when the first argument names a subcommand, else `(None, argv)`;
        `argv` as a list either way.

    Example:
        >>> command, argv = kit.subcommand(argv, {"translate": translate})
        >>> if command:
        ...     return command(argv)
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    return (commands.get(argv[0]) if argv else None), argv


def configure(config, args):
    """The preset `config` as this command asks for it.

    `--quick` first (the config's own `quick()` says what its smallest run is), then the
    `--epochs`, `--batch-size` and `--learning-rate` the user gave, which win over both. Without
    `--verbose`, library warnings are silenced from here on (`quiet_libraries`).

    Args:
        config: a frozen dataclass preset; it defines `quick(self) -> config`.
        args: the parsed flags.

    Returns:
        A new config (the preset is never changed).
    """
    if getattr(args, "quick", False):
        config = config.quick()
    overrides = {
        name: getattr(args, name)
        for name in TRAINING_FLAGS
        if getattr(args, name, None) is not None
    }
    if not getattr(args, "verbose", True):
        quiet_libraries()
    return dataclasses.replace(config, **overrides)


def seed_everything(seed):
    """Seeds Python, numpy and TF, and makes its ops deterministic: a seed reproduces a run."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def quiet_libraries(import_tensorflow=True):
    """Silences the library messages that look like failures but are not (`--verbose` keeps them).

    - TensorFlow's C++ start-up lines (absl's "All log messages before absl::InitializeLog()",
      oneDNN, "Could not find cuda drivers", the CPU-instructions notice) print while
      `import tensorflow` runs, whatever `TF_CPP_MIN_LOG_LEVEL` says: TensorFlow is imported
      here with stderr (file descriptor 2) captured, and the captured text is printed after all
      if the import fails, so a broken installation still says why.
    - Its later C++ messages (`failed call to cuInit`, grappler's `PredictCost()`) are held back
      by `TF_CPP_MIN_LOG_LEVEL=3` (set here whatever it was: `--verbose` is the way back).
    - Python warnings (Keras's and pydub's "Couldn't find ffmpeg" among them) and the
      `tensorflow`/`absl` loggers below ERROR (tf.function retracing notices) are dropped.

    Errors still reach the user: exceptions are untouched, and labs report theirs as `LabError`.

    Args:
        import_tensorflow: import TensorFlow now (quietly); False only sets the filters.
    """
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # read by TensorFlow's C++ logging at import
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="pydub")
    if import_tensorflow:
        import_quietly("tensorflow")
    for name in ("tensorflow", "absl", "tensorflow_datasets", "h5py", "gensim", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if "absl.logging" in sys.modules:  # absl's own verbosity, used by tensorflow_datasets
        sys.modules["absl.logging"].set_verbosity("error")


def import_quietly(module):
    """Imports `module` with everything it writes to stderr, C++ code's output included, held
    back; printed after all when the import fails. Returns the module.

    Example:
        >>> tf = kit.import_quietly("tensorflow")  # no absl/oneDNN/CUDA lines
    """
    if module in sys.modules:
        return sys.modules[module]
    import importlib
    import tempfile

    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (a detached process): nothing to capture
        return importlib.import_module(module)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            imported = importlib.import_module(module)
        except BaseException:
            _restore_stderr(saved)
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", "replace"))
            sys.stderr.flush()
            raise
        _restore_stderr(saved)
    return imported


def _restore_stderr(saved):
    sys.stderr.flush()
    os.dup2(saved, 2)
    os.close(saved)


def fit_verbosity():
    """Keras `verbose=`: live progress bars on a terminal, one line per epoch in logs and pipes."""
    return 1 if sys.stdout.isatty() else 2


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
    interrupt(signum)


def interrupt(signum):
    """The Ctrl-C / SIGTERM handler: raises `KeyboardInterrupt`, or inside `uninterruptible()`
    holds it back until the block ends."""
    global _pending_signal
    if _deferring:
        _pending_signal = signum
        return
    raise KeyboardInterrupt


def run(main):
    """Runs a lab's `main()` as a command.

    A `LabError` or a data loader's `DataError` becomes one line on stderr and exit status 1.
    Ctrl-C and SIGTERM (what `kill`, job schedulers and container runtimes send) print one line
    saying where the partial results are and exit 130.
    """
    script = pathlib.Path(sys.argv[0] if sys.argv and sys.argv[0] else "lab")
    prog = script.parent.name if script.stem == "__main__" else script.stem  # a lab package
    previous = {
        signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        main()
    except (LabError, DataError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        sys.exit(1)
    except Interrupted as interrupted:
        message = f"{prog}: interrupted; partial results are in {interrupted.out}/"
        if (interrupted.out / "backup").is_dir():
            message += (
                f" and the training state in {interrupted.out / 'backup'}/: run the "
                "same command again to resume"
            )
        print(f"\n{message}", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted before writing anything", file=sys.stderr)
        sys.exit(130)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
