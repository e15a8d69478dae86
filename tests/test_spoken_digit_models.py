"""Model builders and audio layers of the spoken-digit lab."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.audio_layers import LogMelSpectrogram, SpecAugment, WaveformAugmentation
from models.gradient_norm import GradientNormModel, StepLogger
from models.spoken_digit import (
    COURSE_ARCHITECTURES,
    MODERN_ARCHITECTURES,
    build_course_model,
    build_modern_model,
)

COURSE_PARAMS = {"conv1d": 490, "simple_rnn": 17_930, "gru": 51_594, "bilstm": 35_082,
                 "lstm_clip": 17_546}


@pytest.mark.parametrize("name", COURSE_ARCHITECTURES)
def test_course_models_have_the_notebooks_parameter_counts(name):
    model = build_course_model(name)
    assert model.count_params() == COURSE_PARAMS[name]
    assert model.input_shape == (None, 1000, 1) and model.output_shape == (None, 10)


@pytest.mark.parametrize("name", MODERN_ARCHITECTURES)
def test_modern_models_take_raw_waveforms_and_stay_small(name):
    model = build_modern_model(name)
    assert model.input_shape == (None, 8000)
    assert model.count_params() <= 250_000
    probabilities = model.predict(np.random.default_rng(0).normal(0, 500, (3, 8000)), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_unknown_architectures_are_rejected():
    with pytest.raises(ValueError, match="choose from"):
        build_course_model("transformer")
    with pytest.raises(ValueError, match="choose from"):
        build_modern_model("lstm_clip")


def test_log_mel_is_volume_invariant_and_in_unit_range():
    rng = np.random.default_rng(0)
    time = np.arange(8000) / 8000
    clip = (np.sin(2 * np.pi * 440 * time) * 3000 + rng.normal(0, 30, 8000)).astype("float32")
    layer = LogMelSpectrogram()
    quiet, loud = layer(clip[None] / 10).numpy(), layer(clip[None] * 5).numpy()
    assert quiet.shape == (1, 61, 40)
    np.testing.assert_allclose(quiet, loud, atol=1e-5)
    assert quiet.min() >= 0.0 and quiet.max() == pytest.approx(1.0)
    # A 440 Hz tone is loudest in a low mel bin, the same in every frame.
    assert np.all(quiet[0].argmax(axis=1) == quiet[0, 0].argmax())
    assert quiet[0, 0].argmax() < 20


def test_augmentation_layers_are_identity_at_inference():
    waveforms = np.random.default_rng(1).normal(0, 1000, (2, 8000)).astype("float32")
    features = np.random.default_rng(2).uniform(size=(2, 61, 40)).astype("float32")
    np.testing.assert_array_equal(WaveformAugmentation()(waveforms, training=False), waveforms)
    np.testing.assert_array_equal(SpecAugment()(features, training=False), features)


def test_waveform_augmentation_delays_and_keeps_the_shape():
    clip = np.zeros((1, 8000), "float32")
    clip[0, 100] = 1000.0  # an impulse
    layer = WaveformAugmentation(max_shift=0.05, speed_range=0.0, noise_snr_db=(200.0, 200.0),
                                 seed=3)
    out = layer(clip, training=True).numpy()
    assert out.shape == clip.shape
    peak = int(np.abs(out[0]).argmax())
    assert 100 <= peak <= 100 + 0.05 * 8000 + 1  # moved right by at most 50 ms
    assert np.abs(out).sum() == pytest.approx(1000.0, rel=1e-3)  # no speed change: energy kept


def test_waveform_noise_stays_inside_the_recording():
    # Zero padding after the recording must stay silent, as it is at inference.
    clip = np.zeros((2, 8000), "float32")
    clip[:, :3000] = np.random.default_rng(5).normal(0, 1000, (2, 3000))
    layer = WaveformAugmentation(max_shift=0.0, speed_range=0.0, noise_snr_db=(10.0, 10.0), seed=1)
    out = layer(clip, training=True).numpy()
    assert np.all(out[:, 3000:] == 0.0)
    noise = out[:, :3000] - clip[:, :3000]
    # 10 dB below the signal power of the whole window: 0.316 * sqrt(3000 / 8000) = 0.19.
    assert noise.std() / clip[:, :3000].std() == pytest.approx(0.194, rel=0.1)


def test_spec_augment_masks_whole_rows_and_columns():
    features = np.ones((4, 61, 40), "float32")
    masked = SpecAugment(time_masks=1, time_mask_width=8, freq_masks=1, freq_mask_width=6,
                         seed=0)(features, training=True).numpy()
    assert set(np.unique(masked)) <= {0.0, 1.0}
    for example in masked:
        zero_frames = np.flatnonzero(example.sum(axis=1) == 0)
        zero_bins = np.flatnonzero(example.sum(axis=0) == 0)
        assert len(zero_frames) <= 8 and len(zero_bins) <= 6
        assert np.all(example[np.ix_(np.setdiff1d(range(61), zero_frames),
                                     np.setdiff1d(range(40), zero_bins))] == 1)


def test_modern_model_survives_save_and_load(tmp_path):
    model = build_modern_model("gru")
    waveforms = np.random.default_rng(4).normal(0, 800, (2, 8000)).astype("float32")
    path = tmp_path / "gru.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(restored.predict(waveforms, verbose=0),
                               model.predict(waveforms, verbose=0), atol=1e-6)


def test_gradient_norm_model_reports_the_true_norm_before_clipping():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5,))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(4)(inputs))
    model = GradientNormModel(inputs, outputs)
    x = np.random.default_rng(0).normal(0, 10, (8, 5)).astype("float32")
    y = np.arange(8) % 3
    with tf.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(y, model(x)).numpy().mean()
        loss_tensor = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    expected = tf.linalg.global_norm(tape.gradient(loss_tensor, model.trainable_variables))
    model.compile(optimizer=keras.optimizers.SGD(0.1, clipnorm=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logger = StepLogger()
    history = model.fit(x, y, batch_size=8, epochs=2, callbacks=[logger], verbose=0)
    assert len(logger.values["gradient_norm"]) == 2
    assert logger.values["gradient_norm"][0] == pytest.approx(float(expected), rel=1e-4)
    assert logger.values["step_loss"][0] == pytest.approx(float(loss), rel=1e-4)
    assert history.history["loss"][0] == pytest.approx(float(loss), rel=1e-4)
