"""labs.attention: DLFS2's data and split, the attention references, the models, the lab."""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from labs import attention, kit
from labs.attention import figures
from labs.attention.training import AboveChance
from labs.data import DataError
from labs.data.dlfs2 import (
    examples_of_each_format,
    load_task,
    question_examples,
    question_format,
    read_lines,
)
from models import attention_seq2seq as s2s
from models.reference import attention as ref
from tests.conftest import REPO, kill_when, run_module
from tests.reference_helpers import max_gradient_error


@pytest.fixture(scope="module")
def dates(data_root):
    return load_task("date", data_root)


# ---- data ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, vocabulary, widths", [("date", 59, (29, 11)), ("addition", 13, (7, 5))]
)
def test_split_is_dlfs2s(data_root, name, vocabulary, widths):
    task = load_task(name, data_root)
    assert (len(task.x_train), len(task.x_valid), len(task.x_test)) == (43000, 2000, 5000)
    assert len(task.vocabulary) == vocabulary
    assert (task.question_length, task.answer_length) == widths
    # DLFS2: np.random.seed(1984); shuffle(arange(n)); the last 10 % is the test split.
    questions, answers = read_lines(data_root / "dlfs2" / f"{name}.txt")
    order = np.random.RandomState(1984).permutation(len(questions))
    lines = [questions[i] + answers[i] for i in order]

    def texts(x, t):
        return [task.decode(q) + task.decode(a) for q, a in zip(x, t, strict=True)]

    assert texts(task.x_test, task.t_test) == lines[45000:]
    assert texts(task.x_valid, task.t_valid) == lines[43000:45000]
    assert np.all(task.t_test[:, 0] == task.start_id)


def test_encode_question(dates):
    ids = dates.encode_question("march 3, 2007")
    assert dates.decode(ids) == "march 3, 2007".ljust(29)
    for bad in ("", "   ", "x" * 30, "march 3, 2007!"):
        with pytest.raises(DataError):
            dates.encode_question(bad)


def test_padding_gives_every_question_a_trailing_space(data_root, dates):
    padded = load_task("date", data_root, padding=1)
    space = dates.vocabulary.index(" ")
    assert np.any(dates.x_test[:, -1] != space)  # DLFS2's width: some questions fill it
    assert padded.x_test.shape == (5000, 30) and np.all(padded.x_test[:, -1] == space)
    np.testing.assert_array_equal(padded.x_test[:, :-1], dates.x_test)
    assert padded.encode_question("WEDNESDAY, SEPTEMBER 30, 2009").shape == (30,)
    with pytest.raises(DataError, match="at most 29"):
        padded.encode_question("WEDNESDAY, SEPTEMBER 30, 20099")


def test_examples_of_each_format(dates):
    rows = examples_of_each_format(dates, 10)
    assert len(rows) == 7  # the seven formats of date.txt
    questions = [dates.decode(dates.x_test[row]).rstrip() for row in rows]
    assert any(re.fullmatch(r"\d+/\d+/\d+", q) for q in questions)
    assert any(re.fullmatch(r"[A-Z]+, [A-Z]+ \d+, \d+", q) for q in questions)


def test_question_formats(data_root, dates):
    assert question_format("August 19, 2003   ") == question_format("Mar 25, 2003") == "Aa 9, 9"
    examples = question_examples(dates)
    assert len(examples) == 7 and "9/9/9" in examples and "a 9, 9" in examples
    assert all(question_format(question) == shape for shape, question in examples.items())
    assert list(question_examples(load_task("addition", data_root))) == ["9+9"]


def test_wrong_checksum_is_one_line(tmp_path):
    (tmp_path / "date.txt").write_text("1/2/03 _2003-01-02\n")
    with pytest.raises(DataError, match="sha256"):
        load_task("date", tmp_path)


# ---- numpy references ---------------------------------------------------------------------------


def _inputs(rng, dtype):
    return (rng.normal(size=(2, 3, 4)).astype(dtype), rng.normal(size=(2, 5, 4)).astype(dtype))


def test_dot_attention_matches_keras():
    query, values = _inputs(np.random.default_rng(0), np.float32)
    context, weights = keras.layers.Attention()([query, values], return_attention_scores=True)
    ref_context, ref_weights, _ = ref.dot_attention_forward(query.astype(float), values)
    np.testing.assert_allclose(ref_weights, weights, atol=1e-5)
    np.testing.assert_allclose(ref_context, context, atol=1e-5)
    np.testing.assert_allclose(ref_weights.sum(-1), 1.0, atol=1e-12)


