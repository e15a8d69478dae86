"""The dialogue lab: generated dialogues -> seq2seq, HRED, VHRED -> perplexities against the two
optima, greedy replies per context -> Switchboard's backchannel share.

Writes metrics.json, history.csv, assets.json (the vocabulary, for `reply`), models/<model>.keras,
perplexity.png, replies.png and kl.png.
"""

import time

import numpy as np

from labs.data import dialogue as task
from labs.data.switchboard import backchannel_share, load_switchboard_turns
from labs.dialogue import figures
from models import dialogue as dm


def model_config(config, tokenizer, seed, decay_steps):
    """The builders' `DialogueModelConfig` from the lab's config."""
    return dm.DialogueModelConfig(
        vocabulary_size=len(tokenizer),
        turns=task.TURNS,
        embedding_dim=config.embedding_dim,
        units=config.units,
        latent_dim=config.latent_dim,
        word_drop=config.word_drop,
        learning_rate=config.learning_rate,
        decay_steps=decay_steps,
        seed=seed,
    )


def train(experiment, name, data, tokenizer):
    """Trains (or, after a restart, reuses) one model; returns the kit's `FitResult`."""
    config, seed = experiment.config, experiment.context.seed
    latent = name == "vhred"
    steps_per_epoch = -(-len(data["train"]) // config.batch_size)
    callbacks = [dm.KLAnnealing(config.kl_anneal_epochs * steps_per_epoch)] if latent else []
    epochs = config.epochs_of(name)
    decay_steps = epochs * steps_per_epoch if config.cosine_decay else 0
    return experiment.fit(
        name,
        lambda: dm.BUILDERS[name](model_config(config, tokenizer, seed, decay_steps)),
        dm.model_inputs(data["train"], latent),
        y=data["train"].targets,
        validation=(dm.model_inputs(data["valid"], latent), data["valid"].targets),
        epochs=epochs,
        batch_size=config.batch_size,
        callbacks=callbacks,
        hint=f"lower --learning-rate (now {config.learning_rate:g})",
    )


def sampled_replies(model, context_ids, samples, seed, tokenizer):
    """`(contexts, samples)` greedy reply texts; VHRED draws a new z from its prior for each."""
    columns = []
    for sample in range(samples):
        latent = dm.is_latent(model)
        if not latent and columns:  # greedy words and no z: every sample is the first
            columns.append(columns[0])
            continue
        z = dm.sample_prior(model, context_ids, seed=[seed, sample]) if latent else None
        generated = dm.greedy_replies(model, context_ids, z, max_length=task.REPLY_LENGTH)
        columns.append([tokenizer.decode(ids) for ids in generated])
    return np.array(columns, dtype=object).T


def evaluate(model, name, data, optima, experiment, tokenizer):
    """The model's metrics (`ModelMetrics`), its replies to every context and VHRED's ELBO."""
    config, seed = experiment.config, experiment.context.seed
    likelihoods = dm.reply_log_likelihoods(
        model, data["test"], samples=config.importance_samples, seed=seed
    )
    contexts, topics = task.all_contexts()
    context_ids = task.encode_contexts(contexts, tokenizer)
    replies = sampled_replies(model, context_ids, config.reply_samples, seed, tokenizer)
    metrics = {
        "perplexity": dm.perplexity(likelihoods["log_likelihood"], data["test"]),
        "optimum_perplexity": optima["last_utterance" if name == "seq2seq" else "context"],
        **task.reply_scores(replies, topics),
    }
    elbo = None
    if "kl" in likelihoods:
        metrics["kl_nats"] = float(np.mean(likelihoods["kl"]))
        elbo = dm.perplexity(likelihoods["elbo"], data["test"])
    return metrics, replies, elbo


def run(experiment):
    config, context = experiment.config, experiment.context
    started = time.perf_counter()
    # Real data first, so that a missing corpus stops the run before any training.
    turns = load_switchboard_turns(context.manual_dir)
    share = backchannel_share(turns, config.backchannel_turns)

    tokenizer = task.Tokenizer()
    sizes = {
        "train": config.train_dialogues,
        "valid": config.valid_dialogues,
        "test": config.test_dialogues,
    }
    data = {
        split: task.generate_dialogues(count, seed=[context.seed, index], tokenizer=tokenizer)
        for index, (split, count) in enumerate(sizes.items())
    }
    optima = {
        sees: task.optimum_perplexity(data["test"], sees) for sees in ("context", "last_utterance")
    }
    experiment.assets["vocabulary"] = tokenizer.words

    results, train_seconds, replies, elbo = {}, {}, {}, None
    evaluate_seconds = 0.0
    for name in config.models:
        result = train(experiment, name, data, tokenizer)
        train_seconds[name] = result.train_seconds
        begin = time.perf_counter()
        results[name], replies[name], vhred_elbo = evaluate(
            result.model, name, data, optima, experiment, tokenizer
        )
        elbo = vhred_elbo if vhred_elbo is not None else elbo
        evaluate_seconds += time.perf_counter() - begin
        shown = {key: value for key, value in results[name].items() if value is not None}
        print(f"{name}: " + ", ".join(f"{key} {value:.4g}" for key, value in shown.items()))
    print(f"Switchboard: the {config.backchannel_turns} most common turns are {share:.1%} of all")

    experiment.results["models"] = results
    experiment.results["switchboard"] = {"backchannel_share": share}
    if experiment.plots:
        contexts, topics = task.all_contexts()
        experiment.save_figure(figures.perplexities(results, optima, elbo), "perplexity.png")
        experiment.save_figure(figures.reply_table(contexts, topics, replies), "replies.png")
        if "vhred" in experiment.histories:
            experiment.save_figure(figures.kl_curve(experiment.histories["vhred"]), "kl.png")
    experiment.results["timings"] = {
        "train_seconds": train_seconds,
        "evaluate_seconds": round(evaluate_seconds, 2),
        "total_seconds": round(time.perf_counter() - started, 2),
    }
