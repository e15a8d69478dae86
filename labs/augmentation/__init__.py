"""Data augmentation, seen and measured: every image op, MixUp/CutMix, EDA, and what they buy.

What you will learn: what each op does to a photo (random parameters drawn, then applied: that
split makes augmentation reproducible); how ops compose into one tf.data pipeline or sit in a model
as Keras layers; and what augmentation buys on little data: a small CNN on 500 and 2,000
Fashion-MNIST images with six augmentations, LSTM and CNN text classifiers on the EDA paper's
SST-2 and TREC with and without EDA, every cell over three seeds (study.png, study_text.png).

Course: Day 3, notebook 3_6_data_augmentation_with_tf (the gallery: `course` preset, its
parameters); the study follows keras-io's MixUp/RandAugment examples and Wei & Zou (2019), EDA.

Commands:
    python -m labs.augmentation                          # the gallery (course settings, ~30 s)
    python -m labs.augmentation --image my_cat.jpg --randaugment keras_cv
    python -m labs.augmentation --preset study           # the study: N = 500, 2,000; 3 seeds
    python -m labs.augmentation --preset study_full      # ... and each whole training set (hours)
    python -m labs.augmentation --preset study --parts images --sizes 500 --augmentations none,mixup
    python -m labs.augmentation --quick [--preset study] # every code path, small and fast
"""

import dataclasses
import pathlib
import typing

from labs import kit

RANDAUGMENTS = ("ours", "keras_cv", "keras")  # augmentation.pipeline.RANDAUGMENT_BACKENDS
SYNONYMS = ("auto", "wordnet", "demo")
# The study's names (labs.augmentation.study has the same; a test checks they agree).
IMAGE_AUGMENTATIONS = ("none", "pipeline", "randaugment", "mixup", "cutmix", "randaugment_mixup")
PARTS = ("images", "text")
# Training-set sizes: Fashion-MNIST's train split; the EDA paper's SST-2 and TREC training files.
DATA_SIZES = {"fashion_mnist": 60000, "sst2": 7447, "trec": 5452}


