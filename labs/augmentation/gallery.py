"""The gallery: every image op on a photo, the course's pipeline, random erasing, MixUp and CutMix
of two photos, and EDA on example sentences. Nothing is trained.

Writes gallery_<op>.png (each tile titled with its sampled parameters; random crops drawn at
their real size), pipeline.png (each tile titled with the steps it got), random_erasing.png,
mixup.png and cutmix.png (the mixed one-hot labels on each tile), and eda.txt.
"""

import functools
import pathlib

import matplotlib.cbook
import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

import augmentation as aug
from augmentation.base import split_seed
from labs import kit
from labs.augmentation.figures import describe, describe_pipeline, show_grid

SECOND_PHOTO = "Minduka_Present_Blue_Pack.png"  # the other photo matplotlib ships, for MixUp
DEFAULT_PHOTO = "grace_hopper.jpg"

EDA_SENTENCES = (
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "This movie was a wonderful surprise and the actors were great.",
    "Data augmentation makes a small training set look larger to the model.",
)
# Used when WordNet is not installed (and in the tests): a few words of the sentences above.
DEMO_SYNONYMS = {
    "quick": ["fast", "speedy", "rapid"],
    "brown": ["chocolate", "tan"],
    "jumps": ["leaps", "springs", "bounds"],
    "lazy": ["idle", "sluggish"],
    "dog": ["hound", "canine"],
    "river": ["stream"],
    "bank": ["shore", "side"],
    "movie": ["film", "picture"],
    "wonderful": ["marvelous", "fantastic", "terrific"],
    "surprise": ["astonishment", "shock"],
    "actors": ["performers", "players"],
    "great": ["excellent", "superb"],
    "small": ["little", "modest"],
    "training": ["learning"],
    "set": ["collection", "batch"],
    "larger": ["bigger"],
    "model": ["network"],
    "makes": ["renders", "gets"],
}


# What a pipeline grid needs said beside it.
PIPELINE_FOOTERS = {
    "course": "brightness adds one offset in [-0.8, 0.8] to every pixel (the course's "
    "tf.image.random_brightness(0.8)): past about ±0.5 most pixels clip to white or "
    "black, so some tiles are nearly blank. That is the course's setting, not a bug.",
}


def load_photo(path, size):
    """Reads an image file as `(size, size, 3)` float32 in [0, 1] (centre square crop, resized).

    Raises:
        kit.LabError: the file is missing or not an image Pillow can read.
    """
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as error:
        reason = (
            getattr(error, "strerror", None) or str(error).split(":")[0] or type(error).__name__
        )
        raise kit.LabError(f"cannot read image {path}: {reason}") from None
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0


def sample_photo_path(name):
    """Path of a sample image bundled with matplotlib."""
    with matplotlib.cbook.get_sample_data(name) as file:
        return pathlib.Path(file.name)


def gallery_ops(config, randaugment):
    """The ops shown one gallery each, with the course's parameters where it has them."""
    size = config.crop_size
    return {
        "flip_left_right": aug.RandomFlip("horizontal"),
        "flip_up_down": aug.RandomFlip("vertical"),
        "random_crop": aug.RandomCrop(size, size),
        "random_crop_resize": aug.RandomCrop(size, size, resize=True),
        "contrast": aug.RandomContrast(0.4, 0.6),
        "brightness": aug.RandomBrightness(0.8),
        "hue": aug.RandomHue(0.1),
        "rot90": aug.RandomRot90((0, 1, 2, 3)),
        "gaussian_blur": aug.GaussianBlur(config.blur_kernel, config.blur_sigma),
        "random_erasing": aug.RandomErasing(0.5, (0.02, 0.4), (0.2, 0.8)),
        "randaugment": aug.make_randaugment(
            randaugment, config.randaugment_ops, config.randaugment_magnitude
        ),
    }


def run_galleries(experiment, photo, config, seed):
    """One gallery per op; returns `{op_name: config}`."""
    ops = gallery_ops(config, config.randaugment)
    seeds = split_seed(seed, len(ops))
    batch = tf.repeat(photo[None], config.gallery_samples, axis=0)
    described = {}
    for index, (name, op) in enumerate(ops.items()):
        described[name] = {"op": type(op).__name__, **op.get_config()}
        if not experiment.plots:
            # Still run the op, so --no-plots checks every op works on this image.
            op(batch, seed=seeds[index])
            continue
        if hasattr(op, "sample"):  # ours: sample, then apply, so each tile can show its params
            params = op.sample(tf.shape(batch), seeds[index])
            augmented = op.apply(batch, params).numpy()
            titles = [
                describe({k: v.numpy() for k, v in params.items()}, i, op)
                for i in range(len(augmented))
            ]
        else:  # keras_cv / keras layers: no parameters to show
            augmented = op(batch).numpy()
            titles = [f"sample {i + 1}" for i in range(len(augmented))]
        crops = name == "random_crop"
        footer = (
            f"{op.height}x{op.width} windows drawn at their real size in the "
            f"{config.image_size}x{config.image_size} frame; y = rows from the top, "
            "x = columns from the left"
            if crops
            else None
        )
        if name == "random_crop_resize":
            footer = (
                f"{op.height}x{op.width} windows, each resized back to "
                f"{config.image_size}x{config.image_size} (a zoom); y = rows from the "
                "top, x = columns from the left"
            )
        fig = show_grid(
            [photo, *augmented],
            ["original", *titles],
            f"{name}: {type(op).__name__}",
            columns=min(5, len(augmented) + 1),
            footer=footer,
            true_scale=crops,
        )
        experiment.save_figure(fig, f"gallery_{name}.png")
    return described


