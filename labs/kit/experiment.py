"""One run of a lab: its output dir, training backup, histories, figures and `metrics.json`."""

import dataclasses
import fcntl
import os
import time

import numpy as np

from labs.kit import outputs, plotting, report, training
from labs.kit.cli import seed_everything
from labs.kit.errors import Diverged, Interrupted, LabError

# Under every figure of a --quick run: its curves and scores say nothing about the lab's results.
QUICK_NOTE = "--quick run (smallest settings): a smoke test, not the lab's result"
LOCK = ".lock"  # held while a run writes to its folder


class Experiment:
    """The run of a lab, from its config to its `metrics.json`; `kit.main` makes one and hands it
    to the lab's `run(experiment)`.

    Use it as a context manager around the lab's work: a Ctrl-C or SIGTERM inside becomes a
    one-line message naming the output dir (exit 130, under `kit.main`), and a training
    divergence writes what the run has so far beside (never over) a finished run's results.

    Args:
        lab: the lab's `kit.Lab` (or its name).
        context: the `RunContext` (seed, output dir, quick, plots, ...).
        config: the config the run uses; goes to `metrics.json["config"]`.

    Attributes:
        out: the output dir (`pathlib.Path`), created, checked and locked against a second run.
        config, context: as given.
        results: what the lab reports, merged into `metrics.json` after the envelope.
        assets: what the saved models need to be used again (a vocabulary, the task), written to
            `assets.json` for `kit.load_run`.
        histories: `{model name: {metric: [value per epoch]}}` for `history.csv`; `fit` fills it.

    Example:
        >>> def run(experiment):
        ...     result = experiment.fit("mlp", build, train, epochs=experiment.config.epochs)
        ...     experiment.results["models"] = {"mlp": {"loss": result.history["loss"][-1]}}
        ...     experiment.save_figure(figure, "loss.png")
    """

    def __init__(self, lab, context, config):
        self.lab, self.name = lab, getattr(lab, "name", lab)
        self.context, self.config = context, config
        self.out = outputs.prepare_output_dir(context.output_dir)
        self._lock = _lock(self.out)
        self.strategy = context.strategy
        if self.strategy != "default" and hasattr(config, "batch_size"):
            training.check_global_batch(training.get_strategy(self.strategy), config.batch_size)
        self.results, self.assets, self.histories = {}, {}, {}
        self._started_ns = time.time_ns()
        self._resume = None
        seed_everything(context.seed)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        try:
            self._drop_empty_models_folder()
            if kind is not None and issubclass(kind, Diverged):
                self.histories[error.run] = error.history
                self._write_diagnosis(error)
            if kind is not None and issubclass(kind, KeyboardInterrupt) and kind is not Interrupted:
                raise Interrupted(self.out) from None
        finally:
            _unlock(self._lock)
        return False

    @property
    def plots(self):
        """False under `--no-plots`."""
        return self.context.plots

    @property
    def resume(self):
        """The run's `training.Resume` (`<out>/backup/`), made on first use."""
        if self._resume is None:
            fingerprint = {"seed": self.context.seed, "config": dataclasses.asdict(self.config)}
            self._resume = training.Resume(self.out, fingerprint)
        return self._resume

    def model_path(self, name):
        """`<out>/models/<name>.keras`, its folder created (and removed again at the end of the
        run if nothing was saved in it)."""
        folder = self.out / "models"
        folder.mkdir(exist_ok=True)
        return folder / f"{name}.keras"

    def _drop_empty_models_folder(self):
        folder = self.out / "models"
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

    def fit(self, name, build_model, train, *, epochs, save=True, **kwargs):
        """`training.fit` for this run: every model starts from the run's seed, is backed up each
        epoch, resumed after a kill, and saved as `models/<name>.keras` (unless `save=False`),
        which `import models; keras.saving.load_model(path)` loads in any process.

        Args:
            name: the model's name (logs, backup, model file, `history.csv`).
            build_model: a function of no arguments returning a compiled `keras.Model`.
            train: `model.fit`'s `x`.
            epochs: the most epochs to train.
            save: save the trained model under `models/`.
            **kwargs: passed to `training.fit` (`validation`, `callbacks`, `hint`, `y`, ...).

        Returns:
            A `training.FitResult`.
        """
        seed_everything(self.context.seed)  # the same start, whatever trained before
        if self.context.tensorboard:
            callback = report.tensorboard_callback(self.out, name)
            kwargs["callbacks"] = [*kwargs.get("callbacks", ()), callback]
        print(f"\n== {name} ==")
        result = training.fit(
            name,
            build_model,
            train,
            epochs=epochs,
            resume=self.resume,
            model_path=self.model_path(name) if save else None,
            strategy=self.strategy,
            **kwargs,
        )
        self.histories[name] = result.history
        return result

    def save_model(self, name, model):
        """Saves a model the run made without `fit` (an ensemble) as `models/<name>.keras`."""
        path = self.model_path(name)
        with _writing(path):
            model.save(path)
        return path

    def save_arrays(self, name, **arrays):
        """Saves a numpy model's weights as `models/<name>.npz` (`numpy.load` reads them)."""
        path = self.model_path(name).with_suffix(".npz")
        with _writing(path):
            np.savez(path, **arrays)
        return path

    def save_figure(self, fig, name):
        """Saves `fig` as `<out>/<name>` and returns the path; a `--quick` run says so in it."""
        note = QUICK_NOTE if self.context.quick else None
        with _writing(self.out / name):
            return plotting.save_figure(fig, self.out / name, note=note)

    def write_file(self, name, text):
        """Writes a text file of the run (a table, a sample) as `<out>/<name>`."""
        path = self.out / name
        with _writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return path

    @property
    def metrics(self):
        """What `metrics.json` will hold: the envelope, then `results`."""
        return {**outputs.envelope(self.context, self.config), **self.results}

    def _write_diagnosis(self, error):
        """A diverged run: its metrics go to `metrics.json` when the folder holds no finished
        run, else to `diverged.json` beside it, so a finished run's results are never lost."""
        diagnosis = {**self.metrics, "diverged": {"run": error.run, "message": str(error)}}
        finished = (self.out / outputs.METRICS).is_file()
        name = "diverged.json" if finished else outputs.METRICS
        with _writing(self.out / name):
            outputs.write_json(self.out / name, diagnosis)
            if not finished and self.histories:
                outputs.write_history_csv(self.out / outputs.HISTORY, self.histories)
        print(f"What the run had when it diverged is in {self.out / name}")

    def finish(self):
        """Writes `metrics.json` (the envelope, then `results`), `history.csv`, `assets.json` and
        `index.html`; moves files of an older run that this one did not write into `previous/`;
        deletes the training backup; lists the files; returns the metrics as written."""
        metrics = outputs.plain(self.metrics)
        with _writing(self.out):
            outputs.write_json(self.out / outputs.METRICS, metrics)
            if self.histories:
                outputs.write_history_csv(self.out / outputs.HISTORY, self.histories)
            if self.assets:
                outputs.write_json(self.out / outputs.ASSETS, self.assets)
            self._set_aside_older_files()
            self._drop_empty_models_folder()
            if self._resume is not None:
                self._resume.complete()
            report.write_index(
                self.out,
                self.context.command_line,
                figure=getattr(self.lab, "figure", None),
                headline=getattr(self.lab, "headline", None),
            )
        outputs.report_outputs(self.out)
        return metrics

    def _set_aside_older_files(self):
        """Moves what an older run left in the folder (files this run did not write) to
        `previous/`, so the folder holds one run and its page links only that run's files.

        The run began when its backup was made (a resumed run: by the interrupted attempt, whose
        saved models it reused), else when this process started it.
        """
        fingerprint = self.out / "backup" / "fingerprint.json"
        began = fingerprint.stat().st_mtime_ns if fingerprint.is_file() else self._started_ns
        keep = {"backup", "previous", "tensorboard", LOCK}
        stale = [
            path
            for path in sorted(self.out.rglob("*"))
            if path.is_file()
            and path.relative_to(self.out).parts[0] not in keep
            and path.stat().st_mtime_ns < began
        ]
        for path in stale:
            target = self.out / "previous" / path.relative_to(self.out)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        if stale:
            print(f"Moved {len(stale)} file(s) of an older run to {self.out / 'previous'}/")


class _writing:
    """Turns an `OSError` while writing `path` (disk full, permissions) into a one-line
    `LabError` naming the path; what was written before stays."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is not None and issubclass(kind, OSError):
            raise LabError(f"cannot write {self.path}: {error.strerror or error}") from None
        return False


def _lock(out):
    """Locks `out` for this process; a `LabError` when another run holds it."""
    file = open(out / LOCK, "a+")  # noqa: SIM115  (held open for the whole run)
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        raise LabError(
            f"another run is writing to {out}/ right now: wait for it, or pass another --output-dir"
        ) from None
    return file


def _unlock(file):
    fcntl.flock(file, fcntl.LOCK_UN)
    file.close()
