"""What every lab gives because it is declared with `kit.Lab` (the mechanisms themselves are
tested once on a tiny lab in test_kit.py): one shape, instant `--help` with no TensorFlow, a bad
seed refused in one line; plus bad data, tf.distribute and the benchmark runner."""

import ast
import json
import subprocess
import sys
import textwrap

import pytest

from labs.__main__ import LABS
from tests.conftest import REPO, run_module

LAB_NAMES = [entry.name for entry in LABS]
RUN_PY_MAX_LINES = 150
DOCSTRING_MAX_LINES = 20


def _one_line(stderr):
    assert "Traceback" not in stderr, stderr[-3000:]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


# ---------------------------------------------------------------------------------------------
# One shape for every lab.


def test_labs_holds_only_registered_lab_packages_and_the_kit():
    packages = {path.parent.name for path in (REPO / "labs").glob("*/__init__.py")} - {
        "kit",
        "data",
    }
    assert packages == set(LAB_NAMES)
    modules = {path.stem for path in (REPO / "labs").glob("*.py")}
    assert modules == {"__init__", "__main__"}, "a lab is a package, not a module"


@pytest.mark.parametrize("name", LAB_NAMES)
def test_every_lab_has_the_shape(name):
    folder = REPO / "labs" / name
    lab = next(entry.lab for entry in LABS if entry.name == name)
    init = ast.parse((folder / "__init__.py").read_text())
    docstring = ast.get_docstring(init)
    assert docstring and len(docstring.splitlines()) <= DOCSTRING_MAX_LINES, name
    assert (folder / "__main__.py").read_text().strip().endswith("kit.main(LAB)")
    run = folder / "run.py"
    assert "def run(experiment)" in run.read_text()
    assert len(run.read_text().splitlines()) <= RUN_PY_MAX_LINES, f"{run} is too long"
    assert (folder / "figures.py").is_file()
    assert (folder / "commands.py").is_file() == bool(lab.commands)
    if lab.commands:
        commands = ast.parse((folder / "commands.py").read_text())
        defined = {node.name for node in commands.body if isinstance(node, ast.FunctionDef)}
        assert set(lab.commands) <= defined
    assert lab.metrics is not None and lab.section, name
    no_argparse = [p for p in folder.glob("*.py") if "argparse" in p.read_text()]
    assert not no_argparse, f"flags belong to the Config: {no_argparse}"


HELP_SCRIPT = """
import sys
from labs.__main__ import LABS
from labs.kit import lab as declaration

asked = 0
for entry in LABS:
    for command in [None, *entry.lab.commands]:
        try:
            declaration.parse(entry.lab, [*([command] if command else []), "--help"])
        except SystemExit as done:
            assert done.code == 0, (entry.name, command)
            asked += 1
print(asked, "tensorflow" in sys.modules, "keras" in sys.modules, file=sys.stderr)
"""


