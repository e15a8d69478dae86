"""Training every Keras lab shares: `fit` with resume after a kill, a NaN guard and `--strategy`.

Use it through `Experiment.fit` (labs/kit/experiment.py), which adds the run's output dir and
backup; the pieces here are the mechanism.

Killed mid-run (Ctrl-C, SIGTERM), the same command started again reuses the models already
trained and continues the interrupted one from its last finished epoch; the history holds every
epoch, those before the restart included. A backup made by a different command (other flags) is
discarded, never restored into the wrong model.
"""

import dataclasses
import functools
import json
import pathlib
import shutil
import time

import keras
import numpy as np

from labs.kit.cli import fit_verbosity, uninterruptible
from labs.kit.errors import Diverged, LabError
from labs.kit.lab import STRATEGIES
from labs.kit.outputs import write_json

# A loss that grows this many times over its first epoch's value has exploded, even if finite.
EXPLODED = 1e3


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
    devices = [
        d.name
        for d in tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    ]
    strategy = tf.distribute.MirroredStrategy(devices)
    print(
        f"MirroredStrategy over {len(devices)} device(s): {', '.join(devices)}; "
        "--batch-size is the global batch"
    )
    return strategy


def check_global_batch(strategy, batch_size):
    """Raises `LabError` unless `batch_size` splits evenly over the strategy's replicas (Keras
    3.15 builds a distributed model from the first batch, which fails on uneven splits)."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise LabError(
            f"--batch-size {batch_size} is the global batch: it must be a multiple of the "
            f"{replicas} replicas of --strategy mirrored"
        )


def check_finite(history, run, hint):
    """Raises `Diverged` with `hint` when training stopped being finite in the last epoch.

    Every number of the epoch is checked (the loss, validation losses, perplexities, ...): NaN or
    infinite is diverged, and so is a loss (any `*loss*` key) grown more than `EXPLODED` times
    over its first epoch's value. `keras.callbacks.TerminateOnNaN` stops `fit` at the first bad
    batch, so the epoch it stopped in is the last one in the history.
    """
    for key, values in history.items():
        last = values[-1] if values else None
        if last is None:
            continue
        if not np.isfinite(last):
            problem = f"{run}'s {key} became {last}"
        elif "loss" in key and values[0] and values[0] > 0 and last > EXPLODED * values[0]:
            problem = f"{run}'s {key} exploded from {values[0]:.3g} to {last:.3g}"
        else:
            continue
        raise Diverged(f"training diverged: {problem} in epoch {len(values)}; {hint}", run, history)


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

    def __init__(self, backup_dir, train=None, callbacks=()):
        super().__init__(str(backup_dir))
        self._history_path = pathlib.Path(backup_dir) / "history.json"
        self._state_path = pathlib.Path(backup_dir) / "state.npz"
        self._train = train  # a tf.data.Dataset: its reshuffles are replayed on a restart
        self._stoppers = [c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)]
        self._replayed = False
        self.history = {}
        self.initial_epoch = 0

    def on_train_begin(self, logs=None):
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError) as error:
            raise LabError(
                f"the training backup in {self.backup_dir} cannot be restored ({error}); delete "
                "that folder to start this model again"
            ) from None
        self.initial_epoch = self.model._initial_epoch or 0
        self.history = {}
        if self.initial_epoch and self._history_path.is_file():
            saved = json.loads(self._history_path.read_text(encoding="utf-8"))
            self.history = {key: values[: self.initial_epoch] for key, values in saved.items()}
        if self.initial_epoch:
            self._restore_state()
            print(f"Resuming from {self.backup_dir}: {self.initial_epoch} epoch(s) already done")

    def on_epoch_begin(self, epoch, logs=None):
        # A tf.data shuffle with reshuffle_each_iteration draws a new order each time an iterator
        # is made: Keras 3's EpochIterator makes two per epoch over a dataset of known size (one
        # when the epoch begins, one when it ends) and one otherwise. Making (and dropping) as
        # many as the epochs already done made gives the resumed epoch the order it had in an
        # uninterrupted run.
        if not self._replayed and epoch and _is_dataset(self._train):
            known_size = int(self._train.cardinality()) > 0
            for _ in range(epoch * (2 if known_size else 1)):
                iter(self._train)
        self._replayed = True
        super().on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        super().on_epoch_end(epoch, logs)

    def _save_model(self):
        with uninterruptible():
            super()._save_model()
            write_json(self._history_path, self.history)
            self._save_state()

    def _save_state(self):
        """What the results depend on besides weights and optimizer: the layers' random-number
        states (augmentation, dropout) and early stopping's records."""
        arrays = {f"rng_{i}": v.numpy() for i, v in enumerate(_seed_states(self.model))}
        for i, stopper in enumerate(self._stoppers):
            arrays[f"stopper_{i}"] = np.array(
                [stopper.wait, stopper.best, stopper.best_epoch, stopper.stopped_epoch], np.float64
            )
            for j, weight in enumerate(stopper.best_weights or ()):
                arrays[f"stopper_{i}_weight_{j}"] = weight
        temporary = self._state_path.with_name("state.tmp.npz")
        np.savez(temporary, **arrays)
        temporary.replace(self._state_path)

    def _restore_state(self):
        if not self._state_path.is_file():
            return
        with np.load(self._state_path) as saved:
            for i, variable in enumerate(_seed_states(self.model)):
                if f"rng_{i}" in saved:
                    variable.assign(saved[f"rng_{i}"])
            for i, stopper in enumerate(self._stoppers):
                if f"stopper_{i}" not in saved:
                    continue
                wait, best, best_epoch, stopped_epoch = saved[f"stopper_{i}"]
                stopper.wait, stopper.best = int(wait), float(best)
                stopper.best_epoch, stopper.stopped_epoch = int(best_epoch), int(stopped_epoch)
                weights = sorted(
                    (key for key in saved.files if key.startswith(f"stopper_{i}_weight_")),
                    key=lambda key: int(key.rsplit("_", 1)[1]),
                )
                stopper.best_weights = [saved[key] for key in weights] or None


