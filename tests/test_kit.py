"""The lab kit every lab shares: flags, configure, outputs, Experiment, fit, the lab registry."""

import csv
import dataclasses
import importlib.util
import json

import keras
import numpy as np
import pytest

from labs import kit
from labs.__main__ import LABS
from labs.kit import outputs, training
from tests.conftest import run_module


@dataclasses.dataclass(frozen=True)
class Config:
    epochs: int = 5
    batch_size: int = 8
    learning_rate: float = 0.1

    def quick(self):
        return dataclasses.replace(self, epochs=1, batch_size=4)


@dataclasses.dataclass(frozen=True)
class Untrained:
    points: int = 10

    def quick(self):
        return dataclasses.replace(self, points=2)


PRESETS = {"course": Config(), "modern": Config(epochs=7)}


@pytest.mark.parametrize(
    "argv, names",
    [
        (["--epochs", "0"], "--epochs"),
        (["--epochs", "ten"], "--epochs"),
        (["--batch-size", "-8"], "--batch-size"),
        (["--learning-rate", "nan"], "--learning-rate"),
        (["--preset", "fancy"], "--preset"),
        (["--seed", "1.5"], "--seed"),
        (["--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_flags_exit_2_with_one_line(capsys, argv, names):
    parser = kit.make_parser("demo", "doc", PRESETS)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and names in error


def test_uniform_flags_and_defaults(monkeypatch):
    monkeypatch.setenv("LABS_MANUAL_DIR", "/some/archive")
    monkeypatch.delenv("TFDS_DATA_DIR", raising=False)
    parser = kit.make_parser("demo", "doc", PRESETS, default_preset="modern", data="tfds")
    args = parser.parse_args([])
    assert args.preset == "modern" and args.seed == 0 and not args.quick and not args.no_plots
    assert str(args.output_dir) == "runs/demo"
    assert str(args.manual_dir) == "/some/archive" and args.data_dir is None
    assert kit.make_parser("demo", "doc", PRESETS).parse_args([]).preset == "course"
    files = kit.make_parser("demo", "doc", PRESETS, data="files").parse_args([])
    assert str(files.manual_dir) == "/some/archive" and not hasattr(files, "data_dir")


def test_training_flags_exist_only_where_the_preset_has_the_field(capsys):
    parser = kit.make_parser("demo", "doc", {"course": Untrained()})
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--epochs", "3"])
    assert exit_info.value.code == 2
    assert "--epochs" not in parser.format_help()
    assert "--epochs" in kit.make_parser("demo", "doc", PRESETS).format_help()


def test_configure_applies_quick_then_the_flags_given():
    parser = kit.make_parser("demo", "doc", PRESETS)
    assert kit.configure(Config(), parser.parse_args([])) == Config()
    assert kit.configure(Config(), parser.parse_args(["--epochs", "2"])) == Config(epochs=2)
    assert kit.configure(Config(), parser.parse_args(["--quick"])) == Config(1, 4)
    # An explicit flag wins over --quick, whichever order they come in.
    assert kit.configure(Config(), parser.parse_args(["--epochs", "3", "--quick"])) == Config(3, 4)
    args = parser.parse_args(["--learning-rate", "0.5"])
    assert kit.configure(Config(), args).learning_rate == 0.5


def test_names_accepts_a_subset_and_rejects_the_rest(capsys):
    parser = kit.LabArgumentParser(prog="demo")
    parser.add_argument("--models", type=kit.names(("ae", "vae", "vqvae")))
    assert parser.parse_args(["--models", "vae, ae"]).models == ("vae", "ae")
    for bad in ("gan", "vae,gan", ","):
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(["--models", bad])
        assert exit_info.value.code == 2
        assert "ae, vae, vqvae" in capsys.readouterr().err


def test_output_dir_unwritable_is_a_lab_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(kit.LabError, match="cannot write to output dir"):
        outputs.prepare_output_dir(blocker / "run")


def test_json_and_history_files(tmp_path):
    kit.write_json(
        tmp_path / "m.json",
        {"accuracy": np.float32(0.5), "counts": np.arange(3), "config": Config()},
    )
    assert json.loads((tmp_path / "m.json").read_text()) == {
        "accuracy": 0.5,
        "counts": [0, 1, 2],
        "config": {"epochs": 5, "batch_size": 8, "learning_rate": 0.1},
    }
    kit.write_history_csv(
        tmp_path / "history.csv",
        {"a": {"loss": [1.0, 0.5]}, "b": {"loss": [2.0, 1.0], "val_loss": [None, 3.0]}},
    )
    rows = list(csv.DictReader(open(tmp_path / "history.csv")))
    assert [(r["run"], r["epoch"], r["loss"], r["val_loss"]) for r in rows] == [
        ("a", "1", "1", ""),
        ("a", "2", "0.5", ""),
        ("b", "1", "2", ""),
        ("b", "2", "1", "3"),
    ]


def _args(tmp_path, *argv):
    return kit.make_parser("demo", "doc", PRESETS).parse_args(
        ["--output-dir", str(tmp_path / "run"), "--no-plots", *argv]
    )


def _build():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def _data():
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_experiment_writes_the_envelope_and_reproduces_with_a_seed(tmp_path):
    x, y = _data()
    runs = []
    for _ in range(2):
        args = _args(tmp_path, "--epochs", "3")
        config = kit.configure(PRESETS[args.preset], args)
        with kit.Experiment("demo", args, config) as experiment:
            result = experiment.fit("dense", _build, x, y=y, batch_size=8, epochs=config.epochs)
            experiment.results["loss"] = result.history["loss"][-1]
            metrics = experiment.finish()
        runs.append(metrics)
    assert runs[0] == runs[1]
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(runs[1]))
    assert list(saved)[:6] == ["lab", "preset", "seed", "quick", "config", "versions"]
    assert saved["config"]["epochs"] == 3 and set(saved["versions"]) == {
        "tensorflow",
        "keras",
        "python",
    }
    assert result.epochs == 3 and len(result.history["loss"]) == 3
    reloaded = keras.saving.load_model(tmp_path / "run" / "models" / "dense.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), result.model.predict(x, verbose=0))
    assert not (tmp_path / "run" / "backup").exists()


def test_experiment_keeps_what_it_has_when_training_diverges(tmp_path):
    x, y = _data()
    args = _args(tmp_path)

    def explode():
        model = _build()
        model.compile(keras.optimizers.SGD(1e30), "mse")
        return model

    with pytest.raises(kit.Diverged, match="dense's loss became"):
        with kit.Experiment("demo", args, Config()) as experiment:
            experiment.results["finished"] = {"before": 1}
            experiment.fit("dense", explode, x, y=y, batch_size=8, epochs=3)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["finished"] == {"before": 1} and metrics["diverged"]["run"] == "dense"
    assert (tmp_path / "run" / "history.csv").read_text().startswith("run,epoch,loss\ndense,1,")
    assert not (tmp_path / "run" / "models" / "dense.keras").exists()


def test_an_interrupt_names_the_output_dir(tmp_path, capsys):
    args = _args(tmp_path)

    def interrupted_lab():
        with kit.Experiment("demo", args, Config()) as experiment:
            _ = experiment.resume  # a Keras lab's backup folder (made on first use)
            raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        kit.run(interrupted_lab)
    assert exit_info.value.code == 130
    line = capsys.readouterr().err.strip()
    assert f"partial results are in {tmp_path / 'run'}/" in line
    assert "run the same command again to resume" in line


class _DoubleLoss(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        logs["double_loss"] = 2 * logs["loss"]


def test_what_a_callback_logs_is_in_the_history(tmp_path):
    x, y = _data()
    with kit.Experiment("demo", _args(tmp_path), Config()) as experiment:
        result = experiment.fit(
            "dense", _build, x, y=y, batch_size=8, epochs=2, callbacks=[_DoubleLoss()]
        )
    assert result.history["double_loss"] == [2 * loss for loss in result.history["loss"]]


def test_fit_reuses_a_model_finished_before_a_restart(tmp_path, capsys):
    x, y = _data()
    args = _args(tmp_path, "--epochs", "2")
    with kit.Experiment("demo", args, Config()) as experiment:
        first = experiment.fit("dense", _build, x, y=y, batch_size=8, epochs=2)
    # No finish(): as after a kill. The same command reuses the saved model and its history.
    with kit.Experiment("demo", args, Config()) as experiment:
        again = experiment.fit("dense", _build, x, y=y, batch_size=8, epochs=2)
    assert again.reused and not first.reused
    assert again.history == first.history and again.epochs == 2
    np.testing.assert_array_equal(again.model.get_weights()[0], first.model.get_weights()[0])
    assert "already trained before the restart" in capsys.readouterr().out
    # Other training flags: the backup is discarded and the model trained anew.
    other = _args(tmp_path, "--epochs", "3")
    with kit.Experiment("demo", other, Config()) as experiment:
        fresh = experiment.fit("dense", _build, x, y=y, batch_size=8, epochs=3)
    assert not fresh.reused and fresh.epochs == 3


def test_check_finite_accepts_finite_losses():
    training.check_finite({"loss": [2.0, 1.0]}, "gru", "hint")
    with pytest.raises(kit.Diverged, match="gru's loss became inf in epoch 2; hint"):
        training.check_finite({"loss": [2.0, float("inf")]}, "gru", "hint")


def test_labs_lists_every_registered_lab_and_each_exists():
    result = run_module("labs", timeout=60)
    assert result.returncode == 0, result.stderr
    for lab in LABS:
        assert importlib.util.find_spec(f"labs.{lab.name}") is not None, lab.name
        assert lab.name in result.stdout and lab.summary in result.stdout
        assert lab.course in result.stdout and lab.run_time in result.stdout


def test_subcommand_routes_by_the_first_argument():
    def translate(argv):
        return argv

    command, argv = kit.subcommand(("translate", "march 3"), {"translate": translate})
    assert command is translate and argv == ["translate", "march 3"]
    assert kit.subcommand(["--quick"], {"translate": translate}) == (None, ["--quick"])
    assert kit.subcommand([], {"translate": translate}) == (None, [])


# --- quiet logs, --help, plots of --quick runs, the models/ folder -------------------------------

TF_CHATTER = (
    "absl::InitializeLog",
    "I0000",
    "E0000",
    "W0000",
    "oneDNN",
    "cuda",
    "cuInit",
    "ffmpeg",
    "retracing",
)
LAB_NAMES = [lab.name for lab in LABS]


SUBCOMMANDS = [
    ("attention", "translate"),
    ("word2vec", "similar"),
    ("word2vec", "analogy"),
    ("language_model", "predict"),
    ("language_model", "generate"),
    ("language_model", "compare"),
    ("bidirectional", "predict"),
]


@pytest.mark.parametrize("lab, command", [(lab, None) for lab in LAB_NAMES] + SUBCOMMANDS)
def test_help_is_only_the_help(lab, command):
    # No TensorFlow before the flags are parsed: nothing but argparse's text, on stdout.
    result = run_module(f"labs.{lab}", *([command] if command else []), "--help", timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == "", result.stderr[-2000:]
    assert result.stdout.startswith(f"usage: python -m labs.{lab}")
    assert not any(word in result.stdout for word in ("I0000", "absl::InitializeLog"))


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_help_lists_only_flags_the_lab_accepts(lab):
    module = importlib.import_module(
        f"labs.{lab}" + (".__main__" if lab == "bidirectional" else "")
    )
    fields = {
        field.name for preset in module.PRESETS.values() for field in dataclasses.fields(preset)
    }
    usage = run_module(f"labs.{lab}", "--help", timeout=120).stdout.split("\n\n")[0]
    for flag, field in (
        ("--epochs", "epochs"),
        ("--batch-size", "batch_size"),
        ("--learning-rate", "learning_rate"),
    ):
        assert (flag in usage) == (field in fields), (lab, flag, usage)


def test_a_bad_flag_is_one_line_before_tensorflow_starts():
    result = run_module("labs.seq2seq", "--epochs", "0", timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "python -m labs.seq2seq: error: argument --epochs: expected a positive integer, got '0' "
        "(see --help)"
    ]


QUIET_SCRIPT = """
import sys
from labs import kit
kit.quiet_libraries()
import tensorflow as tf
print(float(tf.reduce_sum(tf.ones(3))))
"""


def test_quiet_libraries_hides_tensorflows_start_up_lines():
    import subprocess
    import sys

    quiet = subprocess.run(
        [sys.executable, "-c", QUIET_SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert quiet.returncode == 0 and quiet.stdout == "3.0\n"
    assert not any(word in quiet.stderr for word in TF_CHATTER), quiet.stderr[-2000:]
    # Without it (as under --verbose), the same import prints them: the check above can fail.
    loud = subprocess.run(
        [sys.executable, "-c", "import tensorflow"], capture_output=True, text=True, timeout=300
    )
    assert any(word in loud.stderr for word in TF_CHATTER)


def test_import_quietly_replays_what_a_failed_import_wrote(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "broken_module.py").write_text(
        "import os\nos.write(2, b'native library says why\\n')\nraise ImportError('broken')\n"
    )
    script = (
        "from labs import kit\n"
        "try:\n    kit.import_quietly('broken_module')\n"
        "except ImportError as error:\n    print('raised', error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.stdout == "raised broken\n"
    assert result.stderr == "native library says why\n"


def test_verbose_keeps_the_filters_off(tmp_path):
    import warnings

    args = kit.make_parser("demo", "doc", PRESETS).parse_args(["--verbose"])
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        kit.configure(PRESETS["course"], args)
        with pytest.warns(UserWarning, match="still shown"):
            warnings.warn("still shown", UserWarning, stacklevel=1)


def test_a_quick_runs_figures_say_so_below_their_axis_labels(tmp_path):
    from labs.kit.experiment import QUICK_NOTE
    from labs.kit.plotting import plt

    args = kit.make_parser("demo", "doc", PRESETS).parse_args(
        ["--output-dir", str(tmp_path / "run"), "--quick"]
    )
    experiment = kit.Experiment("demo", args, PRESETS["course"].quick())
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    ax.set_xlabel("epoch")
    experiment.save_figure(fig, "curve.png")
    notes = [text for text in fig.texts if text.get_text() == QUICK_NOTE]
    assert len(notes) == 1 and (tmp_path / "run" / "curve.png").stat().st_size > 0
    note_box, label_box = notes[0].get_window_extent(), ax.xaxis.label.get_window_extent()
    assert note_box.y1 <= label_box.y0  # under the x-axis label, never on it


def test_no_empty_models_folder_when_nothing_was_saved(tmp_path):
    x, y = _data()
    args = _args(tmp_path)
    with kit.Experiment("demo", args, Config()) as experiment:
        experiment.fit("dense", _build, x, y=y, batch_size=8, epochs=1, save=False)
        experiment.model_path("unused")  # asked for, never written
        experiment.finish()
    assert not (tmp_path / "run" / "models").exists()
    assert (tmp_path / "run" / "metrics.json").is_file()


def test_a_finished_run_has_its_page_and_tensorboard_logs(tmp_path):
    x, y = _data()
    args = kit.make_parser("demo", "doc", PRESETS, tensorboard=True).parse_args(
        ["--output-dir", str(tmp_path / "run"), "--no-plots", "--tensorboard", "--seed", "3"]
    )
    with kit.Experiment("demo", args, Config()) as experiment:
        experiment.fit("dense", _build, x, y=y, batch_size=8, epochs=1, save=False)
        experiment.finish()
    page = (tmp_path / "run" / "index.html").read_text()
    assert "python -m labs.demo --output-dir" in page and "--tensorboard --seed 3" in page
    assert list((tmp_path / "run" / "tensorboard" / "dense").rglob("events.out.tfevents.*"))


def test_tensorboard_is_offered_only_where_asked():
    assert "--tensorboard" not in kit.make_parser("demo", "doc", PRESETS).format_help()
    assert (
        "--tensorboard" in kit.make_parser("demo", "doc", PRESETS, tensorboard=True).format_help()
    )
