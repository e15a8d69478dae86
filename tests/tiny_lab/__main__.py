from labs import kit
from tests.tiny_lab import LAB

kit.main(LAB)