def run_mixes(experiment, photos, names, config, seed):
    """MixUp and CutMix grids of two photos; returns the MixUp label weights per tile."""
    half = config.mixup_batch // 2
    images = tf.concat(
        [
            tf.repeat(photos[0][None], config.mixup_batch - half, 0),
            tf.repeat(photos[1][None], half, 0),
        ],
        axis=0,
    )
    labels = tf.one_hot([0] * (config.mixup_batch - half) + [1] * half, 2)
    results = {}
    for key, op in (
        ("mixup", aug.MixUp(config.mixup_alpha)),
        ("cutmix", aug.CutMix(config.cutmix_alpha)),
    ):
        mixed, mixed_labels = op(images, labels, seed=seed)
        weights = np.round(mixed_labels.numpy(), 3)
        results[key] = weights.tolist()
        if experiment.plots:
            titles = [f"{names[0]} {w[0]:.2f}\n{names[1]} {w[1]:.2f}" for w in weights]
            fig = show_grid(
                mixed.numpy(),
                titles,
                f"{type(op).__name__}(alpha={op.alpha}): labels mixed by the same λ",
                columns=4,
            )
            experiment.save_figure(fig, f"{key}.png")
    return results


def synonym_source(choice):
    """EDA's synonyms for `--synonyms`: WordNet, or the lab's demo table.

    Args:
        choice: `"wordnet"` (required), `"auto"` (WordNet if installed, else the demo table) or
            `"demo"`.

    Returns:
        `(synonyms, source)`: a callable `word -> list[str]`, each word looked up once, and
        `"wordnet"` or `"demo table"`.

    Raises:
        kit.LabError: `"wordnet"` and nltk or its WordNet data is not installed.
    """
    if choice in ("auto", "wordnet"):
        try:
            return functools.cache(aug.wordnet_synonyms()), "wordnet"
        except aug.SynonymSourceUnavailable as error:
            if choice == "wordnet":
                raise kit.LabError(str(error)) from None
            print(f"EDA: {error}\nEDA: using the lab's small demo synonym table instead.")
    return aug.synonym_table(DEMO_SYNONYMS), "demo table"


def run_eda(experiment, config, synonyms_choice, seed):
    """EDA on the example sentences; prints them and writes eda.txt."""
    synonyms, source = synonym_source(synonyms_choice)
    a = config.eda_alpha
    augmenter = aug.EDA(synonyms, a, a, a, a, num_aug=config.eda_num_aug)
    lines = [f"EDA (Wei & Zou, 2019), synonyms: {source}, settings: {augmenter.get_config()}", ""]
    examples = {}
    for index, sentence in enumerate(EDA_SENTENCES):
        augmented = augmenter(sentence, seed=seed + index)
        examples[sentence] = augmented[:-1]
        lines += [f"original:  {sentence}", *(f"augmented: {s}" for s in augmented[:-1]), ""]
    text = "\n".join(lines)
    print(text)
    experiment.write_file("eda.txt", text)
    return {"synonym_source": source, "settings": augmenter.get_config(), "examples": examples}


def run_gallery(experiment):
    """The gallery: every op, the pipeline, random erasing, MixUp, CutMix and EDA."""
    config, seed = experiment.config, experiment.context.seed
    photo_path = config.image or sample_photo_path(DEFAULT_PHOTO)
    photo = load_photo(photo_path, config.image_size)
    second = load_photo(sample_photo_path(SECOND_PHOTO), config.image_size)

    ops = run_galleries(experiment, photo, config, seed)

    pipeline = aug.make_pipeline(config.pipeline, seed=seed)
    # explain(): the same images as pipeline(batch, seed=...), plus what each step drew.
    grid, steps = pipeline.explain(
        np.repeat(photo[None], config.pipeline_samples, axis=0), seed=seed
    )
    erasing = aug.RandomErasing(0.5, (0.02, 0.4), (0.2, 0.8))
    erasing_batch = np.repeat(photo[None], config.erasing_samples, axis=0)
    erasing_params = erasing.sample(tf.shape(erasing_batch), seed + 1)
    erased = erasing.apply(tf.constant(erasing_batch), erasing_params)
    if experiment.plots:
        columns = int(np.ceil(np.sqrt(config.pipeline_samples)))
        footer = PIPELINE_FOOTERS.get(config.pipeline)
        fig = show_grid(
            grid.numpy(),
            [describe_pipeline(steps, i) for i in range(len(grid))],
            f"'{config.pipeline}' pipeline: {len(grid)} samples, each titled with the steps it got",
            columns,
            footer=footer,
        )
        experiment.save_figure(fig, "pipeline.png")
        columns = int(np.ceil(np.sqrt(config.erasing_samples)))
        params = {k: v.numpy() for k, v in erasing_params.items()}
        fig = show_grid(
            erased.numpy(),
            [describe(params, i) for i in range(len(erased))],
            "random erasing (p=0.5, area 0.02-0.4, aspect 0.2-0.8, one fill value ~ U(0, 1))",
            columns,
        )
        experiment.save_figure(fig, "random_erasing.png")

    names = ["photo" if config.image else "hopper", "present"]
    mixes = run_mixes(experiment, (photo, second), names, config, seed)
    eda_results = run_eda(experiment, config, config.synonyms, seed)

    experiment.results.update(
        {
            "image": {"source": str(photo_path), "size": [config.image_size] * 2},
            "ops": ops,
            "pipeline": pipeline.get_config(),
            "mixup": {
                "alpha": config.mixup_alpha,
                "classes": names,
                "label_weights": mixes["mixup"],
            },
            "cutmix": {"alpha": config.cutmix_alpha, "label_weights": mixes["cutmix"]},
            "eda": eda_results,
        }
    )
    experiment.results["files"] = sorted(p.name for p in experiment.out.glob("*.png")) + [
        "eda.txt",
        "metrics.json",
    ]
