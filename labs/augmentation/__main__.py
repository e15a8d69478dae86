from labs import kit
from labs.augmentation import LAB

kit.main(LAB)
