"""The course's binary-addition RNN (models/reference/binary_addition.py) and labs.simple_rnn."""

import csv
import dataclasses
import json

import keras
import numpy as np
import pytest

from labs import kit, simple_rnn
from models.reference import binary_addition as ba
from tests.reference_helpers import max_gradient_error


def _batch(rng, count=3, binary_dim=8):
    a, b = ba.sample_additions(rng, count, binary_dim)
    return ba.to_bits(a, binary_dim), ba.to_bits(b, binary_dim), ba.to_bits(a + b, binary_dim)


def test_bits_round_trip_most_significant_first():
    values = np.array([0, 1, 6, 127, 255])
    bits = ba.to_bits(values, 8)
    np.testing.assert_array_equal(bits[2], [0, 0, 0, 0, 0, 1, 1, 0])
    np.testing.assert_array_equal(ba.from_bits(bits), values)
    a, b = ba.sample_additions(np.random.default_rng(0), 1000, 8)
    assert a.max() < 128 and b.max() < 128 and (a + b).max() < 256


def test_inits_scale_the_same_draws():
    std, xavier, he = (
        ba.init_weights(np.random.default_rng(1), init, weight_init_std=2.0) for init in ba.INITS
    )
    np.testing.assert_allclose(xavier["W_in"], std["W_in"] / 2 / np.sqrt(2))
    np.testing.assert_allclose(xavier["W"], std["W"] / 2 / 4)
    np.testing.assert_allclose(he["W"], xavier["W"] * np.sqrt(2))
    with pytest.raises(ValueError, match="unknown init"):
        ba.init_weights(np.random.default_rng(1), "lecun")


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_forward_equals_keras_simple_rnn_and_dense(activation):
    rng = np.random.default_rng(2)
    weights = ba.init_weights(rng, "xavier")
    a_bits, b_bits, _ = _batch(rng, count=5)
    y, _ = ba.forward(a_bits, b_bits, weights, activation)
    model = keras.Sequential(
        [
            keras.Input((8, 2)),
            keras.layers.SimpleRNN(
                16, activation=activation, use_bias=False, return_sequences=True
            ),
            keras.layers.Dense(1, activation="sigmoid", use_bias=False),
        ]
    )
    model.set_weights([weights["W_in"], weights["W"], weights["W_out"]])
    x = np.stack([a_bits[:, ::-1], b_bits[:, ::-1]], axis=-1).astype("float32")  # LSB first
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(model(x))[..., 0], atol=1e-5)


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_exact_gradients_match_finite_differences(activation):
    rng = np.random.default_rng(3)
    weights = ba.init_weights(rng, "he")
    a_bits, b_bits, d_bits = _batch(rng)

    def loss():
        return ba.loss_and_gradients(a_bits, b_bits, d_bits, weights, activation, "exact")[0]

    _, grads, _ = ba.loss_and_gradients(a_bits, b_bits, d_bits, weights, activation, "exact")
    names = list(weights)
    assert max_gradient_error(loss, [weights[n] for n in names], [grads[n] for n in names]) < 1e-7


def test_course_quirk_scales_the_output_delta_by_dsigmoid_of_y():
    rng = np.random.default_rng(4)
    weights = ba.init_weights(rng, "std")
    a_bits, b_bits, d_bits = _batch(rng, count=1)
    loss, course, y = ba.loss_and_gradients(a_bits, b_bits, d_bits, weights, "sigmoid", "course")
    _, exact, _ = ba.loss_and_gradients(a_bits, b_bits, d_bits, weights, "sigmoid", "exact")
    # W_out's gradient is sum_t z_t * delta_out_t: rebuild it with the notebook's d_sigmoid(y).
    _, (_, _, z, _, _) = ba.forward(a_bits, b_bits, weights, "sigmoid")
    d = d_bits[:, ::-1]
    s = 1 / (1 + np.exp(-y))
    delta_out = (y - d) * s * (1 - s)
    np.testing.assert_allclose(course["W_out"][:, 0], np.einsum("btH,bt->H", z[:, 1:], delta_out))
    assert not np.allclose(course["W_out"], exact["W_out"])
    assert loss == pytest.approx(np.sum((d - y) ** 2) / 2)


def test_train_stops_before_an_exploding_update():
    # He + ReLU at learning rate 1e6: the second addition's gradient norm is 4e40.
    def trained(iterations, grad_norm_limit):
        weights = ba.init_weights(np.random.default_rng(0), "he")
        history = ba.train(
            weights,
            np.random.default_rng(1),
            iterations=iterations,
            learning_rate=1e6,
            activation="relu",
            output_derivative="course",
            binary_dim=8,
            grad_norm_limit=grad_norm_limit,
        )
        return weights, history

    weights, history = trained(50, grad_norm_limit=1e6)
    stopped_at = len(history["grad_norm"])
    assert stopped_at < 50 and history["grad_norm"][-1] > 1e6
    assert (history["grad_norm"][:-1] <= 1e6).all()
    assert ba.diverged(history["loss"][-1], history["grad_norm"][-1], 1e6)
    # The stopping addition's update is not applied: the weights are those before it.
    before, _ = trained(stopped_at - 1, grad_norm_limit=np.inf)
    for name in weights:
        np.testing.assert_array_equal(weights[name], before[name])
    assert ba.diverged(0.5, np.inf) and ba.diverged(np.nan, 1.0) and not ba.diverged(0.5, 1e6)


