"""The clipping study: the course LSTM trained three ways from the same initial weights, logging
every step's global gradient norm before clipping."""

import keras
import numpy as np

from labs.bidirectional.train import batches
from models.gradient_norm import GradientNormModel, StepLogger
from models.spoken_digit import build_course_model

CLIPPING_STUDY = {
    "no clipping": None,
    "clipvalue 0.5": {"clipvalue": 0.5},
    "clipnorm 1.0": {"clipnorm": 1.0},
}
QUICK_STUDY_STEPS = 4  # training steps per run under --quick
PREFIX = "study_"  # the study's runs in history.csv: study_no_clipping, study_clipvalue_0.5, ...


def run_name(label):
    """The study run's name in history.csv and the backup: `study_clipnorm_1.0`."""
    return PREFIX + label.replace(" ", "_")


def clipping_study(experiment, splits):
    """Trains the course LSTM(64) without clipping, with `clipvalue=0.5` and with `clipnorm=1.0`,
    each through `experiment.fit` (backup, divergence guard, history.csv; not saved as a model).

    Every run starts from the same initial weights: `experiment.fit` seeds before each build.
    The study always trains on one device, whose gradient norms it logs (not `--strategy`).

    Args:
        experiment: the run's `Experiment`; its config gives the batch size, learning rate
            and epochs (the course preset's).
        splits: the course split of `load_spoken_digit`.

    Returns:
        `(summary, per_step)`: the summary for metrics.json and `{label: {"step_loss": [...],
        "gradient_norm": [...]}}`.
    """
    print("\n== clipping study: course LSTM(64), raw samples ==")
    course = experiment.config
    train, validation, _ = batches(splits, course, experiment.context.seed)
    if experiment.context.quick:
        train = train.take(QUICK_STUDY_STEPS)
    strategy, experiment.strategy = experiment.strategy, "default"
    try:
        runs, per_step = {}, {}
        for label, clipping in CLIPPING_STUDY.items():
            logger = StepLogger()
            result = experiment.fit(
                run_name(label),
                lambda clipping=clipping: _build(course.learning_rate, clipping),
                train,
                epochs=course.epochs,
                callbacks=[logger],
                save=False,
                shuffle=False,
                hint="the clipping study trains the course LSTM as the notebook does",
            )
            _, val_accuracy = result.model.evaluate(validation, verbose=0)
            per_step[label] = logger.values
            runs[label] = _summary(clipping, logger.values, val_accuracy)
    finally:
        experiment.strategy = strategy
    steps = len(next(iter(per_step.values()))["gradient_norm"])
    return {"steps": steps, "runs": runs}, per_step


def _build(learning_rate, clipping):
    course_lstm = build_course_model("lstm_clip")
    model = GradientNormModel(course_lstm.inputs, course_lstm.outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, **(clipping or {})),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _summary(clipping, values, val_accuracy):
    norms = np.array(values["gradient_norm"])
    finite = norms[np.isfinite(norms)]
    return {
        "clipping": clipping,
        "final_loss": values["step_loss"][-1],
        "val_accuracy": float(val_accuracy),
        "gradient_norm": {
            "median": float(np.median(finite)) if finite.size else float("nan"),
            "max": float(finite.max()) if finite.size else float("nan"),
            "steps_above_1": int((finite > 1.0).sum()),
            "nonfinite_steps": int(norms.size - finite.size),
        },
    }
