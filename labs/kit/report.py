"""One page per run that a learner opens in a browser, and the optional TensorBoard logs.

`write_index(out)` writes `<out>/index.html`: the command that made the run, its metrics as a
table (the envelope's config and versions in tables of their own), every PNG the run wrote,
and links to its other files. The page is plain HTML with relative links, so the folder can be
copied or zipped and still opens anywhere.

`tensorboard_callback(out, run)` logs a Keras model's per-epoch scalars to
`<out>/tensorboard/<run>/` (`tensorboard --logdir <out>/tensorboard`); `write_projector_config`
points TensorBoard's Embedding Projector at exported `<name>_vectors.tsv` / `_metadata.tsv` pairs.

Example:
    >>> report.write_index(experiment.out, command=report.command_line("word2vec", argv))
    PosixPath('runs/word2vec/index.html')
"""

import html
import json
import pathlib
import shlex
import sys

INDEX = "index.html"
# Envelope keys shown in tables of their own, with the name of their key column.
ENVELOPE_TABLES = {"config": "setting", "versions": "package"}
# Folders that are not the run's results: training state, logs, an older run set aside.
NOT_LISTED = ("backup", "tensorboard", "previous", ".lock")
MAX_LIST_ITEMS = 12  # longer lists are shown as their first and last items and their length

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 72em;
       color: #222; }
code, pre { font-family: ui-monospace, monospace; }
pre { background: #f4f4f4; padding: 0.8em; overflow-x: auto; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.value { font-family: ui-monospace, monospace; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
ul.headline { font-size: 1.2em; }
"""


def command_line(lab, argv=None):
    """The shell command of a run: `python -m labs.<lab>` and its flags, quoted for a shell.

    Args:
        lab: the lab's name.
        argv: the flags the lab's `main` parsed; `sys.argv[1:]` when None (a shell run).
    """
    argv = sys.argv[1:] if argv is None else argv
    return shlex.join(["python", "-m", f"labs.{lab}", *map(str, argv)])


def _format(value):
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            head = ", ".join(_format(v) for v in value[:3])
            tail = ", ".join(_format(v) for v in value[-3:])
            return f"[{head}, ..., {tail}] ({len(value)} items)"
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(_format(v) for v in value) + "]"
        return json.dumps(value)
    if value is None:
        return "null"
    return str(value)


def flatten(data, prefix=""):
    """Nested dicts as `(dotted key, value)` rows in their order, e.g. `("models.ae.test_mse",
    0.0124)`; lists and scalars are leaves."""
    rows = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(flatten(value, f"{name}."))
        else:
            rows.append((name, value))
    return rows


def _table(rows, caption, key="metric"):
    body = "\n".join(
        f'<tr><th scope="row">{html.escape(name)}</th>'
        f'<td class="value">{html.escape(_format(value))}</td></tr>'
        for name, value in rows
    )
    return (
        f"<table>\n<caption>{html.escape(caption)}</caption>\n"
        f'<thead><tr><th scope="col">{key}</th><th scope="col">value</th></tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )


def _link(path):
    return html.escape(path.as_posix(), quote=True)


def lookup(metrics, dotted_key):
    """`metrics["a"]["b"]` for `"a.b"`; None when a part is missing."""
    for part in dotted_key.split("."):
        if not isinstance(metrics, dict) or part not in metrics:
            return None
        metrics = metrics[part]
    return metrics


def headline_numbers(metrics, headline):
    """`[(label, formatted value)]` of a lab's headline keys found in `metrics`."""
    shown = []
    for label, key in (headline or {}).items():
        value = lookup(metrics, key)
        if value is not None:
            shown.append((label, f"{value:.4g}" if isinstance(value, float) else str(value)))
    return shown


def write_index(out, command=None, *, figure=None, headline=None):
    """Writes `<out>/index.html` for the run in `out` (after its `metrics.json`): the headline
    numbers and the key figure first, then the command, every plot, the metrics and the files.

    Args:
        out: the run's output dir, holding `metrics.json`.
        command: the command that made the run (`command_line(...)`); left out when None.
        figure: the key figure's file name (`Lab.figure`), shown first.
        headline: `{label: dotted key}` of the numbers shown first (`Lab.headline`).

    Returns:
        The page's path.

    Raises:
        FileNotFoundError: `out` has no `metrics.json`.
    """
    out = pathlib.Path(out)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    lab = metrics.get("lab", out.name)
    title = f"{lab}: preset {metrics.get('preset')}, seed {metrics.get('seed')}" + (
        " (--quick run: tiny data, few epochs)" if metrics.get("quick") else ""
    )
    results = {
        k: v
        for k, v in metrics.items()
        if k not in (*ENVELOPE_TABLES, "lab", "preset", "seed", "quick")
    }
    files = sorted(
        p.relative_to(out)
        for p in out.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and p.name != INDEX
        and p.relative_to(out).parts[0] not in NOT_LISTED
    )
    figures = [p for p in files if p.suffix.lower() == ".png"]
    others = [p for p in files if p.suffix.lower() != ".png"]

    figures.sort(key=lambda p: p.as_posix() != figure)  # the key figure first
    parts = [f"<h1>{html.escape(title)}</h1>"]
    numbers = headline_numbers(metrics, headline)
    if numbers:
        items = "".join(
            f"<li><strong>{html.escape(label)}</strong>: {html.escape(value)}</li>"
            for label, value in numbers
        )
        parts.append(f'<ul class="headline">{items}</ul>')
    if command:
        parts.append(
            f'<h2>Command</h2>\n<pre><code class="command">{html.escape(command)}</code></pre>'
        )
    if figures:
        parts.append("<h2>Plots</h2>")
        parts.extend(
            f'<figure>\n<img src="{_link(p)}" alt="{_link(p)}">\n'
            f"<figcaption>{html.escape(p.as_posix())}</figcaption>\n</figure>"
            for p in figures
        )
    parts.append("<h2>Metrics</h2>\n" + _table(flatten(results), "metrics.json: results"))
    for key, column in ENVELOPE_TABLES.items():
        if isinstance(metrics.get(key), dict):
            parts.append(_table(flatten(metrics[key]), f"metrics.json: {key}", column))
    if others:
        items = "\n".join(
            f'<li><a href="{_link(p)}">{html.escape(p.as_posix())}</a></li>' for p in others
        )
        parts.append(f"<h2>Files</h2>\n<ul>\n{items}\n</ul>")
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )
    path = out / INDEX
    path.write_text(page, encoding="utf-8")
    return path


