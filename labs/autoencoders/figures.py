"""The autoencoders lab's plots: reconstructions, denoising, the 2-D VAE's map, latent editing and
interpolation, samples from the priors, the VQ-VAE's code usage."""

import numpy as np
from scipy.stats import norm

from labs.autoencoders import PAIRS
from labs.kit import plt
from models import pixel_cnn, vq_vae


def _image_rows(rows, title, column_titles=None):
    """A grid of images, one labelled row per `(label, images (n, 28, 28, 1))` item."""
    columns = len(next(iter(rows))[1])
    fig, axes = plt.subplots(
        len(rows), columns, squeeze=False, figsize=(1.1 * columns + 1.2, 1.15 * len(rows) + 0.6)
    )
    for row, (label, images) in enumerate(rows):
        for column in range(columns):
            ax = axes[row, column]
            ax.imshow(images[column, ..., 0], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if row == 0 and column_titles is not None:
                ax.set_title(column_titles[column], fontsize="small")
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
    fig.suptitle(title)
    return fig


def _tile(images, columns):
    """`(n, 28, 28, 1)` -> one `(rows * 28, columns * 28)` image."""
    rows = -(-len(images) // columns)
    padded = np.zeros((rows * columns, *images.shape[1:3]), images.dtype)
    padded[: len(images)] = images[..., 0]
    return (
        padded.reshape(rows, columns, *images.shape[1:3])
        .swapaxes(1, 2)
        .reshape(rows * images.shape[1], columns * images.shape[2])
    )


def _decode(model, codes):
    """A VAE's pixel probabilities for `codes`."""
    return 1.0 / (1.0 + np.exp(-model.get_layer("decoder").predict(codes, verbose=0)))


def draw(data, trained, shown, noisy, binary, usage, metrics, seed):
    """Every figure of the models that were trained, `{file name: figure}`.

    Args:
        data: the `ImageSplits`.
        trained: `{name: model}`.
        shown: `{row label: test reconstructions}`, the rows of reconstructions.png.
        noisy: `{kind: (noisy test images, denoised)}` of the DAE.
        binary: the binarised train, validation and test images.
        usage: the VQ-VAE's `codebook_usage` on the test set (None without it).
        metrics: `metrics.json["models"]`.
        seed: the run's seed (the samples drawn).
    """
    test, labels, names = data.test_images, data.test_labels, data.class_names
    first = [int(np.argmax(labels == k)) for k in range(len(names))]  # one test item per class
    figures = {}
    rows = [("original", test[first])]
    rows += [(label, images[first]) for label, images in shown.items()]
    figures["reconstructions.png"] = _image_rows(
        rows, "The same test images through every model", [names[k] for k in range(len(names))]
    )
    if noisy:
        rows = [("clean", test[first])]
        for kind, (images, denoised) in noisy.items():
            entry = metrics["dae"]["denoising"][kind]
            rows += [
                (f"{kind}\n{entry['noisy_psnr_db']:.1f} dB", images[first]),
                (f"DAE\n{entry['denoised_psnr_db']:.1f} dB", denoised[first]),
            ]
        figures["denoising.png"] = _image_rows(rows, "Noisy -> denoised (PSNR over the test set)")
    panels = []
    if "vae" in trained:
        figures["vae_latent_2d.png"] = _latent_map(trained["vae_2d"], binary[2], labels, names)
        model, rng = trained["vae"], np.random.default_rng(seed)
        latent = model.get_layer("encoder").output_shape[0][-1]
        prior = rng.standard_normal((64, latent)).astype(np.float32)
        panels.append(("VAE: z ~ N(0, I), decoded", _decode(model, prior)))
        figures["latent_edit.png"] = _latent_edit(model, data, binary, PAIRS[data.name]["edit"])
        left, right = PAIRS[data.name]["interpolate"]
        figures["interpolation.png"] = _interpolation(
            model, data, binary, first[left], first[right]
        )
    if "vqvae" in trained:
        codes = pixel_cnn.sample_codes(trained["pixelcnn"], 64, seed=seed)
        decoded = vq_vae.decode_codes(trained["vqvae"], codes)
        panels.append(("VQ-VAE: codes ~ PixelCNN prior, decoded", decoded))
        figures["vq_code_usage.png"] = _code_usage(usage)
    if panels:
        fig, axes = plt.subplots(1, len(panels), squeeze=False, figsize=(6 * len(panels), 6.3))
        for ax, (title, images) in zip(axes[0], panels, strict=True):
            ax.imshow(_tile(images, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set(title=title, xticks=[], yticks=[])
        fig.suptitle("Samples from the priors")
        figures["samples.png"] = fig
    return figures


def _latent_map(model, binary_test, labels, names):
    """The 2-D VAE: test codes by class, and the decoded manifold over the prior's quantiles."""
    z_mean = model.get_layer("encoder").predict(binary_test, verbose=0)[0]
    fig, (scatter, manifold) = plt.subplots(1, 2, figsize=(13, 6))
    for k, name in enumerate(names):
        scatter.scatter(*z_mean[labels == k].T, s=3, alpha=0.6, label=name)
    scatter.set(title="2-D VAE: test codes (mu) by class", xlabel="z[0]", ylabel="z[1]")
    scatter.legend(markerscale=4, fontsize="small")
    steps = norm.ppf(np.linspace(0.05, 0.95, 15))  # equal prior mass between grid lines
    grid = np.array([[x, y] for y in steps[::-1] for x in steps], np.float32)
    manifold.imshow(_tile(_decode(model, grid), 15), cmap="gray_r", vmin=0, vmax=1)
    ticks = np.arange(15) * 28 + 14
    manifold.set_xticks(ticks[::2], [f"{v:.1f}" for v in steps[::2]])
    manifold.set_yticks(ticks[::2], [f"{v:.1f}" for v in steps[::-1][::2]])
    manifold.set(title="Decoded manifold (5 %..95 % prior quantiles)", xlabel="z[0]", ylabel="z[1]")
    return fig


def _latent_edit(model, data, binary, pair):
    """Test items of one class moved along the mean code difference towards another class."""
    (source, target), names = pair, data.class_names
    encoder = model.get_layer("encoder")
    train_mean = encoder.predict(binary[0], verbose=0)[0]
    direction = train_mean[data.train_labels == target].mean(0) - train_mean[
        data.train_labels == source
    ].mean(0)
    items = np.flatnonzero(data.test_labels == source)[:3]
    codes = encoder.predict(binary[2][items], verbose=0)[0]
    amounts = np.linspace(0.0, 1.5, 7)
    rows = [
        (
            f"test #{item}",
            np.concatenate(
                [binary[2][item][None], _decode(model, code + amounts[:, None] * direction)]
            ),
        )
        for item, code in zip(items, codes, strict=True)
    ]
    return _image_rows(
        rows,
        f"Latent editing: {names[source]} + t x (mean code of {names[target]} - mean "
        f"code of {names[source]})",
        ["input"] + [f"t = {a:.2f}" for a in amounts],
    )


def _interpolation(model, data, binary, left, right):
    """Between two test images: through the VAE's codes, and by blending pixels."""
    test, names = data.test_images, data.class_names
    ends = model.get_layer("encoder").predict(binary[2][[left, right]], verbose=0)[0]
    weights = np.linspace(0.0, 1.0, 9)[:, None]
    blend = (1 - weights[..., None, None]) * test[left] + weights[..., None, None] * test[right]
    rows = [
        ("VAE codes", _decode(model, (1 - weights) * ends[0] + weights * ends[1])),
        ("pixels", blend),
    ]
    return _image_rows(
        rows,
        f"Interpolation: {names[data.test_labels[left]]} -> {names[data.test_labels[right]]}",
        [f"{w:.2f}" for w in weights[:, 0]],
    )


def _code_usage(usage):
    """How often each VQ-VAE code is used on the test set, most used first."""
    fig, ax = plt.subplots(figsize=(9, 4))
    counts = np.sort(usage["counts"])[::-1]
    ax.bar(np.arange(len(counts)), counts, color="C0")
    ax.set(
        title=f"VQ-VAE code usage on the test set: {usage['used']}/{len(counts)} codes "
        f"used, perplexity {usage['perplexity']:.1f}",
        xlabel="code (most used first)",
        ylabel="assignments (7x7 per image)",
    )
    return fig
