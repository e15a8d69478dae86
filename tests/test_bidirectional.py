"""labs.bidirectional end to end with --quick on the real FSDD data, and its predict command."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from labs.bidirectional import figures, train
from labs.bidirectional.__main__ import PRESETS, VOTE, main
from labs.bidirectional.clipping_study import QUICK_STUDY_STEPS
from labs.data.spoken_digit import load_spoken_digit, waveform_batches
from labs.data.wav import read_wav, trim_silence
from models.spoken_digit import MODERN_MODELS
from tests.conftest import REPO, kill_when, run_module
from tests.test_spoken_digit_models import COURSE_PARAMS
from tests.wav_files import tone, write_wav

MODEL_KEYS = {"params", "epochs", "epoch_seconds", "val_accuracy", "test_accuracy", "clipping"}
QUICK_TEST_CLIPS = PRESETS["modern"].quick().clips["test"]
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
    metrics = main(["--quick", "--output-dir", str(out), *_data_flags(manual_dir, data_dir)])
    return out, metrics


def test_modern_quick_run_writes_the_output_contract(modern_run):
    out, metrics = modern_run
    assert metrics == json.loads((out / "metrics.json").read_text())
    assert metrics["lab"] == "bidirectional" and metrics["quick"] is True
    assert metrics["preset"] == "modern" and metrics["split"] == "official"
    assert metrics["config"]["epochs"] == 2 and metrics["config"]["clips"]["test"] == 16
    assert list(metrics["models"]) == list(MODERN_MODELS)
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
    for name in [*MODERN_MODELS, "ensemble", "best"]:
        assert (out / "models" / f"{name}.keras").is_file()
    for plot in ["training_accuracy", "training_loss", "comparison", "confusion_matrix", "digits"]:
        assert (out / f"{plot}.png").stat().st_size > 10_000, plot
    header = (out / "history.csv").read_text().splitlines()[0]
    assert header.startswith("run,epoch,") and "val_accuracy" in header


def _quick_clips(split, manual_dir, data_dir):
    splits = load_spoken_digit("official", manual_dir=manual_dir, data_dir=data_dir)
    clips = getattr(splits, split).take(PRESETS["modern"].quick().clips[split])
    waveforms, labels = next(iter(waveform_batches(clips, 64)))
    return waveforms.numpy(), labels.numpy()


@pytest.fixture(scope="module")
def quick_test_clips(manual_dir, data_dir):
    """The test clips a --quick run scores, as `(waveforms, labels)`."""
    return _quick_clips("test", manual_dir, data_dir)


def test_reported_accuracy_is_the_saved_models_accuracy(modern_run, quick_test_clips):
    out, metrics = modern_run
    waveforms, labels = quick_test_clips
    for name, row in metrics["models"].items():
        model = keras.saving.load_model(out / "models" / f"{name}.keras")
        predicted = model.predict(waveforms, verbose=0).argmax(axis=-1)
        assert row["test_accuracy"] == np.mean(predicted == labels), name
    best = keras.saving.load_model(out / "models" / "best.keras")
    chosen = keras.saving.load_model(out / "models" / f"{metrics['best']['name']}.keras")
    np.testing.assert_array_equal(
        best.predict(waveforms, verbose=0), chosen.predict(waveforms, verbose=0)
    )


def test_saved_vote_in_a_fresh_process_is_the_mean_of_its_members(
    modern_run, quick_test_clips, manual_dir, data_dir, tmp_path
):
    """ensemble.keras, loaded by plain `keras.saving.load_model` after `import models` in a new
    process outside the repository, gives the mean of its saved members' probabilities, and
    its accuracies are the reported ones."""
    out, metrics = modern_run
    waveforms, labels = quick_test_clips
    val_waveforms, val_labels = _quick_clips("validation", manual_dir, data_dir)
    np.save(tmp_path / "test.npy", waveforms)
    np.save(tmp_path / "val.npy", val_waveforms)
    script = (
        "import sys, keras, numpy as np\n"
        "import models\n"
        "vote = keras.saving.load_model(sys.argv[1])\n"
        "for split in ('test', 'val'):\n"
        "    np.save(split + '_vote.npy', vote.predict(np.load(split + '.npy'), verbose=0))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(out / "models" / "ensemble.keras")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    members = [
        keras.saving.load_model(out / "models" / f"{name}.keras")
        for name in metrics["ensemble"]["models"]
    ]
    for split, batch, truth in (("test", waveforms, labels), ("val", val_waveforms, val_labels)):
        voted = np.load(tmp_path / f"{split}_vote.npy")
        mean = np.mean([member.predict(batch, verbose=0) for member in members], axis=0)
        np.testing.assert_allclose(voted, mean, atol=1e-6)
        key = "test_accuracy" if split == "test" else "val_accuracy"
        assert metrics["ensemble"][key] == np.mean(voted.argmax(axis=-1) == truth)


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
    metrics = main(
        [
            "--preset",
            "course",
            "--quick",
            "--models",
            "conv1d,lstm_clip",
            "--output-dir",
            str(tmp_path),
            *_data_flags(manual_dir, data_dir),
        ]
    )
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
    for plot in ["gradient_norms", "clipping_loss", "comparison", "confusion_matrix"]:
        assert (tmp_path / f"{plot}.png").is_file()


def test_speaker_split_with_global_clipnorm(manual_dir, data_dir, tmp_path):
    metrics = main(
        [
            "--split",
            "speaker",
            "--speaker",
            "theo",
            "--models",
            "conv1d,simple_rnn",
            "--global-clipnorm",
            "2",
            "--quick",
            "--no-plots",
            "--output-dir",
            str(tmp_path),
            *_data_flags(manual_dir, data_dir),
        ]
    )
    row = metrics["models"]["conv1d"]
    assert metrics["split"] == "speaker" and list(metrics["models"]) == ["conv1d", "simple_rnn"]
    assert row["folds"] == {"theo": row["test_accuracy"]}
    assert row["clipping"] == {"global_clipnorm": 2.0}
    assert metrics["ensemble"]["folds"] == {"theo": metrics["ensemble"]["test_accuracy"]}
    assert metrics["ensemble"]["models"] == ["conv1d", "simple_rnn"]  # --models: the chosen vote
    best = metrics["best"]["name"]
    assert metrics["best"]["folds"] == {"theo": str(tmp_path / "models" / f"{best}_theo.keras")}
    for name in ("conv1d", "simple_rnn", "ensemble"):
        assert (tmp_path / "models" / f"{name}_theo.keras").is_file()
    assert not (tmp_path / "models" / "best.keras").exists()  # no one model for every fold
    assert not list(tmp_path.glob("*.png"))


def test_one_model_has_no_vote(manual_dir, data_dir, tmp_path):
    metrics = main(
        [
            "--models",
            "conv1d",
            "--quick",
            "--no-plots",
            "--output-dir",
            str(tmp_path),
            *_data_flags(manual_dir, data_dir),
        ]
    )
    assert "ensemble" not in metrics and metrics["best"]["name"] == "conv1d"
    assert not (tmp_path / "models" / "ensemble.keras").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs"),
        (["--clipnorm", "1", "--clipvalue", "1"], "not allowed with"),
        (["--clipnorm", "-1"], "--clipnorm"),
        (["--speaker", "theo"], "--speaker"),
        (["--split", "random"], "--split"),
    ],
)
def test_bad_flags_exit_2_with_a_clear_line(args, message):
    result = run_module("labs.bidirectional", *args, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("models", ["conv1d,transformer", "lstm_clip"])  # lstm_clip: course only
def test_unknown_model_name_is_a_bad_flag(tmp_path, models):
    result = run_module(
        "labs.bidirectional", "--models", models, "--output-dir", tmp_path, timeout=120
    )
    assert result.returncode == 2
    assert "--models" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_offline_without_the_archive_names_the_flag(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_module(
        "labs.bidirectional",
        "--quick",
        "--manual-dir",
        empty,
        "--data-dir",
        tmp_path / "tfds",
        "--output-dir",
        tmp_path / "out",
        timeout=120,
    )
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert "--manual-dir" in last_line and "LABS_MANUAL_DIR" in last_line
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def wav_files(manual_dir, data_dir, tmp_path_factory):
    """8 kHz mono (a real FSDD clip), 16 kHz stereo, a truncated wav and a text file."""
    folder = tmp_path_factory.mktemp("wavs")
    splits = load_spoken_digit("official", manual_dir=manual_dir, data_dir=data_dir)
    example = next(iter(splits.test))
    mono = write_wav(folder / "mono_8k.wav", example["audio"].numpy(), 8000)
    stereo_signal = np.stack([tone(300, 0.6, 16000), tone(300, 0.6, 16000, 3000)], axis=1)
    stereo = write_wav(folder / "stereo_16k.wav", stereo_signal, 16000)
    truncated = folder / "truncated.wav"
    truncated.write_bytes(mono.read_bytes()[:300])
    text = folder / "notes.txt"
    text.write_text("one two three\n")
    return {"mono": mono, "stereo": stereo, "truncated": truncated, "text": text}


def _padded(paths):
    """The trimmed clips of `paths`, zero-padded to one second: `(clips, 8000)`."""
    batch = np.zeros((len(paths), 8000), np.float32)
    for row, path in zip(batch, paths, strict=True):
        audio = trim_silence(read_wav(path, 8000))[:8000]
        row[: len(audio)] = audio
    return batch


def _predictions(stdout):
    rows = [line.split("\t") for line in stdout.strip().splitlines()]
    return {path: (int(digit), float(confidence)) for path, digit, confidence in rows}


def test_predict_classifies_good_files_and_names_bad_ones(modern_run, wav_files):
    model = modern_run[0] / "models" / "best.keras"
    files = [wav_files[k] for k in ("mono", "truncated", "stereo", "text")]
    result = run_module("labs.bidirectional", "predict", "--model", model, *files, timeout=180)
    assert result.returncode == 1
    predictions = _predictions(result.stdout)
    good = [str(wav_files["mono"]), str(wav_files["stereo"])]
    assert list(predictions) == good
    probabilities = keras.saving.load_model(model).predict(_padded(good), verbose=0)
    for path, row in zip(good, probabilities, strict=True):
        assert predictions[path] == (row.argmax(), pytest.approx(row.max(), abs=5e-4))
    errors = [line for line in result.stderr.splitlines() if "\terror: " in line]
    assert [line.split("\t")[0] for line in errors] == [
        str(wav_files["truncated"]),
        str(wav_files["text"]),
    ]
    assert "Traceback" not in result.stderr


def test_predict_all_good_files_exits_0(modern_run, wav_files):
    model = modern_run[0] / "models" / "conv1d.keras"
    results = main(
        ["predict", "--model", str(model), str(wav_files["mono"]), str(wav_files["stereo"])]
    )
    assert set(results) == {str(wav_files["mono"]), str(wav_files["stereo"])}


def test_predict_with_several_models_averages_their_probabilities(modern_run, wav_files):
    paths = [modern_run[0] / "models" / f"{name}.keras" for name in ("conv1d", "gru")]
    wavs = [str(wav_files["mono"]), str(wav_files["stereo"])]
    model_flags = [flag for path in paths for flag in ("--model", str(path))]
    ensemble = main(["predict", *model_flags, *wavs])
    batch = _padded(wavs)
    mean = np.mean(
        [keras.saving.load_model(path).predict(batch, verbose=0) for path in paths], axis=0
    )
    for path, row in zip(wavs, mean, strict=True):
        assert ensemble[path]["digit"] == row.argmax()
        assert ensemble[path]["confidence"] == pytest.approx(row.max(), abs=1e-6)


def _predict_from(folder, *args):
    """`python -m labs.bidirectional predict ARGS` run from `folder` (no --model: the default)."""
    return subprocess.run(
        [sys.executable, "-m", "labs.bidirectional", "predict", *map(str, args)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_predict_defaults_to_the_runs_best_model(modern_run, wav_files):
    out, _ = modern_run
    result = _predict_from(out.parents[1], wav_files["mono"])  # the folder holding runs/
    assert result.returncode == 0, result.stderr[-2000:]
    probabilities = keras.saving.load_model(out / "models" / "best.keras").predict(
        _padded([str(wav_files["mono"])]), verbose=0
    )
    assert _predictions(result.stdout)[str(wav_files["mono"])][0] == probabilities[0].argmax()


def test_predict_before_any_run_names_the_command_in_one_line(tmp_path, wav_files):
    result = _predict_from(tmp_path, wav_files["mono"])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "runs/bidirectional/models/best.keras" in lines[-1]
    assert "python -m labs.bidirectional" in lines[-1]
    assert "Traceback" not in result.stderr and not result.stdout


def test_predict_with_a_missing_model_is_a_clear_error(tmp_path, wav_files):
    result = run_module(
        "labs.bidirectional",
        "predict",
        "--model",
        tmp_path / "none.keras",
        wav_files["mono"],
        timeout=120,
    )
    assert result.returncode == 1 and "--model" in result.stderr
    assert "Traceback" not in result.stderr


def test_killed_run_reuses_the_finished_model_and_matches_an_uninterrupted_run(
    manual_dir, data_dir, tmp_path
):
    flags = [
        "--quick",
        "--no-plots",
        "--models",
        "conv1d,simple_rnn",
        *_data_flags(manual_dir, data_dir),
    ]
    uninterrupted = main([*flags, "--output-dir", str(tmp_path / "whole")])
    command = [
        sys.executable,
        "-m",
        "labs.bidirectional",
        *flags,
        "--output-dir",
        str(tmp_path / "killed"),
    ]
    # conv1d is trained and saved once simple_rnn starts.
    returncode, stderr = kill_when(command, "== simple_rnn ==")
    assert returncode == 130, stderr[-2000:]
    assert "run the same command again to resume" in stderr.strip().splitlines()[-1]

    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "conv1d: already trained before the restart" in result.stdout
    resumed = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    for metrics in (resumed, uninterrupted):
        metrics.pop("best")  # names the output dir
        metrics["ensemble"].pop("path")
    assert _without_timing(resumed) == _without_timing(uninterrupted)


def test_divergence_stops_with_a_hint_and_keeps_the_finished_models(manual_dir, data_dir, tmp_path):
    result = run_module(
        "labs.bidirectional",
        "--quick",
        "--no-plots",
        "--models",
        "conv1d",
        "--learning-rate",
        "1e30",
        "--output-dir",
        tmp_path,
        *_data_flags(manual_dir, data_dir),
        timeout=300,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert "training diverged: conv1d's loss became" in last and "--clipnorm 1" in last
    assert "Traceback" not in result.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["diverged"]["run"] == "conv1d" and metrics["models"] == {}
    assert (tmp_path / "history.csv").read_text().splitlines()[1].startswith("conv1d,1,")
    assert not (tmp_path / "models" / "conv1d.keras").exists()
