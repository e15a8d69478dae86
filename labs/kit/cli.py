"""The process around a lab: quiet libraries, seeding, and signals that never tear a file.

- `quiet_libraries` / `import_quietly`: no TensorFlow start-up chatter without `--verbose`.
- `seed_everything`: a seed reproduces a run.
- `uninterruptible` / `interrupt`: Ctrl-C and SIGTERM wait until a backup is written whole.
"""

import contextlib
import logging
import os
import sys
import warnings


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
        >>> tf = cli.import_quietly("tensorflow")  # no absl/oneDNN/CUDA lines
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
    backup) is never left half written. Effective under `kit.main`, which installs `interrupt`
    as the handler."""
    global _deferring, _pending_signal
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending_signal is not None:
            _pending_signal = None
            raise KeyboardInterrupt


def interrupt(signum):
    """The Ctrl-C / SIGTERM handler: raises `KeyboardInterrupt`, or inside `uninterruptible()`
    holds it back until the block ends."""
    global _pending_signal
    if _deferring:
        _pending_signal = signum
        return
    raise KeyboardInterrupt
