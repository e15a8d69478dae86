"""labs.autoencoders: the data loader, the models' pieces against numpy references, a --quick run
on the staged Fashion-MNIST (its saved models reload in tests/test_saved_models.py), every flag in
the config, a killed run resumed."""

import dataclasses
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from labs import autoencoders as lab
from labs import kit
from labs.data import DataError, images, tfds_prepare
from models import autoencoders, pixel_cnn, vae, vq_vae
from models.reference import vae as vae_reference
from models.reference import vector_quantizer as vq_reference
from tests.conftest import REPO, kill_when
from tests.reference_helpers import max_gradient_error

QUICK_SIZES = {"train_size": 1000, "validation_size": 256, "test_size": 500}  # Config.quick()


@pytest.fixture(scope="module")
def quick_run(data_root, fashion_dir, quick_run_of):
    """One `--quick` run of the whole lab (the session's, shared with test_saved_models):
    (output dir, metrics). `fashion_dir` is conftest's Fashion-MNIST tfds dir."""
    out = quick_run_of("autoencoders", "--manual-dir", data_root, "--data-dir", fashion_dir)
    return out, json.loads((out / "metrics.json").read_text())


# Data ------------------------------------------------------------------------------------------


def test_loader_gives_every_class_of_the_test_set_in_unit_range(fashion_dir):
    splits = images.load_images(data_dir=fashion_dir, train_size=300, validation_size=200)
    assert splits.train_images.shape == (300, 28, 28, 1)
    assert splits.validation_images.shape == (200, 28, 28, 1)
    assert splits.train_images.dtype == np.float32
    assert splits.test_images.min() == 0.0 and splits.test_images.max() == 1.0
    # Fashion-MNIST's test set has exactly 1,000 images of each class.
    assert np.bincount(splits.test_labels).tolist() == [1000] * 10
    assert splits.class_names[0] == "T-shirt/top" and splits.class_names[9] == "Ankle boot"
    # The validation images are train[55000:], never among the training images.
    assert not np.any(
        np.all(splits.train_images[:, None] == splits.validation_images[None], axis=(2, 3, 4))
    )


def test_binarize_keeps_the_grey_level_on_average(fashion_dir):
    grey = images.load_images(data_dir=fashion_dir, train_size=500).train_images
    binary = images.binarize(grey, seed=3)
    assert set(np.unique(binary)) == {0.0, 1.0}
    assert abs(binary.mean() - grey.mean()) < 0.005
    np.testing.assert_array_equal(binary, images.binarize(grey, seed=3))


def test_mnist_offline_is_one_line_naming_fashion_mnist(data_root, tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_prepare, "online", lambda host: False)
    with pytest.raises(DataError, match="--dataset fashion_mnist") as error:
        images.load_images("mnist", manual_dir=data_root, data_dir=tmp_path)
    assert "\n" not in str(error.value)
    with pytest.raises(DataError, match="--dataset fashion_mnist"):
        kit.execute(
            lab.LAB,
            [
                "--dataset",
                "mnist",
                "--quick",
                "--manual-dir",
                str(data_root),
                "--data-dir",
                str(tmp_path),
                "--output-dir",
                str(tmp_path / "out"),
            ],
        )


def test_missing_fashion_mnist_files_name_manual_dir(tmp_path):
    with pytest.raises(DataError, match="--manual-dir"):
        images.load_images("fashion_mnist", manual_dir=tmp_path, data_dir=tmp_path / "tfds")


def test_a_corrupt_fashion_mnist_file_is_one_line(data_root, tmp_path):
    # Issue 32: a damaged .gz in the manual dir printed 49 lines; now one, before any training.
    manual = tmp_path / "manual" / "fashion_mnist"
    manual.mkdir(parents=True)
    for path in (data_root / "fashion_mnist").glob("*.gz"):
        data = path.read_bytes()
        (manual / path.name).write_bytes(
            data[:100_000] if path.name == images.TRAIN_IMAGES else data
        )
    argv = ["--quick", "--manual-dir", str(tmp_path / "manual"), "--data-dir", str(tmp_path)]
    with pytest.raises(DataError, match="checksum") as error:
        kit.execute(lab.LAB, [*argv, "--output-dir", str(tmp_path / "out")])
    assert "\n" not in str(error.value)
    assert not (tmp_path / "out" / "models").exists()


