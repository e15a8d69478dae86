"""Spoken digits with RNNs: the course's bidirectional-RNN lab, a 99 % modern preset, gradient
clipping.

What you will learn:
- how Conv1D, SimpleRNN, GRU and a bidirectional LSTM compare on the same audio, on the course's raw
  samples and on log-mel features computed inside the model;
- why models that read a clip differently (log-mel, PCEN, the spoken part stretched to a fixed
  length) vote better together than any of them alone on an unheard voice;
- why features, normalisation and augmentation matter more than the recurrent cell;
- what gradient clipping (`clipvalue`, `clipnorm`, `global_clipnorm`) does to the real gradient
  norm;
- how a model does on voices it has never heard (leave-one-speaker-out).

It reproduces the course notebook `3_4_spoken_digit` (`--preset course`: five models on the first
1,000 raw samples of each clip, batch 8, one epoch) and goes beyond it (`--preset modern`, the
default).

Commands:
    python -m labs.bidirectional                       # modern preset: 6 models + a vote of 4
    python -m labs.bidirectional --preset course       # the notebook, then the clipping study
    python -m labs.bidirectional --split speaker --models conv1d   # 5 unseen-voice folds
    python -m labs.bidirectional --preset course --clipnorm 1.0   # clip every model's gradients
    python -m labs.bidirectional predict digit.wav     # with runs/bidirectional/models/best.keras
    python -m labs.bidirectional predict --model A.keras --model B.keras digit.wav  # A, B vote
    python -m labs.bidirectional --strategy mirrored   # data-parallel over every GPU

Offline, add `--manual-dir DIR` (or set LABS_MANUAL_DIR) with DIR holding the FSDD archive.

Interrupted (Ctrl-C, SIGTERM), the same command continues: models already trained are reused
and the interrupted one resumes from its last finished epoch (backup in <output-dir>/backup/,
deleted when the run completes; early stopping's patience counts again from the restart, and the
clipping study runs again). A loss that becomes NaN or inf stops the run with exit
status 1 and a hint (`--learning-rate`, `--clipnorm`); metrics.json then holds the finished
models and `"diverged": {"run", "message"}`. `--strategy mirrored` trains the models (not the
clipping study, which logs one device's gradient norms) on every GPU, --batch-size being global.

Outputs in `--output-dir` (default runs/bidirectional): `metrics.json`, `history.csv`,
`models/<name>.keras`, `models/ensemble.keras` (conv1d, gru, conv1d_pcen and conv1d_rate voting,
with `--models` the chosen models: one Keras model averaging their probabilities) and
`models/best.keras` (the best by validation accuracy of the single models and the vote, a tie
going to the vote), and the plots `training_accuracy.png`, `training_loss.png`, `comparison.png`,
`confusion_matrix.png`, `digits.png` (a waveform and its log-mel spectrogram per digit) and, for the
course preset, `gradient_norms.png` and `clipping_loss.png`. On `--split speaker` every fold saves
its own (`models/gru_theo.keras`, `models/ensemble_theo.keras`, ...) and there is no best.keras.

Every saved model takes a waveform of any length (cut or zero-padded to the length it was trained
on) and loads in any process once the package's custom layers are registered:
`import models; keras.saving.load_model("runs/bidirectional/models/best.keras")`.

metrics.json (after the envelope "lab", "preset", "seed", "quick", "config", "versions"):
    {"split": str,
     "models": {name: {"params": int,
                       "epochs": int,            # --split speaker: the mean over the folds
                       "epoch_seconds": float,
                       "val_accuracy": float, "test_accuracy": float,  # speaker: fold means
                       "clipping": {"clipvalue" | "clipnorm" | "global_clipnorm": float} | null,
                       "folds": {speaker: test_accuracy}   # speaker split only
                      }},
     "best": {"name": str,                       # a model's name or "ensemble"
              "val_accuracy": float, "test_accuracy": float,  # chosen on validation
              "path": str,                       # models/best.keras (official and course splits)
              "folds": {speaker: str}},          # speaker split: each fold's model instead
     "ensemble": {"models": [str], "params": int,                  # two or more models: their
                  "val_accuracy": float, "test_accuracy": float,   # probabilities averaged
                  "path": str,                                     # models/ensemble.keras
                  "folds": {speaker: test_accuracy}},              # speaker split instead of path
     "clipping_study": {                                           # course preset only
         "steps": int, "runs": {label: {"clipping": {...} | null, "final_loss": float,
                                        "val_accuracy": float, "gradient_norm": {"median": float,
                                        "max": float, "steps_above_1": int,
                                        "nonfinite_steps": int}}}},
     "diverged": {"run": str, "message": str}}                     # only when a loss became NaN
"""
