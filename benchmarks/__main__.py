"""Runs every benchmark and writes one table: `python -m benchmarks`.

    python -m benchmarks                 # every benchmark, full size (several minutes on 2 cores)
    python -m benchmarks --quick         # a smoke run: tiny sizes, numbers not meaningful
    python -m benchmarks --only seq2seq_inference --output-dir /tmp/bench

Each benchmark measures its anchor (the course's way, or the library we compare with) in the same
run as ours, on the same machine, so the ratio is what to read: wall-clock numbers move with the
machine and with whatever else it runs. `ratio` > 1 means ours is better (faster, or more images
per second).

Writes `<output-dir>/results.md` (a table: metric, ours, anchor, ratio, machine) and
`<output-dir>/results.json` (`{"machine", "quick", "rows": [{"benchmark", "metric", "unit",
"ours", "anchor", "ratio", "higher_is_better"}], "raw": {benchmark: its full result dict}}`);
`--output-dir` defaults to benchmarks/.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform

# benchmark -> rows: (metric, unit, key of ours, key of the anchor, higher is better)
ROWS = {
    "augmentation": [
        (
            "RandAugment(2 ops, 0.5) + MixUp in tf.data, ours vs keras_cv, both bilinear",
            "images/s",
            "ours_bilinear_images_per_s",
            "keras_cv_images_per_s",
            True,
        ),
        (
            "the same, ours with nearest interpolation",
            "images/s",
            "ours_images_per_s",
            "keras_cv_images_per_s",
            True,
        ),
        (
            "RandAugment(2 ops, 0.5) + MixUp in tf.data, ours (bilinear) vs keras",
            "images/s",
            "ours_bilinear_images_per_s",
            "keras_images_per_s",
            True,
        ),
    ],
    "seq2seq_inference": [
        (
            "seq2seq free-running inference, generate vs the course's predict loop",
            "s",
            "generate_seconds",
            "course_seconds",
            False,
        ),
        ("the same, generate with XLA", "s", "generate_xla_seconds", "course_seconds", False),
    ],
    "word2vec": [
        (
            "skip-gram with negative sampling on PTB, ours vs gensim",
            "words/s",
            "ours_words_per_s",
            "gensim_words_per_s",
            True,
        ),
        (
            "the same, WordSim-353 Spearman",
            "rho",
            "ours_wordsim_spearman",
            "gensim_wordsim_spearman",
            True,
        ),
    ],
}


def _run(name, quick):
    """Runs benchmark `name`; returns its result dict."""
    if name == "augmentation":
        from benchmarks import augmentation

        if quick:
            return augmentation.run_benchmark(quick=True, batches=3, seconds=2.0)
        return augmentation.run_benchmark()
    if name == "seq2seq_inference":
        from benchmarks import seq2seq_inference

        if quick:
            return seq2seq_inference.run_benchmark(windows=2, epochs=1, repeats=3)
        return seq2seq_inference.run_benchmark()
    if name == "word2vec":
        from benchmarks import word2vec

        manual_dir = os.environ.get("LABS_MANUAL_DIR") or None
        if quick:
            return word2vec.run_benchmark(
                manual_dir, epochs=1, embedding_dim=16, batch_size=512, max_tokens=30_000
            )
        return word2vec.run_benchmark(manual_dir)
    raise ValueError(f"unknown benchmark {name!r}")


def machine():
    """One line describing where the numbers were measured."""
    import tensorflow as tf

    gpus = [
        tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
        for gpu in tf.config.list_physical_devices("GPU")
    ]
    parts = [
        f"{os.cpu_count()} CPUs ({platform.machine()}, {platform.system()})",
        f"TF {tf.__version__}",
    ]
    if gpus:
        parts.insert(1, "GPU " + ", ".join(gpus))
    return ", ".join(parts)


def rows(name, result):
    """The table rows of one benchmark's result dict."""
    table = []
    for metric, unit, ours_key, anchor_key, higher_is_better in ROWS[name]:
        ours, anchor = result.get(ours_key), result.get(anchor_key)
        if not ours or not anchor:
            continue
        ratio = ours / anchor if higher_is_better else anchor / ours
        table.append(
            {
                "benchmark": name,
                "metric": metric,
                "unit": unit,
                "ours": ours,
                "anchor": anchor,
                "ratio": round(ratio, 3),
                "higher_is_better": higher_is_better,
            }
        )
    return table


def markdown(results):
    quick = " --quick" if results["quick"] else ""
    lines = [
        "# Benchmarks" + (" (quick smoke run: the numbers mean nothing)" if quick else ""),
        "",
        f"Measured {results['date']} with `python -m benchmarks{quick}`. Each anchor is measured "
        "in the same run as ours; ratio > 1 means ours is better. Wall-clock numbers depend on "
        "the machine and its load: compare ratios.",
        "",
        "| metric | ours | anchor | ratio | machine |",
        "|---|---:|---:|---:|---|",
    ]
    for row in results["rows"]:
        ratio = f"{row['ratio']:,.0f}x" if row["ratio"] >= 100 else f"{row['ratio']:.3g}x"
        lines.append(
            f"| {row['metric']} ({row['unit']}) | {row['ours']:.4g} | "
            f"{row['anchor']:.4g} | {ratio} | {results['machine']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", nargs="+", choices=list(ROWS), help="run only these")
    parser.add_argument(
        "--output-dir",
        type=pathlib.Path,
        default=pathlib.Path(__file__).resolve().parent,
        help="where results.md and results.json go (default: benchmarks/)",
    )
    args = parser.parse_args(argv)
    try:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.exit(
            1,
            f"{parser.prog}: error: cannot write to {args.output_dir}: {error.strerror or error}\n",
        )

    results = {
        "machine": machine(),
        "quick": args.quick,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": [],
        "raw": {},
    }
    for name in args.only or ROWS:
        print(f"== {name} ==", flush=True)
        raw = _run(name, args.quick)
        results["raw"][name] = raw
        results["rows"] += rows(name, raw)
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (args.output_dir / "results.md").write_text(table)
    print(table)
    print(f"Wrote {args.output_dir / 'results.md'} and {args.output_dir / 'results.json'}")
    return results


if __name__ == "__main__":
    main()