# Model pieces against the numpy references -----------------------------------------------------


def _float64(*arrays):
    return [np.asarray(a, np.float64) for a in arrays]


def test_gaussian_sampler_matches_reference_forward_and_gradients():
    rng = np.random.default_rng(0)
    z_mean, z_log_var, upstream = (rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3))
    # The layer's first draw is the first draw of a fresh generator with its seed.
    epsilon = np.asarray(keras.random.normal((4, 3), seed=keras.random.SeedGenerator(7)))
    layer = vae.GaussianSampler(seed=7)
    mean_var, log_var_var = tf.Variable(z_mean), tf.Variable(z_log_var)
    with tf.GradientTape() as tape:
        z = layer([mean_var, log_var_var], training=True)
        objective = tf.reduce_sum(upstream * z) + tf.add_n(layer.losses)
    grads = tape.gradient(objective, [mean_var, log_var_var])

    mean64, log_var64, eps64, up64 = _float64(z_mean, z_log_var, epsilon, upstream)
    z_ref, z_cache = vae_reference.reparameterize_forward(mean64, log_var64, eps64)
    kl_ref, kl_cache = vae_reference.gaussian_kl_forward(mean64, log_var64)
    np.testing.assert_allclose(z, z_ref, atol=1e-5)
    np.testing.assert_allclose(float(layer.losses[0]), kl_ref.mean(), atol=1e-5)
    d_mean, d_log_var, _ = vae_reference.reparameterize_backward(up64, z_cache)
    kl_mean, kl_log_var = vae_reference.gaussian_kl_backward(np.full(4, 1 / 4), kl_cache)
    np.testing.assert_allclose(grads[0], d_mean + kl_mean, atol=1e-5)
    np.testing.assert_allclose(grads[1], d_log_var + kl_log_var, atol=1e-5)
    # At inference the sampler returns the mean: deterministic reconstructions.
    np.testing.assert_array_equal(layer([z_mean, z_log_var]), z_mean)


def test_vae_references_match_finite_differences():
    rng = np.random.default_rng(1)
    z_mean, z_log_var, epsilon = rng.normal(size=(3, 4, 2))
    upstream, kl_weights = rng.normal(size=(4, 2)), rng.normal(size=4)

    def objective():
        z, _ = vae_reference.reparameterize_forward(z_mean, z_log_var, epsilon)
        kl, _ = vae_reference.gaussian_kl_forward(z_mean, z_log_var)
        return np.sum(upstream * z) + np.sum(kl_weights * kl)

    _, z_cache = vae_reference.reparameterize_forward(z_mean, z_log_var, epsilon)
    _, kl_cache = vae_reference.gaussian_kl_forward(z_mean, z_log_var)
    d_mean, d_log_var, d_epsilon = vae_reference.reparameterize_backward(upstream, z_cache)
    kl_mean, kl_log_var = vae_reference.gaussian_kl_backward(kl_weights, kl_cache)
    assert (
        max_gradient_error(
            objective,
            [z_mean, z_log_var, epsilon],
            [d_mean + kl_mean, d_log_var + kl_log_var, d_epsilon],
        )
        < 1e-7
    )

    binary = (rng.random((3, 2, 2, 1)) < 0.5).astype(np.float64)
    logits = rng.normal(scale=3.0, size=(3, 2, 2, 1))
    nll, cache = vae_reference.bernoulli_nll_forward(binary, logits)
    np.testing.assert_allclose(
        vae.bernoulli_nll(binary.astype(np.float32), logits.astype(np.float32)), nll, atol=1e-5
    )
    weights = rng.normal(size=3)
    d_logits = vae_reference.bernoulli_nll_backward(weights, cache)
    loss = lambda: np.sum(weights * vae_reference.bernoulli_nll_forward(binary, logits)[0])  # noqa: E731
    assert max_gradient_error(loss, [logits], [d_logits]) < 1e-7