def test_additive_attention_matches_keras():
    rng = np.random.default_rng(1)
    query, values = _inputs(rng, np.float32)
    layer = keras.layers.AdditiveAttention()
    layer([query, values])  # builds `scale`
    scale = rng.normal(size=4).astype(np.float32)
    layer.set_weights([scale])
    context, weights = layer([query, values], return_attention_scores=True)
    ref_context, ref_weights, _ = ref.additive_attention_forward(query, values, scale)
    np.testing.assert_allclose(ref_weights, weights, atol=1e-5)
    np.testing.assert_allclose(ref_context, context, atol=1e-5)


def test_attention_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    query, values = _inputs(rng, np.float64)
    scale = rng.normal(size=4)
    probe = rng.normal(size=(2, 3, 4))  # loss = sum(context * probe), so dL/dcontext = probe

    def dot_loss():
        return np.sum(ref.dot_attention_forward(query, values)[0] * probe)

    _, _, cache = ref.dot_attention_forward(query, values)
    grads = ref.dot_attention_backward(probe, cache)
    assert max_gradient_error(dot_loss, [query, values], grads) < 1e-7

    def additive_loss():
        return np.sum(ref.additive_attention_forward(query, values, scale)[0] * probe)

    _, _, cache = ref.additive_attention_forward(query, values, scale)
    grads = ref.additive_attention_backward(probe, cache)
    assert max_gradient_error(additive_loss, [query, values, scale], grads) < 1e-7


# ---- models -------------------------------------------------------------------------------------


def _model(variant, seed=0):
    keras.utils.set_random_seed(seed)
    return s2s.build_attention_seq2seq(s2s.AttentionSeq2SeqConfig(variant, 59, 8, 16))


@pytest.mark.parametrize("variant", s2s.VARIANTS)
def test_greedy_decoder_is_the_teacher_forced_model_fed_its_own_output(dates, variant):
    model = _model(variant)
    questions = dates.x_test[:64]
    answers, weights = s2s.GreedyDecoder(model, dates.start_id)(questions, 11)
    assert answers.shape == (64, 11) and np.all(answers[:, 0] == dates.start_id)
    logits = model.predict([questions, answers[:, :-1]], verbose=0)  # (64, 10, 59)
    np.testing.assert_array_equal(np.argmax(logits, -1), answers[:, 1:])
    if variant not in s2s.ATTENTION_VARIANTS:
        assert weights is None
        return
    # The same weights from the layers by hand, teacher-forced on the greedy answers.
    x = questions[:, ::-1]  # the attention variants read the question backwards
    encoded, h, c = model.get_layer("encoder_lstm")(model.get_layer("encoder_embedding")(x))
    decoded = model.get_layer("decoder_lstm")(
        model.get_layer("decoder_embedding")(answers[:, :-1]), initial_state=[h, c]
    )
    _, expected = model.get_layer("attention")([decoded, encoded], return_attention_scores=True)
    np.testing.assert_allclose(weights, np.asarray(expected)[:, :, ::-1], atol=1e-5)


def test_saved_model_reloads(tmp_path, dates):
    model = _model("peeky")  # Reverse and Peek, the custom layers
    path = tmp_path / "peeky.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    inputs = [dates.x_test[:8], dates.t_test[:8, :-1]]
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), atol=1e-6
    )


def test_text_alignment():
    lines = s2s.text_alignment("ab", "xy", np.array([[0.9, 0.1, 0.0], [0.2, 0.2, 0.6]]))
    assert lines.splitlines() == [
        "  'x' <- 'a' 0.90   [a]b",
        "  'y' <- nothing in particular (at most 0.20)",
    ]


def test_metrics():
    answers = np.array([[0, 1, 2], [0, 3, 4]])
    predicted = np.array([[0, 1, 2], [0, 3, 9]])
    assert s2s.exact_match(predicted, answers) == 0.5
    np.testing.assert_allclose(s2s.position_accuracy(predicted, answers), [1.0, 0.5])


# ---- the lab ------------------------------------------------------------------------------------