def tensorboard_callback(out, run):
    """A `keras.callbacks.TensorBoard` writing `run`'s per-epoch scalars (loss, metrics, learning
    rate) to `<out>/tensorboard/<run>/`: no graph, no histograms, so it costs little.

    Raises:
        LabError: the `tensorboard` package (which `tf.summary` writes with) is not installed.
    """
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        from labs.kit.errors import LabError

        raise LabError(
            "--tensorboard needs the tensorboard package: "
            "pip install -r requirements-notebooks.txt (or make notebooks)"
        )
    import keras

    return keras.callbacks.TensorBoard(
        log_dir=str(pathlib.Path(out) / "tensorboard" / run),
        histogram_freq=0,
        write_graph=False,
        update_freq="epoch",
    )


def write_projector_config(folder, names):
    """Writes `<folder>/projector_config.pbtxt` naming `<name>_vectors.tsv` and
    `<name>_metadata.tsv` for each name, so `tensorboard --logdir <folder>` shows them in the
    Embedding Projector.

    Args:
        folder: where the TSV pairs are (word2vec's `<output-dir>/embeddings`).
        names: the embeddings' names, e.g. `["skipgram", "ppmi_svd", "gensim"]`.

    Returns:
        The config's path.

    Raises:
        FileNotFoundError: a named TSV is missing.
    """
    folder = pathlib.Path(folder)
    blocks = []
    for name in names:
        vectors, metadata = f"{name}_vectors.tsv", f"{name}_metadata.tsv"
        for file in (vectors, metadata):
            if not (folder / file).is_file():
                raise FileNotFoundError(folder / file)
        blocks.append(
            f'embeddings {{\n  tensor_name: "{name}"\n  tensor_path: "{vectors}"\n'
            f'  metadata_path: "{metadata}"\n}}\n'
        )
    path = folder / "projector_config.pbtxt"
    path.write_text("".join(blocks), encoding="utf-8")
    return path