def test_vector_quantizer_matches_reference_forward_and_straight_through_gradients():
    rng = np.random.default_rng(2)
    z_e = rng.normal(size=(2, 3, 3, 4)).astype(np.float32)
    upstream = rng.normal(size=z_e.shape).astype(np.float32)
    layer = vq_vae.VectorQuantizer(num_codes=5, code_dim=4, beta=0.25)
    layer.build(z_e.shape)
    codebook = rng.normal(size=(5, 4)).astype(np.float32)
    layer.set_weights([codebook])
    z_e_var = tf.Variable(z_e)
    with tf.GradientTape() as tape:
        output = layer(z_e_var)
        objective = tf.reduce_sum(upstream * output) + tf.add_n(layer.losses)
    d_z_e, d_codebook = tape.gradient(objective, [z_e_var, layer.codebook])
    d_codebook = tf.convert_to_tensor(d_codebook)  # the lookup's gradient is IndexedSlices

    z_q, codes, loss, cache = vq_reference.quantize_forward(*_float64(z_e, codebook), beta=0.25)
    np.testing.assert_array_equal(layer.codes(z_e), codes)
    np.testing.assert_allclose(output, z_q, atol=1e-5)
    np.testing.assert_allclose(float(layer.losses[0]), loss, atol=1e-5)
    ref_d_z_e, ref_d_codebook = vq_reference.quantize_backward(
        upstream.astype(np.float64), 1.0, cache
    )
    np.testing.assert_allclose(d_z_e, ref_d_z_e, atol=1e-5)
    np.testing.assert_allclose(d_codebook, ref_d_codebook, atol=1e-5)
    # Straight through: without the losses the gradient reaching z_e is the upstream one.
    np.testing.assert_array_equal(vq_reference.quantize_backward(upstream, 0.0, cache)[0], upstream)
    assert len(set(codes.ravel())) > 1  # the test exercises more than one code


def test_vector_quantizer_loss_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    z_e, codebook, beta = rng.normal(size=(2, 2, 2, 3)), rng.normal(size=(4, 3)), 0.25
    _, _, _, cache = vq_reference.quantize_forward(z_e, codebook, beta)
    d_z_e, d_codebook = vq_reference.quantize_backward(np.zeros_like(z_e), 1.0, cache)
    # Each loss term's gradient reaches one side only (the stop-gradients): the codebook loss
    # moves the codes, beta times the commitment loss moves the encoder outputs.
    assert (
        max_gradient_error(
            lambda: vq_reference.codebook_loss(z_e, codebook), [codebook], [d_codebook]
        )
        < 1e-7
    )
    assert (
        max_gradient_error(lambda: beta * vq_reference.codebook_loss(z_e, codebook), [z_e], [d_z_e])
        < 1e-7
    )


def test_codebook_usage_counts_perplexity_and_dead_codes():
    usage = vq_vae.codebook_usage(np.array([[0, 0], [1, 3]]), num_codes=5)
    assert usage["counts"] == [2, 1, 0, 1, 0] and usage["dead"] == 2 and usage["used"] == 3
    frequencies = np.array([0.5, 0.25, 0.25])
    assert usage["perplexity"] == pytest.approx(np.exp(-np.sum(frequencies * np.log(frequencies))))
    assert vq_vae.codebook_usage(np.arange(8), 8)["perplexity"] == pytest.approx(8.0)


