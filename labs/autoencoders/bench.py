"""The autoencoders lab's bookkeeping: each model trained through `experiment.fit`, its entry in
`metrics.json["models"]`, and its reconstructions for the figure."""

from models.autoencoders import mean_squared_error


class Bench:
    """The models trained so far, their metrics.json entries and rows of reconstructions."""

    def __init__(self, experiment, validation):
        self.experiment, self.validation = experiment, validation
        self.models = experiment.results["models"] = {}  # name -> metrics.json entry
        self.trained, self.shown = {}, {}  # name -> model; plot row label -> reconstructions

    def fit(self, name, build, x, epochs=None, val=None):
        """Trains `build()` to reproduce `x` through `experiment.fit`; returns the model."""
        config = self.experiment.config
        val = self.validation if val is None else val
        result = self.experiment.fit(
            name,
            build,
            x,
            y=x,
            epochs=epochs or config.epochs,
            validation=(val, val),
            batch_size=config.batch_size,
        )
        self.trained[name] = result.model
        self.models[name] = {
            "params": result.model.count_params(),
            "epochs": result.epochs,
            "train_seconds": result.train_seconds,
        }
        return result.model

    def score(self, name, label, targets, reconstructions, pca):
        """Test MSE of the model and of `pca`; the reconstructions become a row of the figure."""
        self.models[name].update(
            test_mse=mean_squared_error(targets, reconstructions),
            pca_test_mse=mean_squared_error(targets, pca.reconstruct(targets)),
        )
        self.shown[f"{label}\nMSE {self.models[name]['test_mse']:.4f}"] = reconstructions
