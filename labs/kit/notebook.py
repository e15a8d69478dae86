"""What every course notebook (notebooks/<lab>.py) shares: its setup, `show` and `check`.

A notebook's setup cell chooses the lab's output folder, and its exercises compare answers with
the package's references:

```python
from labs.kit.notebook import setup, show

OUT = setup("seq2seq")  # the lab's --output-dir, beside the notebook
...
show("loss.png")  # a PNG the lab wrote to OUT, inline

from labs.kit.notebook import check

check("encode", lambda: my_encode(words, E, W, U, b), reference.encode(words, E, W, U, b))
```

Importing this module imports neither TensorFlow nor a lab; `setup` imports TensorFlow, quietly,
so that no cell of the notebook prints its C++ start-up lines.
"""

import contextlib
import os
import pathlib
import sys
import tempfile

import numpy as np

# `shared/data` beside the checkout: where `make` stages the datasets for offline use.
SHARED_DATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"
BLANK = "空欄がまだあります / a blank is still `...`"
CORRECT = "正解 / correct"

_output_dir = None  # set by `setup`; where `show` looks for the lab's PNGs


def setup(lab, *, quiet=True):
    """Prepares a notebook's kernel for the lab `lab` and returns the lab's output folder.

    - Points the offline loaders at the staged data: `LABS_MANUAL_DIR` (and `NLTK_DATA`) default
      to `shared/data` beside the checkout when it is there and nothing else was set.
    - Sets `TF_CPP_MIN_LOG_LEVEL=3` and imports TensorFlow with its stderr held back, so no
      cell shows `failed call to cuInit` or the other C++ start-up lines on a CPU-only machine
      (if the import fails, the held-back text is printed before the exception).
    - Lets the labs draw their PNGs off-screen (Agg) while the notebook's own plots stay inline.

    Args:
        lab: the lab's name, e.g. `"seq2seq"`.
        quiet: False keeps TensorFlow's C++ messages (the level the environment sets).

    Returns:
        `pathlib.Path("runs") / lab`: the `--output-dir` the notebook passes to the lab, relative
        to the notebook's folder; `show` reads its PNGs from there.

    Example:

    >>> OUT = setup("activations")  # doctest: +SKIP
    >>> metrics = kit.execute(LAB, ["--output-dir", str(OUT), "--quick"])  # doctest: +SKIP
    >>> show("overview.png")  # doctest: +SKIP
    """
    global _output_dir
    if "LABS_MANUAL_DIR" not in os.environ and SHARED_DATA.is_dir():
        os.environ["LABS_MANUAL_DIR"] = str(SHARED_DATA)
        os.environ.setdefault("NLTK_DATA", str(SHARED_DATA / "nltk_data"))
    if quiet:
        # Read by TensorFlow's C++ logging when it is imported, so it must come first.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        _import_quietly("tensorflow")
    # The labs' plotting module selects Agg when it is imported; importing it now, before the
    # inline backend is chosen, keeps a later lab import from switching the notebook to Agg.
    import labs.kit.plotting  # noqa: F401

    _inline_plots()
    _output_dir = pathlib.Path("runs") / lab
    return _output_dir


def show(*names, directory=None):
    """Shows PNG files inline, in the order given.

    Args:
        *names: file names (or paths) relative to `directory`.
        directory: where the files are; by default the output folder `setup` returned.

    Example:

    >>> show("loss.png", "predictions_course.png")  # doctest: +SKIP
    """
    from IPython.display import Image, display

    directory = pathlib.Path(directory if directory is not None else _output_dir or ".")
    for name in names:
        display(Image(filename=str(directory / name)))


def check(name, run, expected, atol=1e-8):
    """Runs an exercise's answer and compares it with the package's reference.

    A blank still written as `...` prints a reminder instead of failing, so a learner can run
    the cell before filling it in; a wrong answer fails `np.testing.assert_allclose`.

    Args:
        name: what the exercise computes, printed with the verdict.
        run: a function of no arguments that returns the answer: one array, or a tuple of them.
        expected: the reference value(s), in the same structure.
        atol: the absolute tolerance of the comparison.

    Example:

    >>> check("sigmoid'", lambda: my_sigmoid_derivative(x), act.sigmoid_derivative(x))
    ... # doctest: +SKIP
    sigmoid': 正解 / correct
    """
    try:
        got = run()
    except (TypeError, AttributeError) as error:  # arithmetic on a `...` blank
        if "ellipsis" in str(error):
            print(f"{name}: {BLANK}")
            return
        raise
    got = got if isinstance(got, tuple) else (got,)
    if any(g is Ellipsis for g in got):
        print(f"{name}: {BLANK}")
        return
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(got) == len(expected), f"{name}: {len(got)} values, expected {len(expected)}"
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, atol=atol, err_msg=name)
    print(f"{name}: {CORRECT}")


def _import_quietly(module):
    """Imports `module` with file descriptor 2 redirected, printing what it wrote if it fails.

    The C++ start-up lines are written to the descriptor directly, below Python's `sys.stderr`,
    which is why the descriptor itself is redirected.
    """
    if module in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            __import__(module)
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _inline_plots():
    """`%matplotlib inline`, when running in IPython."""
    with contextlib.suppress(ImportError):
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            shell.run_line_magic("matplotlib", "inline")
