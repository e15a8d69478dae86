from labs import kit
from labs.language_model import LAB

kit.main(LAB)
