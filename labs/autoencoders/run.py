"""The autoencoders lab: Fashion-MNIST -> AE, DAE, VAE (latent 16 and 2), VQ-VAE + PixelCNN prior,
each scored on the test images against PCA with as many numbers in the code.

Writes metrics.json, history.csv, models/{ae,dae,vae,vae_2d,vqvae,pixelcnn}.keras (those trained)
and reconstructions.png, denoising.png, vae_latent_2d.png, samples.png, latent_edit.png,
interpolation.png, vq_code_usage.png. A saved model loads anywhere with `import models` then
`keras.saving.load_model(path)`.
"""

import numpy as np

from labs.autoencoders import figures
from labs.autoencoders.bench import Bench
from labs.data.images import binarize, load_images
from models import autoencoders, pixel_cnn, vae, vq_vae
from models.autoencoders import PCA, mean_squared_error, psnr


def run(experiment):
    """Trains and scores the chosen models, then draws the figures."""
    config, context, seed = experiment.config, experiment.context, experiment.context.seed
    data = load_images(
        config.dataset,
        manual_dir=context.manual_dir,
        data_dir=context.data_dir,
        train_size=config.train_size,
        validation_size=config.validation_size,
        test_size=config.test_size,
    )
    train, validation, test = data.train_images, data.validation_images, data.test_images
    experiment.results.update(
        dataset=data.name,
        images={"train": len(train), "validation": len(validation), "test": len(test)},
    )
    bench, models = Bench(experiment, validation), experiment.results["models"]

    # The autoencoder and the linear baseline with as many numbers in the code.
    pca = PCA(config.latent_dim).fit(train)
    pca_test = pca.reconstruct(test)
    bench.shown[f"PCA {config.latent_dim}\nMSE {mean_squared_error(test, pca_test):.4f}"] = pca_test
    if "ae" in config.models:
        model = bench.fit(
            "ae",
            lambda: autoencoders.build_autoencoder(
                config.latent_dim, config.filters, config.learning_rate
            ),
            train,
        )
        models["ae"]["latent_dim"] = config.latent_dim
        bench.score("ae", f"AE {config.latent_dim}", test, model.predict(test, verbose=0), pca)

    # The denoising autoencoder: corrupted in, clean out; scored on corrupted test images.
    def corruption(kinds=autoencoders.NOISE_KINDS, seed=seed):
        return autoencoders.ImageCorruption(kinds, config.gaussian_std, config.mask_rate, seed=seed)

    noisy = {}  # kind -> (noisy test images, denoised), for the figure
    if "dae" in config.models:
        model = bench.fit(
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
        bench.score("dae", f"DAE {config.latent_dim}", test, model.predict(test, verbose=0), pca)
        models["dae"]["denoising"] = {}
        for kind in autoencoders.NOISE_KINDS:
            images = np.asarray(corruption((kind,), seed + 1)(test, training=True))
            denoised = model.predict(images, verbose=0)
            noisy[kind] = (images, denoised)
            entry = {"noisy_psnr_db": psnr(test, images), "denoised_psnr_db": psnr(test, denoised)}
            if "ae" in bench.trained:  # does the plain autoencoder denoise too?
                entry["ae_psnr_db"] = psnr(test, bench.trained["ae"].predict(images, verbose=0))
            models["dae"]["denoising"][kind] = entry

    # The VAE on binarised images: -ELBO in nats; latent 16 for the score, 2 for the map.
    binary = [binarize(images, seed + i) for i, images in enumerate((train, validation, test))]
    if "vae" in config.models:
        for name, latent in (("vae", config.latent_dim), ("vae_2d", config.map_latent_dim)):
            model = bench.fit(
                name,
                lambda latent=latent, name=name: vae.build_vae(
                    latent, config.filters, config.learning_rate, seed=seed, name=name
                ),
                binary[0],
                val=binary[1],
            )
            elbo = vae.negative_elbo(model, binary[2], seed=seed)
            models[name].update(
                latent_dim=latent, **{f"test_{key}_nats": value for key, value in elbo.items()}
            )
            means = 1.0 / (1.0 + np.exp(-model.predict(binary[2], verbose=0)))  # p(x | mu)
            label = f"VAE {latent}\n(binary input)"
            bench.score(name, label, binary[2], means, PCA(latent).fit(binary[0]))

    # The VQ-VAE (codebook started on encoder outputs) and the PixelCNN prior over its codes.
    usage = None
    if "vqvae" in config.models:

        def build_vq_vae():
            model = vq_vae.build_vq_vae(
                config.num_codes, config.code_dim, config.filters, config.beta, config.learning_rate
            )
            vq_vae.initialize_codebook(model, train[:1000], seed=seed)
            return model

        model = bench.fit("vqvae", build_vq_vae, train)
        grid = model.get_layer("encoder").output_shape[1:3]
        models["vqvae"]["code_grid"] = list(grid)
        pca_grid = PCA(grid[0] * grid[1]).fit(train)
        label = f"VQ-VAE {grid[0]}x{grid[1]}"
        bench.score("vqvae", label, test, model.predict(test, verbose=0), pca_grid)
        codes = [vq_vae.encode_codes(model, images) for images in (train, validation, test)]
        usage = vq_vae.codebook_usage(codes[2], config.num_codes)
        models["vqvae"]["codebook"] = {
            "num_codes": config.num_codes,
            **{key: usage[key] for key in ("perplexity", "used", "dead", "used_fraction")},
        }
        prior = bench.fit(
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
        drawn = figures.draw(data, bench.trained, bench.shown, noisy, binary, usage, models, seed)
        for name, figure in drawn.items():
            experiment.save_figure(figure, name)
    seconds = sum(entry["train_seconds"] for entry in models.values())
    experiment.results["wall_seconds"] = round(seconds, 1)
