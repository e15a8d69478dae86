"""Writes each course notebook's .ipynb from its source, notebooks/<lab>.py, without outputs.

Each notebook is kept as one jupytext "percent" script (`# %%` cells, the prose in
`# %% [markdown]` cells) paired with its .ipynb by notebooks/jupytext.toml. The .py is the
source: edit it (or the notebook in JupyterLab, where jupytext saves both), then

    python -m tools.notebooks           # rewrite every .ipynb from its .py, outputs stripped
    python -m tools.notebooks --check   # exit 1 if an .ipynb is not the sync of its .py

`make notebooks-sync` runs the first; tests/test_notebooks.py runs the check. The .ipynb is what
`jupytext --sync notebooks/<lab>.py` writes, less any outputs: the cells' ids and the notebook's
metadata are kept from the .ipynb already there, so a sync changes only what the .py changed.
"""

import argparse
import pathlib
import sys

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
FORMAT = "py:percent"


def sources(directory=NOTEBOOK_DIR):
    """The notebook sources: every `<lab>.py` in `directory`."""
    return sorted(directory.glob("*.py"))


def render(source):
    """The text of the .ipynb paired with `source`: its cells, no outputs.

    Args:
        source: a notebook source, `notebooks/<lab>.py`.

    Returns:
        The notebook as nbformat writes it (JSON, one-space indent, a final newline). Cell ids and
        notebook metadata come from the .ipynb beside `source` where its cells match, as
        `jupytext --sync` keeps them.

    Example:

    >>> text = render(NOTEBOOK_DIR / "seq2seq.py")
    >>> text == (NOTEBOOK_DIR / "seq2seq.ipynb").read_text(encoding="utf-8")
    True
    """
    import jupytext
    import nbformat
    from jupytext.combine import combine_inputs_with_outputs
    from jupytext.config import load_jupytext_config

    source = pathlib.Path(source)
    config = load_jupytext_config(str(source))  # notebooks/jupytext.toml
    nb = jupytext.read(source, fmt=FORMAT, config=config)
    paired = source.with_suffix(".ipynb")
    if paired.is_file():
        nb = combine_inputs_with_outputs(nb, nbformat.read(paired, as_version=4), fmt=FORMAT)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    return jupytext.writes(nb, fmt="ipynb", config=config).rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if an .ipynb differs from the sync of its .py",
    )
    args = parser.parse_args(argv)
    stale = []
    for source in sources():
        paired = source.with_suffix(".ipynb")
        text = render(source)
        current = paired.read_text(encoding="utf-8") if paired.is_file() else None
        if text == current:
            continue
        if args.check:
            stale.append(paired.name)
        else:
            paired.write_text(text, encoding="utf-8")
            print(f"wrote {paired.relative_to(NOTEBOOK_DIR.parent)}")
    if stale:
        print(f"not in sync (run python -m tools.notebooks): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
