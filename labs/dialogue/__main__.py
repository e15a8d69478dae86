from labs import kit
from labs.dialogue import LAB

kit.main(LAB)
