"""Data augmentation, seen: every image op in a gallery, the course's pipeline, MixUp, and EDA
for text.

What you will learn: what each augmentation does to a real photo and how strong its parameters
are; that an augmentation is two steps, drawing random parameters (`sample`) and applying them
(`apply`), which is what makes it reproducible and testable; how ops compose into one tf.data
pipeline for `model.fit`; how MixUp blends both images and one-hot labels with one λ; and how
EDA (synonym replacement, random insertion, random swap, random deletion) augments sentences.

Reproduces the course's notebook 3_6 (data augmentation with tf): flips (left-right, up-down),
random crop 100x100, contrast U(0.4, 0.6), brightness ±0.8, hue ±0.1, rot90; random erasing
(p 0.5, area 0.02-0.4, aspect 0.2-0.8, one fill value ~ U(0, 1)); MixUp (λ ~ Beta(0.4, 0.4),
batch 16); the combined pipeline (both flips, contrast, brightness, rot90 k in {0, 1, 2}, hue)
on 36 samples; and what the course's seed names: Gaussian blur, RandAugment (n ops, magnitude
m), EDA. The ops are the batched, seeded ones of the `augmentation` package. Deliberate
difference: outputs are clipped to [0, 1] (tf.image's brightness does not clip; the course's
plots clip when drawing).

The photo is Grace Hopper's portrait that ships with matplotlib (no download); `--image PATH`
uses yours (any format Pillow reads). It is centre-cropped to a square and resized. Nothing is
trained: --epochs and --batch-size are refused.

Commands:
    python -m labs.augmentation                          # course settings
    python -m labs.augmentation --preset strong          # the strong pipeline in the grid
    python -m labs.augmentation --image my_cat.jpg --seed 3
    python -m labs.augmentation --randaugment keras_cv   # the course's RandAugment in the gallery
    python -m labs.augmentation --quick                  # small images, few samples

Outputs (in --output-dir, default runs/augmentation):
    gallery_<op>.png   the photo and augmented copies, each titled with its sampled parameters
                       (random crops drawn at their real size; offsets as y = row, x = column)
    pipeline.png       the preset's combined pipeline (course: 36 samples, 6x6), each tile titled
                       with the steps it got; the course's brightness ±0.8 leaves some tiles
                       nearly black or white, as the footer says
    random_erasing.png 16 random-erasing samples (course parameters), each titled with its box
                       and fill, or "not erased"
    mixup.png          MixUp of two photos with the mixed one-hot labels on each tile
    cutmix.png         the same for CutMix (labels mixed by pasted area)
    eda.txt            EDA sentences, also printed
    metrics.json:
        {"lab", "preset", "seed", "quick", "config": {...}, "versions", "image": {"source", "size"},
         "ops": {op_name: {"op": class name, <its parameters>}},
         "pipeline": {"value_range", "seed", "steps": [{"op", "probability", ...}]},
         "mixup": {"alpha", "classes", "label_weights": [[w_class0, w_class1] per tile]},
         "eda": {"synonym_source", "settings": {...}, "examples": {sentence: [augmented, ...]}},
         "files": [...]}
"""

import dataclasses
import pathlib
import re

import numpy as np

from labs import kit

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


@dataclasses.dataclass(frozen=True)
class AugmentationConfig:
    image_size: int = 224  # the photo is centre-cropped square and resized to this (pixels)
    gallery_samples: int = 8  # augmented copies per op gallery (plus the original)
    pipeline: str = "course"  # augmentation.make_pipeline preset drawn in pipeline.png
    pipeline_samples: int = 36  # tiles in pipeline.png (course: 36)
    erasing_samples: int = 16  # tiles in random_erasing.png (course: 16)
    crop_size: int = 100  # random crop height and width (course: 100x100)
    mixup_batch: int = 16  # MixUp batch, half one photo, half the other (course: 16)
    mixup_alpha: float = 0.4  # λ ~ Beta(alpha, alpha) (course: 0.4)
    cutmix_alpha: float = 1.0  # CutMix λ ~ Beta(alpha, alpha) (the paper's 1.0)
    randaugment_ops: int = 2  # RandAugment n: ops per image
    randaugment_magnitude: float = 0.5  # RandAugment m in [0, 1] (keras_cv's scale)
    blur_kernel: int = 9  # Gaussian blur taps per direction
    blur_sigma: tuple = (0.5, 3.0)  # Gaussian blur sigma range (pixels)
    eda_alpha: float = 0.1  # EDA alpha_sr = alpha_ri = alpha_rs = p_rd (the paper's default)
    eda_num_aug: int = 4  # EDA sentences per original

    def quick(self):
        return dataclasses.replace(
            self,
            image_size=128,
            gallery_samples=3,
            pipeline_samples=4,
            erasing_samples=4,
            mixup_batch=4,
            eda_num_aug=2,
        )


