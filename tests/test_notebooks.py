"""The course notebooks (notebooks/*.ipynb): committed without outputs, in step with their
generator, one per lab, and each one executes top to bottom in quick mode on the staged data.

Executing them is `make notebooks-check` (CI runs it after the test suite): every notebook in a
fresh kernel of this venv, `QUICK = True`, in a temporary working folder. A cell that raises
fails the run; `test_a_failing_cell_fails_the_run` shows that with a deliberately broken copy.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
QUICK_OFF, QUICK_ON = "QUICK = False", "QUICK = True"
CELL_TIMEOUT_S = 900  # one cell; the quick runs take seconds to a minute or two on 2 cores


def quick(nb):
    """Flips the notebook's parameters cell (tagged "parameters") to `QUICK = True`, in place."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "a notebook has exactly one cell tagged 'parameters'"
    assert cells[0].source.count(QUICK_OFF) == 1, f"the parameters cell sets {QUICK_OFF!r}"
    cells[0].source = cells[0].source.replace(QUICK_OFF, QUICK_ON)
    return nb


def execute(path, cwd, timeout=CELL_TIMEOUT_S, full=False):
    """Runs the notebook at `path` in quick mode (`full`: as committed, `QUICK = False`) in a fresh
    python3 kernel whose working folder is `cwd`; raises `nbclient.exceptions.CellExecutionError`
    at the first cell that raises.

    Returns:
        The executed notebook (outputs filled in).
    """
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb = nb if full else quick(nb)
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb


def _lab_names():
    from labs.__main__ import LABS

    return [lab.name for lab in LABS]


# ---- fast checks (default suite) -------------------------------------------------------------


def test_one_notebook_per_lab():
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(_lab_names())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: cell {index} has outputs (strip them)"
            assert cell["execution_count"] is None, f"{path.name}: cell {index} was executed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_shape_of_a_notebook(path):
    """Parameters cell near the top, Japanese and English prose, exercises checked by assert."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    tagged = [
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    assert tagged and tagged[0] <= 2, "the parameters cell comes first, after the title"
    quick(nb)  # exactly one `QUICK = False` to flip
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert any("\u3040" <= ch <= "\u30ff" for ch in prose), "Japanese prose (kana)"
    assert "> " in prose and "演習" in prose and "Exercise" in prose
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f"labs.{path.stem}" in sources or f"from labs import {path.stem}" in sources, (
        "the notebook runs the lab's own code"
    )
    assert "check(" in sources and "solution" in json.dumps(
        [c.metadata.get("tags", []) for c in nb.cells]
    )


def test_generator_wrote_the_committed_notebooks():
    result = subprocess.run(
        [sys.executable, str(NOTEBOOK_DIR / "build_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_quick_flips_only_the_parameters_cell():
    import nbformat

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    before = [c.source for c in nb.cells]
    after = [c.source for c in quick(nb).cells]
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1 and QUICK_ON in after[changed[0]]


def test_kernel_is_this_python():
    """The runner's python3 kernel is this venv's interpreter, so it imports this checkout."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv = KernelSpecManager().get_kernel_spec("python3").argv
    assert argv[0] in (sys.executable, "python", "python3"), argv


# ---- execution (make notebooks-check; slow) --------------------------------------------------


@pytest.fixture
def notebook_env(data_root, data_dir, monkeypatch):
    """The kernel inherits this environment: the staged data and the session's tfds dir."""
    monkeypatch.setenv("LABS_MANUAL_DIR", str(data_root))
    monkeypatch.setenv("TFDS_DATA_DIR", str(data_dir))
    if (data_root / "nltk_data").is_dir():
        monkeypatch.setenv("NLTK_DATA", str(data_root / "nltk_data"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    return os.environ


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path, notebook_env):
    nb = execute(path, tmp_path)
    runs = sorted((tmp_path / "runs" / path.stem).rglob("metrics.json"))
    assert runs, "the notebook ran its lab"
    for run in runs:  # a notebook may run its lab more than once (bidirectional: two presets)
        metrics = json.loads(run.read_text())
        assert metrics["lab"] == path.stem and metrics["quick"] is True, run
    outputs = json.dumps(
        [c.get("outputs", []) for c in nb.cells if c.cell_type == "code"], ensure_ascii=False
    )
    assert "image/png" in outputs, "the plots are shown inline"
    for index, cell in enumerate(nb.cells):
        if "solution" in cell.metadata.get("tags", []):
            printed = json.dumps(cell.outputs, ensure_ascii=False)
            assert "正解 / correct" in printed, f"solution cell {index} passes its check"


@pytest.mark.slow
def test_a_failing_cell_fails_the_run(tmp_path, notebook_env):
    """A deliberately broken copy (a wrong exercise solution) must fail, at that cell."""
    import nbclient
    import nbformat

    nb = nbformat.read(NOTEBOOK_DIR / "activations.ipynb", as_version=4)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    right = "return s * (1 - s)"
    assert right in solutions[0].source
    solutions[0].source = solutions[0].source.replace(right, "return s * (1 + s)")
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="AssertionError"):
        execute(broken, tmp_path)


# ---- README.ja.md ------------------------------------------------------------------------------


def _commands(markdown):
    """The shell commands of a README: code-block lines (comments dropped, spaces collapsed) and
    the `python -m labs...` commands quoted inline."""
    import re

    commands, inside, shell = set(), False, False
    for line in markdown.splitlines():
        if line.startswith("```"):  # opens a block (```bash, ```python, ```) or closes one
            inside = not inside
            shell = inside and line.strip() in ("```", "```bash")
            continue
        command = " ".join(line.split("#", 1)[0].split())
        if shell and command:
            commands.add(command)
    commands.update(re.findall(r"`(python -m labs[^`]*)`", markdown))
    return commands


def test_japanese_readme_commands_are_the_english_ones():
    english = _commands((REPO / "README.md").read_text(encoding="utf-8"))
    japanese = _commands((REPO / "README.ja.md").read_text(encoding="utf-8"))
    assert {"make demo", "make test"} <= japanese
    assert japanese - english == set(), "README.ja.md has commands README.md does not"
