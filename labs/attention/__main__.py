from labs import kit
from labs.attention import LAB

kit.main(LAB)