PRESETS = {
    "course": AugmentationConfig(),
    # Same gallery; the grid shows the strong training pipeline (flip, RandAugment, erasing, MixUp).
    "strong": AugmentationConfig(pipeline="strong", pipeline_samples=36),
}


def load_photo(path, size):
    """Reads an image file as `(size, size, 3)` float32 in [0, 1] (centre square crop, resized).

    Raises:
        kit.LabError: the file is missing or not an image Pillow can read.
    """
    from PIL import Image, UnidentifiedImageError

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
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data(name) as file:
        return pathlib.Path(file.name)


def gallery_ops(config, randaugment):
    """The ops shown one gallery each, with the course's parameters where it has them."""
    import augmentation as aug

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


def describe(params, index, op=None):
    """Short text of image `index`'s sampled parameters, e.g. 'factor=0.47'."""
    from augmentation import rand_augment_ops

    params = dict(params)
    parts = []
    if "op_index" in params and hasattr(op, "ops"):  # RandAugment: name the chosen ops
        chosen = [op.ops[i] for i in np.asarray(params.pop("op_index"))[index]]
        signs = np.asarray(params.pop("sign"))[index]
        magnitudes = np.asarray(params.pop("magnitude"))[index]
        for name, sign, magnitude in zip(chosen, signs, magnitudes, strict=True):
            if name in rand_augment_ops.OPS_WITHOUT_MAGNITUDE:
                parts.append(name)
            elif name in rand_augment_ops.SIGNED_OPS:  # the sign is the direction
                parts.append(f"{name} {'-+'[int(sign > 0)]}{magnitude:.2f}")
            else:  # solarize, posterize: a strength, no direction
                parts.append(f"{name} {magnitude:.2f}")
    if "erase" in params:  # RandomErasing: the box and fill only where it erased
        if not np.asarray(params.pop("erase"))[index]:
            return "not erased"
        top, left, height, width = np.asarray(params.pop("box"))[index]
        parts.append(f"box {height}x{width} at y={top}, x={left}")
    if "offset" in params:  # RandomCrop: (top, left) of the window
        top, left = np.asarray(params.pop("offset"))[index]
        parts.append(f"window at y={top}, x={left}")
    for key, value in params.items():
        value = np.asarray(value)[index]
        if value.size > 4:  # e.g. a per-pixel fill
            continue
        if value.size == 1:
            value = value.reshape(())  # a per-image scalar kept as (1, 1, 1): print it as one
        if value.dtype == bool:
            parts.append(key.replace("flip_", "") if value.all() else "")
        elif np.issubdtype(value.dtype, np.floating) and value.ndim == 0:
            parts.append(f"{key}={float(value):.2f}")
        elif np.issubdtype(value.dtype, np.floating):
            parts.append(f"{key}={np.array2string(value, precision=2, separator=',')}")
        else:
            parts.append(f"{key}={np.array2string(value, separator=',')}")
    return "\n".join(p for p in parts if p) or "unchanged"


def describe_pipeline(steps, index, width=32):
    """What pipeline image `index` got, compactly: the steps applied to it with their values,
    joined into lines of about `width` characters, e.g. 'flip left-right, contrast 0.43' /
    'brightness -0.47, rot90 k=1'."""
    parts = []
    for step in steps:
        if not np.asarray(step["applied"])[index]:
            continue
        name = type(step["op"]).__name__.replace("Random", "").lower()
        params = step["params"]
        if params is None:
            parts.append(name)
            continue
        text = describe({k: v.numpy() for k, v in params.items()}, index, step["op"])
        if text in ("", "unchanged", "not erased"):
            continue  # e.g. a flip whose coin said no
        lines = text.split("\n")
        if name == "flip":
            parts += [
                {"horizontal": "flip left-right", "vertical": "flip up-down"}[t] for t in lines
            ]
            continue
        # 'delta=-0.47' -> 'brightness -0.47': the op's name says what the value is.
        first = lines[0]
        if re.fullmatch(r"[a-z_]+=\S+", first) and not first.startswith("k="):
            first = first.split("=", 1)[1]
        parts += [f"{name} {first}", *lines[1:]]
    lines = []
    for part in parts:
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += f", {part}"
        else:
            lines.append(part)
    return "\n".join(lines) or "unchanged"