def test_pixel_cnn_logits_depend_on_earlier_codes_only():
    model = pixel_cnn.build_pixel_cnn(num_codes=6, grid_shape=(5, 5), filters=8)
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 6, size=(1, 5, 5)).astype("int32")
    base = np.asarray(model(codes))
    for row, column in [(0, 0), (2, 3), (4, 4)]:
        changed = codes.copy()
        changed[0, row, column] = (changed[0, row, column] + 1) % 6
        moved = np.any(np.abs(np.asarray(model(changed)) - base) > 1e-6, axis=-1)[0]
        position = np.arange(25).reshape(5, 5)
        # Nothing at or before the changed position (raster order) may move.
        assert not moved[position <= row * 5 + column].any()
        if row * 5 + column < 24:
            assert moved[position > row * 5 + column].any()


def test_image_corruption_is_training_only_and_of_the_asked_kind():
    clean = np.random.default_rng(5).random((64, 28, 28, 1)).astype(np.float32) * 0.5 + 0.25
    masking = autoencoders.ImageCorruption(("masking",), mask_rate=0.3, seed=0)
    np.testing.assert_array_equal(masking(clean), clean)
    masked = np.asarray(masking(clean, training=True))
    assert np.mean(masked == 0) == pytest.approx(0.3, abs=0.01)
    np.testing.assert_array_equal(masked[masked != 0], clean[masked != 0])
    gaussian = np.asarray(
        autoencoders.ImageCorruption(("gaussian",), gaussian_std=0.1, seed=0)(clean, training=True)
    )
    assert np.std(gaussian - clean) == pytest.approx(0.1, rel=0.05)


