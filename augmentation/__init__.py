"""Reusable, batched, seeded data augmentation for tf.data pipelines (and EDA for text).

Image ops work on `(B, H, W, C)` float32 batches in a declared value range (uint8 accepted),
sample their randomness separately from applying it, use stateless RNG, and augment nothing
when `training=False` (the images still come back as float32 in the value range):

    from augmentation import RandAugment, MixUp, make_pipeline
    pipeline = make_pipeline("strong", seed=0)           # or "course"
    train = pipeline.apply(train.batch(32))               # ready for model.fit

Keras layers of every image op and of the pipeline (for `keras.Sequential` and models):
`augmentation.layers.RandAugment(...)`, `augmentation.layers.AugmentationPipeline(preset=...)`.

Text: `eda(sentence, synonyms=...)` (Wei & Zou, 2019) with a pluggable synonym source.
"""

from augmentation import layers
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
    "layers",
    "make_pipeline",
    "make_randaugment",
    "synonym_table",
    "to_float_images",
    "wordnet_synonyms",
]