def show_grid(images, titles, title, columns, footer=None, true_scale=False):
    """A grid of images (values clipped to [0, 1]) with a title per tile; returns the figure.

    With `true_scale`, every tile has the first image's pixel extent, so a smaller image (a
    crop) is drawn at its real size in the corner instead of being stretched to the tile.
    """
    from labs.kit.plotting import plt

    rows = int(np.ceil(len(images) / columns))
    title_lines = max(str(t).count("\n") + 1 for t in titles)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(2.2 * columns, (2.3 + 0.13 * title_lines) * rows + 0.4 + (0.4 if footer else 0.0)),
        squeeze=False,
    )
    for ax in axes.flat:
        ax.axis("off")
    full_height, full_width = np.shape(images[0])[:2]
    # The grid can have more tiles than images: the spare ones stay blank.
    for ax, image, tile_title in zip(axes.flat, images, titles, strict=False):
        height, width = np.shape(image)[:2]
        ax.imshow(np.clip(image, 0.0, 1.0), extent=(0, width, height, 0))
        if true_scale:
            ax.set_xlim(0, full_width)
            ax.set_ylim(full_height, 0)
            ax.axis("on")  # a frame shows the full tile the crop sits in
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_title(tile_title, fontsize=7)
    fig.suptitle(title)
    if footer:
        fig.text(0.5, 0.005, footer, ha="center", va="bottom", fontsize=8, wrap=True)
    fig.tight_layout(rect=(0, 0.05 if footer else 0, 1, 1))
    return fig


def run_galleries(experiment, photo, config, args):
    """One gallery per op; returns `{op_name: config}`."""
    import tensorflow as tf

    from augmentation.base import split_seed

    ops = gallery_ops(config, args.randaugment)
    seeds = split_seed(args.seed, len(ops))
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
    import tensorflow as tf

    import augmentation as aug

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


def run_eda(out, config, synonyms_choice, seed):
    """EDA on the example sentences; prints them and writes eda.txt."""
    import augmentation as aug

    source = "demo table"
    if synonyms_choice in ("auto", "wordnet"):
        try:
            synonyms = aug.wordnet_synonyms()
            source = "wordnet"
        except aug.SynonymSourceUnavailable as error:
            if synonyms_choice == "wordnet":
                raise kit.LabError(str(error)) from None
            print(f"EDA: {error}\nEDA: using the lab's small demo synonym table instead.")
            synonyms = aug.synonym_table(DEMO_SYNONYMS)
    else:
        synonyms = aug.synonym_table(DEMO_SYNONYMS)
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
    (out / "eda.txt").write_text(text, encoding="utf-8")
    return {"synonym_source": source, "settings": augmenter.get_config(), "examples": examples}


def main(argv=None):
    parser = kit.make_parser("augmentation", __doc__, PRESETS)
    parser.add_argument(
        "--image", type=pathlib.Path, help=f"your own photo (default: matplotlib's {DEFAULT_PHOTO})"
    )
    parser.add_argument(
        "--randaugment",
        choices=["ours", "keras_cv", "keras"],
        default="ours",
        help="whose RandAugment the gallery shows (default: %(default)s)",
    )
    parser.add_argument(
        "--synonyms",
        choices=["auto", "wordnet", "demo"],
        default="auto",
        help="EDA synonyms: WordNet (nltk) if installed, else a demo table (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    config = kit.configure(PRESETS[args.preset], args)
    with kit.Experiment("augmentation", args, config) as experiment:
        return _run(experiment, args, config)


def _run(experiment, args, config):
    import tensorflow as tf

    import augmentation as aug

    out = experiment.out
    photo_path = args.image or sample_photo_path(DEFAULT_PHOTO)
    photo = load_photo(photo_path, config.image_size)
    second = load_photo(sample_photo_path(SECOND_PHOTO), config.image_size)

    ops = run_galleries(experiment, photo, config, args)

    pipeline = aug.make_pipeline(config.pipeline, seed=args.seed)
    # explain(): the same images as pipeline(batch, seed=...), plus what each step drew.
    grid, steps = pipeline.explain(
        np.repeat(photo[None], config.pipeline_samples, axis=0), seed=args.seed
    )
    erasing = aug.RandomErasing(0.5, (0.02, 0.4), (0.2, 0.8))
    erasing_batch = np.repeat(photo[None], config.erasing_samples, axis=0)
    erasing_params = erasing.sample(tf.shape(erasing_batch), args.seed + 1)
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

    names = ["photo" if args.image else "hopper", "present"]
    mixes = run_mixes(experiment, (photo, second), names, config, args.seed)
    eda_results = run_eda(out, config, args.synonyms, args.seed)

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
    experiment.results["files"] = sorted(p.name for p in out.glob("*.png")) + [
        "eda.txt",
        "metrics.json",
    ]
    return experiment.finish()


if __name__ == "__main__":
    kit.run(main)
