"""Tests of labs.language_model: the token stream, the stateful model, its numpy reference, the lab.

Every lab run here is `--quick` on the real staged PTB (tiny model, first 1,500 tokens).
"""

import dataclasses
import json
import signal
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from labs import kit
from labs import language_model as lab
from labs.data import DataError
from labs.data.token_stream import stream_batches
from labs.language_model.training import build
from models.language_model import (
    LanguageModel,
    build_language_model,
    evaluate_perplexity,
    log_uniform_candidates,
    unigram_log_probabilities,
)
from models.reference.language_model import (
    cross_entropy,
    language_model_backward,
    language_model_forward,
    language_model_weights,
)
from tests.conftest import kill_when, run_module
from tests.reference_helpers import max_gradient_error

# --- the token stream ---------------------------------------------------------------------------


def test_stream_rows_continue_across_batches_and_targets_are_the_next_token():
    tokens = np.arange(1, 104)  # 102 pairs
    batches = stream_batches(tokens, batch_size=4, unroll=6)
    assert batches.inputs.shape == (4, 4, 6)  # 102 // 4 = 25 per stream, 4 whole batches of 6
    np.testing.assert_array_equal(batches.targets, batches.inputs + 1)
    rows = batches.inputs.transpose(1, 0, 2).reshape(4, -1)  # each stream read batch after batch
    np.testing.assert_array_equal(rows, np.arange(4)[:, None] * 25 + np.arange(1, 25))


def test_padded_stream_scores_every_target_exactly_once():
    tokens = np.random.default_rng(0).integers(0, 1000, 211)
    batches = stream_batches(tokens, batch_size=4, unroll=7, pad=True)
    assert batches.tokens == 210
    real = batches.weights == 1
    pairs = sorted(zip(batches.inputs[real], batches.targets[real], strict=True))
    assert pairs == sorted(zip(tokens[:-1], tokens[1:], strict=True))
    # padding only after a stream's real tokens: weights never go 0 -> 1 along a stream
    weights = batches.weights.transpose(1, 0, 2).reshape(4, -1)
    assert np.all(np.diff(weights, axis=1) <= 0)


def test_too_short_a_text_is_a_data_error():
    with pytest.raises(DataError, match="too short"):
        stream_batches(np.arange(10), batch_size=4, unroll=5)


# --- the numpy reference ------------------------------------------------------------------------


