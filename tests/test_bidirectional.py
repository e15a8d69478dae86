"""labs.bidirectional end to end with --quick on the real FSDD data, and its predict command."""

import dataclasses
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from labs import bidirectional, kit
from labs.bidirectional import LAB, PRESETS, VOTE, figures, train
from labs.bidirectional.clipping_study import QUICK_STUDY_STEPS
from labs.data import DataError
from labs.data.spoken_digit import load_spoken_digit, waveform_batches
from labs.data.wav import read_wav, trim_silence
from tests.conftest import REPO, kill_when
from tests.test_spoken_digit_models import COURSE_PARAMS
from tests.wav_files import tone, write_wav

MODEL_KEYS = {"params", "epochs", "epoch_seconds", "val_accuracy", "test_accuracy", "clipping"}
TIMING = {"epoch_seconds", "train_seconds"}


def _without_timing(value):
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in TIMING}
    return value


def _data_flags(manual_dir, data_dir):
    return ["--manual-dir", str(manual_dir), "--data-dir", str(data_dir)]


@pytest.fixture(scope="module")
def modern_run(manual_dir, data_dir, tmp_path_factory):
    """A --quick run into `<folder>/runs/bidirectional`, the default output dir seen from
    `<folder>`."""
    out = tmp_path_factory.mktemp("modern") / "runs" / "bidirectional"
    metrics = kit.execute(
        LAB, ["--quick", "--output-dir", str(out), *_data_flags(manual_dir, data_dir)]
    )
    return out, metrics


def test_modern_quick_run_writes_the_output_contract(modern_run):
    out, metrics = modern_run
    kit.validate_metrics(LAB, metrics)
    assert metrics == json.loads((out / "metrics.json").read_text())
    assert metrics["lab"] == "bidirectional" and metrics["quick"] is True
    assert metrics["preset"] == "modern" and metrics["split"] == "official"
    assert metrics["config"]["epochs"] == 2 and metrics["config"]["clips"]["test"] == 16
    assert list(metrics["models"]) == list(bidirectional.MODERN_MODELS)
    for row in metrics["models"].values():
        assert set(row) == MODEL_KEYS
        assert row["params"] <= 250_000 and row["epochs"] == 2
        assert row["clipping"] is None
    vote = metrics["ensemble"]
    assert vote["models"] == list(VOTE)  # the four that do best on unheard voices
    assert vote["params"] == sum(metrics["models"][name]["params"] for name in VOTE)
    assert vote["path"] == str(out / "models" / "ensemble.keras")
    # The best of the models and their vote by validation accuracy; a tie goes to the vote.
    best = metrics["best"]
    candidates = {**metrics["models"], "ensemble": vote}
    top = max(row["val_accuracy"] for row in candidates.values())
    assert best["val_accuracy"] == top
    assert best["name"] == ("ensemble" if vote["val_accuracy"] == top else best["name"])
    assert best["test_accuracy"] == candidates[best["name"]]["test_accuracy"]
    assert best["path"] == str(out / "models" / "best.keras")
    for name in [*bidirectional.MODERN_MODELS, "ensemble", "best"]:
        assert (out / "models" / f"{name}.keras").is_file()
    for plot in ["training_accuracy", "training_loss", "comparison", "confusion_matrix", "digits"]:
        assert (out / f"{plot}.png").stat().st_size > 10_000, plot
    header = (out / "history.csv").read_text().splitlines()[0]
    assert header.startswith("run,epoch,") and "val_accuracy" in header
    assets = json.loads((out / "assets.json").read_text())
    assert assets == {"sample_rate": 8000, "best": best["name"]}  # what predict reads


def _quick_clips(split, manual_dir, data_dir):
    splits = load_spoken_digit("official", manual_dir=manual_dir, data_dir=data_dir)
    clips = getattr(splits, split).take(PRESETS["modern"].quick().clips[split])
    waveforms, labels = next(iter(waveform_batches(clips, 64)))
    return waveforms.numpy(), labels.numpy()


