"""The plumbing every lab shares: flags, outputs, the lab list."""

import csv
import json

import numpy as np
import pytest

from labs import common
from labs.__main__ import available_labs
from tests.conftest import REPO, run_module

PRESETS = {"course": object(), "modern": object()}


@pytest.mark.parametrize(
    "argv, names",
    [
        (["--epochs", "0"], "--epochs"),
        (["--epochs", "ten"], "--epochs"),
        (["--batch-size", "-8"], "--batch-size"),
        (["--preset", "fancy"], "--preset"),
        (["--seed", "1.5"], "--seed"),
        (["--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_flags_exit_2_with_one_line(capsys, argv, names):
    parser = common.make_parser("demo", "doc", PRESETS)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and names in error


def test_uniform_flags_and_defaults(monkeypatch):
    monkeypatch.setenv("LABS_MANUAL_DIR", "/some/archive")
    monkeypatch.delenv("TFDS_DATA_DIR", raising=False)
    parser = common.make_parser("demo", "doc", PRESETS, default_preset="modern", uses_tfds=True)
    args = parser.parse_args([])
    assert args.preset == "modern" and args.seed == 0 and not args.quick and not args.no_plots
    assert str(args.output_dir) == "runs/demo"
    assert str(args.manual_dir) == "/some/archive" and args.data_dir is None
    assert common.make_parser("demo", "doc", PRESETS).parse_args([]).preset == "course"


def test_configure_applies_only_given_overrides():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Config:
        epochs: int = 5
        batch_size: int = 8

    parser = common.make_parser("demo", "doc", PRESETS)
    assert common.configure(Config(), parser.parse_args(["--epochs", "2"])) == Config(2, 8)
    assert common.configure(Config(), parser.parse_args([])) == Config()


def test_output_dir_unwritable_is_a_lab_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(common.LabError, match="cannot write to output dir"):
        common.prepare_output_dir(blocker / "run")


def test_metrics_and_history_files(tmp_path):
    out = common.prepare_output_dir(tmp_path / "run")
    assert (out / "models").is_dir()
    common.write_metrics(out, {"accuracy": np.float32(0.5), "counts": np.arange(3)})
    assert json.loads((out / "metrics.json").read_text()) == {"accuracy": 0.5, "counts": [0, 1, 2]}
    common.write_history_csv(out / "history.csv", {"a": {"loss": [1.0, 0.5]}, "b": {"loss": [2.0],
                                                                                       "val_loss": [3.0]}})
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert [(r["run"], r["epoch"], r["loss"], r["val_loss"]) for r in rows] == [
        ("a", "1", "1", ""), ("a", "2", "0.5", ""), ("b", "1", "2", "3")]


def test_labs_lists_every_lab_module():
    result = run_module("labs", timeout=60)
    assert result.returncode == 0, result.stderr
    listed = available_labs()
    lab_files = {p.stem for p in (REPO / "labs").glob("*.py") if "def main(" in p.read_text()}
    assert {name for name, _ in listed} == lab_files - {"__main__"}
    for name, description in listed:
        assert name in result.stdout and description and description in result.stdout
