"""`predict`, `generate` and `compare` on finished runs of the language-model lab."""

import json
import pathlib

from labs import kit
from labs.kit.plotting import save_figure
from labs.language_model import figures, text
from models.language_model import (
    LanguageModel,
    for_inference,
    next_word_probabilities,
    sample_words,
)


def _model_and_vocabulary(context):
    """The run's model (a batch-1 copy for inference) and its vocabulary, from `--output-dir`."""
    saved = kit.load_run(context)
    if "vocabulary" not in saved.assets or "model" not in saved.assets:
        raise kit.LabError(f"{saved.out}/assets.json has no vocabulary: run the lab again")
    model = saved.model(saved.assets["model"])
    if not isinstance(model, LanguageModel):
        raise kit.LabError(f"{saved.out}: its model is not a LanguageModel")
    return for_inference(model), tuple(saved.assets["vocabulary"])


def predict(context, options):
    """Prints the most likely next words after the prompt; `--output` also writes every word's
    probability (and the top 20 as OUTPUT.png). The run's own files are left as they are."""
    model, vocabulary = _model_and_vocabulary(context)
    words, ids = text.encode(options.prompt, vocabulary)
    probabilities = next_word_probabilities(model, ids)
    order = text.ranked(probabilities)
    for index in order[: options.top_k]:
        print(text.line(vocabulary[index], probabilities[index]))
    if options.output is not None:
        output = options.output
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text.distribution(vocabulary, probabilities, order), encoding="utf-8")
            print(f"(all {len(vocabulary):,} words, most likely first, in {output})")
            if options.plots:
                figure = figures.plot_top(vocabulary, probabilities, order, words)
                print(f"bar chart of the top 20: {save_figure(figure, output.with_suffix('.png'))}")
        except OSError as error:
            raise kit.LabError(f"cannot write {output}: {error.strerror or error}") from None
    return {"prompt": words, "top": text.top(vocabulary, probabilities, order)}


def generate(context, options):
    """Prints the prompt continued by `--words` sampled words (`<eos>` as a line break)."""
    model, vocabulary = _model_and_vocabulary(context)
    words, ids = text.encode(options.prompt, vocabulary)
    sampled = sample_words(
        model,
        ids,
        words=options.words,
        temperature=options.temperature,
        top_k=options.top_k,
        seed=context.seed,
    )
    print(" ".join(words + [vocabulary[i] for i in sampled]).replace(" <eos> ", "\n"))
    return {"prompt": words, "generated": [vocabulary[i] for i in sampled]}


def _perplexities(where):
    """`(label, {"perplexity": [per epoch], "val_perplexity": [...]})` of a finished run: its
    output dir (read through `kit.load_run`, history.csv by the kit's reader) or a metrics.json
    file such as the committed results/language_model/*.json."""
    path = pathlib.Path(where)
    if path.is_dir():
        saved = kit.load_run(path, lab="language_model")
        preset = saved.metrics.get("preset")
        history = saved.history().get(preset)
        if not history or "val_perplexity" not in history:
            raise kit.LabError(f"{path}/history.csv has no perplexity of the run {preset!r}")
        label = f"{preset} ({path.resolve().name})"
        return label, {key: history.get(key, []) for key in ("perplexity", "val_perplexity")}
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise kit.LabError(
            f"cannot read {path} ({reason}): give the output dirs of finished runs or their "
            "metrics.json"
        ) from None
    lab = metrics.get("lab") if isinstance(metrics, dict) else None
    if lab != "language_model":
        raise kit.LabError(f"{path} is not a finished language_model run's (lab: {lab})")
    try:
        return f"{metrics['preset']} ({path.stem})", {
            "perplexity": metrics["model"]["train_perplexity"],
            "val_perplexity": metrics["model"]["valid_perplexity_per_epoch"],
        }
    except (KeyError, TypeError):
        raise kit.LabError(f"{path} is not a finished language_model run's") from None


def compare(context, options):
    """Draws the train and valid perplexity per epoch of finished runs on one figure."""
    histories = dict(_perplexities(run) for run in options.runs)
    output = options.output
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        print(f"wrote {save_figure(figures.plot_perplexity(histories), output)}")
    except OSError as error:
        raise kit.LabError(f"cannot write {output}: {error.strerror or error}") from None
    return histories
