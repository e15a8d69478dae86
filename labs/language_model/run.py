"""The language-model lab: PTB -> token streams -> stateful LSTM -> exact perplexities."""

import numpy as np

from labs.data.ptb import load_ptb
from labs.data.token_stream import stream_batches
from labs.language_model import PUBLISHED_SMALL_TEST_PERPLEXITY, figures, text
from labs.language_model.training import StepRecord, build
from models.language_model import (
    ExactPerplexity,
    ResetStates,
    evaluate_perplexity,
    for_inference,
    next_word_probabilities,
)


def _gradient_norm_summary(norms, clip_norm):
    if not norms.size:
        return {"steps": 0, "median": None, "max": None, "clipped_fraction": None}
    return {
        "steps": int(norms.size),
        "median": float(np.median(norms)),
        "max": float(norms.max()),
        "clipped_fraction": float(np.mean(norms > clip_norm)),
    }


def _norms_csv(norms):
    return "step,gradient_norm\n" + "".join(f"{i + 1},{n:.6g}\n" for i, n in enumerate(norms))


def run(experiment):
    """Trains the preset's model on PTB, scores it, and writes what it predicts after the prompt."""
    config, name = experiment.config, experiment.context.preset
    ptb = load_ptb(manual_dir=experiment.context.manual_dir)
    experiment.assets["vocabulary"] = list(ptb.vocabulary)  # what predict and generate read
    experiment.assets["model"] = name

    # Data: the training text as `batch_size` parallel streams; valid and test padded so that
    # every token is scored; the train perplexity on a prefix of the training text.
    cut = slice(0, config.max_tokens or None)
    batch, unroll = config.batch_size, config.unroll
    train = stream_batches(ptb.train[cut], batch, unroll)
    evaluation = {
        part: stream_batches(getattr(ptb, part)[cut], batch, unroll, pad=True)
        for part in ("valid", "test")
    }
    train_slice = stream_batches(ptb.train[: config.train_eval_tokens], batch, unroll, pad=True)

    # Build and fit: state reset each epoch; the exact train perplexity goes into each epoch's
    # logs, every step's gradient norm beside the backup (a resumed run has them all; the kit
    # restores the dropout and candidate-sampler streams, so it draws what an unbroken run draws).
    norms = StepRecord(experiment.resume.root / name / "gradient_norm.json")
    result = experiment.fit(
        name,
        lambda: build(config, len(ptb.vocabulary), train.steps, ptb.train[cut]),
        train.dataset(),
        epochs=config.epochs,
        validation=evaluation["valid"].dataset(with_weights=True),
        callbacks=[
            ResetStates(),
            ExactPerplexity(train_slice.dataset(with_weights=True)),
            norms,
        ],
        hint="lower --learning-rate or the preset's clip_norm",
        shuffle=False,
    )
    model, history = result.model, result.history

    # Evaluate: the exact full-softmax perplexity of valid and test (bfloat16 presets: again
    # with the same weights multiplying in float32).
    final = {
        part: evaluate_perplexity(model, batches.dataset(with_weights=True))
        for part, batches in evaluation.items()
    }
    if config.precision != "float32":
        exact = for_inference(model, batch, precision="float32")
        exact.compile()  # evaluate needs it; no training
        final["float32"] = {
            part: evaluate_perplexity(exact, b.dataset(with_weights=True))
            for part, b in evaluation.items()
        }
    gradient_norms = np.array(norms.values)
    experiment.results["tokens"] = {
        "train": train.tokens,
        **{part: batches.tokens for part, batches in evaluation.items()},
    }
    experiment.results["model"] = {
        "params": model.count_params(),
        "epochs": result.epochs,
        "train_seconds": result.train_seconds,
        "epoch_seconds": result.epoch_seconds,
        "valid_perplexity": final["valid"],
        "test_perplexity": final["test"],
        "float32_perplexity": final.get("float32"),
        "train_perplexity": history["perplexity"],
        "valid_perplexity_per_epoch": history["val_perplexity"],
        "gradient_norm": _gradient_norm_summary(gradient_norms, config.clip_norm),
    }
    experiment.results["published_small_test_perplexity"] = PUBLISHED_SMALL_TEST_PERPLEXITY
    experiment.write_file("gradient_norm.csv", _norms_csv(gradient_norms))

    # What the model believes comes next after the prompt (the course's predict_word).
    words, ids = text.encode(config.prompt, ptb.vocabulary)
    probabilities = next_word_probabilities(for_inference(model), ids)
    order = text.ranked(probabilities)
    experiment.write_file("next_word.txt", text.distribution(ptb.vocabulary, probabilities, order))
    experiment.results["next_word"] = {
        "prompt": " ".join(words),
        "top": text.top(ptb.vocabulary, probabilities, order),
    }
    if experiment.plots:
        experiment.save_figure(figures.plot_perplexity({name: history}), "perplexity.png")
        experiment.save_figure(
            figures.plot_norms(gradient_norms, config.clip_norm, name), "gradient_norm.png"
        )
        experiment.save_figure(
            figures.plot_top(ptb.vocabulary, probabilities, order, words), "next_word.png"
        )
    print(
        f"\n{name}: valid perplexity {final['valid']:.1f}, test perplexity {final['test']:.1f} "
        f"(published small: {PUBLISHED_SMALL_TEST_PERPLEXITY})"
    )