def _model(tied, units, sampled=0, batch=2, unroll=1, vocabulary=30):
    model = build_language_model(
        vocabulary,
        optimizer=keras.optimizers.SGD(0.1),
        batch_size=batch,
        unroll=unroll,
        embedding_dim=8,
        units=units,
        layers=2,
        tied=tied,
        sampled_softmax=sampled,
    )
    rng = np.random.default_rng(1)  # random biases too, so that parity covers every weight
    model.set_weights([rng.normal(scale=0.4, size=w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("tied, units", [(True, 6), (True, 8), (False, 6)])
def test_reference_one_step_logits_equal_keras_and_the_state_carries(tied, units):
    model = _model(tied, units)
    weights = language_model_weights(model)
    tokens = np.array([[3, 17], [29, 0]])  # (batch, 2 steps), fed one step at a time
    model.reset_state()
    first = np.asarray(model(tokens[:, :1]))
    second = np.asarray(model(tokens[:, 1:]))  # starts from the carried state
    logits, _, _ = language_model_forward(tokens[:, :1], weights)
    np.testing.assert_allclose(first, logits, atol=1e-5)
    logits, _, _ = language_model_forward(tokens, weights)
    np.testing.assert_allclose(second[:, 0], logits[:, 1], atol=1e-5)
    model.reset_state()  # a reset forgets the stream: the first step again
    np.testing.assert_allclose(np.asarray(model(tokens[:, :1])), first, atol=1e-6)


@pytest.mark.parametrize("tied, units", [(True, 3), (False, 4)])
def test_reference_gradients_match_finite_differences(tied, units):
    rng = np.random.default_rng(2)
    vocabulary, embedding = 7, 4
    weights = {
        "embedding": rng.normal(size=(vocabulary, embedding)),
        "lstm": [
            [
                rng.normal(scale=0.5, size=shape)
                for shape in ((inputs, 4 * units), (units, 4 * units), (4 * units,))
            ]
            for inputs in (embedding, units)
        ],
        "projection": (
            [rng.normal(size=(units, embedding)), rng.normal(size=embedding)]
            if tied and units != embedding
            else None
        ),
        "output": None if tied else rng.normal(size=(vocabulary, units)),
        "output_bias": rng.normal(size=vocabulary),
    }
    tokens, targets = rng.integers(0, vocabulary, (2, 2, 3))
    states = [(rng.normal(size=(2, units)), rng.normal(size=(2, units))) for _ in range(2)]

    def loss():
        return cross_entropy(language_model_forward(tokens, weights, states)[0], targets)

    logits, _, cache = language_model_forward(tokens, weights, states)
    grads = language_model_backward(logits, targets, cache, weights)
    arrays = [weights["embedding"], weights["output_bias"], *sum(weights["lstm"], [])]
    analytic = [grads["embedding"], grads["output_bias"], *sum(grads["lstm"], [])]
    for name in ("projection", "output"):
        if weights[name] is not None:
            arrays += weights[name] if isinstance(weights[name], list) else [weights[name]]
            analytic += grads[name] if isinstance(grads[name], list) else [grads[name]]
    assert max_gradient_error(loss, arrays, analytic) < 1e-7


# --- the Keras model ----------------------------------------------------------------------------


@pytest.mark.parametrize("sampled", [0, 8])
def test_perplexity_is_exp_of_mean_cross_entropy_recomputed_by_hand(sampled):
    model = _model(True, 6, sampled=sampled, batch=3, unroll=4)
    tokens = np.random.default_rng(3).integers(0, 30, 40)  # 39 pairs: 4 batches, the last padded
    batches = stream_batches(tokens, batch_size=3, unroll=4, pad=True)
    reported = evaluate_perplexity(model, batches.dataset(with_weights=True))
    model.reset_state()
    total = 0.0
    for inputs, targets, weights in zip(
        batches.inputs, batches.targets, batches.weights, strict=True
    ):
        logits = np.asarray(model(inputs), np.float64)  # the state carries batch to batch
        log_p = logits - logits.max(-1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
        total -= (np.take_along_axis(log_p, targets[..., None], -1)[..., 0] * weights).sum()
    assert batches.tokens == 39
    np.testing.assert_allclose(reported, np.exp(total / 39), rtol=1e-5)


def test_stateful_batches_equal_one_long_sequence():
    model = _model(True, 6, batch=2, unroll=3)
    tokens = np.random.default_rng(4).integers(0, 30, (2, 6))
    model.reset_state()
    pieces = np.concatenate([model(tokens[:, :3]), model(tokens[:, 3:])], axis=1)
    logits, _, _ = language_model_forward(tokens, language_model_weights(model))
    np.testing.assert_allclose(pieces, logits, atol=1e-5)


def test_training_lowers_the_loss_and_reports_the_raw_gradient_norm():
    model = build_language_model(
        30,
        optimizer=keras.optimizers.Adam(0.02, global_clipnorm=1e-3),
        batch_size=2,
        unroll=5,
        embedding_dim=8,
        units=8,
        layers=1,
        tied=True,
        sampled_softmax=8,
    )
    repeated = np.tile(np.arange(10), 21)  # a periodic text an LSTM learns quickly
    data = stream_batches(repeated, batch_size=2, unroll=5).dataset()
    history = model.fit(data, epochs=3, verbose=0, shuffle=False).history
    assert history["loss"][-1] < history["loss"][0]
    assert history["gradient_norm"][-1] > 1e-3  # before clipping, so above the tiny threshold


def test_model_config_round_trips():
    model = LanguageModel(
        50,
        embedding_dim=8,
        units=6,
        layers=1,
        cell="gru",
        tied=True,
        dropout=0.3,
        sampled_softmax=5,
        precision="mixed_bfloat16",
    )
    again = LanguageModel.from_config(model.get_config())
    assert again.get_config() == model.get_config()
    with pytest.raises(ValueError, match="cell"):
        LanguageModel(50, cell="rnn")
    with pytest.raises(ValueError, match="precision"):
        LanguageModel(50, precision="float16")


def test_bfloat16_recurrent_layers_give_float32_logits_close_to_float32():
    full = _model(True, 8, batch=2, unroll=3)
    bf16 = LanguageModel.from_config(
        {**full.get_config(), "precision": "mixed_bfloat16", "name": "bf16"}
    )
    bf16(np.zeros((2, 3), "int32"))
    bf16.set_weights(full.get_weights())
    assert bf16.rnns[0].compute_dtype == "bfloat16" and bf16.rnns[0].variable_dtype == "float32"
    tokens = np.random.default_rng(5).integers(0, 30, (2, 3))
    full.reset_state()
    bf16.reset_state()
    exact, rounded = np.asarray(full(tokens)), bf16(tokens)
    # the output layer and softmax stay float32
    assert keras.backend.standardize_dtype(rounded.dtype) == "float32"
    np.testing.assert_allclose(np.asarray(rounded), exact, atol=0.1)  # bfloat16: 8 bits
    assert not np.allclose(np.asarray(rounded), exact, atol=1e-6)  # it did round


def test_unigram_bias_predicts_the_training_frequencies():
    tokens = np.array([0, 0, 0, 1, 2, 0, 1])
    log_p = unigram_log_probabilities(tokens, 4)
    np.testing.assert_allclose(np.exp(log_p), np.array([5, 3, 2, 1]) / 11, rtol=1e-6)
    config = dataclasses.replace(lab.PRESETS["default"].quick(), unigram_bias=True)
    model = build(config, 4, steps_per_epoch=1, train_tokens=tokens)
    np.testing.assert_allclose(np.asarray(model.output_bias), log_p)


def test_candidates_are_distinct_log_uniform_draws_with_tensorflows_expected_counts():
    labels = tf.constant([[0], [7], [900]], tf.int64)
    seed = keras.random.SeedGenerator(3)
    state = np.asarray(seed.state)
    sampled, true_count, sampled_count = log_uniform_candidates(labels, 64, 1000, seed)
    assert sampled.shape == (64,) and len(set(sampled.numpy())) == 64
    seed.state.assign(state)  # the same state draws the same candidates: a resumable stream
    again = log_uniform_candidates(labels, 64, 1000, seed)[0]
    np.testing.assert_array_equal(again, sampled)
    assert not np.array_equal(log_uniform_candidates(labels, 64, 1000, seed)[0], sampled)
    # TensorFlow's unique sampler: expected count -expm1(tries * log1p(-p)); recover `tries`
    # from one id and check that every other id's count follows with the same `tries`.
    p = np.log((np.arange(1000) + 2) / (np.arange(1000) + 1)) / np.log(1001)
    ids = np.concatenate([labels.numpy()[:, 0], sampled.numpy()])
    counts = np.concatenate([true_count.numpy()[:, 0], sampled_count.numpy()])
    tries = np.log1p(-counts[-1]) / np.log1p(-p[ids[-1]])
    np.testing.assert_allclose(counts, -np.expm1(tries * np.log1p(-p[ids])), rtol=1e-4)
    # the same distribution as TensorFlow's own sampler (mean expected count of the labels)
    ours = [log_uniform_candidates(labels, 64, 1000, seed)[1] for _ in range(200)]
    theirs = [
        tf.random.log_uniform_candidate_sampler(labels, 1, 64, True, 1000, seed=1)[1]
        for _ in range(200)
    ]
    np.testing.assert_allclose(np.mean(ours, 0), np.mean(theirs, 0), rtol=0.03)


# --- the lab ------------------------------------------------------------------------------------

COURSE_FLAGS = ["--batch-size", "3", "--learning-rate", "10", "--epochs", "2", "--prompt", "the N"]


@pytest.fixture(scope="module")
def quick_runs(data_root, tmp_path_factory):
    """The --quick runs of the default preset and of the course preset (every flag given)."""
    root = tmp_path_factory.mktemp("language_model")
    common = ["--quick", "--manual-dir", str(data_root)]
    runs = {
        "default": kit.execute(lab.LAB, [*common, "--output-dir", str(root / "default")]),
        "course": kit.execute(
            lab.LAB,
            [*common, "--preset", "course", *COURSE_FLAGS, "--output-dir", str(root / "course")],
        ),
    }
    return root, runs


def test_quick_runs_report_exact_perplexities(quick_runs):
    root, runs = quick_runs
    for preset, metrics in runs.items():
        kit.validate_metrics(lab.LAB, metrics)
        model = metrics["model"]
        assert metrics["preset"] == preset and model["epochs"] == 2
        assert model["valid_perplexity"] == pytest.approx(
            model["valid_perplexity_per_epoch"][-1], rel=1e-6
        )
        assert 1 < model["test_perplexity"] < 10_000 * 1.5  # finite, not worse than far off uniform
        assert len(model["train_perplexity"]) == 2
        batch = metrics["config"]["batch_size"]
        assert model["gradient_norm"]["steps"] == 2 * (1499 // batch // 5)
        top = metrics["next_word"]["top"]
        assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
        for name in ("perplexity.png", "gradient_norm.png", "next_word.png", "gradient_norm.csv"):
            assert (root / preset / name).is_file(), name
        rows = (root / preset / "gradient_norm.csv").read_text().splitlines()
        assert rows[0] == "step,gradient_norm" and len(rows) == model["gradient_norm"]["steps"] + 1
        assert not (root / preset / "models" / "vocabulary.txt").exists()
        assets = json.loads((root / preset / "assets.json").read_text())
        assert assets["model"] == preset and len(assets["vocabulary"]) == 10_000
    assert runs["default"]["model"]["float32_perplexity"]  # bfloat16: recomputed in float32
    assert runs["course"]["model"]["float32_perplexity"] is None
    assert runs["course"]["model"]["params"] == 2 * 10_000 * 24 + 4 * 24 * 49 + 10_000
    lines = (root / "default" / "next_word.txt").read_text().splitlines()
    assert len(lines) == 10_000
    probabilities = np.array([float(line.rsplit(" : ", 1)[1]) for line in lines])
    assert np.all(np.diff(probabilities) <= 0) and probabilities.sum() == pytest.approx(1, 1e-4)


def test_every_flag_is_in_the_config(quick_runs):
    _, runs = quick_runs
    config = runs["course"]["config"]
    assert (config["batch_size"], config["learning_rate"], config["epochs"]) == (3, 10.0, 2)
    assert config["prompt"] == "the N" and runs["course"]["next_word"]["prompt"] == "the N"
    flags = {f.name for f in dataclasses.fields(lab.Config) if "flag" in f.metadata}
    assert flags == {"batch_size", "learning_rate", "epochs", "prompt"}


def test_predict_and_generate_read_the_run_and_leave_its_files_alone(quick_runs, tmp_path, capsys):
    root, runs = quick_runs
    run = root / "default"
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    output = tmp_path / "new" / "all.txt"
    predicted = kit.execute(
        lab.LAB,
        ["predict", "The stock xyzzy market", "--output-dir", str(run), "--output", str(output)],
    )
    printed = capsys.readouterr().out
    assert "note: not in the vocabulary, read as <unk>: xyzzy" in printed
    assert predicted["prompt"] == ["the", "stock", "<unk>", "market"]
    first = printed.splitlines()[1]
    assert first == f"{predicted['top'][0][0]} : {np.float32(predicted['top'][0][1])!s}"
    assert len(output.read_text().splitlines()) == 10_000 and output.with_suffix(".png").is_file()
    same = kit.execute(lab.LAB, ["predict", "the stock market", "--output-dir", str(run)])
    assert same["top"] == runs["default"]["next_word"]["top"]
    generate = ["generate", "the company", "--output-dir", str(run), "--temperature", "0.8"]
    generated = kit.execute(lab.LAB, [*generate, "--words", "30"])
    assert len(generated["generated"]) == 30
    assert generated == kit.execute(lab.LAB, [*generate, "--words", "30"])
    after = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert after == before  # predict's output went to stdout and --output only


def test_a_fresh_process_loads_the_saved_run(quick_runs):
    root, runs = quick_runs
    command = ["predict", "the stock market", "--top-k", "3", "--output-dir", root / "default"]
    result = run_module("labs.language_model", *command)
    assert result.returncode == 0, result.stderr
    word, probability = runs["default"]["next_word"]["top"][0]
    assert f"{word} : {np.float32(probability)!s}" in result.stdout


def test_bad_input_is_one_line(quick_runs, tmp_path, capsys):
    root, _ = quick_runs
    for argv in (
        ["generate", "the", "--words", str(lab.MAX_WORDS + 1)],  # a bound, not a run until killed
        ["predict", "  "],
        ["generate", "the", "--temperature", "0"],
    ):
        with pytest.raises(SystemExit) as exit_:
            kit.execute(lab.LAB, argv)
        assert exit_.value.code == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("metrics.json", "assets.json"):
        (broken / name).write_bytes((root / "default" / name).read_bytes())
    (broken / "models").mkdir()
    (broken / "models" / "default.keras").write_text("not a model")
    with pytest.raises(kit.LabError, match="cannot read the model"):  # one line under kit.main
        kit.execute(lab.LAB, ["generate", "a", "--output-dir", str(broken)])
    with pytest.raises(kit.LabError, match="no finished run"):
        kit.execute(lab.LAB, ["predict", "a", "--output-dir", str(tmp_path / "no")])


def test_compare_draws_finished_runs_and_refuses_other_labs(quick_runs, tmp_path, monkeypatch):
    root, _ = quick_runs
    runs = [str(root / "default"), str(root / "course")]
    histories = kit.execute(lab.LAB, ["compare", *runs, "--output", str(tmp_path / "a/b.png")])
    assert set(histories) == {"default (default)", "course (course)"}
    assert len(histories["course (course)"]["val_perplexity"]) == 2
    assert (tmp_path / "a" / "b.png").is_file()  # its folder made
    # a run's metrics.json (the committed results/) draws the same curves
    monkeypatch.chdir(tmp_path)  # outside the repository: the figure goes to the current folder
    from_json = kit.execute(lab.LAB, ["compare", str(root / "course" / "metrics.json")])
    assert (tmp_path / "perplexity_presets.png").is_file()
    assert list(from_json) == ["course (metrics)"]
    for key, values in histories["course (course)"].items():  # history.csv rounds to 6 digits
        assert from_json["course (metrics)"][key] == pytest.approx(values, rel=1e-5)
    with pytest.raises(kit.LabError, match="no finished run"):
        kit.execute(lab.LAB, ["compare", str(tmp_path / "a")])
    other = tmp_path / "other"
    other.mkdir()
    (other / "metrics.json").write_text('{"lab": "attention", "config": {}}')
    with pytest.raises(kit.LabError, match="not of labs.language_model"):
        kit.execute(lab.LAB, ["compare", str(other)])
    with pytest.raises(kit.LabError, match="not a finished language_model run"):
        kit.execute(lab.LAB, ["compare", str(other / "metrics.json")])


def _without_timing(metrics):
    model = {
        k: v for k, v in metrics["model"].items() if k not in ("train_seconds", "epoch_seconds")
    }
    return {**metrics, "model": model, "versions": None}


@pytest.mark.slow
def test_a_run_killed_after_its_first_epoch_resumes_to_the_same_results(data_root, tmp_path):
    # 4 epochs: the kill, sent when epoch 2 starts, lands well before the run ends on a busy CPU.
    flags = ["--quick", "--epochs", "4", "--no-plots", "--manual-dir", str(data_root)]
    whole = kit.execute(lab.LAB, [*flags, "--output-dir", str(tmp_path / "whole")])
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "labs.language_model", *flags, "--output-dir", str(out)]
    returncode, stderr = kill_when(command, "Epoch 2/")  # verbose=2: epoch 1 is backed up
    # 130: interrupted. -SIGABRT: TensorFlow 2.21 sometimes aborts in the train step when SIGTERM
    # lands mid-epoch (glibc "free(): invalid next size", 1 kill in 3-5, seen before the kit
    # redesign too); the backup of the epochs done is whole either way, which is what is tested.
    assert returncode in (130, -signal.SIGABRT), stderr
    assert (out / "backup" / "default" / "gradient_norm.json").is_file()
    resumed = kit.execute(lab.LAB, [*flags, "--output-dir", str(out)])
    assert _without_timing(resumed) == _without_timing(whole)
    assert resumed["model"]["gradient_norm"]["steps"] == 4 * (1499 // 4 // 5)
    for name in ("history.csv", "gradient_norm.csv", "next_word.txt"):
        assert (out / name).read_text() == (tmp_path / "whole" / name).read_text(), name
    assert not (out / "backup").exists()
