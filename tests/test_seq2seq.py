"""Seq2seq sin -> cos: the windows, the 251-parameter model, generate vs predict, the lab."""

import json
import math

import keras
import numpy as np
import pytest

from labs.data.sincos import NUM_WINDOWS, STEP, make_windows
from models.seq2seq import (
    Seq2SeqConfig,
    Seq2SeqGenerator,
    build_inference_models,
    build_seq2seq,
    generate,
    predict_step_by_step,
)


def test_windows_are_the_notebooks():
    # The notebook's own loop, written out.
    x = np.linspace(-3 * np.pi, 3 * np.pi, 100)
    seq_in, seq_out = np.sin(x), np.cos(x)
    ex = np.array([seq_in[i : i + 24] for i in range(100 - 24)])
    dy = np.array([seq_out[i : i + 24] for i in range(100 - 24)])
    dx = np.array([np.concatenate([[0.0], seq_out[i : i + 23]]) for i in range(100 - 24)])

    windows = make_windows()
    assert windows.encoder_input.shape == windows.decoder_input.shape == (76, 24, 1)
    assert windows.target.dtype == np.float32
    np.testing.assert_array_equal(windows.encoder_input[..., 0], ex.astype(np.float32))
    np.testing.assert_array_equal(windows.decoder_input[..., 0], dx.astype(np.float32))
    np.testing.assert_array_equal(windows.target[..., 0], dy.astype(np.float32))


def test_long_and_shifted_windows_keep_the_grid_step():
    long = make_windows(num_steps=96)
    assert long.target.shape == (NUM_WINDOWS, 96, 1)
    np.testing.assert_allclose(np.diff(long.x, axis=1), STEP, rtol=1e-9)
    np.testing.assert_allclose(long.x[:, 0], make_windows().x[:, 0], atol=1e-12)  # same starts
    shifted = make_windows(phase=0.5)
    np.testing.assert_allclose(shifted.x - make_windows().x, STEP / 2, atol=1e-12)
    np.testing.assert_allclose(shifted.target[..., 0], np.cos(shifted.x), atol=1e-6)
    with pytest.raises(ValueError):
        make_windows(num_steps=0)


def test_validation_split_windows_repeat_training_windows():
    # 33 grid steps are one period: Keras's last-20% validation windows (60..75) repeat 27..42.
    windows = make_windows()
    split_at = math.floor(NUM_WINDOWS * 0.8)
    assert split_at == 60
    np.testing.assert_allclose(windows.target[60:], windows.target[27:43], atol=1e-5)


def test_course_model_has_251_parameters():
    model = build_seq2seq(Seq2SeqConfig())
    assert model.count_params() == 251
    encoder, decoder = model.get_layer("encoder_rnn"), model.get_layer("decoder_rnn")
    assert type(encoder).__name__ == type(decoder).__name__ == "SimpleRNN"
    assert encoder.units == decoder.units == 10
    assert not encoder.return_sequences and decoder.return_sequences
    assert model.output.shape == (None, None, 1)


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="cell"):
        build_seq2seq(Seq2SeqConfig(cell="transformer"))
    with pytest.raises(ValueError, match="attention"):
        build_seq2seq(Seq2SeqConfig(attention="global"))


def _randomised(config, seed=1):
    """A model with large random weights, so the outputs depend on every weight."""
    model = build_seq2seq(config)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.mark.parametrize(
    "config",
    [
        Seq2SeqConfig(),
        Seq2SeqConfig(cell="lstm", units=6, attention="luong"),
        Seq2SeqConfig(cell="gru", units=6, attention="bahdanau"),
    ],
    ids=["course", "lstm-luong", "gru-bahdanau"],
)
def test_generate_matches_the_course_predict_loop(config):
    model = _randomised(config)
    encoder_inputs = make_windows().encoder_input
    checked = [0, 75]  # the course loop is slow: two windows; generate runs all 76 as one batch
    generated, _ = Seq2SeqGenerator(model)(encoder_inputs, num_steps=6)
    encoder_model, decoder_model = build_inference_models(model)
    course = predict_step_by_step(
        encoder_model, decoder_model, encoder_inputs[checked], num_steps=6
    )
    assert generated.shape == (76, 6, 1) and course.shape == (2, 6, 1)
    assert np.ptp(course) > 0.02  # outputs that move: a non-trivial comparison
    np.testing.assert_allclose(generated[checked], course, atol=1e-5)


@pytest.mark.parametrize("attention", ["none", "luong"])
def test_generate_is_the_training_model_fed_its_own_outputs(attention):
    # Teacher forcing with the generated outputs as the decoder input must reproduce them.
    model = _randomised(Seq2SeqConfig(cell="gru", units=8, attention=attention))
    encoder_inputs = make_windows().encoder_input
    generator = Seq2SeqGenerator(model)
    predictions, weights = generator(encoder_inputs, num_steps=30)  # longer than the encoder input
    shifted = np.concatenate([np.zeros_like(predictions[:, :1]), predictions[:, :-1]], axis=1)
    teacher_forced = model.predict([encoder_inputs, shifted], verbose=0)
    np.testing.assert_allclose(predictions, teacher_forced, atol=1e-5)
    if attention == "none":
        assert weights is None
    else:
        assert "attention" in [layer.name for layer in model.layers]
        assert weights.shape == (76, 30, 24)
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
        assert (weights >= 0).all()
    np.testing.assert_allclose(generate(model, encoder_inputs, 30), predictions, atol=1e-6)


