"""word2vec on Penn Treebank: skip-gram and CBOW with negative sampling, beside PPMI/SVD and gensim.

What you will learn:
- the distributional hypothesis at work: words used alike get vectors alike (cos(monday,
  friday) is high), and offsets carry relations (man -> woman, take -> took, analogies by
  b - a + c);
- why negative sampling exists: a softmax over 10,000 words costs every output row per example,
  K + 1 sigmoid questions cost K + 1 rows (`softmax_vs_negative_sampling`, measured here);
- what word2vec does to the corpus (subsampling of frequent words, a dynamic window, unigram^0.75
  negatives: labs/data/skipgrams.py), and that the count-based route (co-occurrence -> PPMI ->
  truncated SVD) is a serious baseline;
- how to evaluate embeddings the way the field does: WordSim-353 Spearman and Google analogies
  through gensim's `KeyedVectors`, on the in-vocabulary items (coverage reported), next to
  `gensim.models.Word2Vec` trained on the same tokens in the same run.

Reproduces Section 6 (word embeddings, word2vec); `--preset course` is DLFS2 ch04's CBOW (window 5,
hidden 100, batch 100, 10 epochs, Adam, 5 negatives, fixed window, no subsampling).

Commands:
    python -m labs.word2vec --manual-dir ../shared/data    # skip-gram + PPMI/SVD + gensim
    python -m labs.word2vec --model cbow
    python -m labs.word2vec --preset course                 # DLFS2's CBOW (long: batch 100)
    python -m labs.word2vec --quick                         # tiny slice, every code path
    python -m labs.word2vec similar you year car toyota     # on the saved run
    python -m labs.word2vec analogy king man queen          # king : man :: queen : ?
    python -m benchmarks.word2vec --json                    # words/s and scores vs gensim

Outputs in `--output-dir` (default runs/word2vec): metrics.json, history.csv, models/<model>.keras,
embeddings/<name>_vectors.tsv + <name>_metadata.tsv (TensorBoard Embedding Projector) and
<name>.txt (word2vec text format) for every embedding, loss.png, pca_<model>.png (300 most
frequent words), similarity_<model>.png (cosine heat map), analogies_<model>.png (offsets).
A saved model loads anywhere with `import models` then `keras.saving.load_model(path)`.

metrics.json (after the envelope "lab", "preset", "seed", "quick", "config", "versions"):
    {"tokens": int, "vocabulary": int,      # training tokens, words occurring in them
     "embeddings": {name: {                 # name: the model, "ppmi_svd", "gensim"
        "wordsim353": {"spearman", "pearson", "pairs", "pairs_total", "coverage"},
        "analogy": {"accuracy", "questions", "questions_total", "coverage"},
        "neighbours": {word: [[word, cosine], ...]},      # DLFS2's queries and ours
        "analogies": [{"question", "expected", "answer", "correct"}],
        "train_seconds": float, "words_per_s": float}},   # timing: varies run to run
     "speed": {"ours_words_per_s", "gensim_words_per_s", "ratio"},
     "softmax_vs_negative_sampling": {"tokens", "softmax_epoch_seconds",
        "negative_sampling_epoch_seconds", "ratio"}}
"""

import dataclasses
import pathlib
import time

from labs import kit

LAB = "word2vec"
QUERIES = ("you", "year", "car", "toyota", "monday", "stock", "japan", "president")  # DLFS2's 4
ANALOGIES = (
    ("king", "man", "queen", "woman"),
    ("take", "took", "go", "went"),  # DLFS2's four
    ("car", "cars", "child", "children"),
    ("good", "better", "bad", "worse"),
    ("he", "his", "she", "her"),
    ("big", "bigger", "small", "smaller"),
    ("japan", "japanese", "germany", "german"),
    ("rise", "rose", "fall", "fell"),
)
HEATMAP_WORDS = (
    "monday",
    "friday",
    "january",
    "june",
    "stock",
    "shares",
    "bonds",
    "company",
    "firm",
    "president",
    "chairman",
    "car",
    "truck",
    "japan",
    "china",
    "germany",
)
ARROWS = {
    "gender": (
        ("man", "woman"),
        ("he", "she"),
        ("his", "her"),
        ("mr.", "mrs."),
        ("king", "queen"),
        ("father", "mother"),
    ),
    "past tense": (
        ("take", "took"),
        ("go", "went"),
        ("make", "made"),
        ("buy", "bought"),
        ("say", "said"),
        ("rise", "rose"),
    ),
}