def _assert_one_error_line(stderr):
    # TensorFlow 2.21's C++ start-up lines reach stderr whatever TF_CPP_MIN_LOG_LEVEL says.
    errors = [line for line in stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and stderr.strip().splitlines()[-1] == errors[0]
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def quick_run(data_root, quick_run_of):
    # The session's run, shared with tests/test_saved_models.py.
    out = quick_run_of("attention", "--manual-dir", data_root, "--variants", ",".join(s2s.VARIANTS))
    return out, json.loads((out / "metrics.json").read_text())


def test_quick_date_run(quick_run):
    out, metrics = quick_run
    kit.validate_metrics(attention.LAB, metrics)
    assert metrics["lab"] == "attention" and metrics["task"] == "date" and metrics["quick"]
    assert metrics["config"]["variants"] == list(s2s.VARIANTS)
    assert set(metrics["variants"]) == set(s2s.VARIANTS)
    for name, variant in metrics["variants"].items():
        assert len(variant["test_exact_match_per_epoch"]) == variant["epochs"] == 1
        assert variant["test_exact_match"] == variant["test_exact_match_per_epoch"][-1]
        # every answer exactly right needs every position right
        assert variant["test_exact_match"] <= min(variant["position_accuracy"]) + 1e-9
        assert (out / "models" / f"{name}.keras").is_file()
    for name in ("exact_match.png", "attention_luong.png", "attention_bahdanau.png", "history.csv"):
        assert (out / name).is_file()
    assert not (out / "attention_baseline.png").exists()
    # What translate needs, kept with the models (not re-read from metrics.json).
    assets = json.loads((out / "assets.json").read_text())
    assert assets["task"] == "date" and assets["vocabulary"] == metrics["vocabulary"]
    assert (assets["question_length"], assets["answer_length"]) == (30, 11)
    assert len(assets["question_examples"]) == 7
    # The per-epoch scores are in the history, hence in its backup across a restart.
    history = kit.read_history_csv(out / "history.csv")
    assert history["luong"]["test_exact_match"] == [
        metrics["variants"]["luong"]["test_exact_match"]
    ]


def test_heat_map_scale_follows_the_weights(dates):
    # An untrained model's weights are all about 1/30: on a fixed 0..1 scale, one flat black.
    rng = np.random.default_rng(0)
    weights = 1 / 30 + rng.uniform(-1e-3, 1e-3, size=(8, 10, 29))
    figure = figures.plot_attention(dates, "luong", dates.t_test[:8], weights, [0, 1])
    image = figure.axes[0].images[0]
    shown = [
        w[:, : len(dates.decode(dates.x_test[row]).rstrip())] for row, w in enumerate(weights[:2])
    ]
    assert image.norm.vmin == pytest.approx(min(w.min() for w in shown))
    assert image.norm.vmax == pytest.approx(max(w.max() for w in shown))
    kit.plt.close(figure)


def test_a_loss_far_above_guessing_is_divergence_even_in_the_first_epoch():
    # --learning-rate 1e6 ended its first epoch at loss 3.8e6 and the run finished (issue 32).
    guard = AboveChance("luong", 59, "lower --learning-rate")
    guard.on_epoch_end(0, {"loss": 4.1, "val_loss": 1e9})  # a guess's loss: fine
    with pytest.raises(kit.Diverged, match="luong's loss 3.78e\\+06 in epoch 1") as error:
        guard.on_epoch_end(0, {"loss": 3.78e6})
    assert error.value.run == "luong" and error.value.history == {"loss": [3.78e6]}


def test_translate_prints_answer_and_alignment(quick_run):
    out, _ = quick_run
    result = run_module(
        "labs.attention",
        "translate",
        "--output-dir",
        out,
        "--variant",
        "luong",
        "march 3, 2007",
        "2/10/93",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    headers = [line for line in lines if " -> " in line and "(luong)" in line]
    assert [h.split(" -> ")[0] for h in headers] == ["march 3, 2007", "2/10/93"]
    assert sum(" <- " in line for line in lines) == 2 * 10  # one per answer character
    assert "Wrote" not in result.stdout and not (out / "previous").exists()  # nothing written


@pytest.mark.parametrize(
    "question, message",
    [
        ("x" * 40, "at most 29"),
        ("march 3, 2007 ☃", "outside the date"),
        ("hello world", "does not look like a question of the date task"),
        ("2007-03-03", "does not look like"),
    ],
)
def test_translate_rejects_malformed_input(quick_run, question, message):
    out, _ = quick_run
    with pytest.raises(DataError, match=message) as error:
        kit.execute(attention.LAB, ["translate", "--output-dir", str(out), "2/10/93", question])
    assert "\n" not in str(error.value)


def test_translate_errors_are_one_line_and_exit_1(quick_run, tmp_path):
    out, _ = quick_run
    result = run_module("labs.attention", "translate", "--output-dir", out, "hello world")
    assert result.returncode == 1
    _assert_one_error_line(result.stderr)
    with pytest.raises(kit.LabError, match="no finished run"):
        kit.execute(attention.LAB, ["translate", "--output-dir", str(tmp_path), "2/10/93"])


# The addition run sets every flag of the lab, in a folder that holds an older run's luong model.
FLAGS = {
    "--task": "addition",
    "--variants": "peeky,bahdanau",  # two: the date run above exercises all five
    "--epochs": "1",
    "--batch-size": "64",
    "--learning-rate": "0.005",
}


@pytest.fixture(scope="module")
def quick_addition(data_root, quick_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("addition")
    (out / "models").mkdir()
    shutil.copy2(quick_run[0] / "models" / "luong.keras", out / "models")  # keeps its old mtime
    argv = ["--quick", "--no-plots", "--manual-dir", str(data_root), "--output-dir", str(out)]
    metrics = kit.execute(attention.LAB, [*argv, *(x for item in FLAGS.items() for x in item)])
    return out, metrics


def test_quick_addition_run(quick_addition):
    out, metrics = quick_addition
    kit.validate_metrics(attention.LAB, metrics)
    assert metrics["task"] == "addition" and metrics["answer_length"] == 5
    assert metrics["vocabulary"] == "16+75 _920384"  # DLFS2's order of first appearance
    assert list(metrics["variants"]) == ["peeky", "bahdanau"]
    for variant in metrics["variants"].values():
        assert len(variant["position_accuracy"]) == 4


def test_every_flag_is_in_the_config(quick_addition):
    _, metrics = quick_addition
    flags = [
        field.name for field in dataclasses.fields(attention.Config) if "flag" in field.metadata
    ]
    assert sorted(f"--{name.replace('_', '-')}" for name in flags) == sorted(FLAGS)
    config = metrics["config"]
    assert config["task"] == "addition" and config["variants"] == ["peeky", "bahdanau"]
    assert (config["epochs"], config["batch_size"], config["learning_rate"]) == (1, 64, 0.005)


def test_a_model_of_an_older_run_is_never_used(quick_addition):
    out, _ = quick_addition
    assert (out / "previous" / "models" / "luong.keras").is_file()  # set aside by the new run
    with pytest.raises(kit.LabError, match="no model 'luong'") as error:
        kit.execute(
            attention.LAB, ["translate", "--output-dir", str(out), "--variant", "luong", "1+2"]
        )
    assert "\n" not in str(error.value)
    # The addition run's own model answers additions, and refuses what is not one.
    assert kit.execute(attention.LAB, ["translate", "--output-dir", str(out), "16+75"])["variant"]
    with pytest.raises(DataError, match="addition task"):
        kit.execute(attention.LAB, ["translate", "--output-dir", str(out), "1+2+3"])


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_uninterrupted_runs_metrics(data_root, tmp_path):
    """SIGTERM after the first of two epochs, then the same command: every non-timing number of
    the uninterrupted run, the first epoch's exact match included (issue 32: it was None)."""
    argv = ["--quick", "--epochs", "2", "--variants", "luong", "--no-plots"]
    argv += ["--manual-dir", str(data_root)]

    def command(name):
        return [sys.executable, "-m", "labs.attention", *argv, "--output-dir", str(tmp_path / name)]

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    whole = subprocess.run(
        command("whole"), cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert whole.returncode == 0, whole.stderr[-3000:]
    returncode, stderr = kill_when(command("cut"), "Epoch 2/2")  # epoch 1 done and backed up
    assert returncode == 130, stderr[-3000:]
    resumed = subprocess.run(
        command("cut"), cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout and "1 epoch(s) already done" in resumed.stdout

    def without_timing(name):
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        variant = metrics["variants"]["luong"]
        for key in ("train_seconds", "elapsed_seconds_per_epoch", "seconds_to_99_9"):
            del variant[key]
        history = kit.read_history_csv(tmp_path / name / "history.csv")
        del history["luong"]["epoch_seconds"]
        return metrics, history

    (cut, cut_history), (uncut, uncut_history) = without_timing("cut"), without_timing("whole")
    assert len(cut["variants"]["luong"]["test_exact_match_per_epoch"]) == 2
    assert None not in cut["variants"]["luong"]["val_exact_match_per_epoch"]
    assert cut == uncut and cut_history == uncut_history


def test_the_labs_names_are_the_models_and_datas():
    # Named in the lab so that --help needs no TensorFlow; they must stay the models' names.
    from labs.data import dlfs2

    assert attention.VARIANTS == s2s.VARIANTS
    assert attention.TASKS == dlfs2.TASKS
    assert attention.PRESETS["default"].quick().chosen_variants == ("baseline", "luong")
    addition = dataclasses.replace(attention.PRESETS["dlfs2"], task="addition")
    assert addition.chosen_variants == s2s.VARIANTS and addition.chosen_epochs == 25
