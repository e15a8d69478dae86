"""Autoencoders side by side: AE, denoising AE, VAE and VQ-VAE (+ PixelCNN prior) on Fashion-MNIST.

What you will learn:
- an autoencoder trains on its inputs alone: an encoder squeezes the image into a small code, a
  decoder restores it; PCA with as many components is the linear version it must beat;
- a denoising autoencoder reads a corrupted image (Gaussian noise or masked pixels) and is scored
  on the clean one; its gain is measured in PSNR before and after;
- a VAE's code is a distribution: the encoder gives N(mu, sigma^2), the reparameterisation trick
  `z = mu + sigma * eps` makes sampling differentiable, and the loss is -ELBO = reconstruction + KL,
  in nats on binarised images; its latent space can be mapped (latent 2), sampled from N(0, I),
  edited (move a code along the mean difference between two classes) and interpolated;
- a VQ-VAE's code is a 7x7 grid of entries of a learned codebook (nearest-code lookup,
  straight-through gradient, codebook and commitment losses); a PixelCNN over those grids is a
  prior to sample new images from; how much of the codebook is used (perplexity, dead codes).

Course: Day 3, Section 5 (autoencoders, VAE) and its VQ-VAE section; keras-io's `vae.py` (latent 2)
and `vq_vae.py` (64 codes of 16 dims, PixelCNN prior) are the anchors.

Data: `tfds.load("fashion_mnist")` (offline: `--manual-dir ../shared/data`); 55,000 train, the last
5,000 of tfds's `train` for validation, the 10,000 `test` images for every number reported.
`--dataset mnist` works with internet (tfds downloads it); offline it stops with a one-line error.

Commands:
    python -m labs.autoencoders --manual-dir ../shared/data            # all four (~10 min, 2 cores)
    python -m labs.autoencoders --models ae,dae --epochs 3
    python -m labs.autoencoders --dataset mnist                        # needs internet
    python -m labs.autoencoders --preset keras_io    # 30 epochs, wider convolutions (not timed)
    python -m labs.autoencoders --quick                                # tiny slice, every path

Outputs in `--output-dir` (default runs/autoencoders): metrics.json, history.csv,
models/{ae,dae,vae,vae_2d,vqvae,pixelcnn}.keras, reconstructions.png, denoising.png,
vae_latent_2d.png (2-D codes by class + decoded manifold), samples.png (VAE prior, VQ-VAE prior),
latent_edit.png, interpolation.png, vq_code_usage.png. A saved model loads anywhere with
`import models` then `keras.saving.load_model(path)` (models/__init__.py registers the layers).

metrics.json (after the envelope "lab", "preset", "seed", "quick", "config", "versions"):
    {"dataset": str, "images": {"train": int, "validation": int, "test": int},
     "models": {
       "ae" | "dae": {"latent_dim", "params", "epochs", "train_seconds",
                      "test_mse", "pca_test_mse"},         # MSE per pixel, PCA at latent_dim
       "dae" also: "denoising": {"gaussian" | "masking": {"noisy_psnr_db", "denoised_psnr_db",
                                                          "ae_psnr_db" (plain AE, if trained)}},
       "vae" | "vae_2d": {..., "test_negative_elbo_nats", "test_reconstruction_nats",
                          "test_kl_nats",              # on binarised test images, one eps draw
                          "test_mse", "pca_test_mse"}, # mean p(x|mu) vs the binary images
       "vqvae": {..., "test_mse", "pca_test_mse" (49 components: one per code),
                 "codebook": {"num_codes", "perplexity", "used", "dead", "used_fraction"}},
       "pixelcnn": {..., "test_bits_per_code", "uniform_bits_per_code"}},
     "wall_seconds": float}
"""

import dataclasses
import time

from labs import kit

