"""Throughput of RandAugment + MixUp in a tf.data pipeline: ours vs keras_cv vs keras.

    python -m benchmarks.augmentation --json          # about 3 minutes on 2 CPU cores
    python -m benchmarks.augmentation --quick --json  # a few seconds per pipeline

224x224x3 float32 images in (0, 255), batch 32, `map(..., num_parallel_calls=AUTOTUNE)` and
`prefetch(AUTOTUNE)`; every pipeline runs 2 RandAugment ops per image at magnitude 0.5, then
MixUp (alpha 0.4) on one-hot labels:

- ours_bilinear: `RandAugment(2, 0.5, ops=KERAS_CV_OPS, interpolation="bilinear")` (keras_cv's
  ten ops, bilinear geometric ops as keras_cv and keras use) + `MixUp`, through
  `AugmentationPipeline.apply`: the like-for-like comparison, reported first;
- ours: the same with nearest interpolation for the geometric ops (our default; faster);
- keras_cv: `keras_cv.layers.RandAugment(augmentations_per_image=2, magnitude=0.5, rate=1.0)`
  (rate 1: both ops always applied, like ours) + `keras_cv.layers.MixUp`;
- keras: `keras.layers.RandAugment(num_ops=2, factor=0.5)` + `keras.layers.MixUp`;
- identity: the same dataset with no augmentation, the ceiling.

Images per second are wall-clock over the timed batches, so they depend on the machine and on
whatever else it runs: compare the ratios (`ours_bilinear_vs_keras_cv`, `ours_vs_keras_cv`, ...),
measured in the same run. The result also records the machine and its load average before and
after the run.
The pipelines are timed in `--rounds` interleaved rounds (each after one untimed batch), so a
change of load hits them alike; each stops after `--batches` batches or `--seconds` seconds.
"""

import argparse
import json
import os
import platform
import time

# Before TensorFlow loads: its C++ INFO and WARNING lines (oneDNN and CUDA notices) are noise
# here; errors still print. An explicit TF_CPP_MIN_LOG_LEVEL in the environment wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from augmentation import KERAS_CV_OPS, AugmentationPipeline, MixUp, RandAugment

IMAGE_SIZE = 224
BATCH_SIZE = 32
NUM_CLASSES = 10
NUM_OPS = 2
MAGNITUDE = 0.5
ALPHA = 0.4
VALUE_RANGE = (0, 255)


