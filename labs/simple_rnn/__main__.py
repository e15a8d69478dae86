from labs import kit
from labs.simple_rnn import LAB

kit.main(LAB)
