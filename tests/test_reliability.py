"""Guarantees every lab gives: determinism, resume after a kill, the NaN guard, bad input,
tf.distribute, and the benchmark runner."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from labs import activations, augmentation, kit, seq2seq, simple_rnn
from labs.bidirectional.__main__ import main as bidirectional_main
from labs.bidirectional.__main__ import parse_args as bidirectional_args
from labs.kit import training
from tests.conftest import REPO, kill_when, run_module

# Fields that measure time, not results: the only ones allowed to differ between two runs.
TIMING = {"epoch_seconds", "train_seconds"}


def _without(value, keys):
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    return value


def _run_command(lab_main, argv, capsys):
    """Runs a lab as its command does (`kit.run`), in this process; returns (status, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        kit.run(lambda: lab_main(argv))
    return exit_info.value.code, capsys.readouterr().err


def _one_clear_line(stderr):
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Determinism: the same seed, fresh processes, identical results apart from timing.


@pytest.mark.parametrize(
    "module, args",
    [
        ("labs.seq2seq", ["--quick"]),
        # Two of the four models keep it fast: a convolutional and a recurrent one, both shuffled.
        ("labs.bidirectional", ["--quick", "--models", "conv1d,simple_rnn"]),
    ],
)
def test_same_seed_gives_identical_results_in_fresh_processes(module, args, tmp_path, request):
    if module == "labs.bidirectional":
        manual_dir = request.getfixturevalue("manual_dir")
        data_dir = request.getfixturevalue("data_dir")
        args = [*args, "--manual-dir", manual_dir, "--data-dir", data_dir]
    runs = []
    for name in ("first", "second"):
        out = tmp_path / name
        result = run_module(module, *args, "--no-plots", "--output-dir", out, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        metrics = json.loads((out / "metrics.json").read_text())
        for section in ("best", "ensemble"):  # their paths name the output dir
            metrics.get(section, {}).pop("path", None)
        runs.append((_without(metrics, TIMING), (out / "history.csv").read_text()))
    assert runs[0] == runs[1]
    assert runs[0][1].count("\n") > 2  # the histories compared are not empty


# ---------------------------------------------------------------------------------------------
# Resume after a kill.


class _Interrupt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt at the end of epoch `epoch` (after the backup was saved)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise KeyboardInterrupt


def _tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.1), "mse")
    return model


def test_backup_restores_weights_optimizer_and_history(tmp_path):
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    backup = training.BackupAndRestore(tmp_path / "backup")
    model = _tiny_model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(
            x,
            y,
            epochs=5,
            batch_size=8,
            verbose=0,
            shuffle=False,
            callbacks=[backup, _Interrupt(2)],
        )
    weights_at_kill = model.get_weights()

    restarted = _tiny_model()  # a fresh process builds the model anew
    backup = training.BackupAndRestore(tmp_path / "backup")
    trained_epochs = []
    restarted.fit(
        x,
        y,
        epochs=5,
        batch_size=8,
        verbose=0,
        shuffle=False,
        callbacks=[
            backup,
            keras.callbacks.LambdaCallback(
                on_epoch_begin=lambda e, logs: (
                    trained_epochs.append(e),
                    np.testing.assert_allclose(restarted.get_weights()[0], weights_at_kill[0])
                    if e == 2
                    else None,
                )
            ),
        ],
    )
    assert backup.initial_epoch == 2 and trained_epochs == [2, 3, 4]
    assert len(backup.history["loss"]) == 5  # the two epochs before the kill included
    assert backup.history["loss"][-1] < backup.history["loss"][0]
    assert not (tmp_path / "backup").exists()  # deleted once training completed


def test_resume_discards_a_backup_of_other_training_flags(tmp_path, capsys):
    args = bidirectional_args(["--models", "conv1d"])
    model = _tiny_model()
    path = tmp_path / "models" / "dense.keras"
    path.parent.mkdir()
    model.save(path)
    result = training.FitResult(
        model, {"loss": [1.0, 0.5]}, epochs=2, train_seconds=1.0, epoch_seconds=0.5
    )

    resume = training.Resume(tmp_path, args)
    assert resume.finished("dense") is None
    resume.save_finished("dense", path, result)
    reused = training.Resume(tmp_path, args).finished("dense")
    assert reused.reused and reused.history == result.history and reused.epochs == 2
    np.testing.assert_array_equal(reused.model.get_weights()[0], model.get_weights()[0])

    other = bidirectional_args(["--models", "gru"])
    assert training.Resume(tmp_path, other).finished("dense") is None
    assert "made with other flags" in capsys.readouterr().out
    # Flags that do not change training keep the backup valid.
    training.Resume(tmp_path, other).save_finished("dense", path, result)
    same = bidirectional_args(["--models", "gru", "--no-plots", "--output-dir", "x", "--verbose"])
    assert training.Resume(tmp_path, same).finished("dense") is not None