LAB = "autoencoders"
MODELS = ("ae", "dae", "vae", "vqvae")
# Latent editing and interpolation: (from class, to class) per dataset. The edit direction is
# the difference of the two classes' mean codes, so it carries what tells them apart and
# little else: sleeves for T-shirt -> pullover, a closed top for 4 -> 9.
PAIRS = {
    "fashion_mnist": {"edit": (0, 2), "interpolate": (5, 9)},
    "mnist": {"edit": (4, 9), "interpolate": (1, 7)},
}


@dataclasses.dataclass(frozen=True)
class Config:
    latent_dim: int = 16  # code size of the AE, the DAE and the scored VAE (PCA keeps as many)
    map_latent_dim: int = 2  # code size of the VAE drawn as a map
    filters: tuple = (16, 32)  # channels of the encoders' two stride-2 convolutions
    epochs: int = 6  # epochs of every autoencoder
    batch_size: int = 128  # images per step
    learning_rate: float = 1e-3  # Adam, every autoencoder
    gaussian_std: float = 0.4  # DAE: Gaussian noise (pixels in [0, 1], clipped)
    mask_rate: float = 0.5  # DAE: probability of masking a pixel
    num_codes: int = 64  # VQ-VAE codebook size K (keras-io's)
    code_dim: int = 16  # VQ-VAE code vector size (keras-io's)
    beta: float = 0.25  # VQ-VAE commitment weight (the paper's)
    prior_epochs: int = 6  # epochs of the PixelCNN prior
    prior_filters: int = 32  # PixelCNN hidden channels (keras-io's 128 is ~8x the CPU time)
    prior_learning_rate: float = 3e-3  # PixelCNN Adam
    train_size: int | None = None  # training images kept (None: all 55,000)
    validation_size: int | None = None  # validation images kept (None: all 5,000)
    test_size: int | None = None  # test images kept (None: all 10,000)

    def quick(self):
        return dataclasses.replace(
            self,
            epochs=1,
            prior_epochs=1,
            train_size=1000,
            validation_size=256,
            test_size=500,
            prior_filters=16,
        )


PRESETS = {
    "default": Config(),
    # keras-io's settings: wider convolutions (32, 64), 30 epochs.
    "keras_io": Config(filters=(32, 64), epochs=30, prior_epochs=30, prior_filters=128),
}


