"""A finished run read back: `kit.load_run(context)` for every subcommand that uses a run.

A run's folder holds `metrics.json` (the envelope says which lab and config made it),
`models/<name>.keras` and `assets.json` (what the models need to be used again: a vocabulary, the
task they learned). `load_run` checks that the folder holds a finished run of the right lab and
gives it back; every problem is a one-line `LabError`.

Example:
    >>> saved = kit.load_run(context)          # context.output_dir, context.lab
    >>> model = saved.model("luong")           # keras.Model, custom layers registered
    >>> vocabulary = saved.assets["vocabulary"]
"""

import json
import pathlib

from labs.kit.errors import LabError
from labs.kit.outputs import ASSETS, METRICS, read_history_csv


class SavedRun:
    """A finished run of a lab (see `load_run`).

    Attributes:
        out: the run's folder.
        metrics: its `metrics.json`.
        config: `metrics["config"]`, the config it ran with.
        assets: its `assets.json` (`{}` when the lab keeps none).
    """

    def __init__(self, out, metrics, assets):
        self.out = pathlib.Path(out)
        self.metrics = metrics
        self.config = metrics.get("config", {})
        self.assets = assets

    @property
    def lab(self):
        return self.metrics.get("lab")

    def model_names(self):
        """The names of the run's saved models, sorted."""
        return sorted(path.stem for path in (self.out / "models").glob("*.keras"))

    def model_path(self, name):
        """`models/<name>.keras`; a `LabError` naming the models there when it is missing."""
        path = self.out / "models" / f"{name}.keras"
        if not path.is_file():
            have = ", ".join(self.model_names()) or "none"
            raise LabError(f"{self.out} has no model {name!r} (its models: {have})")
        return path

    def model(self, name):
        """Loads `models/<name>.keras` (the labs' custom layers registered first).

        Raises:
            LabError: the model is missing or its file cannot be read (truncated, not a model).
        """
        path = self.model_path(name)
        import keras  # the run is read after the flags are parsed: TensorFlow is up by now

        import models  # noqa: F401  (registers the labs' custom layers)

        try:
            return keras.saving.load_model(path)
        except Exception as error:  # zipfile, h5py and Keras each raise their own  # noqa: BLE001
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise LabError(
                f"cannot read the model {path} (damaged or not a .keras file: {reason[:120]})"
            ) from None

    def history(self):
        """`{run: {metric: [value per epoch]}}` from the run's `history.csv` (`{}` if none)."""
        path = self.out / "history.csv"
        return read_history_csv(path) if path.is_file() else {}


def _read_json(path, what):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise LabError(f"cannot read {what} {path}: {error}") from None


def load_run(where, lab=None):
    """The finished run in a folder.

    Args:
        where: a `RunContext` (its `output_dir` and `lab`) or a folder.
        lab: the lab the run must be from (taken from the context when `where` is one).

    Returns:
        A `SavedRun`.

    Raises:
        LabError: no finished run there (naming the command that makes one), a run of another
            lab, or an unreadable `metrics.json` / `assets.json`.
    """
    if hasattr(where, "output_dir"):
        out, lab = pathlib.Path(where.output_dir), lab or where.lab
    else:
        out = pathlib.Path(where)
    metrics_path = out / METRICS
    if not metrics_path.is_file():
        command = f"python -m labs.{lab}" if lab else "the lab"
        raise LabError(f"no finished run in {out}/: run `{command}` first, or pass --output-dir")
    metrics = _read_json(metrics_path, "the run's metrics")
    if not isinstance(metrics, dict):
        raise LabError(f"{metrics_path} is not a run's metrics.json")
    if lab is not None and metrics.get("lab") != lab:
        raise LabError(f"{out}/ holds a run of labs.{metrics.get('lab')}, not of labs.{lab}")
    if "diverged" in metrics:
        raise LabError(
            f"the run in {out}/ diverged ({metrics['diverged'].get('message', '')}); run it again"
        )
    assets_path = out / ASSETS
    assets = _read_json(assets_path, "the run's assets") if assets_path.is_file() else {}
    return SavedRun(out, metrics, assets)
