"""The spoken-digit lab: FSDD splits -> each model trained and scored -> their vote -> the best
model saved -> (course preset) the clipping study -> figures."""

import dataclasses
import json

from labs.bidirectional import figures
from labs.bidirectional.clipping_study import clipping_study
from labs.bidirectional.train import ensemble, summarise, train_and_evaluate, vote
from labs.data.spoken_digit import SAMPLE_RATE, load_spoken_digit
from labs.kit.outputs import plain


def load_splits(experiment, split, fold):
    """The `DigitSplits` of `split` (holding `fold` out for the speaker split), cut to the
    config's `clips` under `--quick`."""
    config, context = experiment.config, experiment.context
    splits = load_spoken_digit(
        split, speaker=fold or "theo", manual_dir=context.manual_dir, data_dir=context.data_dir
    )
    if config.clips:
        splits = dataclasses.replace(
            splits,
            **{part: getattr(splits, part).take(size) for part, size in config.clips.items()},
        )
    return splits


def label(name, fold):
    """A model's name in files and tables: `gru`, or `gru_theo` in the fold holding theo out."""
    return name if fold is None else f"{name}_{fold}"


def run(experiment):
    """Trains and scores every chosen model on every fold, then their vote, the best model and
    (course preset) the clipping study; draws the figures."""
    config = experiment.config
    folds, results = config.folds, experiment.results
    results.update(split=config.split, models={})

    runs = {}  # (model name, held-out speaker or None) -> TrainedModel
    for fold in folds:
        splits = load_splits(experiment, config.split, fold)
        if fold == folds[0]:
            examples = splits.train  # digits.png shows the first fold's training clips
        for name in config.models:
            runs[(name, fold)] = trained = train_and_evaluate(
                experiment, label(name, fold), name, splits
            )
            results["models"][label(name, fold)] = trained.metrics  # kept if a later one diverges
    results["models"] = summarise(runs, config.models, folds)

    candidates = dict(results["models"])
    if len(config.voters) > 1:  # the vote: one saved model averaging its members' probabilities
        for fold in folds:
            runs[("ensemble", fold)] = trained = vote(runs, config.voters, fold)
            experiment.save_model(label("ensemble", fold), trained.model)
        results["ensemble"] = candidates["ensemble"] = ensemble(runs, config.voters, folds)

    # Chosen on validation accuracy, the test split only reports; a tie goes to the vote, which
    # does better on voices none of its models has heard.
    best = max(candidates, key=lambda name: (candidates[name]["val_accuracy"], name == "ensemble"))
    results["best"] = {
        "name": best,
        **{key: candidates[best][key] for key in ("val_accuracy", "test_accuracy")},
    }
    if folds == [None]:
        results["best"]["path"] = str(experiment.save_model("best", runs[(best, None)].model))
        if "ensemble" in results:
            results["ensemble"]["path"] = str(experiment.model_path("ensemble"))
    else:  # no single model: each fold's has its own held-out speaker
        results["best"]["folds"] = {
            fold: str(experiment.model_path(label(best, fold))) for fold in folds
        }
    # What `predict` needs to use the saved models again.
    experiment.assets.update(sample_rate=SAMPLE_RATE, best=best)

    study_steps = None
    if config.clipping_study:
        course = splits if config.split == "course" else load_splits(experiment, "course", None)
        results["clipping_study"], study_steps = clipping_study(experiment, course)
        steps_json = json.dumps(plain(study_steps), indent=2, allow_nan=False)
        experiment.write_file("clipping_study_steps.json", steps_json + "\n")

    if experiment.plots:
        best_runs = {fold: runs[(best, fold)] for fold in folds}
        figures.save_figures(experiment, best_runs, examples, study_steps)
    figures.print_table(experiment.metrics)
