"""labs.kit.report: the per-run index.html (parsed with html.parser), TensorBoard and Projector."""

import html.parser
import json
import pathlib
import shutil
import subprocess

import pytest

from labs.kit import report

# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63600000000200010de2a5f10000000049454e44ae426082"
)


class Page(html.parser.HTMLParser):
    """Collects what a reader of the page sees: title, headings, table rows, images, links."""

    def __init__(self):
        super().__init__()
        self.stack, self.title, self.headings, self.commands = [], "", [], []
        self.tables, self.images, self.links, self.tags = [], [], [], []
        self._row, self._cell = None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.stack.append(tag)
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = ""
        elif tag == "img":
            self.images.append(attrs)
            self.stack.pop()  # a void element
        elif tag == "a":
            self.links.append(attrs.get("href"))
        elif tag in ("meta", "link", "br"):
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(tuple(self._row))
            self._row = None
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        where = self.stack[-1] if self.stack else None
        if self._cell is not None:
            self._cell += data
        elif where == "title":
            self.title += data
        elif where in ("h1", "h2"):
            self.headings.append(data)
        elif where == "caption":
            self.tables[-1]["caption"] += data
        elif where == "code":
            self.commands.append(data)


def parse(path):
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert page.stack == [], f"unclosed tags: {page.stack}"
    return page


@pytest.fixture
def run(tmp_path):
    """A finished run as the kit leaves it: metrics.json, plots, history.csv, a model."""
    metrics = {
        "lab": "autoencoders",
        "preset": "default",
        "seed": 0,
        "quick": False,
        "config": {"latent_dim": 16, "filters": [16, 32]},
        "versions": {"tensorflow": "2.21.0", "keras": "3.15.1", "python": "3.11.7"},
        "models": {"ae": {"test_mse": 0.012345678, "params": 41234}, "vae": {"epochs": 6}},
        "note": "<script>alert(1)</script> & more",
        "per_epoch": [0.5, 0.25, 0.125],
        "long": list(range(100)),
        "best": None,
    }
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "history.csv").write_text("run,epoch,loss\nae,1,0.1\n")
    (tmp_path / "reconstructions.png").write_bytes(PNG)
    (tmp_path / "a plot & more.png").write_bytes(PNG)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "ae.keras").write_bytes(b"")
    (tmp_path / ".write-test").write_text("")
    return tmp_path


def rows_of(page, caption):
    (table,) = [t for t in page.tables if t["caption"] == caption]
    header, *rows = table["rows"]
    assert header[1] == "value"
    return dict(rows)


def test_page_shows_command_metrics_and_every_plot(run):
    command = report.command_line("autoencoders", ["--models", "ae,vae", "--epochs", "3"])
    assert command == "python -m labs.autoencoders --models ae,vae --epochs 3"
    path = report.write_index(run, command=command)
    assert path == run / "index.html"
    page = parse(path)

    assert page.title == "autoencoders: preset default, seed 0"
    assert page.commands == [command]
    results = rows_of(page, "metrics.json: results")
    assert results["models.ae.test_mse"] == "0.0123457"
    assert results["models.ae.params"] == "41234"
    assert results["per_epoch"] == "[0.5, 0.25, 0.125]"
    assert results["long"] == "[0, 1, 2, ..., 97, 98, 99] (100 items)"
    assert results["best"] == "null"
    assert "config.latent_dim" not in results and "lab" not in results
    assert rows_of(page, "metrics.json: config") == {"latent_dim": "16", "filters": "[16, 32]"}
    assert rows_of(page, "metrics.json: versions")["keras"] == "3.15.1"
    headers = {t["caption"]: t["rows"][0] for t in page.tables}
    assert headers["metrics.json: config"] == ("setting", "value")

    sources = sorted(image["src"] for image in page.images)
    assert sources == ["a plot & more.png", "reconstructions.png"]
    assert all((run / src).is_file() for src in sources)
    assert sorted(page.links) == ["history.csv", "metrics.json", "models/ae.keras"]


def test_page_escapes_what_it_shows(run):
    page = parse(report.write_index(run))
    assert "script" not in page.tags
    assert rows_of(page, "metrics.json: results")["note"] == "<script>alert(1)</script> & more"
    assert page.commands == []  # no command given, none shown


def test_quick_run_says_so(run):
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**metrics, "quick": True}))
    assert "--quick run" in parse(report.write_index(run)).title


def test_no_metrics_no_page(tmp_path):
    with pytest.raises(FileNotFoundError):
        report.write_index(tmp_path)
    assert not (tmp_path / "index.html").exists()


def test_command_line_quotes_for_a_shell():
    command = report.command_line("language_model", ["predict", "the stock market"])
    assert command == "python -m labs.language_model predict 'the stock market'"


def test_projector_config_names_each_pair(tmp_path):
    for name in ("skipgram", "gensim"):
        (tmp_path / f"{name}_vectors.tsv").write_text("0.1\t0.2\n")
        (tmp_path / f"{name}_metadata.tsv").write_text("the\n")
    text = report.write_projector_config(tmp_path, ["skipgram", "gensim"]).read_text()
    assert text.count("embeddings {") == 2
    assert 'tensor_path: "gensim_vectors.tsv"' in text
    assert 'metadata_path: "skipgram_metadata.tsv"' in text
    with pytest.raises(FileNotFoundError):
        report.write_projector_config(tmp_path, ["cbow"])


def test_tensorboard_callback_logs_scalars(tmp_path):
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 3), np.float32)
    model.fit(
        x, x[:, :1], epochs=2, verbose=0, callbacks=[report.tensorboard_callback(tmp_path, "dense")]
    )
    events = list((tmp_path / "tensorboard" / "dense").rglob("events.out.tfevents.*"))
    assert events and all(e.stat().st_size > 0 for e in events)


@pytest.mark.slow
@pytest.mark.skipif(
    not any(shutil.which(b) for b in ("chromium", "chromium-browser")),
    reason="Chromium is not installed",
)
def test_page_renders_in_headless_chromium(run):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    page = report.write_index(run, command="python -m labs.autoencoders")
    shot = run / "screenshot.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            pathlib.Path(page).resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.stat().st_size > len(PNG)


def test_tensorboard_flag_without_the_package_says_how_to_get_it(tmp_path, monkeypatch):
    import importlib.util

    from labs.kit import LabError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorboard" else real(name, *a),
    )
    with pytest.raises(LabError, match="pip install"):
        report.tensorboard_callback(tmp_path, "dense")
