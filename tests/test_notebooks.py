"""The course notebooks: one source per lab (notebooks/<lab>.py, jupytext percent format) and the
.ipynb paired with it, committed as the sync of that source without outputs; each exercise differs
from its solution only at its blanks, and each notebook executes top to bottom in quick mode on
the staged data.

Executing them is `make notebooks-check` (CI runs it after the test suite): every notebook in a
fresh kernel of this venv, `QUICK = True`, in a temporary working folder. A cell that raises
fails the run; `test_a_failing_cell_fails_the_run` shows that with a deliberately broken copy.
"""

import difflib
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from tools import notebooks as sync

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SOURCES = sorted(NOTEBOOK_DIR.glob("*.py"))
SOLUTION_HEADER = "# 解答例 / a solution"
BLANK_COMMENT = "  # 空欄 / blank"
# TensorFlow's C++ log lines ("E0000 00:00:... failed call to cuInit") and absl's preamble.
TF_LOG_LINE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:)", re.M)
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


def test_each_notebook_has_one_source():
    assert [p.stem for p in SOURCES] == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_the_sync_of_its_source(source):
    """What `python -m tools.notebooks` (or `jupytext --sync`) would write is what is committed."""
    expected = sync.render(source)
    committed = source.with_suffix(".ipynb").read_text(encoding="utf-8")
    assert committed == expected, f"run `make notebooks-sync` ({source.name} changed)"


def test_sync_check_fails_on_a_stale_notebook(tmp_path):
    source = tmp_path / "demo.py"
    source.write_text("# %% [markdown]\n# A title\n\n# %%\nx = 1\n", encoding="utf-8")
    (tmp_path / "jupytext.toml").write_text(
        (NOTEBOOK_DIR / "jupytext.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    source.with_suffix(".ipynb").write_text(sync.render(source), encoding="utf-8")
    assert sync.render(source) == source.with_suffix(".ipynb").read_text(encoding="utf-8")
    source.write_text(source.read_text(encoding="utf-8").replace("x = 1", "x = 2"))
    assert sync.render(source) != source.with_suffix(".ipynb").read_text(encoding="utf-8")


def _exercises(nb):
    """(exercise, solution) cell pairs: each solution cell and the code cell just before it."""
    pairs = []
    for index, cell in enumerate(nb.cells):
        if "solution" in cell.metadata.get("tags", []):
            assert nb.cells[index - 1].cell_type == "code", f"cell {index - 1}: the exercise"
            pairs.append((nb.cells[index - 1], cell))
    return pairs


def _differ_only_at_blanks(exercise, solution):
    """Whether `exercise` is `solution` with some expressions written as `...` and marked.

    Each line that differs must be the solution's line with one or more parts replaced by `...`,
    followed by the blank's comment (`# 空欄 / blank`, maybe a hint); every other line is equal.
    Returns the number of blank lines, or raises AssertionError saying which line is wrong.
    """
    ex_lines, sol_lines = exercise.splitlines(), solution.splitlines()
    blanks = 0
    matcher = difflib.SequenceMatcher(a=ex_lines, b=sol_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        assert tag == "replace" and i2 - i1 == j2 - j1, (
            f"the exercise and its solution differ beyond their blanks:\n"
            f"{ex_lines[i1:i2]}\nvs\n{sol_lines[j1:j2]}"
        )
        for ex_line, sol_line in zip(ex_lines[i1:i2], sol_lines[j1:j2], strict=True):
            code, marker, _ = ex_line.partition(BLANK_COMMENT)
            assert marker and "..." in code, f"{ex_line!r} is not a marked blank"
            pattern = "(.+)".join(re.escape(part) for part in code.split("..."))
            assert re.fullmatch(pattern, sol_line), f"{ex_line!r} does not blank {sol_line!r}"
            blanks += 1
    return blanks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercise_and_solution_differ_only_at_the_blanks(path):
    import nbformat

    pairs = _exercises(nbformat.read(path, as_version=4))
    assert len(pairs) >= 2, "every notebook has its exercises"
    for exercise, solution in pairs:
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, "collapsed"
        header, _, solved = solution.source.partition("\n")
        assert header == SOLUTION_HEADER
        assert "check(" in solved, "a solution runs its check"
        assert _differ_only_at_blanks(exercise.source, solved) >= 1, "the exercise has a blank"


def test_blank_comparison_catches_a_changed_line():
    solution = "def f(x):\n    y = x + 1\n    return y * 2\n\n\ncheck(1)"
    exercise = "def f(x):\n    y = x + 1\n    return ...  # 空欄 / blank: twice\n\n\ncheck(1)"
    assert _differ_only_at_blanks(exercise, solution) == 1
    with pytest.raises(AssertionError, match="not a marked blank"):
        _differ_only_at_blanks(exercise.replace("x + 1", "x + 2"), solution)
    with pytest.raises(AssertionError, match="beyond their blanks"):
        _differ_only_at_blanks("x = 0\n" + exercise, solution)
    with pytest.raises(AssertionError, match="does not blank"):
        _differ_only_at_blanks(exercise.replace("return ...", "return ... + 1"), solution)


def test_check_reminds_of_a_blank_and_fails_a_wrong_answer(capsys):
    import numpy as np

    from labs.kit.notebook import check

    check("blank", lambda: ..., np.ones(2))
    check("arithmetic on a blank", lambda: ... * 2, np.ones(2))
    check("right", lambda: (np.ones(2), 3.0), (np.ones(2), 3.0))
    assert capsys.readouterr().out.splitlines() == [
        "blank: 空欄がまだあります / a blank is still `...`",
        "arithmetic on a blank: 空欄がまだあります / a blank is still `...`",
        "right: 正解 / correct",
    ]
    with pytest.raises(AssertionError, match="wrong"):
        check("wrong", lambda: np.zeros(2), np.ones(2))


def test_notebook_helpers_do_not_import_tensorflow():
    code = "import sys, labs.kit.notebook; print('tensorflow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


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
    for exercise, solution in _exercises(nb):
        printed = "".join(o.get("text", "") for o in solution.outputs)
        assert "正解 / correct" in printed and "空欄" not in printed, solution.source
        printed = "".join(o.get("text", "") for o in exercise.outputs)
        assert "空欄がまだあります" in printed, f"a blank left as `...` only reminds: {printed}"
    stderr = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("name") == "stderr"
    )
    assert not TF_LOG_LINE.search(stderr), f"TensorFlow's C++ log reached a cell:\n{stderr}"


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
