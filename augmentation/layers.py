"""Deprecated alias: the image ops and the pipeline are Keras layers themselves now.

`augmentation.layers.RandAugment` is `augmentation.RandAugment` (the same class), and so on for
every op and `AugmentationPipeline`; import them from `augmentation`. This module is kept for one
release so that old imports keep working. Models saved with the old layers (registered as
`day3>RandAugment`, ...) load with the new classes, which carry the same registered names.
"""

import warnings

from augmentation.base import PACKAGE
from augmentation.cut_mix import CutMix
from augmentation.gaussian_blur import GaussianBlur
from augmentation.mix_up import MixUp
from augmentation.pipeline import AugmentationPipeline
from augmentation.rand_augment import RandAugment
from augmentation.random_brightness import RandomBrightness
from augmentation.random_contrast import RandomContrast
from augmentation.random_crop import RandomCrop
from augmentation.random_erasing import RandomErasing
from augmentation.random_flip import RandomFlip
from augmentation.random_hue import RandomHue
from augmentation.random_rot90 import RandomRot90

warnings.warn(
    "augmentation.layers is deprecated: the ops are Keras layers themselves, "
    "use augmentation.RandAugment, augmentation.AugmentationPipeline, ...",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "PACKAGE",
    "AugmentationPipeline",
    "CutMix",
    "GaussianBlur",
    "MixUp",
    "RandAugment",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomErasing",
    "RandomFlip",
    "RandomHue",
    "RandomRot90",
]
