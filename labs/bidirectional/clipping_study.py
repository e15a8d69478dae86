"""The clipping study: the course LSTM trained three ways from the same initial weights, logging
every step's global gradient norm before clipping."""

import keras
import numpy as np

from labs import kit
from labs.bidirectional.train import batches
from models.gradient_norm import GradientNormModel, StepLogger
from models.spoken_digit import build_course_model

CLIPPING_STUDY = {
    "no clipping": None,
    "clipvalue 0.5": {"clipvalue": 0.5},
    "clipnorm 1.0": {"clipnorm": 1.0},
}
QUICK_STUDY_STEPS = 4  # training steps per run under --quick


def clipping_study(course, splits, *, seed, quick=False):
    """Trains the course LSTM(64) without clipping, with `clipvalue=0.5` and with `clipnorm=1.0`.

    Args:
        course: the course preset (batch size, learning rate, epochs).
        splits: the course split of `load_spoken_digit`.
        seed: the seed of the shared initial weights.
        quick: train `QUICK_STUDY_STEPS` steps only.

    Returns:
        `(summary, per_step)`: the summary for metrics.json and `{label: {"step_loss": [...],
        "gradient_norm": [...]}}`.
    """
    print("\n== clipping study: course LSTM(64), raw samples ==")
    train, validation, _ = batches(splits, course, seed)
    if quick:
        train = train.take(QUICK_STUDY_STEPS)
    kit.seed_everything(seed)
    initial_weights = build_course_model("lstm_clip").get_weights()
    runs, per_step = {}, {}
    for label, clipping in CLIPPING_STUDY.items():
        print(f"-- {label}")
        course_lstm = build_course_model("lstm_clip")
        model = GradientNormModel(course_lstm.inputs, course_lstm.outputs)
        model.set_weights(initial_weights)
        model.compile(
            optimizer=keras.optimizers.Adam(course.learning_rate, **(clipping or {})),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        logger = StepLogger()
        model.fit(
            train,
            epochs=course.epochs,
            callbacks=[logger],
            shuffle=False,
            verbose=kit.fit_verbosity(),
        )
        _, val_accuracy = model.evaluate(validation, verbose=0)
        per_step[label] = logger.values
        norms = np.array(logger.values["gradient_norm"])
        finite = norms[np.isfinite(norms)]
        runs[label] = {
            "clipping": clipping,
            "final_loss": logger.values["step_loss"][-1],
            "val_accuracy": float(val_accuracy),
            "gradient_norm": {
                "median": float(np.median(finite)) if finite.size else float("nan"),
                "max": float(finite.max()) if finite.size else float("nan"),
                "steps_above_1": int((finite > 1.0).sum()),
                "nonfinite_steps": int(norms.size - finite.size),
            },
        }
    steps = len(next(iter(per_step.values()))["gradient_norm"])
    return {"steps": steps, "runs": runs}, per_step
