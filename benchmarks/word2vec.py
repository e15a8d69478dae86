"""word2vec skip-gram: ours (Keras, tf.data) vs gensim's C loops, same tokens, same run.

Both train skip-gram with negative sampling on the Penn Treebank training text (929,589 tokens,
`<eos>` a word, as `labs.word2vec` reads it) with the lab's default settings: window 5 (dynamic),
100 dimensions, 5 negatives, subsampling t = 1e-3, 10 epochs, a learning rate decaying linearly
from 0.025 to 0.0001; ours in batches of 4,096 pairs. Words per second are the corpus's raw tokens
times the epochs over the training wall time (gensim: `train()` alone, vocabulary built before;
ours: `model.fit` with its first-epoch compile and the per-epoch numpy drawing of pairs and
negatives). gensim runs twice, before and after ours, with `--workers` threads, and its faster
run counts, so a load change on a shared CPU cannot flatter our ratio. Both are then scored the
same way (`models.word2vec.evaluate`: gensim's `KeyedVectors` on WordSim-353 and the Google
analogies, the in-vocabulary items).

    python -m benchmarks.word2vec --json --manual-dir ../shared/data
    python -m benchmarks.word2vec --quick           # a smoke run: 30,000 tokens, 1 epoch

JSON keys: ours_words_per_s, gensim_words_per_s, ratio (= ours / gensim),
ours_wordsim_spearman, gensim_wordsim_spearman, ours_analogy_accuracy, gensim_analogy_accuracy,
wordsim_pairs, analogy_questions, ours_train_seconds, gensim_train_seconds (both gensim runs),
tokens, epochs, batch_size, embedding_dim, window, negatives, sample, workers, cpu_count.
"""

import argparse
import json
import os
import pathlib
import sys
import time

import numpy as np

from labs.data.ptb import load_ptb
from labs.data.skipgrams import Word2VecData
from models import word2vec


def run_benchmark(
    manual_dir=None,
    *,
    epochs=10,
    batch_size=4096,
    embedding_dim=100,
    window=5,
    negatives=5,
    sample=1e-3,
    max_tokens=0,
    workers=2,
    seed=0,
):
    """Trains both on the same tokens; returns the result dict (keys in the module docstring)."""
    import keras

    ptb = load_ptb(manual_dir=manual_dir)
    tokens = ptb.train[:max_tokens] if max_tokens else ptb.train
    present = np.flatnonzero(np.bincount(tokens, minlength=len(ptb.vocabulary)))
    words = [ptb.vocabulary[index] for index in present]
    text = ptb.decode(tokens)
    sentences = [text[i : i + 10_000] for i in range(0, len(text), 10_000)]

    def gensim_run():
        model, seconds = word2vec.train_gensim(
            sentences,
            embedding_dim=embedding_dim,
            window=window,
            negatives=negatives,
            sample=sample,
            epochs=epochs,
            workers=workers,
            seed=seed,
        )
        return model, seconds

    gensim_first, gensim_seconds_first = gensim_run()

    keras.utils.set_random_seed(seed)
    data = Word2VecData(
        tokens,
        ptb.counts,
        model="skipgram",
        window=window,
        negatives=negatives,
        sample=sample,
        batch_size=batch_size,
        seed=seed,
    )
    config = word2vec.Word2VecConfig(
        vocabulary_size=len(ptb.vocabulary),
        embedding_dim=embedding_dim,
        negatives=negatives,
        window=window,
        decay_steps=epochs * data.steps_per_epoch(),
    )
    model = word2vec.compile_word2vec(word2vec.build_skipgram(config), config)
    started = time.perf_counter()
    model.fit(data.dataset(), epochs=epochs, verbose=0)
    ours_seconds = time.perf_counter() - started

    gensim_second, gensim_seconds_second = gensim_run()
    gensim_model, gensim_seconds = min(
        ((gensim_first, gensim_seconds_first), (gensim_second, gensim_seconds_second)),
        key=lambda pair: pair[1],
    )

    ours = word2vec.evaluate(word2vec.keyed_vectors(words, word2vec.word_vectors(model)[present]))
    anchor = word2vec.evaluate(word2vec.keyed_vectors(words, gensim_model.wv[words]))
    raw_words = len(tokens) * epochs
    return {
        "ours_words_per_s": raw_words / ours_seconds,
        "gensim_words_per_s": raw_words / gensim_seconds,
        "ratio": gensim_seconds / ours_seconds,
        "ours_wordsim_spearman": ours["wordsim353"]["spearman"],
        "gensim_wordsim_spearman": anchor["wordsim353"]["spearman"],
        "ours_analogy_accuracy": ours["analogy"]["accuracy"],
        "gensim_analogy_accuracy": anchor["analogy"]["accuracy"],
        "wordsim_pairs": ours["wordsim353"]["pairs"],
        "analogy_questions": ours["analogy"]["questions"],
        "ours_train_seconds": ours_seconds,
        "gensim_train_seconds": [gensim_seconds_first, gensim_seconds_second],
        "tokens": len(tokens),
        "epochs": epochs,
        "batch_size": batch_size,
        "embedding_dim": embedding_dim,
        "window": window,
        "negatives": negatives,
        "sample": sample,
        "workers": workers,
        "cpu_count": os.cpu_count(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.word2vec",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run (30,000 tokens, 1 epoch, 16 dimensions)"
    )
    parser.add_argument(
        "--manual-dir",
        type=pathlib.Path,
        default=os.environ.get("LABS_MANUAL_DIR") or None,
        help="offline: the folder of ptb/ (env LABS_MANUAL_DIR)",
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs (default: %(default)s)")
    parser.add_argument(
        "--workers", type=int, default=2, help="gensim's threads (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    settings = {"epochs": args.epochs, "workers": args.workers}
    if args.quick:
        settings.update(epochs=1, embedding_dim=16, batch_size=512, max_tokens=30_000)
    from labs.data import DataError

    try:
        result = run_benchmark(args.manual_dir, **settings)
    except DataError as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"words/s: ours {result['ours_words_per_s']:,.0f}, gensim "
            f"{result['gensim_words_per_s']:,.0f} ({args.workers} workers): "
            f"ratio {result['ratio']:.2f}"
        )
        print(
            f"WordSim-353 Spearman ({result['wordsim_pairs']} pairs): ours "
            f"{result['ours_wordsim_spearman']:.3f}, gensim "
            f"{result['gensim_wordsim_spearman']:.3f}"
        )
        print(
            f"analogy accuracy ({result['analogy_questions']} questions): ours "
            f"{result['ours_analogy_accuracy']:.3f}, gensim "
            f"{result['gensim_analogy_accuracy']:.3f}"
        )
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
