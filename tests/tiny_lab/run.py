"""The tiny lab's run: data -> build -> fit -> results."""

import keras
import numpy as np

from labs import kit

UNITS = {"small": 1, "large": 4, "huge": 16}


def _data(config, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(config.examples, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True) + config.noise * rng.normal(size=(config.examples, 1))
    return x, y.astype("float32")


def run(experiment):
    config = experiment.config
    x, y = _data(config, experiment.context.seed)

    def build(name):
        def build_model():
            model = keras.Sequential(
                [keras.Input((3,)), keras.layers.Dense(UNITS[name]), keras.layers.Dense(1)]
            )
            model.compile(keras.optimizers.SGD(config.learning_rate), "mse")
            return model

        return build_model

    models = experiment.results["models"] = {}
    for name in config.models:
        result = experiment.fit(
            name,
            build(name),
            x,
            y=y,
            batch_size=config.batch_size,
            epochs=config.epochs,
            validation=(x[:8], y[:8]),
        )
        models[name] = {
            "final_loss": result.history["loss"][-1],
            "epochs": result.epochs,
            "train_seconds": result.train_seconds,
        }
    experiment.assets["inputs"] = 3
    if experiment.plots:
        figure = kit.plot_histories(experiment.histories, "loss", title="Loss")
        experiment.save_figure(figure, "loss.png")