def test_help_of_every_lab_and_subcommand_needs_no_tensorflow():
    result = subprocess.run(
        [sys.executable, "-c", HELP_SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    asked, tensorflow, keras = result.stderr.split()
    assert int(asked) >= len(LABS) and tensorflow == keras == "False"
    assert result.stdout.count("usage: python -m labs.") == int(asked)


@pytest.mark.parametrize("name", LAB_NAMES)
def test_a_bad_seed_is_refused_in_one_line(name):
    result = run_module(f"labs.{name}", "--seed", "-1", timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    line = _one_line(result.stderr)
    assert line.startswith(f"python -m labs.{name}: error: argument --seed: expected an integer")


def test_labs_lists_every_registered_lab():
    result = run_module("labs", timeout=60)
    assert result.returncode == 0, result.stderr
    for entry in LABS:
        assert entry.lab.summary in result.stdout and entry.lab.section in result.stdout
        assert entry.run_time in result.stdout


# ---------------------------------------------------------------------------------------------
# Bad data: one clear line, nothing already written lost.


def _previous_results(out):
    """An output dir holding an earlier run's files; returns {path: content}."""
    (out / "models").mkdir(parents=True)
    files = {
        out / "metrics.json": '{"earlier": "run"}\n',
        out / "models" / "gru.keras": "model",
        out / "history.csv": "run,epoch,loss\n",
    }
    for path, text in files.items():
        path.write_text(text)
    return files


@pytest.mark.parametrize("archive", ["missing", "truncated"])
def test_bad_data_offline_is_one_line_and_keeps_earlier_results(archive, tmp_path, manual_dir):
    folder = tmp_path / "manual"
    folder.mkdir()
    if archive == "truncated":
        original = (manual_dir / "free-spoken-digit-dataset-1.0.9.tar.gz").read_bytes()
        (folder / "free-spoken-digit-dataset-1.0.9.tar.gz").write_bytes(original[:2_000_000])
    previous = _previous_results(tmp_path / "out")
    result = run_module(
        "labs.bidirectional",
        "--quick",
        "--manual-dir",
        folder,
        "--data-dir",
        tmp_path / "tfds",
        "--output-dir",
        tmp_path / "out",
        env={"LABS_MANUAL_DIR": ""},
        timeout=600,
    )
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]  # tfds may print its progress before
    assert "Traceback" not in result.stderr
    assert ("--manual-dir" in line) if archive == "missing" else ("wrong checksum" in line)
    assert {path: path.read_text() for path in previous} == previous


# ---------------------------------------------------------------------------------------------
# tf.distribute: two logical CPU devices in a fresh process.

STRATEGY_SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from labs import kit
    from labs.seq2seq import LAB

    out = sys.argv[1]
    results = {}
    for strategy in ("default", "mirrored"):
        results[strategy] = kit.execute(LAB, ["--quick", "--no-plots", "--strategy", strategy,
                                              "--output-dir", f"{out}/{strategy}"])
    try:
        kit.execute(LAB, ["--quick", "--strategy", "mirrored", "--batch-size", "13",
                          "--output-dir", f"{out}/odd"])
    except kit.LabError as error:
        results["odd_batch_error"] = str(error)
    print("RESULTS " + json.dumps(results))
""")


def test_mirrored_strategy_on_two_devices_matches_one_device(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", STRATEGY_SCRIPT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "MirroredStrategy over 2 device(s)" in result.stdout
    results = json.loads(result.stdout.split("RESULTS ", 1)[1])
    single = results["default"]["variants"]["course"]
    mirrored = results["mirrored"]["variants"]["course"]
    # Each replica takes half of every batch and the gradients are summed before the update:
    # the same arithmetic up to float32 summation order, so the numbers agree to ~1e-6 after two
    # epochs (measured: identical). 1e-4 allows for rounding, and fails if a replica trained on
    # its half-batch alone or the gradients were not reduced.
    for key in ("final_loss", "val_mse", "free_running_mse", "shifted_free_running_mse"):
        assert mirrored[key] == pytest.approx(single[key], rel=1e-4), key
    history = (tmp_path / "mirrored" / "history.csv").read_text().splitlines()
    losses = [float(row.split(",")[2]) for row in history[1:]]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert "multiple of the 2 replicas" in results["odd_batch_error"]


# ---------------------------------------------------------------------------------------------
# The benchmark runner.


def _check_benchmark_results(out, benchmarks):
    results = json.loads((out / "results.json").read_text())
    assert {row["benchmark"] for row in results["rows"]} == benchmarks
    for row in results["rows"]:
        assert row["ours"] > 0 and row["anchor"] > 0
        assert row["ratio"] == pytest.approx(
            row["ours"] / row["anchor"] if row["higher_is_better"] else row["anchor"] / row["ours"],
            rel=1e-3,
        )
    table = (out / "results.md").read_text()
    assert "| metric | ours | anchor | ratio | machine |" in table
    assert table.count("\n| ") >= len(results["rows"]) + 1


def test_benchmark_runner_writes_the_table(tmp_path):
    result = run_module(
        "benchmarks",
        "--quick",
        "--only",
        "seq2seq_inference",
        "--output-dir",
        tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    _check_benchmark_results(tmp_path, {"seq2seq_inference"})


@pytest.mark.slow
def test_benchmark_runner_runs_every_benchmark(tmp_path):
    result = run_module("benchmarks", "--quick", "--output-dir", tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    _check_benchmark_results(tmp_path, {"augmentation", "seq2seq_inference", "word2vec"})


def test_the_package_layers_import_down_only():
    """labs -> kit/data -> models/augmentation: nothing outside labs imports a lab package."""
    offenders = []
    for package in ("models", "augmentation"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                offenders += [
                    f"{path.relative_to(REPO)}: {n}" for n in names if n.startswith("labs")
                ]
    assert not offenders, offenders