@dataclasses.dataclass(frozen=True)
class Config:
    """One preset of the lab."""

    model: str = "skipgram"  # "skipgram" or "cbow" (--model)
    embedding_dim: int = 100  # vector length, of every embedding (ours, PPMI/SVD, gensim)
    window: int = 5  # largest centre-context distance
    dynamic_window: bool = True  # word2vec's window drawn from 1..window per centre
    negatives: int = 5  # noise words per example
    sample: float = 1e-3  # subsampling threshold t (0: none); gensim's default
    epochs: int = 10  # passes over the training text (gensim's anchor too)
    batch_size: int = 4096  # examples per step; large batches are what make Keras fast on CPU
    optimizer: str = "sgd"  # "sgd" (word2vec: summed loss, linear decay) or "adam" (DLFS2)
    learning_rate: float = 0.025  # initial rate (word2vec's alpha)
    min_learning_rate: float = 0.0001  # rate at the last step (linear decay; Adam: constant)
    edges: bool = True  # CBOW: centres near the text's ends too (DLFS2 drops them)
    max_tokens: int = 0  # train on the first N tokens of ptb.train.txt (0: all 929,589)
    ppmi_svd: bool = True  # the count-based baseline
    gensim_workers: int = 1  # gensim's threads: 1 keeps a seed reproducible
    softmax_tokens: int = 100_000  # tokens of the softmax-vs-negative-sampling timing (0: none)

    def quick(self):
        return dataclasses.replace(
            self,
            embedding_dim=16,
            epochs=1,
            batch_size=min(self.batch_size, 512),
            max_tokens=30_000,
            softmax_tokens=min(self.softmax_tokens, 3_000),
        )


PRESETS = {
    "default": Config(),
    # DLFS2 ch04 train.py: CBOW, window 5, hidden 100, batch 100, 10 epochs, Adam(1e-3).
    "course": Config(
        model="cbow",
        dynamic_window=False,
        sample=0.0,
        batch_size=100,
        optimizer="adam",
        learning_rate=1e-3,
        edges=False,
        softmax_tokens=0,
    ),
}


