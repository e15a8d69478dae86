"""What the lab adds to `experiment.fit`: the pipeline's epoch follows Keras's (so a resumed run
draws the examples the uninterrupted one draws), and the softmax-vs-negative-sampling timing."""

import time

import keras
import tensorflow as tf

from labs.word2vec import embeddings


class DrawEpoch(keras.callbacks.Callback):
    """Makes `data` (a `Word2VecData`) draw epoch `e`'s examples when Keras starts epoch `e`,
    also when a run resumed from its backup starts at a later epoch than 0."""

    def __init__(self, data):
        super().__init__()
        self.data = data

    def on_epoch_begin(self, epoch, logs=None):
        self.data.epochs_drawn = epoch


class EpochSeconds(keras.callbacks.Callback):
    """Each epoch's wall time, so that the first one (which compiles) can be left out.

    TRANSITIONAL: `kit.FitResult` has the mean epoch time only (the compiling epoch included).
    """

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def softmax_vs_negative_sampling(experiment, config, corpus, data):
    """Seconds of the second epoch (the first compiles) of a CBOW with a full softmax and of one
    with negative sampling, on the same batches of `data` (a CBOW `Word2VecData`)."""
    network = embeddings.network(config, corpus, data, 2)
    batches = data.dataset()
    as_labels = batches.map(  # softmax: y = the centre word's id
        lambda inputs, labels: ({"context": inputs["context"]}, inputs["target"])
    )
    seconds = {}
    for name, model, train, loss in (
        ("softmax_cbow", "softmax_cbow", as_labels, "softmax"),
        ("negative_sampling_cbow", "cbow", batches, "negative_sampling"),
    ):
        timer = EpochSeconds()
        experiment.fit(
            name,
            lambda m=model, kind=loss: embeddings.build(m, network, kind),
            train.prefetch(tf.data.AUTOTUNE),
            epochs=2,
            save=False,
            callbacks=[DrawEpoch(data), timer],
        )
        seconds[name] = timer.seconds[-1]
    return {
        "tokens": len(data.ids),
        "softmax_epoch_seconds": round(seconds["softmax_cbow"], 3),
        "negative_sampling_epoch_seconds": round(seconds["negative_sampling_cbow"], 3),
        "ratio": round(seconds["softmax_cbow"] / seconds["negative_sampling_cbow"], 1),
    }