def test_pca_is_exact_at_full_rank_and_beats_random_projections():
    data = np.random.default_rng(6).random((200, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(autoencoders.PCA(784).fit(data).reconstruct(data), data, atol=1e-4)
    pca = autoencoders.PCA(10).fit(data)
    basis = np.linalg.qr(np.random.default_rng(7).normal(size=(784, 10)))[0].T
    flat = data.reshape(200, -1) - pca.mean
    random_error = np.mean((flat @ basis.T @ basis - flat) ** 2)
    assert autoencoders.mean_squared_error(data, pca.reconstruct(data)) < random_error


# The lab -----------------------------------------------------------------------------------------


def test_quick_run_reports_every_model(quick_run, fashion_dir):
    out, metrics = quick_run
    kit.validate_metrics(lab.LAB, metrics)
    assert metrics["config"]["models"] == list(lab.MODELS)
    assert metrics["config"]["dataset"] == "fashion_mnist"
    models = metrics["models"]
    assert set(models) == {"ae", "dae", "vae", "vae_2d", "vqvae", "pixelcnn"}
    assert metrics["images"] == {"train": 1000, "validation": 256, "test": 500}
    for name in ("vae", "vae_2d"):
        entry = models[name]
        assert entry["test_negative_elbo_nats"] == pytest.approx(
            entry["test_reconstruction_nats"] + entry["test_kl_nats"]
        )
        assert entry["test_kl_nats"] > 0
    codebook = models["vqvae"]["codebook"]
    assert codebook["used"] + codebook["dead"] == 64
    assert 1 <= codebook["perplexity"] <= codebook["used"]
    for kind in ("gaussian", "masking"):
        assert set(models["dae"]["denoising"][kind]) == {
            "noisy_psnr_db",
            "denoised_psnr_db",
            "ae_psnr_db",
        }
    # The PCA baseline, recomputed on the same slice of the data.
    data = images.load_images(data_dir=fashion_dir, **QUICK_SIZES)
    pca = autoencoders.PCA(16).fit(data.train_images)
    expected = autoencoders.mean_squared_error(data.test_images, pca.reconstruct(data.test_images))
    assert models["ae"]["pca_test_mse"] == pytest.approx(expected, rel=1e-9)
    for figure in (
        "reconstructions",
        "denoising",
        "vae_latent_2d",
        "samples",
        "latent_edit",
        "interpolation",
        "vq_code_usage",
    ):
        assert (out / f"{figure}.png").stat().st_size > 10_000, figure


def test_the_reported_numbers_are_the_saved_models(quick_run, fashion_dir):
    # Reloading in a fresh process is tests/test_saved_models.py's; here the numbers.
    out, metrics = quick_run
    data = images.load_images(data_dir=fashion_dir, **QUICK_SIZES)
    model = keras.saving.load_model(out / "models" / "ae.keras")
    reconstructions = model.predict(data.test_images, verbose=0)
    assert autoencoders.mean_squared_error(data.test_images, reconstructions) == pytest.approx(
        metrics["models"]["ae"]["test_mse"], rel=1e-6
    )
    binary = images.binarize(data.test_images, 0 + 2)  # the lab's binary test set at --seed 0
    model = keras.saving.load_model(out / "models" / "vae.keras")
    means = 1 / (1 + np.exp(-model.predict(binary, verbose=0)))
    assert autoencoders.mean_squared_error(binary, means) == pytest.approx(
        metrics["models"]["vae"]["test_mse"], rel=1e-6
    )
    seconds = sum(entry["train_seconds"] for entry in metrics["models"].values())
    assert metrics["wall_seconds"] == pytest.approx(seconds, abs=0.05)


FLAGS = {
    "--models": "ae",
    "--dataset": "fashion_mnist",
    "--epochs": "1",
    "--batch-size": "100",
    "--learning-rate": "0.002",
}


def test_every_flag_is_in_the_config(data_root, fashion_dir, tmp_path):
    flags = [field.name for field in dataclasses.fields(lab.Config) if "flag" in field.metadata]
    assert sorted(f"--{name.replace('_', '-')}" for name in flags) == sorted(FLAGS)
    argv = ["--quick", "--no-plots", "--manual-dir", str(data_root), "--data-dir", str(fashion_dir)]
    argv += [x for item in FLAGS.items() for x in item]
    metrics = kit.execute(lab.LAB, [*argv, "--output-dir", str(tmp_path)])
    kit.validate_metrics(lab.LAB, metrics)
    config = metrics["config"]
    assert config["models"] == ["ae"] and config["dataset"] == "fashion_mnist"
    assert (config["epochs"], config["batch_size"], config["learning_rate"]) == (1, 100, 0.002)
    assert list(metrics["models"]) == ["ae"]  # only what --models asked for
    assert sorted(path.name for path in (tmp_path / "models").iterdir()) == ["ae.keras"]


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_uninterrupted_runs_metrics(data_root, fashion_dir, tmp_path):
    """Killed in the DAE's second epoch, then in the VAE's, then run to its end: every
    non-timing number of the uninterrupted run. Both models draw random numbers as they train
    (the corruption, the sampled code): their random streams must resume too."""
    argv = ["--quick", "--no-plots", "--models", "dae,vae", "--epochs", "2"]
    argv += ["--manual-dir", str(data_root), "--data-dir", str(fashion_dir)]

    def command(name):
        out = str(tmp_path / name)
        return [sys.executable, "-m", "labs.autoencoders", *argv, "--output-dir", out]

    def run(name):
        result = subprocess.run(
            command(name), cwd=REPO, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run("whole")
    for line_starts in (["Epoch 2/2"], ["== vae ==", "Epoch 2/2"]):  # after an epoch's backup
        returncode, stderr = kill_when(command("cut"), *line_starts)
        assert returncode == 130, stderr[-3000:]
    resumed = run("cut")
    assert "dae: already trained before the restart" in resumed
    assert "backup/vae/training: 1 epoch(s) already done" in resumed

    def without_timing(name):
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        del metrics["wall_seconds"]
        for entry in metrics["models"].values():
            del entry["train_seconds"]
        return metrics, kit.read_history_csv(tmp_path / name / "history.csv")

    assert without_timing("cut") == without_timing("whole")


def test_the_labs_names_are_the_datas():
    assert lab.DATASETS == images.DATASETS
