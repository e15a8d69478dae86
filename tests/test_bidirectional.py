"""labs.bidirectional end to end with --quick on the real FSDD data, and its predict command."""

import json

import keras
import numpy as np
import pytest

from labs import bidirectional
from labs.data.spoken_digit import load_spoken_digit
from labs.data.spoken_digit import waveform_batches
from labs.data.wav import read_wav, trim_silence
from tests.conftest import run_module
from tests.test_spoken_digit_models import COURSE_PARAMS
from tests.wav_files import tone, write_wav

MODEL_KEYS = {"params", "epochs", "epoch_seconds", "val_accuracy", "test_accuracy", "clipping"}


def _data_flags(manual_dir, data_dir):
    return ["--manual-dir", str(manual_dir), "--data-dir", str(data_dir)]


@pytest.fixture(scope="module")
def modern_run(manual_dir, data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("modern")
    metrics = bidirectional.main(["--quick", "--output-dir", str(out),
                                  *_data_flags(manual_dir, data_dir)])
    return out, metrics


def test_modern_quick_run_writes_the_output_contract(modern_run):
    out, metrics = modern_run
    assert metrics == json.loads((out / "metrics.json").read_text())
    assert metrics["preset"] == "modern" and metrics["split"] == "official"
    assert list(metrics["models"]) == ["conv1d", "simple_rnn", "gru", "bilstm"]
    for row in metrics["models"].values():
        assert set(row) == MODEL_KEYS
        assert 0.0 <= row["test_accuracy"] <= 1.0 and row["params"] <= 250_000
        assert row["clipping"] is None
    assert metrics["best"]["name"] in metrics["models"]
    assert (out / "models" / "best.keras").is_file()
    for name in ["conv1d", "simple_rnn", "gru", "bilstm"]:
        assert (out / "models" / f"{name}.keras").is_file()
    for plot in ["training_accuracy", "training_loss", "comparison", "confusion_matrix", "digits"]:
        assert (out / f"{plot}.png").stat().st_size > 10_000, plot
    header = (out / "history.csv").read_text().splitlines()[0]
    assert header.startswith("run,epoch,") and "val_accuracy" in header


def test_ensemble_scores_the_saved_models_voting_together(modern_run, manual_dir, data_dir):
    out, metrics = modern_run
    test = load_spoken_digit("official", manual_dir=manual_dir, data_dir=data_dir).test
    test = test.take(bidirectional.QUICK_SIZES["test"])  # what --quick tested
    waveforms, labels = next(iter(waveform_batches(test, 64)))
    names = list(metrics["models"])
    mean = np.mean([keras.saving.load_model(out / "models" / f"{name}.keras").predict(
        waveforms, verbose=0) for name in names], axis=0)
    assert metrics["ensemble"]["models"] == names
    assert metrics["ensemble"]["test_accuracy"] == np.mean(mean.argmax(axis=-1) == labels.numpy())


def test_ensemble_over_folds_averages_each_folds_models():
    labels = np.array([0, 1])

    def run(probabilities):
        return bidirectional.TrainedModel(None, {}, {}, labels, np.array(probabilities))

    runs = {  # theo: a alone gets one clip right, b the other, together both; nicolas: b outvotes a
        ("a", "theo"): run([[0.9, 0.1], [0.6, 0.4]]),
        ("b", "theo"): run([[0.4, 0.6], [0.0, 1.0]]),
        ("a", "nicolas"): run([[0.6, 0.4], [0.4, 0.6]]),
        ("b", "nicolas"): run([[0.1, 0.9], [0.1, 0.9]]),
    }
    ensemble = bidirectional._ensemble(runs, ("a", "b"), ["theo", "nicolas"])
    assert ensemble == {"models": ["a", "b"], "test_accuracy": 0.75,
                        "folds": {"theo": 1.0, "nicolas": 0.5}}


def test_confusion_matrix_pools_the_held_out_speakers_of_every_fold():
    def run(labels, predicted):
        return bidirectional.TrainedModel(None, {}, {}, np.array(labels), np.eye(10)[predicted])

    figure = bidirectional._confusion_figure(
        {"theo": run([0, 1], [0, 1]), "nicolas": run([2, 3], [3, 3])}, "gru")
    axes = figure.axes[0]
    matrix = axes.images[0].get_array()
    assert matrix.sum() == 4 and matrix[0, 0] == matrix[1, 1] == matrix[2, 3] == matrix[3, 3] == 1
    assert "2 held-out speakers (75.0% correct)" in axes.get_title()


def test_course_quick_run_with_clipping_study(manual_dir, data_dir, tmp_path):
    # Two of the five course models keep the test short; all five are built in
    # test_spoken_digit_models and trained the same way.
    metrics = bidirectional.main(["--preset", "course", "--quick", "--models", "conv1d,lstm_clip",
                                  "--output-dir", str(tmp_path), *_data_flags(manual_dir, data_dir)])
    assert metrics["split"] == "course"
    assert {name: row["params"] for name, row in metrics["models"].items()} == {
        name: COURSE_PARAMS[name] for name in ("conv1d", "lstm_clip")}
    assert all(row["epochs"] == 1 for row in metrics["models"].values())
    assert metrics["models"]["lstm_clip"]["clipping"] == {"clipvalue": 0.5}
    assert metrics["models"]["conv1d"]["clipping"] is None
    study = metrics["clipping_study"]
    assert set(study["runs"]) == {"no clipping", "clipvalue 0.5", "clipnorm 1.0"}
    assert study["steps"] == bidirectional.QUICK_STUDY_STEPS
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
    metrics = bidirectional.main(["--split", "speaker", "--speaker", "theo", "--models", "conv1d",
                                  "--global-clipnorm", "2", "--quick", "--no-plots",
                                  "--output-dir", str(tmp_path), *_data_flags(manual_dir, data_dir)])
    row = metrics["models"]["conv1d"]
    assert metrics["split"] == "speaker" and list(metrics["models"]) == ["conv1d"]
    assert row["folds"] == {"theo": row["test_accuracy"]}
    assert "ensemble" not in metrics  # one model: nothing to average
    assert row["clipping"] == {"global_clipnorm": 2.0}
    assert (tmp_path / "models" / "conv1d_theo.keras").is_file()
    assert not list(tmp_path.glob("*.png"))


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


def test_unknown_model_name_is_a_clear_error(tmp_path):
    result = run_module("labs.bidirectional", "--models", "conv1d,transformer",
                        "--output-dir", tmp_path, timeout=120)
    assert result.returncode == 1
    assert "--models" in result.stderr and "Traceback" not in result.stderr


def test_offline_without_the_archive_names_the_flag(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_module("labs.bidirectional", "--quick", "--manual-dir", empty,
                        "--data-dir", tmp_path / "tfds", "--output-dir", tmp_path / "out",
                        timeout=120)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert "--manual-dir" in last_line and "LABS_MANUAL_DIR" in last_line
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def wav_files(manual_dir, data_dir, tmp_path_factory):
    """8 kHz mono (a real FSDD clip), 16 kHz stereo, a truncated wav and a text file."""
    folder = tmp_path_factory.mktemp("wavs")
    example = next(iter(load_spoken_digit("official", manual_dir=manual_dir, data_dir=data_dir).test))
    mono = write_wav(folder / "mono_8k.wav", example["audio"].numpy(), 8000)
    stereo_signal = np.stack([tone(300, 0.6, 16000), tone(300, 0.6, 16000, 3000)], axis=1)
    stereo = write_wav(folder / "stereo_16k.wav", stereo_signal, 16000)
    truncated = folder / "truncated.wav"
    truncated.write_bytes(mono.read_bytes()[:300])
    text = folder / "notes.txt"
    text.write_text("one two three\n")
    return {"mono": mono, "stereo": stereo, "truncated": truncated, "text": text}


def _predictions(stdout):
    rows = [line.split("\t") for line in stdout.strip().splitlines()]
    return {path: (int(digit), float(confidence)) for path, digit, confidence in rows}


def test_predict_classifies_good_files_and_names_bad_ones(modern_run, wav_files):
    model = modern_run[0] / "models" / "best.keras"
    files = [wav_files[k] for k in ("mono", "truncated", "stereo", "text")]
    result = run_module("labs.bidirectional", "predict", "--model", model, *files, timeout=180)
    assert result.returncode == 1
    predictions = _predictions(result.stdout)
    assert set(predictions) == {str(wav_files["mono"]), str(wav_files["stereo"])}
    for digit, confidence in predictions.values():
        assert 0 <= digit <= 9 and 0.0 < confidence <= 1.0
    errors = [line for line in result.stderr.splitlines() if "\terror: " in line]
    assert [line.split("\t")[0] for line in errors] == [str(wav_files["truncated"]),
                                                       str(wav_files["text"])]
    assert "Traceback" not in result.stderr


def test_predict_all_good_files_exits_0(modern_run, wav_files):
    model = modern_run[0] / "models" / "conv1d.keras"
    results = bidirectional.main(["predict", "--model", str(model), str(wav_files["mono"]),
                                  str(wav_files["stereo"])])
    assert set(results) == {str(wav_files["mono"]), str(wav_files["stereo"])}


def test_predict_with_several_models_averages_their_probabilities(modern_run, wav_files):
    paths = [modern_run[0] / "models" / f"{name}.keras" for name in ("conv1d", "gru")]
    wavs = [str(wav_files["mono"]), str(wav_files["stereo"])]
    model_flags = [flag for path in paths for flag in ("--model", str(path))]
    ensemble = bidirectional.main(["predict", *model_flags, *wavs])
    batch = np.zeros((2, 8000), np.float32)  # the trimmed clips, zero-padded to one second
    for row, path in zip(batch, wavs):
        audio = trim_silence(read_wav(path, 8000))[:8000]
        row[: len(audio)] = audio
    mean = np.mean([keras.saving.load_model(path).predict(batch, verbose=0) for path in paths],
                   axis=0)
    for path, row in zip(wavs, mean):
        assert ensemble[path]["digit"] == row.argmax()
        assert ensemble[path]["confidence"] == pytest.approx(row.max(), abs=1e-6)


def test_predict_with_a_missing_model_is_a_clear_error(tmp_path, wav_files):
    result = run_module("labs.bidirectional", "predict", "--model", tmp_path / "none.keras",
                        wav_files["mono"], timeout=120)
    assert result.returncode == 1 and "--model" in result.stderr
    assert "Traceback" not in result.stderr