def test_lab_quick_runs_every_variant_and_is_deterministic(tmp_path):
    args = ["--quick", "--output-dir", str(tmp_path)]
    metrics = kit.execute(simple_rnn.LAB, args)
    kit.validate_metrics(simple_rnn.LAB, metrics)
    assert list(metrics["variants"]) == list(simple_rnn.VARIANTS)
    quick_iterations = simple_rnn.PRESETS["course"].quick().iterations
    assert metrics["config"]["iterations"] == quick_iterations
    # The reported accuracies are the saved weights' on the lab's 1,000 fresh additions.
    eval_a, eval_b = ba.sample_additions(np.random.default_rng([0, 2]), 1000, 8)
    for name, result in metrics["variants"].items():
        weights = dict(np.load(tmp_path / "models" / f"{name}.npz"))
        recomputed = ba.evaluate(eval_a, eval_b, weights, result["hidden_activation"], 8)
        assert {key: result[key] for key in recomputed} == recomputed, name
        assert result["accuracy"] <= result["bit_accuracy"], name
        assert result["max_grad_norm"] > 0 and np.isfinite(result["final_loss"]), name
        assert result["diverged"] is False, name
    assert {p.name for p in tmp_path.glob("*.png")} == {"loss.png", "grad_norm.png", "accuracy.png"}
    with open(tmp_path / "history.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(simple_rnn.VARIANTS) * quick_iterations
    assert {"loss", "grad_norm"} <= set(rows[0])

    # Its own seeded numpy streams: the same seed gives the same numbers.
    again = kit.execute(simple_rnn.LAB, args + ["--no-plots", "--output-dir", str(tmp_path / "2")])
    for name in metrics["variants"]:
        first, second = metrics["variants"][name], again["variants"][name]
        first.pop("train_seconds"), second.pop("train_seconds")
        assert first == second, name


def test_every_flag_is_in_the_config(tmp_path):
    flags = {f.name for f in dataclasses.fields(simple_rnn.Config) if "flag" in f.metadata}
    assert flags == {"learning_rate", "iterations", "variants"}  # no --epochs, no --batch-size
    argv = ["--preset", "corrected", "--variants", "he_relu,xavier_tanh", "--iterations", "40"]
    argv += ["--learning-rate", "0.05", "--no-plots", "--output-dir", str(tmp_path)]
    metrics = kit.execute(simple_rnn.LAB, argv)
    assert {name: metrics["config"][name] for name in flags} == {
        "learning_rate": 0.05,
        "iterations": 40,
        "variants": ["he_relu", "xavier_tanh"],
    }
    assert metrics["config"]["output_derivative"] == "exact"
    assert list(metrics["variants"]) == ["he_relu", "xavier_tanh"]
    assert json.loads((tmp_path / "metrics.json").read_text())["preset"] == "corrected"


def test_an_exploding_gradient_stops_the_run_and_keeps_a_finished_one(tmp_path):
    base = ["--quick", "--variants", "he_relu,xavier_tanh", "--output-dir", str(tmp_path)]
    kit.execute(simple_rnn.LAB, [*base, "--iterations", "20"])
    finished = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}

    # Learning rate 1e6: He + ReLU's gradient norm reaches 4e40 (finite) at the 2nd addition.
    with pytest.raises(kit.Diverged, match=r"he_relu's gradient norm reached 4\.02e\+40") as error:
        kit.execute(simple_rnn.LAB, [*base, "--learning-rate", "1e6"])
    assert "\n" not in str(error.value) and "--learning-rate" in str(error.value)
    # Every variant trained and reported beside the finished run, which is left as it was.
    diagnosis = json.loads((tmp_path / "diverged.json").read_text())
    kit.validate_metrics(simple_rnn.LAB, diagnosis)
    assert diagnosis["diverged"]["run"] == "he_relu"
    assert diagnosis["variants"]["he_relu"]["diverged"] is True
    assert diagnosis["variants"]["he_relu"]["max_grad_norm"] > 1e40
    assert diagnosis["variants"]["xavier_tanh"]["diverged"] is False
    for path, content in finished.items():
        assert path.read_bytes() == content, path


@pytest.mark.slow
def test_course_preset_reproduces_the_notebooks_findings(tmp_path):
    """Full 10,000 iterations: default sigmoid and tanh learn; He + ReLU does not (about 1 min)."""
    argv = ["--variants", "default_sigmoid,he_relu,xavier_tanh", "--no-plots"]
    metrics = kit.execute(simple_rnn.LAB, [*argv, "--output-dir", str(tmp_path)])["variants"]
    assert metrics["default_sigmoid"]["accuracy"] > 0.95
    assert metrics["xavier_tanh"]["accuracy"] > 0.95
    assert metrics["he_relu"]["accuracy"] < 0.5
    # Seed 0: 200 vs 16.9 here (621 on another CPU); seeds 1-4 give 292, 2,570, diverged, 12,800.
    assert metrics["he_relu"]["max_grad_norm"] > 3 * metrics["default_sigmoid"]["max_grad_norm"]