def _is_dataset(value):
    return hasattr(value, "element_spec") and hasattr(value, "cardinality")


def _seed_states(model):
    """The states of the random-number generators of `model`'s layers (`keras.random.SeedGenerator`:
    augmentation, dropout), which `save_weights` leaves out."""
    weights = {id(variable) for variable in model.weights}
    return [variable for variable in model.variables if id(variable) not in weights]


@dataclasses.dataclass
class FitResult:
    """What `fit` returns about one trained model.

    Attributes:
        model: the trained model (best weights when early stopping restored them).
        history: `{metric: [value per epoch]}`, every epoch, those before a restart included.
        epochs: the epochs trained in all.
        train_seconds: wall time of the training (of this process's part after a restart).
        epoch_seconds: `train_seconds` per epoch this process trained.
        reused: True when the model was trained before a restart and loaded, not trained.
    """

    model: keras.Model
    history: dict
    epochs: int
    train_seconds: float
    epoch_seconds: float
    reused: bool = False


class Resume:
    """The backup of a run that trains several models: `<out>/backup/<name>/` per model.

    Args:
        out: the run's output dir.
        fingerprint: what the run's results depend on (the seed and the config, as JSON); a
            backup made for another fingerprint is discarded, never restored into the wrong run.
    """

    def __init__(self, out, fingerprint):
        self.root = pathlib.Path(out) / "backup"
        fingerprint = json.loads(json.dumps(fingerprint, default=str))  # tuples -> lists
        path = self.root / "fingerprint.json"
        if self.root.is_dir():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                saved = None
            if saved != fingerprint:
                print(f"Ignoring the backup in {self.root}: it was made by another command")
                shutil.rmtree(self.root)
        if not path.is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            write_json(path, fingerprint)

    def backup(self, name, train=None, callbacks=()):
        """The `BackupAndRestore` callback of model `name` (trained on `train` with `callbacks`,
        whose early stopping records it keeps)."""
        return BackupAndRestore(self.root / name / "training", train, callbacks)

    def finished(self, name):
        """The `FitResult` of model `name` if it was trained before a restart, else None."""
        path = self.root / name / "finished.json"
        if not path.is_file():
            return None
        saved = json.loads(path.read_text(encoding="utf-8"))
        model_path = pathlib.Path(saved.pop("model_path"))
        if not model_path.is_file():
            return None
        print(f"{name}: already trained before the restart, reusing {model_path}")
        return FitResult(keras.saving.load_model(model_path), **saved, reused=True)

    def save_finished(self, name, model_path, result):
        """Marks model `name` (saved at `model_path`) as trained, so a restart reuses it."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        record = dataclasses.asdict(result)
        del record["model"], record["reused"]
        write_json(folder / "finished.json", {"model_path": str(model_path), **record})

    def complete(self):
        """The run finished: deletes the backup."""
        shutil.rmtree(self.root, ignore_errors=True)


def fit(
    name,
    build_model,
    train,
    *,
    epochs,
    resume=None,
    model_path=None,
    strategy="default",
    validation=None,
    callbacks=(),
    hint="lower --learning-rate",
    **fit_kwargs,
):
    """Builds and trains one model the way every lab does.

    Args:
        name: the model's name in logs, backups and errors.
        build_model: a function of no arguments returning a compiled `keras.Model`; called inside
            the strategy's scope.
        train: what `model.fit` takes as `x` (a `tf.data.Dataset`, or an array with `y=` in
            `fit_kwargs`).
        epochs: the most epochs to train (callbacks such as early stopping may end sooner).
        resume: a `Resume`, or None to train from scratch without a backup.
        model_path: where to save the trained model (`.keras`); None saves nothing.
        strategy: the `--strategy` name.
        validation: `validation_data` for `model.fit`.
        callbacks: more Keras callbacks. They run before the backup, so what they add to an
            epoch's `logs` is in the history and survives a restart.
        hint: what the divergence message suggests.
        **fit_kwargs: passed to `model.fit` (e.g. `y`, `batch_size`, `validation_split`).

    Returns:
        A `FitResult`.

    Raises:
        Diverged: the loss became NaN or inf (the model is not saved).
    """
    finished = resume.finished(name) if resume else None
    if finished:
        return finished
    with get_strategy(strategy).scope():
        model = build_model()
    own = [keras.callbacks.TerminateOnNaN()]
    backup = resume.backup(name, train, callbacks) if resume else None
    if backup:
        own.insert(0, backup)
    started = time.perf_counter()
    history = model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        callbacks=[*callbacks, *own],
        verbose=fit_verbosity(),
        **fit_kwargs,
    ).history
    seconds = time.perf_counter() - started
    history = backup.history if backup else {k: [float(v) for v in vs] for k, vs in history.items()}
    check_finite(history, name, hint)
    trained_here = len(history.get("loss", [])) - (backup.initial_epoch if backup else 0)
    result = FitResult(
        model,
        history,
        epochs=len(history.get("loss", [])),
        train_seconds=round(seconds, 2),
        epoch_seconds=round(seconds / max(1, trained_here), 2),
    )
    if model_path is not None:
        model.save(model_path)
        if resume:
            resume.save_finished(name, model_path, result)
    return result
