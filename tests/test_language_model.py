"""Tests of labs.language_model: the token stream, the stateful model, its numpy reference, the lab.

Every lab run here is `--quick` on the real staged PTB (tiny model, first 1,500 tokens).
"""

import dataclasses
import re

import keras
import numpy as np
import pytest

from labs import language_model as lab
from labs.data import DataError
from labs.data.token_stream import stream_batches
from models.language_model import (
    LanguageModel,
    build_language_model,
    evaluate_perplexity,
    unigram_log_probabilities,
)
from models.reference.language_model import (
    cross_entropy,
    language_model_backward,
    language_model_forward,
    language_model_weights,
)
from tests.conftest import run_module
from tests.reference_helpers import max_gradient_error

# TensorFlow 2.21's C++ start-up lines reach stderr whatever TF_CPP_MIN_LOG_LEVEL says.
TF_STARTUP = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} \d\d:)")


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
    model = lab.build(config, 4, steps_per_epoch=1, train_tokens=tokens)
    np.testing.assert_allclose(np.asarray(model.output_bias), log_p)


# --- the lab ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_runs(data_root, tmp_path_factory):
    """Every preset's --quick run on the real PTB; the default one twice (determinism)."""
    root = tmp_path_factory.mktemp("language_model")
    runs = {}
    for preset in lab.PRESETS:
        flags = [
            "--quick",
            "--preset",
            preset,
            "--manual-dir",
            data_root,
            "--output-dir",
            root / preset,
        ]
        if preset not in ("default", "course"):
            flags.append("--no-plots")
        runs[preset] = lab.main([str(flag) for flag in flags])
    again = lab.main(
        [
            str(flag)
            for flag in [
                "--quick",
                "--manual-dir",
                data_root,
                "--no-plots",
                "--output-dir",
                root / "again",
            ]
        ]
    )
    return root, runs, again


