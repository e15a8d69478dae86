"""HRED / VHRED's numpy references vs the Keras models (forward, atol 1e-5) and vs finite
differences (backward)."""

import keras
import numpy as np
import pytest

from models import dialogue
from models.reference.dialogue import (
    context_step_backward,
    context_step_forward,
    gaussian_kl_backward,
    gaussian_kl_forward,
    latent_sample_backward,
    latent_sample_forward,
)
from models.vae import reparameterize
from tests.reference_helpers import max_gradient_error, randomize

ATOL = 1e-5  # float32 Keras vs float64 numpy
GRAD_TOL = 1e-7  # float64 central differences, eps 1e-6
CONFIG = dialogue.DialogueModelConfig(vocabulary_size=9, embedding_dim=3, units=4, latent_dim=2)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_context_steps_equal_hred_context_encoder():
    """Three reference steps from a zero state give HRED's context state for three turns."""
    rng = np.random.default_rng(0)
    context = rng.integers(1, CONFIG.vocabulary_size, size=(2, CONFIG.turns, 4))  # no padding
    encoder = dialogue.build_hred(CONFIG).get_layer("context_encoder")
    randomize(encoder, rng)
    utterance = encoder.get_layer("turns").layer
    utterance_weights = [w.astype(np.float64) for w in utterance.get_weights()]
    context_weights = [w.astype(np.float64) for w in encoder.get_layer("context_gru").get_weights()]
    state = np.zeros((2, CONFIG.units))
    for turn in range(CONFIG.turns):
        state, _ = context_step_forward(context[:, turn], state, utterance_weights, context_weights)
    np.testing.assert_allclose(state, _numpy(encoder(context)), atol=ATOL, rtol=0)


def test_context_step_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    vocab, dim, units_u, units_c = 6, 3, 4, 3
    ids = rng.integers(0, vocab, size=(2, 3))
    utterance_weights = [
        rng.normal(scale=0.5, size=(vocab, dim)),
        rng.normal(scale=0.5, size=(dim, 3 * units_u)),
        rng.normal(scale=0.5, size=(units_u, 3 * units_u)),
        rng.normal(scale=0.5, size=(2, 3 * units_u)),
    ]
    context_weights = [
        rng.normal(scale=0.5, size=(units_u, 3 * units_c)),
        rng.normal(scale=0.5, size=(units_c, 3 * units_c)),
        rng.normal(scale=0.5, size=(2, 3 * units_c)),
    ]
    state = rng.normal(size=(2, units_c))
    d_out = rng.normal(size=(2, units_c))

    def loss():
        new, _ = context_step_forward(ids, state, utterance_weights, context_weights)
        return np.sum(new * d_out)

    _, cache = context_step_forward(ids, state, utterance_weights, context_weights)
    d_state, d_utterance, d_context = context_step_backward(d_out, cache)
    error = max_gradient_error(
        loss,
        [state, *utterance_weights, *context_weights],
        [d_state, *d_utterance, *d_context],
    )
    assert error < GRAD_TOL, error


@pytest.mark.parametrize("shape", [(1, 1), (3, 5)], ids=str)
def test_gaussian_kl_matches_keras_and_finite_differences(shape):
    rng = np.random.default_rng(sum(shape))
    arrays = [rng.normal(scale=0.7, size=shape) for _ in range(4)]  # mu_q, v_q, mu_p, v_p
    expected = _numpy(dialogue.gaussian_kl(*[a.astype(np.float32) for a in arrays]))
    kl, cache = gaussian_kl_forward(*arrays)
    np.testing.assert_allclose(kl, expected, atol=ATOL, rtol=0)
    assert np.all(kl >= 0)

    d_kl = rng.normal(size=shape[0])
    analytic = gaussian_kl_backward(d_kl, cache)
    error = max_gradient_error(
        lambda: np.sum(gaussian_kl_forward(*arrays)[0] * d_kl), arrays, analytic
    )
    assert error < GRAD_TOL, error


def test_gaussian_kl_of_equal_gaussians_is_zero():
    mean, log_var = np.ones((2, 3)), np.full((2, 3), -0.5)
    np.testing.assert_allclose(gaussian_kl_forward(mean, log_var, mean, log_var)[0], 0.0)


def test_latent_sample_matches_vhred_prior_and_finite_differences():
    rng = np.random.default_rng(2)
    model = dialogue.build_vhred(CONFIG)
    prior = model.get_layer("prior")
    weights = randomize(prior, rng)
    state = rng.normal(size=(3, CONFIG.units))
    epsilon = rng.normal(size=(3, CONFIG.latent_dim))
    mean, log_var = prior(state.astype(np.float32))
    expected = _numpy(reparameterize(mean, log_var, epsilon.astype(np.float32)))
    z, ref_mean, ref_log_var, cache = latent_sample_forward(state, weights, epsilon)
    np.testing.assert_allclose(ref_mean, _numpy(mean), atol=ATOL, rtol=0)
    np.testing.assert_allclose(ref_log_var, _numpy(log_var), atol=ATOL, rtol=0)
    np.testing.assert_allclose(z, expected, atol=ATOL, rtol=0)

    d_z = rng.normal(size=z.shape)
    d_state, d_weights, d_epsilon = latent_sample_backward(d_z, cache)
    error = max_gradient_error(
        lambda: np.sum(latent_sample_forward(state, weights, epsilon)[0] * d_z),
        [state, *weights, epsilon],
        [d_state, *d_weights, d_epsilon],
    )
    assert error < GRAD_TOL, error