def _dataset(num_images=256, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, (num_images, IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    labels = np.eye(NUM_CLASSES, dtype="float32")[rng.integers(0, NUM_CLASSES, num_images)]
    return (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .repeat()
        .batch(BATCH_SIZE, drop_remainder=True)
    )


def _then_mix_up(rand_augment, mix_up):
    """A `(images, labels)` map function: a Keras-style RandAugment layer, then its MixUp layer."""

    def augment(images, labels):
        out = mix_up(
            {"images": rand_augment(images, training=True), "labels": labels}, training=True
        )
        return out["images"], out["labels"]

    return augment


def _pipelines():
    """name -> function(batched dataset) -> augmented dataset."""
    autotune = tf.data.AUTOTUNE

    def ours(interpolation):
        pipeline = AugmentationPipeline(
            [
                RandAugment(
                    NUM_OPS,
                    MAGNITUDE,
                    ops=KERAS_CV_OPS,
                    interpolation=interpolation,
                    value_range=VALUE_RANGE,
                ),
                MixUp(ALPHA, value_range=VALUE_RANGE),
            ],
            value_range=VALUE_RANGE,
            seed=0,
        )
        return lambda ds: pipeline.apply(ds)

    def keras_cv_pipeline(ds):
        import keras_cv

        rand_augment = keras_cv.layers.RandAugment(
            value_range=VALUE_RANGE,
            augmentations_per_image=NUM_OPS,
            magnitude=MAGNITUDE,
            rate=1.0,
            seed=0,
        )
        mix_up = keras_cv.layers.MixUp(alpha=ALPHA, seed=0)

        return ds.map(_then_mix_up(rand_augment, mix_up), num_parallel_calls=autotune)

    def keras_pipeline(ds):
        import keras

        rand_augment = keras.layers.RandAugment(
            value_range=VALUE_RANGE, num_ops=NUM_OPS, factor=MAGNITUDE, seed=0
        )
        mix_up = keras.layers.MixUp(alpha=ALPHA, seed=0)

        return ds.map(_then_mix_up(rand_augment, mix_up), num_parallel_calls=autotune)

    def identity(ds):
        return ds.map(lambda images, labels: (images, labels), num_parallel_calls=autotune)

    return {
        "ours_bilinear": ours("bilinear"),
        "ours": ours("nearest"),
        "keras_cv": keras_cv_pipeline,
        "keras": keras_pipeline,
        "identity": identity,
    }


def _time_slice(dataset, batches, seconds):
    """Batches, wall seconds and process CPU seconds for up to `batches` batches (at least 2) or
    `seconds`, after one untimed batch that starts the iterator's threads."""
    iterator = iter(dataset.prefetch(tf.data.AUTOTUNE))
    next(iterator)
    start, cpu_start = time.perf_counter(), time.process_time()
    done = 0
    while done < batches and (done < 2 or time.perf_counter() - start < seconds):
        next(iterator)
        done += 1
    return done, time.perf_counter() - start, time.process_time() - cpu_start


def run_benchmark(quick=False, batches=None, seconds=None, only=None, rounds=None):
    """Runs the comparison and returns the results dict (what `--json` prints).

    The pipelines are timed in interleaved rounds (each round times every pipeline once), so a
    change in the machine's load during the run affects them alike.

    Args:
        quick: a few seconds per pipeline.
        batches: most batches timed per pipeline (default 150, quick 12).
        seconds: time limit per pipeline (default 24, quick 4).
        only: optional list of pipeline names to run.
        rounds: interleaved rounds (default 3, quick 1).

    Returns:
        dict: `headline` (the equal-interpolation ratio first, nearest beside it), the ratios
        `ours_bilinear_vs_keras_cv`, `ours_vs_keras_cv` (nearest), `..._vs_keras`,
        `..._vs_identity` of the pipelines that ran, then `<name>_images_per_s`,
        `<name>_batches`, `<name>_cpu_ms_per_batch`, `machine` and `load_average_1m`.
    """
    batches = batches or (12 if quick else 150)
    seconds = seconds or (4.0 if quick else 24.0)
    rounds = rounds or (1 if quick else 3)
    load_before = _load_average()
    results = {
        "headline": None,  # filled in below, first in the printed JSON
        "image_shape": [IMAGE_SIZE, IMAGE_SIZE, 3],
        "batch_size": BATCH_SIZE,
        "num_ops": NUM_OPS,
        "magnitude": MAGNITUDE,
        "mixup_alpha": ALPHA,
        "rounds": rounds,
        "quick": quick,
    }
    datasets = {
        name: build(_dataset()) for name, build in _pipelines().items() if not only or name in only
    }
    totals = {name: [0, 0.0, 0.0] for name in datasets}
    for _ in range(rounds):
        for name, dataset in datasets.items():
            measured = _time_slice(dataset, -(-batches // rounds), seconds / rounds)
            totals[name] = [
                total + value for total, value in zip(totals[name], measured, strict=True)
            ]
    for name, (done, elapsed, cpu) in totals.items():
        results[f"{name}_images_per_s"] = round(done * BATCH_SIZE / elapsed, 1)
        results[f"{name}_batches"] = done
        # CPU time of this process per batch (all threads; includes prefetching ahead).
        results[f"{name}_cpu_ms_per_batch"] = round(1000 * cpu / done, 1)
    ratios = {}
    for first, second in [
        ("ours_bilinear", "keras_cv"),
        ("ours", "keras_cv"),
        ("ours_bilinear", "keras"),
        ("ours", "keras"),
        ("ours_bilinear", "identity"),
        ("ours", "identity"),
        ("keras_cv", "identity"),
    ]:
        a, b = results.get(f"{first}_images_per_s"), results.get(f"{second}_images_per_s")
        if a and b:
            ratios[f"{first}_vs_{second}"] = round(a / b, 3)
    bilinear, nearest = (ratios.get("ours_bilinear_vs_keras_cv"), ratios.get("ours_vs_keras_cv"))
    if bilinear or nearest:
        parts = [
            f"{bilinear:.2f}x keras_cv at the same (bilinear) interpolation" if bilinear else None,
            f"{nearest:.2f}x with nearest" if nearest else None,
        ]
        results["headline"] = "ours: " + "; ".join(p for p in parts if p)
    results.update(
        {
            "interpolation": {
                "ours_bilinear": "bilinear",
                "ours": "nearest",
                "keras_cv": "bilinear",
                "keras": "bilinear",
            },
            "machine": _machine(),
            "load_average_1m": {"before": load_before, "after": _load_average()},
        }
    )
    # The ratios first (after the headline): they are what to read.
    return {"headline": results.pop("headline"), **ratios, **results}


def _load_average():
    """The 1-minute load average (None where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _machine():
    """One line: CPU count and model, OS, TensorFlow version."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPUs ({model}), {platform.system()}, TF {tf.__version__}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.augmentation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    parser.add_argument("--quick", action="store_true", help="a few seconds per pipeline")
    parser.add_argument("--batches", type=int, help="most batches timed per pipeline")
    parser.add_argument("--seconds", type=float, help="time limit per pipeline")
    parser.add_argument("--rounds", type=int, help="interleaved timing rounds")
    parser.add_argument(
        "--only", nargs="+", help="run only these pipelines", choices=list(_pipelines())
    )
    args = parser.parse_args(argv)
    results = run_benchmark(args.quick, args.batches, args.seconds, args.only, args.rounds)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:>28}: {value}")
    return results


if __name__ == "__main__":
    main()
