"""The activation formulas (models/reference/activations.py) and labs.activations."""

import dataclasses
import json

import numpy as np
import pytest

from labs import activations, kit
from models.reference import activations as act
from tests.reference_helpers import numeric_gradient

# Points away from the kinks at 0, where central differences are meaningful for every function.
X = np.concatenate([np.linspace(-6, -0.05, 25), np.linspace(0.05, 6, 25)])


@pytest.mark.parametrize("name", [n for n in act.ACTIVATIONS if n != "softmax"])
def test_derivative_matches_finite_differences(name):
    f, f_prime = act.ACTIVATIONS[name]
    x = X.copy()
    numeric = np.array([numeric_gradient(lambda i=i: f(x)[i], x)[i] for i in range(x.size)])
    np.testing.assert_allclose(f_prime(x), numeric, atol=1e-8)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_swish_derivative_course_formula_for_any_beta(beta):
    x = X.copy()
    numeric = numeric_gradient(lambda: np.sum(act.swish(x, beta)), x)
    np.testing.assert_allclose(act.swish_derivative(x, beta), numeric, atol=1e-8)


def test_tanh_derivative_is_one_over_cosh_squared():
    x = np.arange(-600, 601) * 0.01
    np.testing.assert_allclose(act.tanh_derivative(x), 1 / np.cosh(x) ** 2, atol=1e-15)


def test_softmax_jacobian_matches_finite_differences_and_rows_sum_to_zero():
    x = np.random.default_rng(0).normal(size=6)
    jacobian = act.softmax_jacobian(x)
    numeric = np.stack([numeric_gradient(lambda i=i: act.softmax(x)[i], x) for i in range(6)])
    np.testing.assert_allclose(jacobian, numeric, atol=1e-9)
    np.testing.assert_allclose(jacobian.sum(axis=0), 0, atol=1e-15)  # softmax sums to 1
    np.testing.assert_allclose(np.diag(jacobian), act.softmax_derivative(x))


def test_kinks_use_tensorflows_convention_and_large_inputs_do_not_overflow():
    zero = np.array([0.0])
    assert act.step(zero)[0] == 0 and act.relu_derivative(zero)[0] == 0
    assert act.leaky_relu_derivative(zero)[0] == pytest.approx(0.01)
    big = np.array([-1000.0, 1000.0])
    with np.errstate(over="raise"):
        np.testing.assert_allclose(act.sigmoid(big), [0.0, 1.0])
        np.testing.assert_allclose(act.softmax(big), [0.0, 1.0])
        np.testing.assert_allclose(act.tanh_derivative(big), [0.0, 0.0])


def test_get_activation_rejects_softmax_and_unknown_names():
    assert act.get_activation("linear") == act.ACTIVATIONS["identity"]
    for name in ("softmax", "gelu"):
        with pytest.raises(ValueError, match="unknown elementwise activation"):
            act.get_activation(name)


def test_lab_course_grid_matches_keras_gradient_tape(tmp_path):
    metrics = kit.execute(activations.LAB, ["--output-dir", str(tmp_path), "--no-plots"])
    kit.validate_metrics(activations.LAB, metrics)
    assert metrics["points"] == 1201  # x = np.arange(-600, 601) * 0.01
    assert set(metrics["functions"]) == set(act.ACTIVATIONS)
    for name, result in metrics["functions"].items():
        # float64 throughout; Leaky ReLU's ~1e-9 comes from TF keeping alpha in float32.
        assert result["max_abs_error_derivative"] < 1e-8, name
        assert result["max_abs_error_value"] < 1e-8, name
    assert metrics["max_abs_error_derivative"] == max(
        result["max_abs_error_derivative"] for result in metrics["functions"].values()
    )
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert not list(tmp_path.glob("*.png"))


def test_every_flag_is_in_the_config_and_alpha_beta_reach_keras(tmp_path):
    argv = ["--quick", "--leaky-alpha", "0.2", "--swish-beta", "2", "--output-dir", str(tmp_path)]
    metrics = kit.execute(activations.LAB, argv)
    kit.validate_metrics(activations.LAB, metrics)
    flags = {f.name for f in dataclasses.fields(activations.Config) if "flag" in f.metadata}
    assert flags == {"leaky_alpha", "swish_beta"}  # nothing is trained: no --epochs
    assert {name: metrics["config"][name] for name in flags} == {
        "leaky_alpha": 0.2,
        "swish_beta": 2.0,
    }
    assert metrics["points"] == 121  # --quick: the same range on a 0.1 grid
    functions = metrics["functions"]
    assert functions["leaky_relu"]["keras"].endswith("(negative_slope=0.2)")
    assert functions["swish"]["keras"] == "x * keras.activations.sigmoid(beta x)"
    assert functions["swish"]["max_abs_error_derivative"] < 1e-12
    # TensorFlow keeps alpha in float32: the values differ by |x| |alpha - float32(alpha)| at most.
    bound = 6 * abs(0.2 - float(np.float32(0.2))) + 1e-15
    assert 0 < functions["leaky_relu"]["max_abs_error_value"] <= bound
    pngs = {p.stem for p in tmp_path.glob("*.png")}
    assert pngs == set(act.ACTIVATIONS) | {"overview"}
    assert all((tmp_path / f"{name}.png").stat().st_size > 10_000 for name in pngs)


def test_the_check_is_a_title_line_not_a_footer_on_the_axis_label():
    from labs.activations import figures, run
    from labs.kit.plotting import plt

    config = activations.PRESETS["course"].quick()
    fig, ax = plt.subplots()
    functions = run.numpy_functions(config)
    figures.draw(ax, np.linspace(-1, 1, 5), "relu", functions, config, check=1e-16)
    assert ax.get_title().endswith("max |derivative - GradientTape| = 1e-16")
    assert ax.get_xlabel() == "x" and not fig.texts  # nothing drawn under the axes
    plt.close(fig)
