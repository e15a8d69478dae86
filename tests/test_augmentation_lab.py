"""labs.augmentation end to end: the gallery and the study (--quick), their schema, bad input."""

import json

import numpy as np
import pytest

import augmentation as aug
from labs import augmentation as lab
from labs import kit
from labs.augmentation import figures, gallery, study
from tests.conftest import run_module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("augmentation")
    metrics = kit.execute(lab.LAB, ["--quick", "--output-dir", str(out), "--synonyms", "demo"])
    return out, metrics


@pytest.fixture(scope="module")
def quick_study(tmp_path_factory, data_root, fashion_dir):
    """The study's --quick run with two of the six image augmentations: the pipeline on tf.data
    (padding, crop) and RandAugment in the model with MixUp on tf.data; all six run in
    test_the_whole_quick_study_runs_from_the_command_line (slow)."""
    out = tmp_path_factory.mktemp("augmentation_study")
    argv = ["--preset", "study", "--quick", "--synonyms", "demo", "--output-dir", str(out)]
    argv += ["--augmentations", "pipeline,randaugment_mixup"]
    argv += ["--manual-dir", str(data_root), "--data-dir", str(fashion_dir)]
    return out, kit.execute(lab.LAB, argv)


# The gallery -----------------------------------------------------------------------------------


def test_quick_run_writes_every_output(quick_run):
    out, metrics = quick_run
    kit.validate_metrics(lab.LAB, metrics)
    for name in gallery.gallery_ops(lab.PRESETS["course"], "ours"):
        assert (out / f"gallery_{name}.png").stat().st_size > 1000
    for name in ("pipeline.png", "random_erasing.png", "mixup.png", "cutmix.png", "eda.txt"):
        assert (out / name).stat().st_size > 100
    assert json.loads((out / "metrics.json").read_text()) == json.loads(json.dumps(metrics))
    assert "study" not in metrics


def test_metrics_list_ops_parameters_and_mixed_labels(quick_run):
    _, metrics = quick_run
    crop = {"op": "RandomCrop", "height": 100, "width": 100, "resize": False, "seed": None}
    assert {key: metrics["ops"]["random_crop"][key] for key in crop} == crop
    assert metrics["ops"]["random_crop"]["value_range"] == [0.0, 1.0]
    assert metrics["ops"]["random_erasing"]["aspect"] == [0.2, 0.8]
    assert [s["op"] for s in metrics["pipeline"]["steps"]][-2:] == ["RandomRot90", "RandomHue"]
    for weights in metrics["mixup"]["label_weights"] + metrics["cutmix"]["label_weights"]:
        assert abs(sum(weights) - 1) < 1e-3
    assert metrics["eda"]["synonym_source"] == "demo table"
    assert all(len(v) == 2 for v in metrics["eda"]["examples"].values())
    assert metrics["config"]["synonyms"] == "demo" and metrics["config"]["randaugment"] == "ours"


def test_a_seed_reproduces_the_metrics(quick_run, tmp_path):
    _, metrics = quick_run
    argv = ["--quick", "--output-dir", str(tmp_path), "--synonyms", "demo", "--no-plots"]
    again = kit.execute(lab.LAB, argv)
    assert again["mixup"] == metrics["mixup"] and again["eda"] == metrics["eda"]


def test_bad_image_is_one_line(tmp_path):
    with pytest.raises(kit.LabError, match="cannot read image"):
        kit.execute(
            lab.LAB, ["--image", str(tmp_path / "missing.png"), "--output-dir", str(tmp_path)]
        )


def test_tile_titles_say_only_what_happened():
    erasing = {
        "erase": np.array([True, False]),
        "box": np.array([[3, 4, 10, 20], [1, 2, 3, 4]]),
        "fill": np.array([0.3, 0.7]).reshape(2, 1, 1, 1),
    }
    assert figures.describe(erasing, 0) == "box 10x20 at y=3, x=4\nfill=0.30"
    assert figures.describe(erasing, 1) == "not erased"
    assert figures.describe({"offset": np.array([[12, 80]])}, 0) == "window at y=12, x=80"
    randaugment = aug.RandAugment(ops=("solarize", "rotate", "equalize"))
    params = {
        "op_index": np.array([[0, 1], [2, 1]]),
        "sign": np.array([[-1.0, -1.0]] * 2),
        "magnitude": np.array([[0.5, 0.25]] * 2),
    }
    # solarize has a strength but no direction; equalize neither; rotate both.
    assert figures.describe(params, 0, randaugment) == "solarize 0.50\nrotate -0.25"
    assert figures.describe(params, 1, randaugment) == "equalize\nrotate -0.25"


