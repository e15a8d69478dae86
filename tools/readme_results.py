"""Renders the README's result tables from the committed `results/<lab>/<run>-seed<N>.json`.

Each file is a final run's `metrics.json`, copied unchanged. A table sits in README.md between

    <!-- results: simple_rnn/course -->
    ...generated, do not edit...
    <!-- /results -->

and shows, per row (a variant or model of the run) and column (a metric), the value of the one
seed measured, or `mean (min–max)` over every seed of `results/simple_rnn/course-seed*.json`;
a table may gather several runs' rows (the language model's presets, one row each).
The tables a README may hold are listed in `TABLES` below.

    python -m tools.readme_results           # rewrites README.md's tables in place
    python -m tools.readme_results --check   # exit 1 and name the stale tables (tests, CI)
"""

import argparse
import dataclasses
import importlib
import json
import math
import pathlib
import re
import statistics
import sys
import types
import typing

REPO = pathlib.Path(__file__).resolve().parents[1]
MARKER = re.compile(
    r"(<!-- results: (?P<key>[\w/.-]+) -->\n)(?P<body>.*?)(<!-- /results -->)", re.DOTALL
)


def percent(value):
    return f"{value:.1%}".replace("%", " %")


def number(digits=3):
    """A formatter with `digits` significant digits (1.23e-05, 0.0123, 123)."""
    return lambda value: f"{value:.{digits}g}"


def integer(value):
    return f"{value:,.0f}"


def _lookup(mapping, dotted_key):
    """`mapping["a"]["b"]` for `"a.b"`."""
    for part in dotted_key.split("."):
        mapping = mapping[part]
    return mapping


@dataclasses.dataclass(frozen=True)
class Column:
    """One metric of a row: `row[key]`, formatted by `format`."""

    title: str
    key: str  # dots reach into nested dicts: "folds.theo"
    format: object = dataclasses.field(default_factory=number)

    def value(self, row):
        return _lookup(row, self.key)


@dataclasses.dataclass(frozen=True)
class Table:
    """A README table: one row per entry of `metrics[rows]`, in the order of the first seed."""

    rows: str  # the metrics.json key holding {row name: {metric: value}}; dots reach deeper
    columns: tuple  # of Column
    row_title: str = "variant"
    single: bool = False  # `metrics[rows]` is one row's {metric: value}, named by the run
    extra_rows: tuple = ()  # top-level metrics keys shown as rows after them, e.g. "ensemble"
    # The "<lab>/<run>" results the table shows, each run's rows in turn; () = the table's key.
    sources: tuple = ()

    def rows_of(self, metrics, run):
        """`{row name: {metric: value}}` of one run's metrics."""
        found = _lookup(metrics, self.rows)
        rows = {run: found} if self.single else dict(found)
        return {**rows, **{name: metrics[name] for name in self.extra_rows if name in metrics}}


