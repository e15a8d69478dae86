"""What every Keras lab's training shares: `--strategy`, resume after a kill, and a NaN guard.

A lab that trains several models in one run reads top to bottom with it:

    training.add_flags(parser)                      # --strategy, --learning-rate
    ...
    resume = training.Resume(out, args)             # <out>/backup/, kept until the run completes
    for name in names:
        finished = resume.finished(name)            # trained before a kill: reuse, skip
        if finished:
            model, record = finished
            continue
        with training.get_strategy(args.strategy).scope():
            model = build(...)
            model.compile(...)
        backup = resume.backup(name)                # keras BackupAndRestore, + history
        model.fit(..., callbacks=[backup, keras.callbacks.TerminateOnNaN()])
        training.check_finite(backup.history, name, hint="lower --learning-rate")
        model.save(path)
        resume.save_finished(name, path, record)
    ... write metrics.json ...
    resume.complete()                               # deletes <out>/backup/

Killed mid-run (Ctrl-C, SIGTERM), the same command started again skips the models already
trained and continues the interrupted one from its last finished epoch; `backup.history` holds
every epoch, those before the restart included. A backup made by a different command (other
flags) is discarded, never restored into the wrong model.
"""

import functools
import json
import os
import pathlib
import shutil

import keras
import numpy as np

from labs import common

STRATEGIES = ("default", "mirrored")
# Flags that do not change what is trained: a backup stays valid when only these differ.
_NOT_TRAINING = {"output_dir", "no_plots", "manual_dir", "data_dir", "strategy"}


def add_flags(parser):
    """Adds `--strategy` and `--learning-rate` to a lab's parser; returns the parser."""
    parser.add_argument(
        "--strategy", choices=STRATEGIES, default="default",
        help="default: one device; mirrored: tf.distribute.MirroredStrategy over every GPU (every "
             "logical CPU without one), --batch-size being the global batch (default: %(default)s)")
    parser.add_argument("--learning-rate", type=common.positive_float,
                        help="override the preset's (peak) learning rate")
    return parser


@functools.cache
def get_strategy(name="default"):
    """The `tf.distribute.Strategy` named by `--strategy`; build and compile models in its scope.

    `"mirrored"` replicates the model on every GPU (on every logical CPU device when there is no
    GPU) and splits each global batch between them; gradients are summed across replicas before
    the update, so one step is the same step as on one device with the whole batch.
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name != "mirrored":
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}")
    devices = [d.name for d in tf.config.list_logical_devices("GPU")
               or tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)
    print(f"MirroredStrategy over {len(devices)} device(s): {', '.join(devices)}; "
          "--batch-size is the global batch")
    return strategy


def check_global_batch(strategy, batch_size):
    """Raises `LabError` unless `batch_size` splits evenly over the strategy's replicas (Keras
    3.15 builds a distributed model from the first batch, which fails on uneven splits)."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise common.LabError(
            f"--batch-size {batch_size} is the global batch: it must be a multiple of the "
            f"{replicas} replicas of --strategy mirrored")


class Diverged(common.LabError):
    """The training loss became NaN or infinite.

    Attributes:
        run: the name of the model that diverged.
        history: its history up to the epoch it diverged in, for the lab to write.
    """

    def __init__(self, message, run, history):
        super().__init__(message)
        self.run = run
        self.history = history


def check_finite(history, run, hint):
    """Raises `Diverged` with `hint` when the last epoch's loss in `history` is not finite.

    `keras.callbacks.TerminateOnNaN` stops `fit` at the first bad batch; the epoch it stopped in
    is the last one in the history.
    """
    losses = history.get("loss", [])
    if losses and not np.isfinite(losses[-1]):
        raise Diverged(f"training diverged: {run}'s loss became {losses[-1]} in epoch "
                       f"{len(losses)}; {hint}", run, history)


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` that also keeps the history across restarts.

    Saves the weights, the optimizer state and the epoch at the end of every epoch (a Ctrl-C or
    SIGTERM arriving meanwhile waits until the files are whole), restores them when `fit` starts
    again, and deletes them when `fit` ends normally.

    Attributes:
        history: `{metric: [value per epoch]}` of every epoch, those run before a restart
            included (Keras's own `History` only has the epochs of this `fit` call).
        initial_epoch: the epochs restored from the backup (0 for a fresh start).
    """

    def __init__(self, backup_dir):
        super().__init__(str(backup_dir))
        self._history_path = pathlib.Path(backup_dir) / "history.json"
        self.history = {}
        self.initial_epoch = 0

    def on_train_begin(self, logs=None):
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError) as error:
            raise common.LabError(
                f"the training backup in {self.backup_dir} cannot be restored ({error}); delete "
                "that folder to start this model again") from None
        self.initial_epoch = self.model._initial_epoch or 0
        self.history = {}
        if self.initial_epoch and self._history_path.is_file():
            saved = json.loads(self._history_path.read_text(encoding="utf-8"))
            self.history = {key: values[: self.initial_epoch] for key, values in saved.items()}
        if self.initial_epoch:
            print(f"Resuming from {self.backup_dir}: {self.initial_epoch} epoch(s) already done")

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        super().on_epoch_end(epoch, logs)

    def _save_model(self):
        with common.uninterruptible():
            super()._save_model()
            _write_json_atomically(self._history_path, self.history)


class Resume:
    """The backup of a run that trains several models: `<out>/backup/<name>/` per model.

    Args:
        out: the run's output dir.
        args: the parsed flags; a backup made with other training flags is discarded.
    """

    def __init__(self, out, args):
        self.root = pathlib.Path(out) / "backup"
        command = {key: str(value) if isinstance(value, pathlib.Path) else value
                   for key, value in sorted(vars(args).items()) if key not in _NOT_TRAINING}
        command_path = self.root / "command.json"
        if command_path.is_file():
            try:
                saved = json.loads(command_path.read_text(encoding="utf-8"))
            except ValueError:
                saved = None
            if saved != command:
                print(f"Ignoring the backup in {self.root}: it was made with other flags")
                shutil.rmtree(self.root)
        if not command_path.is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            _write_json_atomically(command_path, command)

    def backup(self, name):
        """The `BackupAndRestore` callback of model `name`."""
        return BackupAndRestore(self.root / name / "training")

    def finished(self, name):
        """`(model, record)` of model `name` if it was trained before a restart, else None."""
        path = self.root / name / "finished.json"
        if not path.is_file():
            return None
        saved = json.loads(path.read_text(encoding="utf-8"))
        model_path = pathlib.Path(saved["model_path"])
        if not model_path.is_file():
            return None
        print(f"{name}: already trained before the restart, reusing {model_path}")
        return keras.saving.load_model(model_path), saved["record"]

    def save_finished(self, name, model_path, record):
        """Marks model `name` (saved at `model_path`) as trained, with what the lab reports about
        it (`record`, JSON-serialisable), so a restart reuses it."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        _write_json_atomically(folder / "finished.json",
                               {"model_path": str(model_path), "record": record})

    def complete(self):
        """The run finished: deletes the backup."""
        shutil.rmtree(self.root, ignore_errors=True)


def _write_json_atomically(path, data):
    path = pathlib.Path(path)
    temporary = path.with_name(path.name + ".tmp")
    with common.uninterruptible():
        common.write_json(temporary, data)
        os.replace(temporary, path)