def test_reported_accuracies_are_the_saved_models_and_the_vote_is_their_mean(
    modern_run, manual_dir, data_dir
):
    out, metrics = modern_run
    waveforms, labels = _quick_clips("test", manual_dir, data_dir)
    val_waveforms, val_labels = _quick_clips("validation", manual_dir, data_dir)
    saved = {
        name: keras.saving.load_model(out / "models" / f"{name}.keras")
        for name in [*metrics["models"], "ensemble", "best"]
    }
    test_probabilities = {name: m.predict(waveforms, verbose=0) for name, m in saved.items()}
    for name, row in metrics["models"].items():
        predicted = test_probabilities[name].argmax(axis=-1)
        assert row["test_accuracy"] == np.mean(predicted == labels), name
    np.testing.assert_array_equal(
        test_probabilities["best"], test_probabilities[metrics["best"]["name"]]
    )
    # ensemble.keras is the mean of its members' probabilities, with the reported accuracies.
    for batch, truth, key in ((waveforms, labels, "test"), (val_waveforms, val_labels, "val")):
        voted = saved["ensemble"].predict(batch, verbose=0)
        members = [saved[name].predict(batch, verbose=0) for name in metrics["ensemble"]["models"]]
        np.testing.assert_allclose(voted, np.mean(members, axis=0), atol=1e-6)
        assert metrics["ensemble"][f"{key}_accuracy"] == np.mean(voted.argmax(axis=-1) == truth)


def test_ensemble_over_folds_averages_each_folds_models():
    def run(val, test):
        inputs = keras.Input((1,))
        model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
        return train.TrainedModel(
            model, {"params": 3}, np.array([0, 1]), np.array(test), np.array([1, 0]), np.array(val)
        )

    runs = {  # theo: a alone gets one clip right, b the other, together both; nicolas: b outvotes a
        ("a", "theo"): run([[0.1, 0.9], [0.9, 0.1]], [[0.9, 0.1], [0.6, 0.4]]),
        ("b", "theo"): run([[0.1, 0.9], [0.9, 0.1]], [[0.4, 0.6], [0.0, 1.0]]),
        ("a", "nicolas"): run([[0.9, 0.1], [0.9, 0.1]], [[0.6, 0.4], [0.4, 0.6]]),
        ("b", "nicolas"): run([[0.8, 0.2], [0.9, 0.1]], [[0.1, 0.9], [0.1, 0.9]]),
    }
    for fold in ("theo", "nicolas"):
        runs[("ensemble", fold)] = vote = train.vote(runs, ("a", "b"), fold)
        np.testing.assert_allclose(
            vote.test_probabilities,
            np.mean([runs[(name, fold)].test_probabilities for name in "ab"], axis=0),
        )
    ensemble = train.ensemble(runs, ("a", "b"), ["theo", "nicolas"])
    assert ensemble == {
        "models": ["a", "b"],
        "params": 6,
        "val_accuracy": 0.75,
        "test_accuracy": 0.75,
        "folds": {"theo": 1.0, "nicolas": 0.5},
    }


def test_confusion_matrix_pools_the_held_out_speakers_of_every_fold():
    def run(labels, predicted):
        return train.TrainedModel(None, {}, np.array(labels), np.eye(10)[predicted])

    figure = figures.confusion_figure(
        {"theo": run([0, 1], [0, 1]), "nicolas": run([2, 3], [3, 3])}, "gru"
    )
    axes = figure.axes[0]
    matrix = axes.images[0].get_array()
    assert matrix.sum() == 4 and matrix[0, 0] == matrix[1, 1] == matrix[2, 3] == matrix[3, 3] == 1
    assert "2 held-out speakers (75.0% correct)" in axes.get_title()


def test_course_quick_run_with_clipping_study(manual_dir, data_dir, tmp_path):
    # Two of the five course models keep the test short; all five are built in
    # test_spoken_digit_models and trained the same way.
    argv = ["--preset", "course", "--quick", "--models", "conv1d,lstm_clip"]
    metrics = kit.execute(
        LAB, [*argv, "--output-dir", str(tmp_path), *_data_flags(manual_dir, data_dir)]
    )
    kit.validate_metrics(LAB, metrics)
    assert metrics["split"] == "course"
    assert {name: row["params"] for name, row in metrics["models"].items()} == {
        name: COURSE_PARAMS[name] for name in ("conv1d", "lstm_clip")
    }
    assert all(row["epochs"] == 1 for row in metrics["models"].values())
    assert metrics["models"]["lstm_clip"]["clipping"] == {"clipvalue": 0.5}
    assert metrics["models"]["conv1d"]["clipping"] is None
    study = metrics["clipping_study"]
    assert set(study["runs"]) == {"no clipping", "clipvalue 0.5", "clipnorm 1.0"}
    assert study["steps"] == QUICK_STUDY_STEPS
    steps = json.loads((tmp_path / "clipping_study_steps.json").read_text())
    for label, run in study["runs"].items():
        norms = steps[label]["gradient_norm"]
        assert len(norms) == study["steps"] and all(n > 0 for n in norms)
        assert run["gradient_norm"]["max"] == pytest.approx(max(norms))
    # Same initial weights and data: the first step's gradient is the same whatever the clipping.
    first = [steps[label]["gradient_norm"][0] for label in study["runs"]]
    assert first == pytest.approx([first[0]] * 3, rel=1e-4)
    # The study trains through experiment.fit: its runs are in history.csv, not saved as models.
    runs = {line.split(",")[0] for line in (tmp_path / "history.csv").read_text().splitlines()[1:]}
    assert runs == {
        "conv1d",
        "lstm_clip",
        "study_no_clipping",
        "study_clipvalue_0.5",
        "study_clipnorm_1.0",
    }
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "best.keras",
        "conv1d.keras",
        "ensemble.keras",
        "lstm_clip.keras",
    ]
    for plot in ["gradient_norms", "clipping_loss", "comparison", "confusion_matrix"]:
        assert (tmp_path / f"{plot}.png").is_file()