SIMPLE_RNN = Table(
    "variants",
    (
        Column("exact-sum accuracy", "accuracy", percent),
        Column("bit accuracy", "bit_accuracy", percent),
        Column("loss, mean of the last 100", "final_loss_mean_100"),
        Column("largest gradient norm", "max_grad_norm"),
    ),
)
SEQ2SEQ = Table(
    "variants",
    (
        Column("free-running MSE", "free_running_mse"),
        Column("on the half-step grid", "shifted_free_running_mse"),
        Column("teacher-forced val MSE", "val_mse"),
        Column("parameters", "params", integer),
    ),
)
LANGUAGE_MODEL = Table(
    "model",
    (
        Column("valid perplexity", "valid_perplexity", number(4)),
        Column("test perplexity", "test_perplexity", number(4)),
        Column("epochs", "epochs", integer),
        Column("training minutes", "train_seconds", lambda seconds: f"{seconds / 60:.1f}"),
        Column("parameters", "params", integer),
    ),
    row_title="preset",
    single=True,
    sources=tuple(f"language_model/{preset}" for preset in ("default", "course", "small", "long")),
)
SPOKEN_DIGITS = Table(
    "models",
    (
        Column("parameters", "params", integer),
        Column("val accuracy", "val_accuracy", percent),
        Column("test accuracy", "test_accuracy", percent),
    ),
    row_title="model",
    extra_rows=("ensemble",),
)
SPOKEN_DIGITS_SPEAKERS = Table(
    "models",
    (
        Column("mean over the 5 held-out speakers", "test_accuracy", percent),
        *(
            Column(speaker, f"folds.{speaker}", percent)
            for speaker in ("george", "jackson", "nicolas", "theo", "yweweler")
        ),
        Column("val accuracy (held-in speakers)", "val_accuracy", percent),
    ),
    row_title="model",
    extra_rows=("ensemble",),
)
COURSE_DIGITS = Table(
    "models",
    (
        Column("test accuracy", "test_accuracy", percent),
        Column("val accuracy", "val_accuracy", percent),
        Column("parameters", "params", integer),
    ),
    row_title="model",
)
CLIPPING_STUDY = Table(
    "clipping_study.runs",
    (
        Column("median gradient norm", "gradient_norm.median", number(3)),
        Column("largest gradient norm", "gradient_norm.max", number(3)),
        Column("non-finite steps", "gradient_norm.nonfinite_steps", integer),
        Column("val accuracy", "val_accuracy", percent),
    ),
    row_title="clipping",
    sources=("bidirectional/course",),
)
ACTIVATIONS = Table(
    "functions",
    (
        Column("max abs error, value", "max_abs_error_value", number(2)),
        Column("max abs error, derivative", "max_abs_error_derivative", number(2)),
    ),
    row_title="function",
)

# "<lab>/<run>": the files results/<lab>/<run>-seed<N>.json and how to show them.
TABLES = {
    "simple_rnn/course": SIMPLE_RNN,
    "simple_rnn/corrected": SIMPLE_RNN,
    "seq2seq/course": SEQ2SEQ,
    "seq2seq/improved": SEQ2SEQ,
    "activations/course": ACTIVATIONS,
    "language_model/presets": LANGUAGE_MODEL,
    "bidirectional/modern": SPOKEN_DIGITS,
    "bidirectional/modern-speaker": SPOKEN_DIGITS_SPEAKERS,
    "bidirectional/course": COURSE_DIGITS,
    "bidirectional/course-clipping": CLIPPING_STUDY,
}


def schema_type(schema, dotted_key):
    """The type at `dotted_key` of a lab's metrics TypedDict (a `dict[str, X]` level takes any
    key); raises `KeyError` naming the first part the schema does not have."""
    for part in dotted_key.split("."):
        schema = _unwrap(schema)
        if typing.get_origin(schema) is dict:
            schema = typing.get_args(schema)[1]
        elif isinstance(schema, type) and hasattr(schema, "__required_keys__"):
            hints = typing.get_type_hints(schema)
            if part not in hints:
                raise KeyError(f"{schema.__name__} has no key {part!r}")
            schema = hints[part]
        else:
            raise KeyError(f"{dotted_key}: {part!r} is below a plain value")
    return _unwrap(schema)


def _unwrap(schema):
    if typing.get_origin(schema) in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(schema) if arg is not type(None)]
        return inner[0] if len(inner) == 1 else schema
    return schema


def check_against_schema(key, table):
    """Raises `KeyError` unless every column of `table` is a key of the lab's metrics schema
    (`labs.<lab>.LAB.metrics`), so a table never reads a key the lab does not write."""
    lab = importlib.import_module(f"labs.{key.split('/')[0]}").LAB
    row = schema_type(lab.metrics, table.rows)
    if not table.single:
        row = typing.get_args(row)[1] if typing.get_origin(row) is dict else row
    for column in table.columns:
        schema_type(row, column.key)


def load_runs(results_dir, key):
    """`{seed: metrics}` of `results_dir/<lab>/<run>-seed<N>.json`, by seed.

    Raises:
        ValueError: when there is none, or one of them is a `--quick` run.
    """
    lab, run = key.split("/")
    runs = {}
    for path in sorted((results_dir / lab).glob(f"{run}-seed*.json")):
        match = re.fullmatch(rf"{re.escape(run)}-seed(\d+)\.json", path.name)
        if not match:
            continue
        metrics = json.loads(path.read_text(encoding="utf-8"))
        if metrics.get("quick"):
            raise ValueError(f"{path} is a --quick run; results/ holds final runs only")
        runs[int(match.group(1))] = metrics
    if not runs:
        raise ValueError(f"no results/{lab}/{run}-seed<N>.json for the README table {key!r}")
    return dict(sorted(runs.items()))


