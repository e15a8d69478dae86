"""One run of a lab: its output dir, training backup, histories, figures and `metrics.json`."""

from labs.kit import outputs, report, training
from labs.kit.cli import Interrupted, seed_everything

# Under every figure of a --quick run: its curves and scores say nothing about the lab's results.
QUICK_NOTE = "--quick run (smallest settings): a smoke test, not the lab's result"


class Experiment:
    """The run of a lab, from its flags to its `metrics.json`.

    Use it as a context manager around the lab's work: a Ctrl-C or SIGTERM inside becomes a
    one-line message naming the output dir (exit 130, under `kit.run`), and a training divergence
    writes what the run has so far (`results`, the histories, `"diverged"`) before it stops.

    Args:
        lab: the lab's name, e.g. `"word2vec"` (`metrics.json["lab"]`).
        args: the parsed flags (`--seed`, `--output-dir`, `--no-plots`, `--strategy` ...).
        config: the preset as configured (`kit.configure`); goes to `metrics.json["config"]`.

    Attributes:
        out: the output dir (`pathlib.Path`), created and checked writable.
        results: what the lab reports, merged into `metrics.json` after the envelope. Fill it as
            the run goes: a divergence writes what is there.
        histories: `{run name: {metric: [value per epoch]}}` for `history.csv`; `fit` fills it.

    Example:
        >>> with kit.Experiment("demo", args, config) as experiment:
        ...     result = experiment.fit("mlp", build, train, epochs=config.epochs)
        ...     experiment.results["models"] = {"mlp": {"loss": result.history["loss"][-1]}}
        ...     experiment.save_figure(figure, "loss.png")
        ...     metrics = experiment.finish()
    """

    def __init__(self, lab, args, config):
        self.lab, self.args, self.config = lab, args, config
        self.out = outputs.prepare_output_dir(args.output_dir)
        self.strategy = getattr(args, "strategy", "default")
        if self.strategy != "default" and hasattr(config, "batch_size"):
            training.check_global_batch(training.get_strategy(self.strategy), config.batch_size)
        self.results = {}
        self.histories = {}
        self._resume = None
        seed_everything(args.seed)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        self._drop_empty_models_folder()
        if kind is not None and issubclass(kind, training.Diverged):
            self.histories[error.run] = error.history
            self._write({"diverged": {"run": error.run, "message": str(error)}})
        if kind is not None and issubclass(kind, KeyboardInterrupt) and kind is not Interrupted:
            raise Interrupted(self.out) from None
        return False

    @property
    def resume(self):
        """The run's `training.Resume` (`<out>/backup/`), made on first use."""
        if self._resume is None:
            self._resume = training.Resume(self.out, self.args)
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
        seed_everything(self.args.seed)  # the same start, whatever trained before
        if getattr(self.args, "tensorboard", False):
            kwargs["callbacks"] = [
                *kwargs.get("callbacks", ()),
                report.tensorboard_callback(self.out, name),
            ]
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

    @property
    def plots(self):
        """False under `--no-plots`."""
        return not getattr(self.args, "no_plots", False)

    def save_figure(self, fig, name):
        """Saves `fig` as `<out>/<name>` and returns the path; a `--quick` run says so in it."""
        from labs.kit import plotting

        note = QUICK_NOTE if getattr(self.args, "quick", False) else None
        return plotting.save_figure(fig, self.out / name, note=note)

    @property
    def metrics(self):
        """What `metrics.json` will hold: the envelope, then `results`."""
        return {**outputs.envelope(self.lab, self.args, self.config), **self.results}

    def _write(self, extra=None):
        metrics = outputs.plain({**self.metrics, **(extra or {})})
        outputs.write_json(self.out / "metrics.json", metrics)
        if self.histories:
            outputs.write_history_csv(self.out / "history.csv", self.histories)
        return metrics

    def finish(self):
        """Writes `metrics.json` (the envelope, then `results`) and `history.csv`, deletes the
        training backup, lists the files written, and returns the metrics as written."""
        metrics = self._write()
        command = report.command_line(self.lab, getattr(self.args, "argv", None))
        report.write_index(self.out, command)  # index.html: the command, metrics, every plot
        self._drop_empty_models_folder()
        if self._resume is not None:
            self._resume.complete()
        outputs.report_outputs(self.out)
        return metrics
