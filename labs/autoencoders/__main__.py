from labs import kit
from labs.autoencoders import LAB

kit.main(LAB)
