from labs import kit
from labs.activations import LAB

kit.main(LAB)