def query_parser():
    """`similar` and `analogy` on a saved run (argparse subcommands)."""
    parser = kit.LabArgumentParser(
        prog=f"python -m labs.{LAB}", description="Query the word vectors of a saved run."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    similar = commands.add_parser("similar", help="nearest neighbours of each WORD")
    similar.add_argument("words", nargs="+", metavar="WORD")
    analogy = commands.add_parser("analogy", help="A : B :: C : ?  (the words nearest B - A + C)")
    # One metavar: a tuple of them crashes argparse's --help for a positional (Python 3.11).
    analogy.add_argument("words", nargs=3, metavar="WORD", help="A B C, for A : B :: C : ?")
    for command in (similar, analogy):
        command.add_argument(
            "--run",
            type=pathlib.Path,
            default=pathlib.Path("runs") / LAB,
            help="the run's output dir (default: %(default)s)",
        )
        command.add_argument(
            "--embedding",
            default="skipgram",
            help="skipgram, cbow, ppmi_svd or gensim (default: %(default)s)",
        )
        command.add_argument(
            "--top", type=kit.positive_int, default=8, help="answers to show (default: %(default)s)"
        )
    return parser


def query(argv):
    """Answers `similar` / `analogy` from `<run>/embeddings/<embedding>.txt`; no TensorFlow."""
    args = query_parser().parse_args(argv)
    path = args.run / "embeddings" / f"{args.embedding}.txt"
    if not path.is_file():
        raise kit.LabError(
            f"no {path}: train first (python -m labs.{LAB} --output-dir "
            f"{args.run}), or pick --embedding/--run"
        )
    from gensim.models import KeyedVectors

    keyed = KeyedVectors.load_word2vec_format(str(path))
    for word in args.words:
        if word not in keyed.key_to_index:
            raise kit.LabError(f"{word!r} is not among the {len(keyed):,} words of {path}")
    if args.command == "similar":
        answers = {word: keyed.most_similar(word, topn=args.top) for word in args.words}
    else:
        a, b, c = args.words
        answers = {f"{a} : {b} :: {c} : ?": keyed.most_similar([b, c], [a], topn=args.top)}
    for key, found in answers.items():
        print(f"{key}: " + ", ".join(f"{word} {cosine:.3f}" for word, cosine in found))
    return answers


def main(argv=None):
    command, argv = kit.subcommand(argv, {"similar": query, "analogy": query})
    if command:
        return command(argv)
    parser = kit.make_parser(LAB, __doc__, PRESETS, data="files", tensorboard=True)
    parser.add_argument(
        "--model",
        choices=("skipgram", "cbow"),
        help="the word2vec model to train (default: the preset's)",
    )
    args = parser.parse_args(argv)
    config = kit.configure(PRESETS[args.preset], args)
    if args.model:
        config = dataclasses.replace(config, model=args.model)

    import numpy as np

    from labs.data.ptb import load_ptb
    from labs.data.skipgrams import Word2VecData
    from labs.kit import report as kit_report
    from models import count_embeddings, word2vec
    from models.word2vec import Word2VecConfig

    with kit.Experiment(LAB, args, config) as experiment:
        ptb = load_ptb(manual_dir=args.manual_dir)
        tokens = ptb.train[: config.max_tokens] if config.max_tokens else ptb.train
        present = np.flatnonzero(np.bincount(tokens, minlength=len(ptb.vocabulary)))
        words = [ptb.vocabulary[index] for index in present]  # evaluated: words seen in training
        experiment.results.update(tokens=len(tokens), vocabulary=len(words), embeddings={})

        def data_for(model, ids):
            return Word2VecData(
                ids,
                ptb.counts,
                model=model,
                window=config.window,
                negatives=config.negatives,
                sample=config.sample,
                batch_size=config.batch_size,
                seed=args.seed,
                dynamic_window=config.dynamic_window,
                edges=config.edges,
            )

        def model_config(data, epochs):
            return Word2VecConfig(
                vocabulary_size=len(ptb.vocabulary),
                embedding_dim=config.embedding_dim,
                negatives=config.negatives,
                window=config.window,
                optimizer=config.optimizer,
                learning_rate=config.learning_rate,
                min_learning_rate=config.min_learning_rate,
                decay_steps=epochs * data.steps_per_epoch() if config.optimizer == "sgd" else 0,
            )

        def record(name, vectors, seconds, passes=config.epochs):
            keyed = word2vec.keyed_vectors(words, vectors[present])
            word2vec.export(keyed, experiment.out / "embeddings", name)
            experiment.results["embeddings"][name] = {
                **word2vec.evaluate(keyed),
                "neighbours": word2vec.neighbours(keyed, QUERIES),
                "analogies": word2vec.solve_analogies(keyed, ANALOGIES),
                "train_seconds": round(seconds, 2),
                "words_per_s": round(len(tokens) * passes / seconds),
            }
            return keyed

        # 1. Our word2vec, trained by Keras on the tf.data pipeline.
        data = data_for(config.model, tokens)
        build = {"skipgram": word2vec.build_skipgram, "cbow": word2vec.build_cbow}[config.model]
        network = model_config(data, config.epochs)
        result = experiment.fit(
            config.model,
            lambda: word2vec.compile_word2vec(build(network), network),
            data.dataset(),
            epochs=config.epochs,
        )
        ours = record(config.model, word2vec.word_vectors(result.model), result.train_seconds)
        # 2. The count-based baseline: co-occurrence -> PPMI -> truncated SVD.
        if config.ppmi_svd:
            started = time.perf_counter()
            counts = count_embeddings.cooccurrence_matrix(
                tokens, len(ptb.vocabulary), config.window
            )
            vectors = count_embeddings.svd_embeddings(
                count_embeddings.ppmi(counts), config.embedding_dim, seed=args.seed
            )
            record("ppmi_svd", vectors, time.perf_counter() - started, passes=1)
        # 3. The anchor: gensim's Word2Vec, same algorithm and settings, on the same tokens.
        text = ptb.decode(tokens)
        anchor, seconds = word2vec.train_gensim(
            [text[i : i + 10_000] for i in range(0, len(text), 10_000)],
            embedding_dim=config.embedding_dim,
            window=config.window,
            negatives=config.negatives,
            sample=config.sample,
            epochs=config.epochs,
            workers=config.gensim_workers,
            seed=args.seed,
            sg=int(config.model == "skipgram"),
        )
        gensim_vectors = np.zeros((len(ptb.vocabulary), config.embedding_dim), np.float32)
        gensim_vectors[present] = anchor.wv[words]
        record("gensim", gensim_vectors, seconds)
        # `tensorboard --logdir <output-dir>/embeddings` shows every embedding in the Projector.
        kit_report.write_projector_config(
            experiment.out / "embeddings", list(experiment.results["embeddings"])
        )
        speed = {
            key: experiment.results["embeddings"][name]["words_per_s"]
            for key, name in (("ours_words_per_s", config.model), ("gensim_words_per_s", "gensim"))
        }
        experiment.results["speed"] = {
            **speed,
            "ratio": round(speed["ours_words_per_s"] / speed["gensim_words_per_s"], 3),
        }
        # 4. Why negative sampling: a CBOW epoch with a full softmax vs with 5 negatives.
        if config.softmax_tokens:
            experiment.results["softmax_vs_negative_sampling"] = softmax_timing(
                experiment, data_for("cbow", tokens[: config.softmax_tokens]), model_config
            )
        if experiment.plots:
            plot_all(experiment, config.model, ours, config.optimizer)
        return experiment.finish()


def softmax_timing(experiment, data, model_config):
    """Seconds of the second epoch (the first compiles) of both CBOWs on the same batches."""
    import keras
    import tensorflow as tf

    from models import word2vec

    class EpochTimer(keras.callbacks.Callback):
        """Each epoch's wall time, so that the first one (which compiles) can be left out."""

        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.started)

    network = model_config(data, 2)
    batches = data.dataset()
    as_labels = batches.map(
        lambda inputs, labels: ({"context": inputs["context"]}, inputs["target"])
    )  # softmax: y = word id
    seconds = {}
    for name, build, train, loss in (
        ("softmax_cbow", word2vec.build_softmax_cbow, as_labels, "softmax"),
        ("negative_sampling_cbow", word2vec.build_cbow, batches, "negative_sampling"),
    ):
        timer = EpochTimer()
        experiment.fit(
            name,
            lambda b=build, kind=loss: word2vec.compile_word2vec(b(network), network, kind),
            train.prefetch(tf.data.AUTOTUNE),
            epochs=2,
            save=False,
            callbacks=[timer],
        )
        seconds[name] = timer.seconds[-1]
    return {
        "tokens": len(data.ids),
        "softmax_epoch_seconds": round(seconds["softmax_cbow"], 3),
        "negative_sampling_epoch_seconds": round(seconds["negative_sampling_cbow"], 3),
        "ratio": round(seconds["softmax_cbow"] / seconds["negative_sampling_cbow"], 1),
    }


