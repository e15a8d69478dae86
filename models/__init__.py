"""Keras model builders of the Day-3 labs; `models.reference` holds the numpy references.

Importing the package registers every custom layer, model and loss of the labs with Keras, under
the package name `"day3"` (`"day3>Reverse"`, `"day3>VectorQuantizer"`, ...), so that a saved
`.keras` file loads in any process, from any directory, once this project is installed
(`pip install -e .`, which `make setup` does):

    import keras
    import models  # noqa: F401  (registers the labs' custom objects)

    model = keras.saving.load_model("runs/attention/models/luong.keras")

Keras 3 imports a saved class by itself only from the keras packages; for any other class it
looks in its registry, which is filled when the module defining the class is imported. Models
made of Keras layers only (`labs.seq2seq`'s) load with no import at all.

It also imports `augmentation`, whose ops are Keras layers, so a model that holds one loads
after the same import. Importing `models` (or any `models.*`,
`models.reference` included) therefore imports Keras and TensorFlow.
"""

PACKAGE = "day3"  # the `package` of every `keras.saving.register_keras_serializable` here

# Every module that registers a Keras object; tests/test_saved_models.py checks the list is whole.
from models import (  # noqa: E402, F401, I001  (imported for their registrations)
    attention_seq2seq,
    audio_layers,
    autoencoders,
    dialogue,
    gradient_norm,
    language_model,
    pixel_cnn,
    vae,
    vq_vae,
    word2vec,
)

# The augmentation package's ops, Keras layers registered as "day3>RandomFlip", ..., so that a
# model holding them loads after the same one import.
import augmentation  # noqa: E402, F401, I001
