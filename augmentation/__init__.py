"""Reusable, batched, seeded data augmentation for tf.data pipelines (and EDA for text).

Every image op, MixUp, CutMix and the pipeline is one `keras.layers.Layer`: the same object
augments a batch, sits in `keras.Sequential` or a saved model, and maps over `tf.data`. The ops
work on `(B, H, W, C)` float32 batches in a declared value range (uint8 accepted), sample their
randomness (`get_random_transformation`) separately from applying it (`transform_images`,
`transform_labels`), use stateless RNG, and augment nothing when `training=False` (the images
still come back as float32 in the value range):

    from augmentation import RandAugment, MixUp, make_pipeline
    pipeline = make_pipeline("strong", seed=0)           # or "course"
    train = pipeline.apply(train.batch(32))               # ready for model.fit
    model = keras.Sequential([keras.Input((32, 32, 3)), RandAugment(2, 0.5), ...])

They are registered for saving as `day3>RandAugment`, ...: a saved model holding them loads
after `import augmentation`.

Text: `eda(sentence, synonyms=...)` (Wei & Zou, 2019) with a pluggable synonym source.
"""

from augmentation.base import ImageAugmentation, to_float_images
from augmentation.cut_mix import CutMix
from augmentation.gaussian_blur import GaussianBlur
from augmentation.mix_up import MixUp
from augmentation.pipeline import PRESETS, AugmentationPipeline, make_pipeline, make_randaugment
from augmentation.rand_augment import DEFAULT_OPS, KERAS_CV_OPS, RandAugment
from augmentation.random_brightness import RandomBrightness
from augmentation.random_contrast import RandomContrast
from augmentation.random_crop import RandomCrop
from augmentation.random_erasing import RandomErasing
from augmentation.random_flip import RandomFlip
from augmentation.random_hue import RandomHue
from augmentation.random_rot90 import RandomRot90
from augmentation.synonyms import (
    SynonymSourceUnavailable,
    synonym_table,
    wordnet_synonyms,
)
from augmentation.text_eda import EDA, eda

__all__ = [
    "AugmentationPipeline",
    "CutMix",
    "DEFAULT_OPS",
    "EDA",
    "GaussianBlur",
    "ImageAugmentation",
    "KERAS_CV_OPS",
    "MixUp",
    "PRESETS",
    "RandAugment",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomErasing",
    "RandomFlip",
    "RandomHue",
    "RandomRot90",
    "SynonymSourceUnavailable",
    "eda",
    "make_pipeline",
    "make_randaugment",
    "synonym_table",
    "to_float_images",
    "wordnet_synonyms",
]


def __getattr__(name):
    # `augmentation.layers` without importing it, as before the ops became layers (one release).
    if name == "layers":
        import importlib

        return importlib.import_module("augmentation.layers")
    raise AttributeError(f"module 'augmentation' has no attribute {name!r}")
