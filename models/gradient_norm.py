"""A functional model that reports the global gradient norm of every training step."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="day3")
class GradientNormModel(keras.Model):
    """`keras.Model` whose `train_step` also returns the step's loss and global gradient norm.

    The norm is taken over all trainable variables *before* the optimizer clips anything
    (`clipvalue`, `clipnorm` and `global_clipnorm` act inside `optimizer.apply`), so it shows the
    gradients the network really produced. Read them per step with `StepLogger`.

    Example:

    >>> inputs = keras.Input((3,))
    >>> model = GradientNormModel(inputs, keras.layers.Dense(1)(inputs))
    >>> model.compile("adam", "mse")
    >>> logger = StepLogger()
    >>> model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, callbacks=[logger], verbose=0)
    >>> len(logger.values["gradient_norm"])
    2
    """

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
            )
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        # The Keras 3 recipe for custom steps: the tracker named "loss" averages the loss.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight)
        return {
            **self.get_metrics_result(),
            "step_loss": loss,
            "gradient_norm": tf.linalg.global_norm(gradients),
        }


class StepLogger(keras.callbacks.Callback):
    """Collects per-step training values (by default `step_loss` and `gradient_norm`)."""

    def __init__(self, keys=("step_loss", "gradient_norm")):
        super().__init__()
        self.values = {key: [] for key in keys}

    def on_train_batch_end(self, batch, logs=None):
        for key, values in self.values.items():
            values.append(float(logs[key]))