def test_killed_run_resumes_from_its_last_epoch(tmp_path):
    """SIGTERM after the first epoch, then the same command: it continues and completes."""
    command = [
        sys.executable,
        "-m",
        "labs.seq2seq",
        "--epochs",
        "8",
        "--batch-size",
        "1",
        "--no-plots",
        "--output-dir",
        str(tmp_path),
    ]
    returncode, stderr = kill_when(command, "Epoch 2/")  # verbose=2: epoch 1 is done
    assert returncode == 130, stderr[-2000:]
    last = stderr.strip().splitlines()[-1]
    assert "partial results" in last and "run the same command again to resume" in last
    assert "Traceback" not in stderr
    assert (tmp_path / "backup" / "course" / "training" / "latest.weights.h5").is_file()
    assert not (tmp_path / "metrics.json").exists()

    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    resumed = [line for line in result.stdout.splitlines() if line.startswith("Resuming from")]
    assert len(resumed) == 1
    done = int(resumed[0].split(": ")[-1].split()[0])
    assert done >= 1
    epochs_run = [line for line in result.stdout.splitlines() if line.startswith("Epoch ")]
    assert epochs_run[0] == f"Epoch {done + 1}/8" and epochs_run[-1] == "Epoch 8/8"
    rows = (tmp_path / "history.csv").read_text().strip().splitlines()[1:]
    assert [int(row.split(",")[1]) for row in rows] == list(range(1, 9))  # every epoch
    assert json.loads((tmp_path / "metrics.json").read_text())["variants"]["course"]["epochs"] == 8
    assert not (tmp_path / "backup").exists()


# ---------------------------------------------------------------------------------------------
# NaN guard.


