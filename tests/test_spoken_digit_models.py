"""Model builders and audio layers of the spoken-digit lab."""

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.audio_layers import (
    FitLength,
    LogMelSpectrogram,
    PCENSpectrogram,
    SpeakingRateNormalization,
    SpecAugment,
    WaveformAugmentation,
)
from models.gradient_norm import GradientNormModel, StepLogger
from models.spoken_digit import (
    COURSE_ARCHITECTURES,
    MODERN_MODELS,
    build_course_model,
    build_ensemble,
    build_modern_model,
)

COURSE_PARAMS = {
    "conv1d": 490,
    "simple_rnn": 17_930,
    "gru": 51_594,
    "bilstm": 35_082,
    "lstm_clip": 17_546,
}


@pytest.mark.parametrize("name", COURSE_ARCHITECTURES)
def test_course_models_have_the_notebooks_parameter_counts(name):
    model = build_course_model(name)
    assert model.count_params() == COURSE_PARAMS[name]
    assert model.input_shape == (None, None, 1) and model.output_shape == (None, 10)
    assert model.get_layer("fit_length").output.shape == (None, 1000, 1)  # the course's 1,000


@pytest.mark.parametrize("name", MODERN_MODELS)
def test_modern_models_take_raw_waveforms_and_stay_small(name):
    model = build_modern_model(name)
    assert model.input_shape == (None, None)  # any length, cut or padded to 8,000 inside
    assert model.count_params() <= 250_000
    probabilities = model.predict(np.random.default_rng(0).normal(0, 500, (3, 8000)), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_fit_length_cuts_or_zero_pads_to_the_length():
    layer = FitLength(5)
    short = np.array([[1.0, 2.0]], "float32")
    long = np.arange(8, dtype="float32")[None, :, None]  # (1, 8, 1), as the course models read
    np.testing.assert_array_equal(layer(short).numpy(), [[1, 2, 0, 0, 0]])
    np.testing.assert_array_equal(layer(long).numpy()[0, :, 0], [0, 1, 2, 3, 4])


@pytest.mark.parametrize("name", ["conv1d", "gru"])
def test_a_clip_of_any_length_scores_as_its_zero_padded_second(name):
    model = build_modern_model(name)
    clip = np.random.default_rng(5).normal(0, 700, (1, 2061)).astype("float32")
    padded = np.pad(clip, [[0, 0], [0, 8000 - 2061]])
    longer = np.pad(clip, [[0, 0], [0, 12000 - 2061]])  # cut back to its first second
    expected = model.predict(padded, verbose=0)
    for waveform in (clip, longer):
        np.testing.assert_allclose(model.predict(waveform, verbose=0), expected, atol=1e-6)


def test_ensemble_averages_its_members_probabilities():
    members = [build_modern_model(name) for name in ("conv1d", "simple_rnn", "gru")]
    vote = build_ensemble(members)
    waveforms = np.random.default_rng(6).normal(0, 900, (3, 7000)).astype("float32")
    mean = np.mean([member.predict(waveforms, verbose=0) for member in members], axis=0)
    np.testing.assert_allclose(vote.predict(waveforms, verbose=0), mean, atol=1e-6)
    assert vote.count_params() == sum(member.count_params() for member in members)
    with pytest.raises(ValueError, match="two or more"):
        build_ensemble(members[:1])


def test_saved_models_load_in_a_fresh_process_anywhere_after_import_models(tmp_path):
    """What a user's own script does: `import models`, then plain `keras.saving.load_model`, from a
    folder outside the repository, on a clip that is not one second long."""
    clip = np.random.default_rng(7).normal(0, 600, (1, 2061)).astype("float32")
    np.save(tmp_path / "clip.npy", clip)
    built = {"gru": build_modern_model("gru"), "course_conv1d": build_course_model("conv1d")}
    built["ensemble"] = build_ensemble([build_modern_model("conv1d"), built["gru"]])
    expected = {}
    for name, model in built.items():
        model.save(tmp_path / f"{name}.keras")
        batch = clip[..., None] if name.startswith("course") else clip
        expected[name] = model.predict(batch, verbose=0)
    script = (
        "import sys, keras, numpy as np\n"
        "import models\n"
        "clip = np.load('clip.npy')\n"
        "for name in sys.argv[1:]:\n"
        "    model = keras.saving.load_model(name + '.keras')\n"
        "    batch = clip[..., None] if name.startswith('course') else clip\n"
        "    np.save(name + '_out.npy', model.predict(batch, verbose=0))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *built],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in built:
        np.testing.assert_allclose(
            np.load(tmp_path / f"{name}_out.npy"), expected[name], atol=1e-6, err_msg=name
        )


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


def test_pcen_is_volume_invariant_and_divides_a_steady_tone_out():
    time = np.arange(8000) / 8000
    tone = np.sin(2 * np.pi * 440 * time).astype("float32") * 2000
    layer = PCENSpectrogram()
    quiet, loud = layer(tone[None] / 10).numpy(), layer(tone[None] * 5).numpy()
    assert quiet.shape == (1, 61, 40) and np.all(np.isfinite(quiet))
    np.testing.assert_allclose(quiet, loud, atol=1e-3)
    # The tone's channel: loud at the onset, then its own smoothed energy divides it out.
    channel = quiet[0, :, quiet[0, 0].argmax()]
    assert channel[0] > 2 * channel[-1] > 0


def test_speaking_rate_normalization_makes_slow_and_quick_alike():
    pattern = np.linspace(0.6, 1.0, 20, dtype="float32")[:, None] * np.ones((1, 4), "float32")
    quick = np.zeros((1, 61, 4), "float32")
    quick[0, 10:30] = pattern
    slow = np.zeros((1, 61, 4), "float32")
    slow[0, 5:45] = np.repeat(pattern, 2, axis=0)  # the same, said twice as slowly
    layer = SpeakingRateNormalization(num_frames=16)
    np.testing.assert_allclose(layer(quick).numpy(), layer(slow).numpy(), atol=0.04)
    assert layer(quick).shape == (1, 16, 4)
    silent = np.full((1, 61, 4), 0.1, "float32")  # nothing loud: the whole clip, resampled
    np.testing.assert_allclose(layer(silent).numpy(), 0.1, atol=1e-6)


def test_augmentation_layers_are_identity_at_inference():
    waveforms = np.random.default_rng(1).normal(0, 1000, (2, 8000)).astype("float32")
    features = np.random.default_rng(2).uniform(size=(2, 61, 40)).astype("float32")
    np.testing.assert_array_equal(WaveformAugmentation()(waveforms, training=False), waveforms)
    np.testing.assert_array_equal(SpecAugment()(features, training=False), features)


def test_waveform_augmentation_delays_and_keeps_the_shape():
    clip = np.zeros((1, 8000), "float32")
    clip[0, 100] = 1000.0  # an impulse
    layer = WaveformAugmentation(
        max_shift=0.05, speed_range=0.0, noise_snr_db=(200.0, 200.0), seed=3
    )
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
    masked = SpecAugment(time_masks=1, time_mask_width=8, freq_masks=1, freq_mask_width=6, seed=0)(
        features, training=True
    ).numpy()
    assert set(np.unique(masked)) <= {0.0, 1.0}
    for example in masked:
        zero_frames = np.flatnonzero(example.sum(axis=1) == 0)
        zero_bins = np.flatnonzero(example.sum(axis=0) == 0)
        assert len(zero_frames) <= 8 and len(zero_bins) <= 6
        assert np.all(
            example[
                np.ix_(np.setdiff1d(range(61), zero_frames), np.setdiff1d(range(40), zero_bins))
            ]
            == 1
        )


def test_modern_model_survives_save_and_load(tmp_path):
    model = build_modern_model("gru")
    waveforms = np.random.default_rng(4).normal(0, 800, (2, 3000)).astype("float32")
    path = tmp_path / "gru.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(
        restored.predict(waveforms, verbose=0), model.predict(waveforms, verbose=0), atol=1e-6
    )


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
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, clipnorm=1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    logger = StepLogger()
    history = model.fit(x, y, batch_size=8, epochs=2, callbacks=[logger], verbose=0)
    assert len(logger.values["gradient_norm"]) == 2
    assert logger.values["gradient_norm"][0] == pytest.approx(float(expected), rel=1e-4)
    assert logger.values["step_loss"][0] == pytest.approx(float(loss), rel=1e-4)
    assert history.history["loss"][0] == pytest.approx(float(loss), rel=1e-4)


def test_the_labs_names_agree_with_models_and_data():
    # Named in labs.bidirectional so that --help and a bad flag need no TensorFlow; they must stay
    # models.spoken_digit's and labs.data.spoken_digit's.
    import dataclasses

    from labs import bidirectional
    from labs.data import spoken_digit as data
    from models import spoken_digit

    assert bidirectional.COURSE_ARCHITECTURES == spoken_digit.COURSE_ARCHITECTURES
    assert bidirectional.MODERN_MODELS == tuple(spoken_digit.MODERN_MODELS)
    assert set(bidirectional.VOTE) <= set(bidirectional.MODERN_MODELS)
    assert dataclasses.asdict(bidirectional.FrontEndConfig()) == dataclasses.asdict(
        spoken_digit.FrontEndConfig()
    )
    assert (bidirectional.SPLITS, bidirectional.SPEAKERS) == (data.SPLITS, data.SPEAKERS)
