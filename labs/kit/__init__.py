"""The lab kit: what every lab shares, so that a lab package is a declaration and some calls.

A lab declares itself once, in `labs/<lab>/__init__.py` (no TensorFlow there):

    @dataclasses.dataclass(frozen=True)
    class Config:
        epochs: int = kit.flag(5, "passes over the data")       # a flag: --epochs
        units: int = 32                                          # set by the presets only

        def quick(self):
            return dataclasses.replace(self, epochs=1)

    LAB = kit.Lab(__name__, __doc__, {"default": Config()}, section="Section 6")

`labs/<lab>/__main__.py` is `kit.main(LAB)`, and `labs/<lab>/run.py` does the work:

    def run(experiment):                          # labs.kit.experiment.Experiment
        result = experiment.fit("mlp", build, train, epochs=experiment.config.epochs)
        experiment.results["models"] = {"mlp": {"loss": result.history["loss"][-1]}}
        experiment.save_figure(kit.plot_histories(experiment.histories, "loss", title="Loss"),
                               "loss.png")

`kit.main` parses the flags (TensorFlow not yet imported: `--help` is instant), builds the
config, starts the libraries quietly, runs the lab, and writes `metrics.json` (the envelope, then
`experiment.results`), `history.csv`, `assets.json`, `index.html`; errors are one line. A
subcommand (`labs/<lab>/commands.py`) reads the finished run with `kit.load_run(context)`.

Modules: `lab` (Lab, Command, flag, argument, RunContext, the parsers), `runner` (main,
execute), `experiment` (Experiment; imports Keras), `training` (fit with resume and the
divergence guard; imports Keras), `saved_run` (load_run), `outputs` (metrics envelope,
history.csv), `schema` (the metrics' typed check), `plotting`, `report` (index.html), `cli`
(quiet libraries, seeding, signals), `errors`.
"""

from labs.kit.errors import Diverged, Interrupted, LabError
from labs.kit.lab import Command, Lab, RunContext, argument, flag, names
from labs.kit.outputs import read_history_csv, write_history_csv, write_json
from labs.kit.plotting import plot_histories, plt, save_figure
from labs.kit.runner import execute, main
from labs.kit.saved_run import SavedRun, load_run
from labs.kit.schema import validate, validate_metrics

__all__ = [
    "Command",
    "Diverged",
    "Interrupted",
    "Lab",
    "LabError",
    "RunContext",
    "SavedRun",
    "argument",
    "execute",
    "flag",
    "load_run",
    "main",
    "names",
    "plot_histories",
    "plt",
    "read_history_csv",
    "save_figure",
    "validate",
    "validate_metrics",
    "write_history_csv",
    "write_json",
]