def test_pipeline_tiles_name_the_steps_each_image_got():
    pipeline = aug.AugmentationPipeline(
        [aug.RandomFlip("horizontal", rate=1.0), (aug.RandomBrightness(0.5), 0.5)]
    )
    images = np.random.default_rng(0).uniform(0, 1, (16, 8, 8, 3)).astype("float32")
    augmented, steps = pipeline.explain(images, seed=3)
    np.testing.assert_array_equal(augmented, pipeline(images, seed=3))  # the same images
    titles = [figures.describe_pipeline(steps, i) for i in range(16)]
    assert all(t.startswith("flip left-right") for t in titles)
    brightened = np.asarray(steps[1]["applied"])
    assert 0 < brightened.sum() < 16
    for title, applied in zip(titles, brightened, strict=True):
        assert ("brightness" in title) == applied


# The study -------------------------------------------------------------------------------------


def test_study_metrics_have_the_issue_s_keys_and_every_cell(quick_study):
    out, metrics = quick_study
    kit.validate_metrics(lab.LAB, metrics)
    assert set(metrics) - set(kit.schema.Envelope.__annotations__) == {"study", "study_details"}
    assert set(metrics["study"]) == {"images", "text"}
    images = metrics["study"]["images"]
    assert list(images) == ["60"]
    assert list(images["60"]) == ["pipeline", "randaugment_mixup"]
    text = metrics["study"]["text"]
    assert list(text) == ["trec"] and list(text["trec"]) == ["lstm", "cnn"]
    for cell in [*images["60"].values(), *text["trec"]["lstm"]["60"].values()]:
        accuracy = cell["test_accuracy"]
        assert list(accuracy) == ["mean", "min", "max", "seeds"] and list(accuracy["seeds"]) == [
            "0"
        ]
        assert 0 <= accuracy["min"] <= accuracy["mean"] <= accuracy["max"] <= 1
    assert list(text["trec"]["cnn"]["60"]) == ["none", "eda"]
    details = metrics["study_details"]
    assert details["images"]["placement"]["randaugment_mixup"].startswith("model")
    assert details["text"]["eda"] == {"60": {"alpha": 0.05, "num_aug": 16}}
    assert metrics["config"]["augmentations"] == ["pipeline", "randaugment_mixup"]


def test_study_writes_its_plots_table_and_histories(quick_study):
    out, _ = quick_study
    for name in ("study.png", "study_text.png"):
        assert (out / name).stat().st_size > 10_000
    table = (out / "study.md").read_text()
    assert "| randaugment_mixup |" in table and "TREC, LSTM" in table
    runs = {row.split(",")[0] for row in (out / "history.csv").read_text().splitlines()[1:]}
    assert runs == {
        "images-60-pipeline-seed0",
        "images-60-randaugment_mixup-seed0",
        "trec-lstm-60-none-seed0",
        "trec-lstm-60-eda-seed0",
        "trec-cnn-60-none-seed0",
        "trec-cnn-60-eda-seed0",
    }


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--augmentations", "none,rotate"], "--augmentations: 'none,rotate': expected"),
        (
            ["--parts", "images", "--sizes", "500,70000"],
            "--sizes 70000: larger than the data (60,000",
        ),
        (["--sizes", "6000"], "--sizes 6000: larger than the data (5,452"),
        (["--epochs", "3"], "unrecognized arguments: --epochs 3"),
    ],
)
def test_bad_study_input_is_one_line_exit_2(flags, message, capsys):
    with pytest.raises(SystemExit) as error:
        kit.execute(lab.LAB, ["--preset", "study", *flags])
    assert error.value.code == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1 and message in stderr, stderr


def test_declared_names_agree_with_the_study():
    assert lab.IMAGE_AUGMENTATIONS == study.IMAGE_AUGMENTATIONS
    assert set(study.IMAGE_PLACEMENT) == set(study.IMAGE_AUGMENTATIONS)


@pytest.mark.slow
def test_the_whole_quick_study_runs_from_the_command_line(tmp_path, data_root):
    out = tmp_path / "out"
    result = run_module(
        "labs.augmentation",
        *("--preset", "study", "--quick", "--synonyms", "demo"),
        *("--manual-dir", data_root, "--output-dir", out),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    kit.validate_metrics(lab.LAB, metrics)
    assert list(metrics["study"]["images"]["60"]) == list(lab.IMAGE_AUGMENTATIONS)
    assert list(metrics["study"]["text"]["trec"]["cnn"]["60"]) == ["none", "eda"]
    assert (out / "study.png").is_file() and (out / "study_text.png").is_file()
