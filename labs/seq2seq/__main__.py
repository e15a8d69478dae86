from labs import kit
from labs.seq2seq import LAB

kit.main(LAB)