@dataclasses.dataclass(frozen=True)
class Config:
    """A preset: the gallery's settings (the course's), and the study's."""

    image: pathlib.Path | None = kit.flag(None, "gallery: your own photo (any format Pillow reads)")
    randaugment: str = kit.flag("ours", "gallery: whose RandAugment it shows", choices=RANDAUGMENTS)
    synonyms: str = kit.flag(
        "auto", "EDA synonyms: WordNet (nltk) if installed, else a demo table", choices=SYNONYMS
    )
    image_size: int = 224  # the photo is centre-cropped square and resized to this (pixels)
    gallery_samples: int = 8  # augmented copies per op gallery (plus the original)
    pipeline: str = "course"  # augmentation.make_pipeline preset drawn in pipeline.png
    pipeline_samples: int = 36  # tiles in pipeline.png (course: 36)
    erasing_samples: int = 16  # tiles in random_erasing.png (course: 16)
    crop_size: int = 100  # random crop height and width (course: 100x100)
    mixup_batch: int = 16  # MixUp batch, half one photo, half the other (course: 16)
    mixup_alpha: float = 0.4  # λ ~ Beta(alpha, alpha) (course: 0.4); the study's MixUp too
    cutmix_alpha: float = 1.0  # CutMix λ ~ Beta(alpha, alpha) (the paper's 1.0); the study's too
    randaugment_ops: int = 2  # RandAugment n: ops per image (gallery and study)
    randaugment_magnitude: float = 0.5  # RandAugment m in [0, 1] (keras_cv's scale)
    blur_kernel: int = 9  # Gaussian blur taps per direction
    blur_sigma: tuple = (0.5, 3.0)  # Gaussian blur sigma range (pixels)
    eda_alpha: float = 0.1  # gallery EDA: alpha_sr = alpha_ri = alpha_rs = p_rd (paper default)
    eda_num_aug: int = 4  # gallery EDA: sentences per original
    # --- the study (presets study, study_full) ---
    study: bool = False  # run the study instead of the gallery
    parts: tuple[str, ...] = kit.flag(PARTS, "study: which halves run", choices=PARTS)
    sizes: tuple[int, ...] = kit.flag((500, 2000), "study: training-set sizes N", minimum=20)
    full: bool = kit.flag(False, "study: also train on each whole training set")
    augmentations: tuple[str, ...] = kit.flag(
        IMAGE_AUGMENTATIONS, "study: image augmentations compared", choices=IMAGE_AUGMENTATIONS
    )
    seeds: int = kit.flag(3, "study: seeds per cell (--seed, --seed + 1, ...)")
    text_tasks: tuple = ("sst2", "trec")  # the EDA paper's datasets studied
    validation_fraction: float = 0.2  # of each subset, for early stopping (never the test set)
    image_batch_size: int = 64  # images per step
    image_steps: int = 1000  # most optimizer steps per image model (as epochs, below)
    image_min_epochs: int = 15  # ... but at least this many epochs (large N)
    image_patience: int = 20  # early stopping: epochs without a better validation loss
    image_learning_rate: float = 1e-3  # Adam
    pipeline_padding: int = 2  # study pipeline: pad, then crop back to 28x28 (shifts of ±2)
    pipeline_contrast: tuple = (0.7, 1.3)  # study pipeline: contrast factor range
    pipeline_brightness: float = 0.2  # study pipeline: brightness offset range ±
    text_batch_size: int = 64  # sentences per step
    text_epochs: int = 30  # most epochs per text model
    text_patience: int = 3  # early stopping on the validation loss
    test_size: int | None = None  # test examples scored (None: all)

    def __post_init__(self):
        if self.study:
            used = ["fashion_mnist"] if "images" in self.parts else []
            used += list(self.text_tasks) if "text" in self.parts else []
            limit = min(DATA_SIZES[name] for name in used)
            too_large = [size for size in self.sizes if size > limit]
            if too_large:
                raise ValueError(
                    f"--sizes {','.join(map(str, too_large))}: larger than the data "
                    f"({limit:,} training examples; Fashion-MNIST has 60,000, SST-2 7,447, "
                    "TREC 5,452)"
                )

    def quick(self):
        if self.study:
            return dataclasses.replace(
                self,
                sizes=(60,),
                seeds=1,
                text_tasks=("trec",),
                image_steps=2,
                image_min_epochs=2,
                text_epochs=2,
                test_size=500,
            )
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
    "course": Config(),
    # Same gallery; the grid shows the strong training pipeline (flip, RandAugment, erasing, MixUp).
    "strong": Config(pipeline="strong", pipeline_samples=36),
    # The study: N = 500 and 2,000, six image augmentations, EDA on SST-2 and TREC, 3 seeds.
    "study": Config(study=True),
    # ... and each whole training set (60,000 images; 7,447 / 5,452 sentences): hours on 2 cores.
    "study_full": Config(study=True, full=True),
}


class Accuracy(typing.TypedDict):
    mean: float
    min: float
    max: float
    seeds: dict[str, float]  # {seed: test accuracy}


class Cell(typing.TypedDict):
    test_accuracy: Accuracy


class Study(typing.TypedDict):
    # {N: {augmentation: cell}}; "none" is no augmentation
    images: dict[str, dict[str, Cell]]
    # {"sst2" | "trec": {"lstm" | "cnn": {N: {"none" | "eda": cell}}}}
    text: dict[str, dict[str, dict[str, dict[str, Cell]]]]


class StudyDetails(typing.TypedDict):
    images: dict[str, typing.Any]  # where each augmentation runs, the pipeline's ops, the CNN
    text: dict[str, typing.Any]  # EDA's alpha and num_aug per N, the sequence lengths
    epochs: dict[str, float]  # mean epochs trained per cell (early stopping)
    seconds: dict[str, float]  # timing: wall seconds of each half and in all


class StudyMetrics(typing.TypedDict):
    study: Study
    study_details: StudyDetails


class GalleryMetrics(typing.TypedDict):
    image: dict[str, typing.Any]  # {"source", "size"}
    ops: dict[str, dict[str, typing.Any]]  # {op: {"op": class name, its parameters}}
    pipeline: dict[str, typing.Any]  # {"value_range", "seed", "steps"}
    mixup: dict[str, typing.Any]  # {"alpha", "classes", "label_weights"}
    cutmix: dict[str, typing.Any]  # {"alpha", "label_weights"}
    eda: dict[str, typing.Any]  # {"synonym_source", "settings", "examples"}
    files: list[str]


LAB = kit.Lab(
    __name__,
    __doc__,
    PRESETS,
    section="3_6_data_augmentation_with_tf",
    data="tfds",
    metrics=GalleryMetrics | StudyMetrics,
    figure="pipeline.png",
)