def test_speaker_split_and_every_flag_in_the_config(manual_dir, data_dir, tmp_path):
    flags = {
        "--split": "speaker",
        "--speaker": "theo",
        "--models": "conv1d,simple_rnn",
        "--global-clipnorm": "2",
        "--epochs": "1",
        "--batch-size": "16",
        "--learning-rate": "0.002",
    }
    argv = [item for pair in flags.items() for item in pair]
    metrics = kit.execute(
        LAB,
        [
            *argv,
            "--quick",
            "--no-plots",
            "--output-dir",
            str(tmp_path),
            *_data_flags(manual_dir, data_dir),
        ],
    )
    kit.validate_metrics(LAB, metrics)
    config = metrics["config"]
    assert (config["split"], config["speaker"], config["models"]) == (
        "speaker",
        "theo",
        ["conv1d", "simple_rnn"],
    )
    assert (config["global_clipnorm"], config["clipnorm"], config["clipvalue"]) == (2.0, None, None)
    assert (config["epochs"], config["batch_size"], config["learning_rate"]) == (1, 16, 0.002)
    assert config["vote"] == []  # --models: every chosen model votes
    row = metrics["models"]["conv1d"]
    assert metrics["split"] == "speaker" and list(metrics["models"]) == ["conv1d", "simple_rnn"]
    assert row["folds"] == {"theo": row["test_accuracy"]} and row["epochs"] == 1
    assert row["clipping"] == {"global_clipnorm": 2.0}
    assert metrics["ensemble"]["folds"] == {"theo": metrics["ensemble"]["test_accuracy"]}
    assert metrics["ensemble"]["models"] == ["conv1d", "simple_rnn"]
    best = metrics["best"]["name"]
    assert metrics["best"]["folds"] == {"theo": str(tmp_path / "models" / f"{best}_theo.keras")}
    for name in ("conv1d", "simple_rnn", "ensemble"):
        assert (tmp_path / "models" / f"{name}_theo.keras").is_file()
    assert not (tmp_path / "models" / "best.keras").exists()  # no one model for every fold
    assert not list(tmp_path.glob("*.png"))
    # Every flag of the lab is a config field, so metrics.json says what ran.
    fields = {f.name for f in dataclasses.fields(bidirectional.Config) if "flag" in f.metadata}
    assert {flag[2:].replace("-", "_") for flag in flags} <= fields <= set(config)
    for name, value in (("clipvalue", 0.5), ("clipnorm", 1.0)):
        _, parsed = kit.lab.parse(LAB, [f"--{name}", str(value)])
        assert dataclasses.asdict(parsed)[name] == value and parsed.clipping == {name: value}


def test_one_model_has_no_vote(manual_dir, data_dir, tmp_path):
    argv = ["--models", "conv1d", "--quick", "--no-plots", "--output-dir", str(tmp_path)]
    metrics = kit.execute(LAB, [*argv, *_data_flags(manual_dir, data_dir)])
    assert "ensemble" not in metrics and metrics["best"]["name"] == "conv1d"
    assert not (tmp_path / "models" / "ensemble.keras").exists()


