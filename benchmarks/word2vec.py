"""word2vec skip-gram: ours (Keras, tf.data) vs gensim's C loops, same tokens, same run.

Both train skip-gram with negative sampling on the Penn Treebank training text (929,589 tokens,
`<eos>` a word) exactly as `labs.word2vec` does: the lab's own functions
(`labs.word2vec.embeddings`) make the corpus, our pipeline and model, gensim's anchor and the
scores, with the lab's default preset (window 5 dynamic, 100 dimensions, 5 negatives, t = 1e-3,
10 epochs, SGD 0.025 -> 0.0001, batches of 4,096 pairs). Words per second are the corpus's raw
tokens times the epochs over the training wall time (gensim: `train()` alone, vocabulary built
before; ours: `model.fit` with its first-epoch compile and the per-epoch numpy drawing of pairs
and negatives). gensim runs twice, before and after ours, with `--workers` threads, and its faster
run counts, so a load change on a shared CPU cannot flatter our ratio.

    python -m benchmarks.word2vec --json --manual-dir ../shared/data
    python -m benchmarks.word2vec --quick           # a smoke run: the lab's --quick settings

Every flag of `python -m labs.word2vec` is accepted (`--quick`, `--epochs`, `--batch-size`,
`--preset`, `--model`, `--seed`, `--manual-dir` / env LABS_MANUAL_DIR), parsed by the lab's kit.

JSON keys: ours_words_per_s, gensim_words_per_s, ratio (= ours / gensim),
ours_wordsim_spearman, gensim_wordsim_spearman, ours_analogy_accuracy, gensim_analogy_accuracy,
wordsim_pairs, analogy_questions, ours_train_seconds, gensim_train_seconds (both gensim runs),
tokens, epochs, batch_size, embedding_dim, window, negatives, sample, workers, cpu_count.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

import keras

from labs import kit
from labs import word2vec as lab
from labs.data import DataError
from labs.data.ptb import load_ptb
from labs.kit.cli import quiet_libraries
from labs.word2vec import embeddings
from models import word2vec


def compare(config, manual_dir=None, *, workers=2, seed=0):
    """Trains ours and gensim's (twice) on the same tokens as the lab; returns the result dict
    (keys in the module docstring)."""
    corpus = embeddings.corpus(load_ptb(manual_dir=manual_dir), config.max_tokens)
    first, first_seconds = embeddings.anchor(config, corpus, seed, workers=workers)

    keras.utils.set_random_seed(seed)
    data = embeddings.pipeline(config, corpus, config.model, seed)
    model = embeddings.build(config.model, embeddings.network(config, corpus, data, config.epochs))
    started = time.perf_counter()
    model.fit(data.dataset(), epochs=config.epochs, verbose=0)
    ours_seconds = time.perf_counter() - started

    second, second_seconds = embeddings.anchor(config, corpus, seed, workers=workers)
    gensim_vectors, gensim_seconds = min(
        ((first, first_seconds), (second, second_seconds)), key=lambda pair: pair[1]
    )
    _, ours = embeddings.score(corpus, word2vec.word_vectors(model))
    _, anchor = embeddings.score(corpus, gensim_vectors)
    raw_words = len(corpus.tokens) * config.epochs
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
        "gensim_train_seconds": [first_seconds, second_seconds],
        "tokens": len(corpus.tokens),
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "embedding_dim": config.embedding_dim,
        "window": config.window,
        "negatives": config.negatives,
        "sample": config.sample,
        "workers": workers,
        "cpu_count": os.cpu_count(),
    }


def run_benchmark(manual_dir=None, *, workers=2, seed=0, **settings):
    """`compare` with the lab's default preset, `settings` (config fields such as `epochs`,
    `batch_size`, `embedding_dim`, `max_tokens`) replacing its values."""
    config = dataclasses.replace(lab.PRESETS["default"], **settings)
    return compare(config, manual_dir, workers=workers, seed=seed)


def main(argv=None):
    parser = kit.lab.LabArgumentParser(
        prog="python -m benchmarks.word2vec",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument(
        "--workers", type=int, default=2, help="gensim's threads (default: %(default)s)"
    )
    args, lab_flags = parser.parse_known_args(argv)
    context, config = kit.lab.parse(lab.LAB, lab_flags)  # the lab's flags, parsed by the kit
    if not context.verbose:
        quiet_libraries()
    try:
        result = compare(config, context.manual_dir, workers=args.workers, seed=context.seed)
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