def main(argv=None):
    parser = kit.make_parser(LAB, __doc__, PRESETS, data="tfds", tensorboard=True)
    parser.add_argument(
        "--models",
        type=kit.names(MODELS),
        default=MODELS,
        help=f"comma-separated subset of {','.join(MODELS)} (default: all)",
    )
    parser.add_argument(
        "--dataset",
        choices=("fashion_mnist", "mnist"),
        default="fashion_mnist",
        help="fashion_mnist (staged offline) or mnist (needs internet)",
    )
    args = parser.parse_args(argv)
    config = kit.configure(PRESETS[args.preset], args)
    started = time.perf_counter()
    with kit.Experiment(LAB, args, config) as experiment:
        import numpy as np

        from labs.data.images import binarize, load_images
        from models import autoencoders, pixel_cnn, vae, vq_vae
        from models.autoencoders import PCA, mean_squared_error, psnr

        data = load_images(
            args.dataset,
            manual_dir=args.manual_dir,
            data_dir=args.data_dir,
            train_size=config.train_size,
            validation_size=config.validation_size,
            test_size=config.test_size,
        )
        train, validation, test = data.train_images, data.validation_images, data.test_images
        experiment.results.update(
            dataset=data.name,
            images={"train": len(train), "validation": len(validation), "test": len(test)},
        )
        models = experiment.results["models"] = {}
        trained, shown = {}, {}  # name -> model; plot row label -> reconstructions

        def fit(name, build, x, epochs=config.epochs, val=validation):
            result = experiment.fit(
                name,
                build,
                x,
                y=x,
                epochs=epochs,
                validation=(val, val),
                batch_size=config.batch_size,
            )
            trained[name] = result.model
            models[name] = {
                "params": result.model.count_params(),
                "epochs": result.epochs,
                "train_seconds": result.train_seconds,
            }
            return result.model

        def score(name, label, targets, reconstructions, pca):
            models[name].update(
                test_mse=mean_squared_error(targets, reconstructions),
                pca_test_mse=mean_squared_error(targets, pca.reconstruct(targets)),
            )
            shown[f"{label}\nMSE {models[name]['test_mse']:.4f}"] = reconstructions

        # The autoencoder and the linear baseline with as many numbers in the code.
        pca = PCA(config.latent_dim).fit(train)
        shown[
            f"PCA {config.latent_dim}\nMSE {mean_squared_error(test, pca.reconstruct(test)):.4f}"
        ] = pca.reconstruct(test)
        if "ae" in args.models:
            model = fit(
                "ae",
                lambda: autoencoders.build_autoencoder(
                    config.latent_dim, config.filters, config.learning_rate
                ),
                train,
            )
            models["ae"]["latent_dim"] = config.latent_dim
            score("ae", f"AE {config.latent_dim}", test, model.predict(test, verbose=0), pca)

        # The denoising autoencoder: corrupted in, clean out; scored on corrupted test images.
        noisy, usage = {}, None  # for the figures
        if "dae" in args.models:

            def corruption(kinds=autoencoders.NOISE_KINDS, seed=args.seed):
                return autoencoders.ImageCorruption(
                    kinds, config.gaussian_std, config.mask_rate, seed=seed
                )

            model = fit(
                "dae",
                lambda: autoencoders.build_autoencoder(
                    config.latent_dim,
                    config.filters,
                    config.learning_rate,
                    noise=corruption(),
                    name="dae",
                ),
                train,
            )
            models["dae"]["latent_dim"] = config.latent_dim
            score("dae", f"DAE {config.latent_dim}", test, model.predict(test, verbose=0), pca)
            models["dae"]["denoising"] = {}
            for kind in autoencoders.NOISE_KINDS:
                images = np.asarray(corruption((kind,), args.seed + 1)(test, training=True))
                denoised = model.predict(images, verbose=0)
                noisy[kind] = (images, denoised)
                entry = {
                    "noisy_psnr_db": psnr(test, images),
                    "denoised_psnr_db": psnr(test, denoised),
                }
                if "ae" in trained:  # does the plain autoencoder denoise too?
                    entry["ae_psnr_db"] = psnr(test, trained["ae"].predict(images, verbose=0))
                models["dae"]["denoising"][kind] = entry

        # The VAE on binarised images: -ELBO in nats; latent 16 for the score, 2 for the map.
        binary = [
            binarize(images, args.seed + index)
            for index, images in enumerate((train, validation, test))
        ]
        if "vae" in args.models:
            for name, latent in (("vae", config.latent_dim), ("vae_2d", config.map_latent_dim)):
                model = fit(
                    name,
                    lambda latent=latent, name=name: vae.build_vae(
                        latent, config.filters, config.learning_rate, seed=args.seed, name=name
                    ),
                    binary[0],
                    val=binary[1],
                )
                elbo = vae.negative_elbo(model, binary[2], seed=args.seed)
                models[name].update(
                    latent_dim=latent, **{f"test_{key}_nats": value for key, value in elbo.items()}
                )
                means = 1.0 / (1.0 + np.exp(-model.predict(binary[2], verbose=0)))  # p(x | mu)
                score(
                    name,
                    f"VAE {latent}\n(binary input)",
                    binary[2],
                    means,
                    PCA(latent).fit(binary[0]),
                )

        # The VQ-VAE (codebook started on encoder outputs) and the PixelCNN prior over its codes.
        if "vqvae" in args.models:

            def build_vq_vae():
                model = vq_vae.build_vq_vae(
                    config.num_codes,
                    config.code_dim,
                    config.filters,
                    config.beta,
                    config.learning_rate,
                )
                vq_vae.initialize_codebook(model, train[:1000], seed=args.seed)
                return model

            model = fit("vqvae", build_vq_vae, train)
            grid = model.get_layer("encoder").output_shape[1:3]
            models["vqvae"]["code_grid"] = list(grid)
            score(
                "vqvae",
                f"VQ-VAE {grid[0]}x{grid[1]}",
                test,
                model.predict(test, verbose=0),
                PCA(grid[0] * grid[1]).fit(train),
            )
            codes = [vq_vae.encode_codes(model, images) for images in (train, validation, test)]
            usage = vq_vae.codebook_usage(codes[2], config.num_codes)
            models["vqvae"]["codebook"] = {
                "num_codes": config.num_codes,
                **{key: usage[key] for key in ("perplexity", "used", "dead", "used_fraction")},
            }
            prior = fit(
                "pixelcnn",
                lambda: pixel_cnn.build_pixel_cnn(
                    config.num_codes,
                    grid,
                    config.prior_filters,
                    learning_rate=config.prior_learning_rate,
                ),
                codes[0],
                config.prior_epochs,
                codes[1],
            )
            models["pixelcnn"].update(
                test_bits_per_code=pixel_cnn.bits_per_code(prior, codes[2]),
                uniform_bits_per_code=float(np.log2(config.num_codes)),
            )

        if experiment.plots:
            save_figures(experiment, data, trained, shown, noisy, binary, usage)
        experiment.results["wall_seconds"] = round(time.perf_counter() - started, 1)
        return experiment.finish()


