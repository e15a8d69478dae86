"""The lab kit: what every lab shares, so that a lab module is mostly calls.

    from labs import kit

    def main(argv=None):
        parser = kit.make_parser(LAB, __doc__, PRESETS, data="files", strategy=True)
        args = parser.parse_args(argv)
        config = kit.configure(PRESETS[args.preset], args)  # --quick, --epochs, ... applied
        with kit.Experiment(LAB, args, config) as experiment:  # seeds, output dir, backup
            data = load_something(manual_dir=args.manual_dir)  # raises DataError: one line
            result = experiment.fit("cbow", lambda: build_cbow(config), data.train,
                                    epochs=config.epochs, validation=data.valid)
            experiment.results["models"] = {"cbow": {"loss": result.history["loss"][-1]}}
            if experiment.plots:
                experiment.save_figure(kit.plot_histories(experiment.histories, "loss",
                                                          title="Loss per epoch"), "loss.png")
            return experiment.finish()  # metrics.json (envelope + results), history.csv

    if __name__ == "__main__":
        kit.run(main)

- `cli`: `make_parser`, `configure`, `names` (comma-separated choices), `positive_int/float`,
  `LabError`, `run` (one-line errors, exit codes), `seed_everything`, `quiet_libraries` and
  `import_quietly` (no TensorFlow start-up chatter without `--verbose`).
- `outputs`: the `metrics.json` envelope, `history.csv`, `write_json`, `report_outputs`.
- `training`: `fit` (resume, backup, NaN guard, strategy) -> `FitResult`, `Diverged`.
- `experiment`: `Experiment`, one run of a lab, tying the three together.
- `plotting`: `save_figure`, `plot_histories`, `plt` (Agg backend).
- `report`: the run's `index.html` (written by `Experiment.finish`), `--tensorboard` logs and
  the Embedding Projector config.
"""

import importlib

# Imported on first use, so that `--help` and a bad flag answer before TensorFlow starts.
_EXPORTS = {
    "labs.kit.cli": (
        "LabArgumentParser",
        "LabError",
        "configure",
        "fit_verbosity",
        "import_quietly",
        "make_parser",
        "names",
        "positive_float",
        "positive_int",
        "quiet_libraries",
        "run",
        "seed_everything",
        "subcommand",
    ),
    "labs.kit.experiment": ("Experiment",),
    "labs.kit.outputs": ("envelope", "report_outputs", "write_history_csv", "write_json"),
    "labs.kit.plotting": ("plot_histories", "plt", "save_figure"),
    "labs.kit.training": ("Diverged", "FitResult", "fit"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'labs.kit' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name]), name)