def test_quick_runs_of_every_preset_report_exact_perplexities(quick_runs):
    root, runs, _ = quick_runs
    for preset, metrics in runs.items():
        model = metrics["model"]
        assert metrics["preset"] == preset and model["epochs"] == 2
        assert model["valid_perplexity"] == pytest.approx(
            model["valid_perplexity_per_epoch"][-1], rel=1e-6
        )
        assert 1 < model["test_perplexity"] < 10_000 * 1.5  # finite, not worse than far off uniform
        assert len(model["train_perplexity"]) == 2
        assert model["gradient_norm"]["steps"] == 2 * (1499 // 4 // 5)
        top = metrics["next_word"]["top"]
        assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert runs["course"]["model"]["params"] == 2 * 10_000 * 24 + 4 * 24 * 49 + 10_000
    for name in ("perplexity.png", "gradient_norm.png", "next_word.png"):
        assert (root / "default" / name).is_file() and (root / "course" / name).is_file()
    lines = (root / "default" / "next_word.txt").read_text().splitlines()
    assert len(lines) == 10_000
    probabilities = np.array([float(line.rsplit(" : ", 1)[1]) for line in lines])
    assert np.all(np.diff(probabilities) <= 0) and probabilities.sum() == pytest.approx(1, 1e-4)


def test_a_fixed_seed_reproduces_metrics(quick_runs):
    _, runs, again = quick_runs
    assert again["model"]["test_perplexity"] == runs["default"]["model"]["test_perplexity"]
    assert again["next_word"] == runs["default"]["next_word"]


def test_predict_and_generate_on_a_saved_run(quick_runs, tmp_path, capsys):
    root, runs, _ = quick_runs
    model = root / "default" / "models" / "default.keras"
    output = tmp_path / "all.txt"
    predicted = lab.main(
        [
            "predict",
            "The stock xyzzy market",
            "--model",
            str(model),
            "--output",
            str(output),
            "--top-k",
            "5",
        ]
    )
    printed = capsys.readouterr().out
    assert "note: not in the vocabulary, read as <unk>: xyzzy" in printed
    assert predicted["prompt"] == ["the", "stock", "<unk>", "market"]
    first = printed.splitlines()[1]
    assert first == f"{predicted['top'][0][0]} : {np.float32(predicted['top'][0][1])!s}"
    assert len(output.read_text().splitlines()) == 10_000 and output.with_suffix(".png").is_file()
    same = lab.main(
        [
            "predict",
            "the stock market",
            "--model",
            str(model),
            "--no-plots",
            "--output",
            str(tmp_path / "x.txt"),
        ]
    )
    assert same["top"] == runs["default"]["next_word"]["top"]
    generated = lab.main(
        [
            "generate",
            "the company",
            "--model",
            str(model),
            "--words",
            "30",
            "--temperature",
            "0.8",
            "--top-k",
            "40",
        ]
    )
    assert len(generated["generated"]) == 30
    assert generated == lab.main(
        [
            "generate",
            "the company",
            "--model",
            str(model),
            "--words",
            "30",
            "--temperature",
            "0.8",
            "--top-k",
            "40",
        ]
    )


def test_a_fresh_process_loads_the_saved_model(quick_runs, tmp_path):
    root, runs, _ = quick_runs
    model = root / "default" / "models" / "default.keras"
    result = run_module(
        "labs.language_model",
        "predict",
        "the stock market",
        "--model",
        model,
        "--output",
        tmp_path / "next.txt",
        "--no-plots",
        "--top-k",
        "3",
    )
    assert result.returncode == 0, result.stderr
    word, probability = runs["default"]["next_word"]["top"][0]
    assert f"{word} : {np.float32(probability)!s}" in result.stdout


def test_bad_input_is_one_line_and_exit_1(quick_runs, tmp_path):
    root, _, _ = quick_runs
    model = root / "default" / "models" / "default.keras"
    empty = run_module("labs.language_model", "predict", "  ", "--model", model)
    broken = tmp_path / "models" / "default.keras"
    broken.parent.mkdir()
    broken.write_text("not a model")
    (broken.parent / "vocabulary.txt").write_text("a\nb\n")
    unreadable = run_module("labs.language_model", "generate", "a", "--model", broken)
    missing = run_module("labs.language_model", "predict", "a", "--model", tmp_path / "no.keras")
    for result, message in (
        (empty, "prompt is empty"),
        (unreadable, "cannot load"),
        (missing, "cannot read"),
    ):
        lines = [line for line in result.stderr.strip().splitlines() if not TF_STARTUP.match(line)]
        assert result.returncode == 1 and len(lines) == 1 and message in lines[0], result.stderr


def test_compare_draws_finished_runs_on_one_figure(quick_runs, tmp_path):
    root, _, _ = quick_runs
    histories = lab.main(
        [
            "compare",
            str(root / "default"),
            str(root / "course"),
            "--output",
            str(tmp_path / "presets.png"),
        ]
    )
    assert set(histories) == {"default (default)", "course (course)"}
    assert len(histories["course (course)"]["val_perplexity"]) == 2
    assert (tmp_path / "presets.png").is_file()
    # a run's metrics.json (the committed results/) draws the same curves
    from_json = lab.main(
        [
            "compare",
            str(root / "course" / "metrics.json"),
            "--output",
            str(tmp_path / "from_json.png"),
        ]
    )
    assert list(from_json) == ["course (metrics)"]
    for key, values in histories["course (course)"].items():  # history.csv rounds to 6 digits
        assert from_json["course (metrics)"][key] == pytest.approx(values, rel=1e-5, nan_ok=True)
    with pytest.raises(lab.kit.LabError, match="history.csv"):
        lab.main(["compare", str(tmp_path / "nothing")])
    (tmp_path / "other.json").write_text('{"lab": "word2vec"}')
    with pytest.raises(lab.kit.LabError, match="not a finished language_model run"):
        lab.main(["compare", str(tmp_path / "other.json")])
