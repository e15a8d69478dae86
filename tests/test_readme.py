"""The README's numbers and lab table against their sources: results/*.json and labs.__main__."""

import dataclasses
import json

import pytest

from labs.__main__ import LABS
from tests.conftest import REPO
from tools import readme_results


def test_readme_tables_are_those_the_committed_results_give():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme_results.MARKER.search(text), "no generated table in README.md"
    assert readme_results.stale_tables(text, REPO / "results") == [], (
        "README.md is stale: run python -m tools.readme_results"
    )


def test_check_fails_on_a_stale_table(tmp_path):
    results = tmp_path / "results" / "simple_rnn"
    results.mkdir(parents=True)
    run = {
        "quick": False,
        "variants": {
            "he_relu": {
                "accuracy": 0.5,
                "bit_accuracy": 0.75,
                "final_loss_mean_100": 0.1,
                "max_grad_norm": 2.0,
            }
        },
    }
    (results / "course-seed0.json").write_text(json.dumps(run))
    readme = tmp_path / "README.md"
    readme.write_text(
        "before\n<!-- results: simple_rnn/course -->\nold\n<!-- /results -->\nafter\n"
    )
    assert (
        readme_results.main(
            ["--check", "--readme", str(readme), "--results", str(tmp_path / "results")]
        )
        == 1
    )
    assert (
        readme_results.main(["--readme", str(readme), "--results", str(tmp_path / "results")]) == 0
    )
    assert (
        readme_results.main(
            ["--check", "--readme", str(readme), "--results", str(tmp_path / "results")]
        )
        == 0
    )
    text = readme.read_text()
    assert text.startswith("before\n<!-- results: simple_rnn/course -->\n*`results/simple_rnn/")
    assert "| `he_relu` | 50.0 % | 75.0 % | 0.1 | 2 |" in text and text.endswith("after\n")


def test_a_table_of_several_runs_has_a_row_for_each_in_order(tmp_path):
    (tmp_path / "language_model").mkdir()
    for preset, perplexity in (("long", 80.0), ("default", 90.0)):
        run = {
            "quick": False,
            "model": {
                "valid_perplexity": perplexity,
                "test_perplexity": 1.0,
                "epochs": 2,
                "train_seconds": 90.0,
                "params": 10,
            },
        }
        (tmp_path / "language_model" / f"{preset}-seed0.json").write_text(json.dumps(run))
    table = readme_results.dataclasses.replace(
        readme_results.LANGUAGE_MODEL, sources=("language_model/default", "language_model/long")
    )
    lines = readme_results.render(
        table, {source: readme_results.load_runs(tmp_path, source) for source in table.sources}
    ).splitlines()
    assert lines[0] == (
        "*`results/language_model/default-seed*.json`: seed 0 (1 run); "
        "`results/language_model/long-seed*.json`: seed 0 (1 run); one seed each.*"
    )
    assert lines[4:] == [
        "| `default` | 90 | 1 | 2 | 1.5 | 10 |",
        "| `long` | 80 | 1 | 2 | 1.5 | 10 |",
    ]


def test_several_seeds_give_mean_and_range_and_count_the_diverged():
    assert readme_results.cell([1.0, 2.0, 6.0], readme_results.number()) == "3 (1–6)"
    assert readme_results.cell([0.5, 0.5], readme_results.percent) == "50.0 % (every seed)"
    assert readme_results.cell([1.0, float("inf")], readme_results.number()) == (
        "1; 1 of 2 inf/NaN"
    )


def test_a_quick_run_or_an_unknown_table_is_refused(tmp_path):
    (tmp_path / "seq2seq").mkdir()
    (tmp_path / "seq2seq" / "course-seed0.json").write_text('{"quick": true}')
    with pytest.raises(ValueError, match="--quick"):
        readme_results.load_runs(tmp_path, "seq2seq/course")
    with pytest.raises(ValueError, match="unknown table"):
        readme_results.update("<!-- results: nothing/here -->\n<!-- /results -->", tmp_path)


def test_every_committed_result_is_a_final_run_of_its_lab():
    for path in (REPO / "results").glob("*/*.json"):
        metrics = json.loads(path.read_text(encoding="utf-8"))
        assert metrics["lab"] == path.parent.name and metrics["quick"] is False, path
        assert path.stem.endswith(f"-seed{metrics['seed']}"), path  # <preset or variant>-seed<N>


@pytest.mark.parametrize("key", sorted(readme_results.TABLES))
def test_every_table_reads_keys_of_its_labs_metrics_schema(key):
    readme_results.check_against_schema(key, readme_results.TABLES[key])


def test_the_schema_check_fails_on_a_key_the_lab_does_not_write():
    table = readme_results.TABLES["seq2seq/course"]
    wrong = dataclasses.replace(table, columns=(readme_results.Column("x", "no_such_key"),))
    with pytest.raises(KeyError, match="no_such_key"):
        readme_results.check_against_schema("seq2seq/course", wrong)


@pytest.mark.parametrize("entry", LABS, ids=[entry.name for entry in LABS])
def test_the_lab_table_names_the_course_notebook_and_run_time_of_python_m_labs(entry):
    rows = [
        line
        for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| {entry.name} | `python -m labs.{entry.name}")
    ]
    assert len(rows) == 1, entry.name
    assert f"| {entry.lab.section} | {entry.run_time} |" in rows[0]