def cell(values, format):
    """One value as it is; several as `mean (min–max)`, over the finite ones, saying how many
    were not (a diverged run's inf or NaN)."""
    finite = [value for value in values if math.isfinite(value)]
    if len(finite) == 1:
        text = format(finite[0])
    elif finite and min(finite) == max(finite):
        text = f"{format(finite[0])} (every seed)"
    elif finite:
        text = f"{format(statistics.fmean(finite))} ({format(min(finite))}–{format(max(finite))})"
    else:
        text = ""
    if len(finite) < len(values):
        text += f"{'; ' if text else ''}{len(values) - len(finite)} of {len(values)} inf/NaN"
    return text


def _seeds(seeds):
    seeds = list(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}–{seeds[-1]}"
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(map(str, seeds))


def render(table, runs):
    """The Markdown of `table` from `runs` (`{"<lab>/<run>": {seed: metrics}}`)."""
    captions, rows = [], []
    for source, by_seed in runs.items():
        lab, run = source.split("/")
        seeds = list(by_seed)
        captions.append(
            f"`results/{lab}/{run}-seed*.json`: {_seeds(seeds)} ({len(seeds)} "
            f"run{'s' if len(seeds) > 1 else ''})"
        )
        rows_by_seed = [table.rows_of(metrics, run) for metrics in by_seed.values()]
        for row in rows_by_seed[0]:
            cells = []
            for column in table.columns:
                values = [
                    column.value(seed_rows[row]) for seed_rows in rows_by_seed if row in seed_rows
                ]
                cells.append(cell(values, column.format))
            rows.append("| " + " | ".join([f"`{row}`", *cells]) + " |")
    several = any(len(by_seed) > 1 for by_seed in runs.values())
    spread = (
        "mean (min–max) over the seeds"
        if several
        else "one seed each"
        if len(runs) > 1
        else "one seed"
    )
    lines = [
        f"*{'; '.join(captions)}; {spread}.*",
        "",
        "| " + " | ".join([table.row_title, *(c.title for c in table.columns)]) + " |",
        "|" + "---|" * (len(table.columns) + 1),
        *rows,
    ]
    return "\n".join(lines) + "\n"


def update(readme_text, results_dir):
    """`readme_text` with every marked table rendered afresh from `results_dir`.

    Raises:
        ValueError: for a marker naming no entry of `TABLES`, or a table without results.
    """

    def replace(match):
        key = match.group("key")
        if key not in TABLES:
            raise ValueError(
                f"README marker names an unknown table {key!r}: one of {', '.join(TABLES)}"
            )
        table = TABLES[key]
        body = render(
            table, {source: load_runs(results_dir, source) for source in table.sources or (key,)}
        )
        return match.group(1) + body + match.group(4)

    return MARKER.sub(replace, readme_text)


def stale_tables(readme_text, results_dir):
    """The keys of the tables whose README text differs from what the results give."""
    fresh = {
        m.group("key"): m.group("body") for m in MARKER.finditer(update(readme_text, results_dir))
    }
    return [
        m.group("key")
        for m in MARKER.finditer(readme_text)
        if fresh[m.group("key")] != m.group("body")
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tools.readme_results", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when a table is stale"
    )
    parser.add_argument("--readme", type=pathlib.Path, default=REPO / "README.md")
    parser.add_argument("--results", type=pathlib.Path, default=REPO / "results")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    try:
        stale = stale_tables(text, args.results)
        fresh = update(text, args.results)
    except ValueError as error:
        print(f"readme_results: error: {error}", file=sys.stderr)
        return 1
    if args.check:
        if stale:
            print(
                f"readme_results: stale README tables: {', '.join(stale)} (run python -m "
                "tools.readme_results)",
                file=sys.stderr,
            )
            return 1
        return 0
    args.readme.write_text(fresh, encoding="utf-8")
    print(
        f"{len(MARKER.findall(fresh))} tables rendered; {len(stale)} changed"
        + (f": {', '.join(stale)}" if stale else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