def test_flag_errors_are_one_line_before_tensorflow_starts():
    # --models is checked against the preset's models in Config.__post_init__, before TF.
    script = (
        "import sys\n"
        "from labs import kit\n"
        "from labs.bidirectional import LAB\n"
        "for argv in ([], ['--models', 'conv1d,transformer'], ['--models', 'lstm_clip'],\n"
        "             ['--clipnorm', '1', '--clipvalue', '1'], ['--speaker', 'theo'],\n"
        "             ['--split', 'random'], ['--epochs', '0'], ['--clipnorm', '-1'],\n"
        "             ['predict', '--help'], ['predict']):\n"
        "    try:\n"
        "        kit.lab.parse(LAB, argv + ([] if argv else ['--help']))\n"
        "    except SystemExit as exit:\n"
        "        print(exit.code, file=sys.stderr)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "False"  # TensorFlow never imported
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if "error:" in line]
    assert [line.split("error: ")[1].split(":")[0] for line in errors] == [
        "argument --models",
        "argument --models",
        "argument --clipnorm",
        "argument --speaker",
        "argument --split",
        "argument --epochs",
        "argument --clipnorm",
        "the following arguments are required",
    ]
    assert "for the modern preset" in errors[1] and "not allowed with --clipvalue" in errors[2]
    assert [line for line in lines if line in ("0", "2")] == ["0"] + ["2"] * 7 + ["0", "2"]


