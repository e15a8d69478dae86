"""Autoencoders side by side: AE, denoising AE, VAE and VQ-VAE (+ PixelCNN prior) on Fashion-MNIST.

What you will learn: an autoencoder squeezes an image into a small code and restores it (PCA
with as many components is the linear version it must beat); a denoising autoencoder reads a
corrupted image and is scored on the clean one (PSNR before and after); a VAE's code is a
distribution, sampled with the reparameterisation trick, its loss -ELBO = reconstruction + KL in
nats, its latent space mapped (latent 2), sampled, edited and interpolated; a VQ-VAE's code is a
7x7 grid of codebook entries (straight-through gradient, commitment loss), with a PixelCNN prior
over the grids to sample from and the codebook's usage (perplexity, dead codes).

Course: Day 3, Section 5 (autoencoders, VAE) and its VQ-VAE section; keras-io's `vae.py` and
`vq_vae.py` are the anchors. Data: `tfds.load("fashion_mnist")`, the last 5,000 `train` images
for validation, the 10,000 `test` images for every number reported.

Commands:
    python -m labs.autoencoders --manual-dir ../shared/data            # all four (~10 min, 2 cores)
    python -m labs.autoencoders --models ae,dae --epochs 3
    python -m labs.autoencoders --dataset mnist                        # needs internet
    python -m labs.autoencoders --preset keras_io    # 30 epochs, wider convolutions (not timed)
    python -m labs.autoencoders --quick                                # tiny slice, every path
"""

import dataclasses
import typing

from labs import kit

MODELS = ("ae", "dae", "vae", "vqvae")  # --models; vae trains vae and vae_2d, vqvae its prior too
DATASETS = ("fashion_mnist", "mnist")  # labs.data.images.DATASETS (a test checks they agree)
# Latent editing and interpolation: (from class, to class) per dataset. The edit direction is
# the difference of the two classes' mean codes, so it carries what tells them apart and
# little else: sleeves for T-shirt -> pullover, a closed top for 4 -> 9.
PAIRS = {
    "fashion_mnist": {"edit": (0, 2), "interpolate": (5, 9)},
    "mnist": {"edit": (4, 9), "interpolate": (1, 7)},
}


@dataclasses.dataclass(frozen=True)
class Config:
    """A preset: the models, the data and the settings they share."""

    models: tuple[str, ...] = kit.flag(MODELS, "the models to train", choices=MODELS)
    dataset: str = kit.flag(
        "fashion_mnist",
        "fashion_mnist (staged offline) or mnist (needs internet)",
        choices=DATASETS,
    )
    latent_dim: int = 16  # code size of the AE, the DAE and the scored VAE (PCA keeps as many)
    map_latent_dim: int = 2  # code size of the VAE drawn as a map
    filters: tuple = (16, 32)  # channels of the encoders' two stride-2 convolutions
    epochs: int = kit.flag(6, "epochs of every autoencoder")
    batch_size: int = kit.flag(128, "images per step")
    learning_rate: float = kit.flag(1e-3, "Adam's learning rate, every autoencoder")
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


class Images(typing.TypedDict):
    train: int
    validation: int
    test: int


class Trained(typing.TypedDict):
    params: int
    epochs: int
    train_seconds: float  # timing: varies run to run


class Autoencoder(Trained):  # ae
    latent_dim: int
    test_mse: float  # MSE per pixel on the test images
    pca_test_mse: float  # PCA with latent_dim components


class Denoised(typing.TypedDict):
    noisy_psnr_db: float
    denoised_psnr_db: float
    ae_psnr_db: typing.NotRequired[float]  # the plain AE on the same noisy images, if trained


class Denoising(Autoencoder):  # dae
    denoising: dict[typing.Literal["gaussian", "masking"], Denoised]


class Vae(Autoencoder):  # vae, vae_2d: on binarised images, one eps draw
    test_negative_elbo_nats: float
    test_reconstruction_nats: float
    test_kl_nats: float


class Codebook(typing.TypedDict):
    num_codes: int
    perplexity: float
    used: int
    dead: int
    used_fraction: float


class VqVae(Trained):
    code_grid: list[int]  # [7, 7]
    test_mse: float
    pca_test_mse: float  # 49 components: one per code
    codebook: Codebook


class PixelCnn(Trained):
    test_bits_per_code: float
    uniform_bits_per_code: float


class Models(typing.TypedDict, total=False):  # the models trained (--models)
    ae: Autoencoder
    dae: Denoising
    vae: Vae
    vae_2d: Vae
    vqvae: VqVae
    pixelcnn: PixelCnn


class Metrics(typing.TypedDict):
    dataset: str
    images: Images
    models: Models
    wall_seconds: float  # timing: the models' train_seconds summed


LAB = kit.Lab(
    __name__,
    __doc__,
    PRESETS,
    section="Section 5 (VAE, VQ-VAE)",
    data="tfds",
    tensorboard=True,
    metrics=Metrics,
    figure="reconstructions.png",
    headline={
        "AE test MSE": "models.ae.test_mse",
        "PCA test MSE (as many numbers)": "models.ae.pca_test_mse",
        "VAE test -ELBO (nats)": "models.vae.test_negative_elbo_nats",
        "VQ-VAE codes used": "models.vqvae.codebook.used",
        "PixelCNN prior (bits/code)": "models.pixelcnn.test_bits_per_code",
    },
)
