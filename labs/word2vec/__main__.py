from labs import kit
from labs.word2vec import LAB

kit.main(LAB)