def test_divergence_stops_with_a_hint_and_keeps_what_it_has(tmp_path):
    # A learning rate of 1e30 overflows float32 in the first steps: an honest divergence.
    result = run_module(
        "labs.seq2seq",
        "--quick",
        "--no-plots",
        "--learning-rate",
        "1e30",
        "--output-dir",
        tmp_path,
        timeout=300,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "training diverged" in last and "lower --learning-rate" in last
    assert "Traceback" not in result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["diverged"]["run"] == "course"
    assert metrics["variants"] == {}
    history = (tmp_path / "history.csv").read_text().splitlines()
    assert history[1].startswith("course,1,")  # the diverged epoch is kept
    assert not (tmp_path / "models" / "course.keras").exists()


# ---------------------------------------------------------------------------------------------
# Bad input: one clear line, non-zero exit, nothing already written lost.

LAB_MAINS = {
    "activations": activations.main,
    "augmentation": augmentation.main,
    "bidirectional": bidirectional_main,
    "seq2seq": seq2seq.main,
    "simple_rnn": simple_rnn.main,
}


@pytest.mark.parametrize(
    "lab, argv, flag",
    [
        ("seq2seq", ["--strategy", "tpu"], "--strategy"),
        ("bidirectional", ["--strategy", "mirroredd"], "--strategy"),
        ("seq2seq", ["--learning-rate", "0"], "--learning-rate"),
        ("bidirectional", ["--learning-rate", "nan"], "--learning-rate"),
        ("simple_rnn", ["--variants", "lstm"], "--variants"),
        ("augmentation", ["--epochs", "3"], "--epochs"),
    ],
)
def test_bad_flag_values_exit_2_with_one_line(lab, argv, flag, capsys):
    status, stderr = _run_command(LAB_MAINS[lab], argv, capsys)
    assert status == 2 and flag in _one_clear_line(stderr)


@pytest.mark.parametrize("lab", sorted(LAB_MAINS))
def test_unwritable_output_dir_is_one_line(lab, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    status, stderr = _run_command(
        LAB_MAINS[lab], ["--quick", "--output-dir", str(blocker / "out")], capsys
    )
    assert status == 1
    assert f"cannot write to output dir {blocker / 'out'}" in _one_clear_line(stderr)
    assert blocker.read_text() == "not a folder"


def _previous_results(out):
    """An output dir holding an earlier run's files; returns {path: content}."""
    (out / "models").mkdir(parents=True)
    files = {
        out / "metrics.json": '{"earlier": "run"}\n',
        out / "models" / "gru.keras": "model",
        out / "history.csv": "run,epoch,loss\n",
    }
    for path, text in files.items():
        path.write_text(text)
    return files


@pytest.mark.parametrize("archive", ["missing", "truncated"])
def test_bad_data_offline_is_one_line_and_keeps_earlier_results(
    archive, tmp_path, capsys, manual_dir
):
    folder = tmp_path / "manual"
    folder.mkdir()
    if archive == "truncated":
        original = (manual_dir / "free-spoken-digit-dataset-1.0.9.tar.gz").read_bytes()
        (folder / "free-spoken-digit-dataset-1.0.9.tar.gz").write_bytes(original[:2_000_000])
    previous = _previous_results(tmp_path / "out")
    status, stderr = _run_command(
        bidirectional_main,
        [
            "--quick",
            "--manual-dir",
            str(folder),
            "--data-dir",
            str(tmp_path / "tfds"),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    assert status == 1
    line = stderr.strip().splitlines()[-1]  # tfds may print its download progress before
    assert "Traceback" not in stderr
    assert ("--manual-dir" in line) if archive == "missing" else ("wrong checksum" in line)
    assert {path: path.read_text() for path in previous} == previous


def test_bad_image_keeps_earlier_results(tmp_path, capsys):
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    previous = _previous_results(tmp_path / "out")
    status, stderr = _run_command(
        augmentation.main,
        ["--quick", "--image", str(bad), "--output-dir", str(tmp_path / "out")],
        capsys,
    )
    assert status == 1 and f"cannot read image {bad}" in _one_clear_line(stderr)
    assert {path: path.read_text() for path in previous} == previous


# ---------------------------------------------------------------------------------------------
# tf.distribute: two logical CPU devices in a fresh process.

STRATEGY_SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from labs import kit, seq2seq

    out = sys.argv[1]
    results = {}
    for strategy in ("default", "mirrored"):
        results[strategy] = seq2seq.main(["--quick", "--no-plots", "--strategy", strategy,
                                          "--output-dir", f"{out}/{strategy}"])
    try:
        seq2seq.main(["--quick", "--strategy", "mirrored", "--batch-size", "13",
                      "--output-dir", f"{out}/odd"])
    except kit.LabError as error:
        results["odd_batch_error"] = str(error)
    print("RESULTS " + json.dumps(results))
""")


def test_mirrored_strategy_on_two_devices_matches_one_device(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", STRATEGY_SCRIPT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "MirroredStrategy over 2 device(s)" in result.stdout
    results = json.loads(result.stdout.split("RESULTS ", 1)[1])
    single = results["default"]["variants"]["course"]
    mirrored = results["mirrored"]["variants"]["course"]
    # Each replica takes half of every batch and the gradients are summed before the update:
    # the same arithmetic up to float32 summation order, so the numbers agree to ~1e-6 after two
    # epochs (measured: identical). 1e-4 allows for rounding, and fails if a replica trained on
    # its half-batch alone or the gradients were not reduced.
    for key in ("final_loss", "val_mse", "free_running_mse", "shifted_free_running_mse"):
        assert mirrored[key] == pytest.approx(single[key], rel=1e-4), key
    history = (tmp_path / "mirrored" / "history.csv").read_text().splitlines()
    losses = [float(row.split(",")[2]) for row in history[1:]]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert "multiple of the 2 replicas" in results["odd_batch_error"]


# ---------------------------------------------------------------------------------------------
# The benchmark runner.


def _check_benchmark_results(out, benchmarks):
    results = json.loads((out / "results.json").read_text())
    assert {row["benchmark"] for row in results["rows"]} == benchmarks
    for row in results["rows"]:
        assert row["ours"] > 0 and row["anchor"] > 0
        assert row["ratio"] == pytest.approx(
            row["ours"] / row["anchor"] if row["higher_is_better"] else row["anchor"] / row["ours"],
            rel=1e-3,
        )
    table = (out / "results.md").read_text()
    assert "| metric | ours | anchor | ratio | machine |" in table
    assert table.count("\n| ") >= len(results["rows"]) + 1


def test_benchmark_runner_writes_the_table(tmp_path):
    result = run_module(
        "benchmarks",
        "--quick",
        "--only",
        "seq2seq_inference",
        "--output-dir",
        tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    _check_benchmark_results(tmp_path, {"seq2seq_inference"})


@pytest.mark.slow
def test_benchmark_runner_runs_every_benchmark(tmp_path):
    result = run_module("benchmarks", "--quick", "--output-dir", tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    _check_benchmark_results(tmp_path, {"augmentation", "seq2seq_inference", "word2vec"})