# Figures ----------------------------------------------------------------------------------------


def _image_rows(rows, title, column_titles=None):
    """A grid of images, one labelled row per `(label, images (n, 28, 28, 1))` item."""
    columns = len(next(iter(rows))[1])
    fig, axes = kit.plt.subplots(
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
    import numpy as np

    rows = -(-len(images) // columns)
    padded = np.zeros((rows * columns, *images.shape[1:3]), images.dtype)
    padded[: len(images)] = images[..., 0]
    return (
        padded.reshape(rows, columns, *images.shape[1:3])
        .swapaxes(1, 2)
        .reshape(rows * images.shape[1], columns * images.shape[2])
    )


def save_figures(experiment, data, trained, shown, noisy, binary, usage):
    """Writes every figure of the models that were trained (see the module docstring)."""
    import numpy as np
    from scipy.stats import norm

    from models import pixel_cnn, vq_vae

    def decode(model, codes):  # a VAE's pixel probabilities
        return 1.0 / (1.0 + np.exp(-model.get_layer("decoder").predict(codes, verbose=0)))

    test, labels, names = data.test_images, data.test_labels, data.class_names
    first = [int(np.argmax(labels == k)) for k in range(len(names))]  # one test item per class
    rows = [("original", test[first])]
    rows += [(label, images[first]) for label, images in shown.items()]
    experiment.save_figure(
        _image_rows(
            rows, "The same test images through every model", [names[k] for k in range(len(names))]
        ),
        "reconstructions.png",
    )
    if noisy:
        rows = [("clean", test[first])]
        for kind, (images, denoised) in noisy.items():
            entry = experiment.results["models"]["dae"]["denoising"][kind]
            rows += [
                (f"{kind}\n{entry['noisy_psnr_db']:.1f} dB", images[first]),
                (f"DAE\n{entry['denoised_psnr_db']:.1f} dB", denoised[first]),
            ]
        experiment.save_figure(
            _image_rows(rows, "Noisy -> denoised (PSNR over the test set)"), "denoising.png"
        )
    panels = []
    if "vae" in trained:
        encoder = trained["vae_2d"].get_layer("encoder")
        z_mean = encoder.predict(binary[2], verbose=0)[0]
        fig, (scatter, manifold) = kit.plt.subplots(1, 2, figsize=(13, 6))
        for k, name in enumerate(names):
            scatter.scatter(*z_mean[labels == k].T, s=3, alpha=0.6, label=name)
        scatter.set(title="2-D VAE: test codes (mu) by class", xlabel="z[0]", ylabel="z[1]")
        scatter.legend(markerscale=4, fontsize="small")
        steps = norm.ppf(np.linspace(0.05, 0.95, 15))  # equal prior mass between grid lines
        grid = np.array([[x, y] for y in steps[::-1] for x in steps], np.float32)
        manifold.imshow(_tile(decode(trained["vae_2d"], grid), 15), cmap="gray_r", vmin=0, vmax=1)
        ticks = np.arange(15) * 28 + 14
        manifold.set_xticks(ticks[::2], [f"{v:.1f}" for v in steps[::2]])
        manifold.set_yticks(ticks[::2], [f"{v:.1f}" for v in steps[::-1][::2]])
        manifold.set(
            title="Decoded manifold (5 %..95 % prior quantiles)", xlabel="z[0]", ylabel="z[1]"
        )
        experiment.save_figure(fig, "vae_latent_2d.png")

        model, rng = trained["vae"], np.random.default_rng(experiment.args.seed)
        latent = model.get_layer("encoder").output_shape[0][-1]
        panels.append(
            (
                "VAE: z ~ N(0, I), decoded",
                decode(model, rng.standard_normal((64, latent)).astype(np.float32)),
            )
        )
        pairs = PAIRS[data.name]
        (source, target), (left, right) = pairs["edit"], pairs["interpolate"]
        train_mean = model.get_layer("encoder").predict(binary[0], verbose=0)[0]
        direction = train_mean[data.train_labels == target].mean(0) - train_mean[
            data.train_labels == source
        ].mean(0)
        items = np.flatnonzero(labels == source)[:3]
        codes = model.get_layer("encoder").predict(binary[2][items], verbose=0)[0]
        amounts = np.linspace(0.0, 1.5, 7)
        rows = [
            (
                f"test #{item}",
                np.concatenate(
                    [binary[2][item][None], decode(model, code + amounts[:, None] * direction)]
                ),
            )
            for item, code in zip(items, codes, strict=True)
        ]
        experiment.save_figure(
            _image_rows(
                rows,
                f"Latent editing: {names[source]} + t x (mean code of {names[target]} - mean "
                f"code of {names[source]})",
                ["input"] + [f"t = {a:.2f}" for a in amounts],
            ),
            "latent_edit.png",
        )
        ends = model.get_layer("encoder").predict(
            binary[2][[first[left], first[right]]], verbose=0
        )[0]
        weights = np.linspace(0.0, 1.0, 9)[:, None]
        blend = (1 - weights[..., None, None]) * test[first[left]] + weights[
            ..., None, None
        ] * test[first[right]]
        rows = [
            ("VAE codes", decode(model, (1 - weights) * ends[0] + weights * ends[1])),
            ("pixels", blend),
        ]
        experiment.save_figure(
            _image_rows(
                rows,
                f"Interpolation: {names[left]} -> {names[right]}",
                [f"{w:.2f}" for w in weights[:, 0]],
            ),
            "interpolation.png",
        )
    if "vqvae" in trained:
        codes = pixel_cnn.sample_codes(trained["pixelcnn"], 64, seed=experiment.args.seed)
        panels.append(
            (
                "VQ-VAE: codes ~ PixelCNN prior, decoded",
                vq_vae.decode_codes(trained["vqvae"], codes),
            )
        )
        fig, ax = kit.plt.subplots(figsize=(9, 4))
        counts = np.sort(usage["counts"])[::-1]
        ax.bar(np.arange(len(counts)), counts, color="C0")
        ax.set(
            title=f"VQ-VAE code usage on the test set: {usage['used']}/{len(counts)} codes "
            f"used, perplexity {usage['perplexity']:.1f}",
            xlabel="code (most used first)",
            ylabel="assignments (7x7 per image)",
        )
        experiment.save_figure(fig, "vq_code_usage.png")
    if panels:
        fig, axes = kit.plt.subplots(1, len(panels), squeeze=False, figsize=(6 * len(panels), 6.3))
        for ax, (title, images) in zip(axes[0], panels, strict=True):
            ax.imshow(_tile(images, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set(title=title, xticks=[], yticks=[])
        fig.suptitle("Samples from the priors")
        experiment.save_figure(fig, "samples.png")


if __name__ == "__main__":
    kit.run(main)