def test_generate_xla_matches_and_sees_new_weights():
    model = _randomised(Seq2SeqConfig(cell="lstm", units=5))
    encoder_inputs = make_windows().encoder_input[:4]
    generator, xla = Seq2SeqGenerator(model), Seq2SeqGenerator(model, jit_compile=True)
    before, _ = generator(encoder_inputs)
    np.testing.assert_allclose(xla(encoder_inputs)[0], before, atol=1e-5)
    model.set_weights([w * 0.5 for w in model.get_weights()])
    after, _ = generator(encoder_inputs)
    assert np.abs(after - before).max() > 1e-3


def _check_variant(metrics):
    for key in ("params", "val_mse", "free_running_mse", "shifted_free_running_mse", "final_loss"):
        assert key in metrics
    for key in ("val_mse", "free_running_mse", "shifted_free_running_mse", "final_loss"):
        assert math.isfinite(metrics[key]), key


def _without_timing(metrics):
    return {
        name: {k: v for k, v in variant.items() if k != "train_seconds"}
        for name, variant in metrics["variants"].items()
    }


def test_course_preset_quick_run(quick_run_of):
    first = quick_run_of("seq2seq")  # shared with tests/test_saved_models.py
    metrics = json.loads((first / "metrics.json").read_text())
    assert metrics["preset"] == "course" and metrics["quick"] is True
    assert metrics["config"]["epochs"] == 2 and metrics["config"]["batch_size"] == 16
    assert list(metrics["variants"]) == ["course"]
    course = metrics["variants"]["course"]
    assert metrics["best"] == {"name": "course", "free_running_mse": course["free_running_mse"]}
    _check_variant(course)
    assert course["epochs"] == 2
    # The reported numbers are the saved model's: recomputed from models/course.keras.
    from models.seq2seq import Seq2SeqGenerator

    model = keras.saving.load_model(first / "models" / "course.keras")
    windows = make_windows()
    free_running, _ = Seq2SeqGenerator(model)(windows.encoder_input)
    assert course["free_running_mse"] == pytest.approx(
        float(np.mean((free_running - windows.target) ** 2)), rel=1e-5
    )
    rows = (first / "history.csv").read_text().splitlines()
    assert float(rows[-1].split(",")[2]) == pytest.approx(course["final_loss"], rel=1e-5)
    assert course["params"] == 251 and course["num_steps"] == 24
    assert course["validation"] == "last 20% of windows"
    for name in (
        "loss.png",
        "predictions_course.png",
        "error_by_step.png",
        "history.csv",
        "models/course.keras",
    ):
        assert (first / name).stat().st_size > 0, name
    assert "course" in (first / "history.csv").read_text()

    from labs import kit, seq2seq

    kit.validate_metrics(seq2seq.LAB, metrics)


def test_improved_preset_quick_run(tmp_path):
    from labs import kit, seq2seq

    argv = ["--preset", "improved", "--quick", "--cell", "lstm", "--output-dir", str(tmp_path)]
    metrics = kit.execute(seq2seq.LAB, argv)
    kit.validate_metrics(seq2seq.LAB, metrics)
    assert metrics["config"]["cell"] == "lstm"  # the flag is in the config, as run
    assert set(metrics["variants"]) == {"plain", "luong", "plain_96", "luong_96"}
    for name, variant in metrics["variants"].items():
        _check_variant(variant)
        assert variant["num_steps"] == (96 if name.endswith("_96") else 24)
        assert variant["validation"] == "half-step grid"
        assert (tmp_path / f"predictions_{name}.png").is_file()
        assert (tmp_path / "models" / f"{name}.keras").is_file()
    assert metrics["variants"]["luong"]["attention"] == "luong"
    assert {variant["cell"] for variant in metrics["variants"].values()} == {"lstm"}
    for name in ("attention_luong.png", "attention_luong_96.png", "loss.png", "error_by_step.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert not (tmp_path / "attention_plain.png").exists()


def test_cell_flag_switches_every_variant():
    import dataclasses

    from labs import seq2seq

    config = dataclasses.replace(seq2seq.PRESETS["improved"], cell="lstm")
    assert {v.model.cell for v in config.variants} == {"lstm"}
    assert [v.model.attention for v in config.variants] == [
        v.model.attention for v in seq2seq.PRESETS["improved"].variants
    ]


def test_benchmark_returns_its_keys_on_one_window():
    from benchmarks.seq2seq_inference import run_benchmark

    result = run_benchmark(windows=1, epochs=1, repeats=2)
    for key in ("course_seconds", "generate_seconds", "speedup", "generate_xla_seconds"):
        assert result[key] > 0
    assert result["speedup"] == pytest.approx(result["course_seconds"] / result["generate_seconds"])
    assert result["max_abs_diff"] <= 1e-5 and result["predict_calls"] == 25


def test_the_labs_names_agree_with_models_seq2seq():
    # Named in the lab so that --help needs no TensorFlow; they must stay models.seq2seq's.
    import dataclasses

    from labs import seq2seq
    from models import seq2seq as model_module

    assert seq2seq.CELLS == tuple(sorted(model_module.CELLS))
    assert dataclasses.asdict(seq2seq.ModelSpec()) == dataclasses.asdict(Seq2SeqConfig())