def _pca(vectors):
    import numpy as np

    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T  # (words, 2)


def plot_all(experiment, name, keyed, optimizer):
    """loss.png, pca_<name>.png, similarity_<name>.png, analogies_<name>.png."""
    import numpy as np

    plt = kit.plt
    histories = {name: experiment.histories[name]}
    reduction = "summed over" if optimizer == "sgd" else "mean of"
    experiment.save_figure(
        kit.plot_histories(
            histories,
            "loss",
            title=f"{name}: training loss per epoch",
            ylabel=f"negative-sampling loss ({reduction} a batch)",
        ),
        "loss.png",
    )
    frequent = keyed.index_to_key[:300]  # ids are ordered by frequency
    points = _pca(keyed[frequent])
    fig, ax = plt.subplots(figsize=(14, 11))
    ax.scatter(points[:, 0], points[:, 1], s=4, color="C0")
    for word, (x, y) in zip(frequent, points, strict=True):
        ax.annotate(
            word, (x, y), fontsize=6.5, alpha=0.8, xytext=(2, 2), textcoords="offset points"
        )
    ax.set(
        title=f"{name}: the 300 most frequent PTB words, first two principal components",
        xlabel="PC 1",
        ylabel="PC 2",
    )
    experiment.save_figure(fig, f"pca_{name}.png")

    chosen = [word for word in HEATMAP_WORDS if word in keyed.key_to_index]
    unit = keyed[chosen] / np.linalg.norm(keyed[chosen], axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    image = ax.imshow(unit @ unit.T, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(chosen)), chosen, rotation=60, ha="right")
    ax.set_yticks(range(len(chosen)), chosen)
    fig.colorbar(image, ax=ax, label="cosine similarity")
    ax.set(title=f"{name}: cosine similarity of hand-picked words")
    experiment.save_figure(fig, f"similarity_{name}.png")

    fig, axes = plt.subplots(1, len(ARROWS), figsize=(13, 5.5))
    for ax, (relation, pairs) in zip(axes, ARROWS.items(), strict=True):
        pairs = [p for p in pairs if all(word in keyed.key_to_index for word in p)]
        points = _pca(keyed[[word for pair in pairs for word in pair]]).reshape(-1, 2, 2)
        for (start, end), (a, b) in zip(points, pairs, strict=True):
            ax.annotate("", end, start, arrowprops={"arrowstyle": "->", "color": "C1"})
            ax.annotate(a, start, fontsize=9, color="C0")
            ax.annotate(b, end, fontsize=9, color="C3")
        ax.scatter(points[:, 0, 0], points[:, 0, 1], color="C0", s=12, label="first word")
        ax.scatter(points[:, 1, 0], points[:, 1, 1], color="C3", s=12, label="second word")
        ax.set(
            title=f"{relation}: word -> its pair (PCA of these words)", xlabel="PC 1", ylabel="PC 2"
        )
        ax.legend(fontsize="small")
    fig.suptitle(f"{name}: relations as offsets (parallel arrows = an analogy that works)")
    experiment.save_figure(fig, f"analogies_{name}.png")


if __name__ == "__main__":
    kit.run(main)
