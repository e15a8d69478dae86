from labs import kit
from labs.bidirectional import LAB

kit.main(LAB)
