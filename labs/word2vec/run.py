"""The word2vec lab: PTB -> ours (Keras), PPMI/SVD and gensim on the same tokens -> one scoring."""

from labs.data.ptb import load_ptb
from labs.kit import report
from labs.word2vec import embeddings, figures, training
from models import word2vec


def run(experiment):
    """Trains our word2vec, the count-based baseline and gensim's; scores, exports, plots them."""
    config, seed = experiment.config, experiment.context.seed
    corpus = embeddings.corpus(
        load_ptb(manual_dir=experiment.context.manual_dir), config.max_tokens
    )
    experiment.results.update(
        tokens=len(corpus.tokens), vocabulary=len(corpus.words), embeddings={}
    )
    experiment.assets.update(model=config.model, embeddings=[])  # what similar / analogy read

    def record(name, vectors, seconds, passes=config.epochs):
        """Scores one embedding and exports it under embeddings/ (Projector TSVs, word2vec text)."""
        keyed, scores = embeddings.score(corpus, vectors)
        word2vec.export(keyed, experiment.out / "embeddings", name)
        experiment.assets["embeddings"].append(name)
        experiment.results["embeddings"][name] = {
            **scores,
            "train_seconds": round(seconds, 2),
            "words_per_s": round(len(corpus.tokens) * passes / seconds),
        }
        return keyed

    # 1. Our word2vec, trained by Keras on the tf.data pipeline.
    data = embeddings.pipeline(config, corpus, config.model, seed)
    network = embeddings.network(config, corpus, data, config.epochs)
    result = experiment.fit(
        config.model,
        lambda: embeddings.build(config.model, network),
        data.dataset(),
        epochs=config.epochs,
        callbacks=[training.DrawEpoch(data)],
        hint=f"lower --learning-rate (now {config.learning_rate:g})",
    )
    ours = record(config.model, word2vec.word_vectors(result.model), result.train_seconds)

    # 2. The count-based baseline: co-occurrence -> PPMI -> truncated SVD.
    if config.ppmi_svd:
        record("ppmi_svd", *embeddings.count_based(config, corpus, seed), passes=1)

    # 3. The anchor: gensim's Word2Vec, same algorithm and settings, on the same tokens.
    record("gensim", *embeddings.anchor(config, corpus, seed))

    # `tensorboard --logdir <output-dir>/embeddings` shows every embedding in the Projector.
    report.write_projector_config(experiment.out / "embeddings", experiment.assets["embeddings"])
    scored = experiment.results["embeddings"]
    speed = {
        "ours_words_per_s": scored[config.model]["words_per_s"],
        "gensim_words_per_s": scored["gensim"]["words_per_s"],
    }
    experiment.results["speed"] = {
        **speed,
        "ratio": round(speed["ours_words_per_s"] / speed["gensim_words_per_s"], 3),
    }

    # 4. Why negative sampling: a CBOW epoch with a full softmax vs with 5 negatives.
    if config.softmax_tokens:
        cbow = embeddings.pipeline(
            config, corpus, "cbow", seed, ids=corpus.tokens[: config.softmax_tokens]
        )
        experiment.results["softmax_vs_negative_sampling"] = training.softmax_vs_negative_sampling(
            experiment, config, corpus, cbow
        )

    if experiment.plots:
        name = config.model
        history = experiment.histories[name]
        experiment.save_figure(figures.plot_loss(name, history, config.optimizer), "loss.png")
        experiment.save_figure(figures.plot_pca(name, ours), f"pca_{name}.png")
        experiment.save_figure(figures.plot_similarity(name, ours), f"similarity_{name}.png")
        experiment.save_figure(figures.plot_analogies(name, ours), f"analogies_{name}.png")
