"""Seq2seq inference: the course's per-step `predict` loop vs one compiled `generate` loop.

Trains the course's 251-parameter sin -> cos model once (or loads a saved one), then runs
free-running inference over all 76 windows of 24 steps with the same weights, in the same process:

- course: per window, `encoder_model.predict` then 24 x `decoder_model.predict` (1,900 `predict`
  calls), as the notebook does (`models.seq2seq.predict_step_by_step`);
- generate: `models.seq2seq.Seq2SeqGenerator`, one `tf.function` with a `tf.while_loop`, all windows
  as one batch; also with XLA (`jit_compile=True`).

Both are warmed up first (the course loop on one window, generate with one call), so neither pays
its one-off tracing in the timed run; the compile time of generate is reported on its own. The
course loop is timed once (it takes minutes); generate is timed as the median of repeated calls,
before and after the course loop, and the slower of the two medians is reported. Times are
wall-clock on a possibly shared CPU: compare the ratio, not the seconds.

    python -m benchmarks.seq2seq_inference --json
    python -m benchmarks.seq2seq_inference --json --model runs/seq2seq/models/course.keras
    python -m benchmarks.seq2seq_inference --windows 4 --epochs 1   # a smoke run

JSON keys: course_seconds, generate_seconds, speedup (= course_seconds / generate_seconds),
generate_compile_seconds (first call: tracing + one run), generate_xla_seconds, speedup_xla,
max_abs_diff (generate vs course loop), windows, steps, predict_calls, epochs, model.
"""

import argparse
import json
import os
import statistics
import sys
import time

import keras
import numpy as np

from labs.data.sincos import NUM_STEPS, NUM_WINDOWS, make_windows
from models.seq2seq import (
    Seq2SeqConfig,
    Seq2SeqGenerator,
    build_inference_models,
    build_seq2seq,
    predict_step_by_step,
)


def _course_model(epochs, seed):
    """The notebook's model and training (adam, mse, batch 16, validation_split 0.2)."""
    keras.utils.set_random_seed(seed)
    windows = make_windows()
    model = build_seq2seq(Seq2SeqConfig())
    model.compile(optimizer="adam", loss="mean_squared_error")
    model.fit(
        [windows.encoder_input, windows.decoder_input],
        windows.target,
        batch_size=16,
        epochs=epochs,
        validation_split=0.2,
        verbose=0,
    )
    return model


def _median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_benchmark(windows=NUM_WINDOWS, epochs=80, model_path=None, repeats=30, seed=0):
    """Times the course loop and `generate` on the same weights; returns the result dict.

    Args:
        windows: how many of the course's 76 windows to run (all of them for the real benchmark).
        epochs: training epochs of the course model when `model_path` is None (the notebook: 80).
        model_path: a saved `build_seq2seq` model (`.keras`) to use instead of training one.
        repeats: timed calls of generate; the median is reported.
        seed: training seed.

    Returns:
        A dict with the keys listed in the module docstring.
    """
    if model_path:
        model = keras.saving.load_model(model_path)
    else:
        model = _course_model(epochs, seed)
    encoder_inputs = make_windows().encoder_input[:windows]  # (windows, 24, 1)

    generator = Seq2SeqGenerator(model)
    start = time.perf_counter()
    generated, _ = generator(encoder_inputs)
    compile_seconds = time.perf_counter() - start
    xla = Seq2SeqGenerator(model, jit_compile=True)
    generated_xla, _ = xla(encoder_inputs)
    # generate is timed before and after the minutes-long course loop; the slower median counts,
    # so a load change on a shared CPU cannot flatter it.
    before = _median_seconds(lambda: generator(encoder_inputs), repeats)
    xla_before = _median_seconds(lambda: xla(encoder_inputs), repeats)

    encoder_model, decoder_model = build_inference_models(model)
    predict_step_by_step(
        encoder_model, decoder_model, encoder_inputs[:1]
    )  # warm-up: traces predict
    start = time.perf_counter()
    course = predict_step_by_step(encoder_model, decoder_model, encoder_inputs)
    course_seconds = time.perf_counter() - start

    generate_seconds = max(before, _median_seconds(lambda: generator(encoder_inputs), repeats))
    xla_seconds = max(xla_before, _median_seconds(lambda: xla(encoder_inputs), repeats))

    return {
        "course_seconds": course_seconds,
        "generate_seconds": generate_seconds,
        "speedup": course_seconds / generate_seconds,
        "generate_compile_seconds": compile_seconds,
        "generate_xla_seconds": xla_seconds,
        "speedup_xla": course_seconds / xla_seconds,
        "max_abs_diff": float(
            max(np.abs(generated - course).max(), np.abs(generated_xla - course).max())
        ),
        "windows": int(windows),
        "steps": NUM_STEPS,
        "predict_calls": int(windows * (NUM_STEPS + 1)),
        "epochs": None if model_path else epochs,
        "model": str(model_path) if model_path else "course preset, trained here",
        "cpu_count": os.cpu_count(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.seq2seq_inference",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument(
        "--windows",
        type=int,
        default=NUM_WINDOWS,
        choices=range(1, NUM_WINDOWS + 1),
        metavar=f"1..{NUM_WINDOWS}",
        help="windows to run (default: all %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=int, default=80, help="training epochs (default: %(default)s)"
    )
    parser.add_argument("--model", help="a saved seq2seq .keras model to use instead of training")
    parser.add_argument("--repeats", type=int, default=30, help="timed generate calls (median)")
    args = parser.parse_args(argv)
    if args.model and not os.path.isfile(args.model):
        parser.error(f"--model {args.model}: no such file")
    result = run_benchmark(args.windows, args.epochs, args.model, args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"course predict loop: {result['course_seconds']:.2f} s, {result['windows']} windows "
            f"({result['predict_calls']} predict calls)"
        )
        print(
            f"generate:            {result['generate_seconds'] * 1e3:.2f} ms "
            f"(first call with tracing {result['generate_compile_seconds']:.2f} s)"
        )
        print(f"generate (XLA):      {result['generate_xla_seconds'] * 1e3:.2f} ms")
        print(
            f"speed-up: {result['speedup']:.0f}x  (XLA {result['speedup_xla']:.0f}x), "
            f"max |diff| {result['max_abs_diff']:.2e}"
        )
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