def test_offline_without_the_archive_names_the_flag(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["--quick", "--manual-dir", str(empty), "--data-dir", str(tmp_path / "tfds")]
    with pytest.raises(DataError, match="LABS_MANUAL_DIR") as error:
        kit.execute(LAB, [*argv, "--output-dir", str(tmp_path / "out")])
    assert "--manual-dir" in str(error.value) and "\n" not in str(error.value)


def test_a_damaged_prepared_copy_is_one_line(data_dir, tmp_path):
    # A truncated tfds record file: one line naming the folder to delete, not a DataLossError
    # traceback in the middle of training.
    copy = tmp_path / "tfds"
    subprocess.run(["cp", "-r", str(data_dir), str(copy)], check=True)
    (record,) = copy.glob("spoken_digit/*/*.tfrecord*")
    os.truncate(record, record.stat().st_size // 2)
    for split in ("course", "official"):
        with pytest.raises(DataError, match="damaged") as error:
            load_spoken_digit(split, data_dir=copy)
        assert "delete" in str(error.value) and "\n" not in str(error.value)


# ---------------------------------------------------------------------------------------------
# predict


@pytest.fixture(scope="module")
def wav_files(manual_dir, data_dir, tmp_path_factory):
    """A real FSDD clip as 8 kHz mono, as 44.1 kHz 32-bit float and in 24-bit PCM; 16 kHz stereo;
    a silent clip; a truncated wav; an empty file and a text file."""
    folder = tmp_path_factory.mktemp("wavs")
    splits = load_spoken_digit("official", manual_dir=manual_dir, data_dir=data_dir)
    audio = next(iter(splits.test))["audio"].numpy()
    mono = write_wav(folder / "mono_8k.wav", audio, 8000)
    stereo_signal = np.stack([tone(300, 0.6, 16000), tone(300, 0.6, 16000, 3000)], axis=1)
    truncated = folder / "truncated.wav"
    truncated.write_bytes(mono.read_bytes()[:300])
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.txt").write_text("one two three\n")
    return {
        "mono": mono,
        "float": write_wav(folder / "float.wav", audio, 8000, width=4, float_format=True),
        "pcm24": write_wav(folder / "pcm24.wav", audio, 8000, width=3, extensible=True),
        "stereo": write_wav(folder / "stereo_16k.wav", stereo_signal, 16000),
        "silent": write_wav(folder / "silent.wav", np.zeros(4000), 8000),
        "truncated": truncated,
        "empty": folder / "empty.wav",
        "text": folder / "notes.txt",
    }


def _padded(paths):
    """The trimmed clips of `paths`, zero-padded to one second: `(clips, 8000)`."""
    batch = np.zeros((len(paths), 8000), np.float32)
    for row, path in zip(batch, paths, strict=True):
        audio = trim_silence(read_wav(path, 8000))[:8000]
        row[: len(audio)] = audio
    return batch


def _predictions(stdout):
    rows = [line.split("\t") for line in stdout.strip().splitlines() if line.count("\t") == 2]
    return {path: (int(digit), float(confidence)) for path, digit, confidence in rows}


def test_predict_classifies_good_files_and_names_bad_ones_in_one_line_each(modern_run, wav_files):
    out = modern_run[0]
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*")}
    names = ("mono", "truncated", "float", "empty", "pcm24", "stereo", "silent", "text")
    files = [wav_files[name] for name in names]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "labs.bidirectional",
            "predict",
            "--output-dir",
            str(out),
            *map(str, files),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    predictions = _predictions(result.stdout)
    good = [str(wav_files[name]) for name in ("mono", "float", "pcm24", "stereo", "silent")]
    assert list(predictions) == good
    probabilities = keras.saving.load_model(out / "models" / "best.keras").predict(
        _padded(good), verbose=0
    )
    for path, row in zip(good, probabilities, strict=True):
        assert predictions[path] == (row.argmax(), pytest.approx(row.max(), abs=5e-4))
    # The same clip as 16-bit, 32-bit float and 24-bit PCM: the same answer.
    assert predictions[good[0]] == predictions[good[1]] == predictions[good[2]]
    stderr = result.stderr.strip().splitlines()
    problems = {line.split("\t")[0]: line.split("\t")[1] for line in stderr if "\t" in line}
    assert problems[str(wav_files["empty"])] == "error: the file is empty (0 bytes)"
    assert "truncated wav" in problems[str(wav_files["truncated"])]
    assert "not a wav file" in problems[str(wav_files["text"])]
    assert "silent" in problems[str(wav_files["silent"])]
    assert stderr[-1] == "bidirectional: error: 3 of 8 files could not be classified"
    assert "Traceback" not in result.stderr
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")} == before  # run untouched


def test_predict_with_several_models_averages_their_probabilities(modern_run, wav_files):
    out = modern_run[0]
    wavs = [str(wav_files["mono"]), str(wav_files["stereo"])]
    argv = ["predict", "--output-dir", str(out), "--model", "conv1d,gru", *wavs]
    ensemble = kit.execute(LAB, argv)
    batch = _padded(wavs)
    mean = np.mean(
        [
            keras.saving.load_model(out / "models" / f"{name}.keras").predict(batch, verbose=0)
            for name in ("conv1d", "gru")
        ],
        axis=0,
    )
    for path, row in zip(wavs, mean, strict=True):
        assert ensemble[path]["digit"] == row.argmax()
        assert ensemble[path]["confidence"] == pytest.approx(row.max(), abs=1e-6)


def test_predict_defaults_to_the_runs_best_model(modern_run, wav_files, monkeypatch):
    out, _ = modern_run
    monkeypatch.chdir(out.parents[1])  # the folder holding runs/bidirectional
    results = kit.execute(LAB, ["predict", str(wav_files["mono"])])
    probabilities = keras.saving.load_model(out / "models" / "best.keras").predict(
        _padded([str(wav_files["mono"])]), verbose=0
    )
    assert results[str(wav_files["mono"])]["digit"] == probabilities[0].argmax()
    with pytest.raises(
        kit.LabError, match=r"has no model 'transformer' \(its models: best, bilstm"
    ):
        kit.execute(LAB, ["predict", "--model", "transformer", str(wav_files["mono"])])


def test_predict_before_any_run_names_the_command(tmp_path, wav_files, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(kit.LabError, match="run `python -m labs.bidirectional` first"):
        kit.execute(LAB, ["predict", str(wav_files["mono"])])


# ---------------------------------------------------------------------------------------------
# Resume


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_at",
    [["== simple_rnn =="], ["== simple_rnn ==", "Epoch 2/2"]],
    ids=["between-models", "inside-a-model"],
)
def test_killed_run_resumes_to_the_uninterrupted_runs_metrics(
    kill_at, manual_dir, data_dir, tmp_path
):
    """Killed when simple_rnn starts (conv1d done) or in its second epoch: the rerun reuses
    conv1d, trains or resumes simple_rnn and ends with the uninterrupted run's metrics and
    history."""
    flags = [
        "--quick",
        "--no-plots",
        "--models",
        "conv1d,simple_rnn",
        *_data_flags(manual_dir, data_dir),
    ]
    uninterrupted = kit.execute(LAB, [*flags, "--output-dir", str(tmp_path / "whole")])
    command = [
        sys.executable,
        "-m",
        "labs.bidirectional",
        *flags,
        "--output-dir",
        str(tmp_path / "killed"),
    ]
    returncode, stderr = kill_when(command, *kill_at)
    assert returncode == 130, stderr[-2000:]
    assert "run the same command again to resume" in stderr.strip().splitlines()[-1]

    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "conv1d: already trained before the restart" in result.stdout
    assert ("1 epoch(s) already done" in result.stdout) == (len(kill_at) == 2)
    resumed = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    for metrics in (resumed, uninterrupted):
        metrics.pop("best")  # names the output dir
        metrics["ensemble"].pop("path")
    assert _without_timing(resumed) == _without_timing(uninterrupted)
    history = (tmp_path / "killed" / "history.csv").read_text()
    assert history == (tmp_path / "whole" / "history.csv").read_text()
