"""`python -m labs day`: every lab in sequence, finished ones skipped, one page linking them."""

import dataclasses
import html.parser
import json

import pytest

from labs.kit.day import run_day
from tests import tiny_lab
from tests.conftest import run_module


@dataclasses.dataclass(frozen=True)
class _Entry:
    name: str
    lab: object
    run_time: str = "seconds"


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images = set(), set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.add(attrs["href"])
        if tag == "img":
            self.images.add(attrs["src"])


def _page(root):
    page = _Links()
    page.feed((root / "index.html").read_text())
    return page


def test_a_day_runs_each_lab_once_and_links_every_page(tmp_path, capsys):
    entries = [_Entry("tiny_lab", tiny_lab.LAB)]
    record = run_day(entries, tmp_path, quick=True)
    assert record["tiny_lab"]["status"] == "ran" and record["tiny_lab"]["seconds"] > 0
    assert json.loads((tmp_path / "tiny_lab" / "metrics.json").read_text())["quick"] is True
    page = _page(tmp_path)
    assert "tiny_lab/index.html" in page.links and page.images == {"tiny_lab/loss.png"}
    assert all((tmp_path / link).is_file() for link in page.links | page.images)
    assert "The day took" in capsys.readouterr().out
    # Run again: the finished lab is not run again, unless asked.
    again = run_day(entries, tmp_path, quick=True)
    assert again["tiny_lab"]["status"] == "finished before"
    assert run_day(entries, tmp_path, quick=True, again=True)["tiny_lab"]["status"] == "ran"


@pytest.mark.slow
def test_the_whole_day_quick_writes_the_days_page(tmp_path):
    from labs.__main__ import LABS

    result = run_module("labs", "day", "--quick", "--output-dir", tmp_path, timeout=3600)
    assert result.returncode == 0, result.stderr[-3000:]
    page = _page(tmp_path)
    assert {f"{entry.name}/index.html" for entry in LABS} <= page.links
    assert len(page.images) == len(LABS)
    assert all((tmp_path / link).is_file() for link in page.links | page.images)
