"""labs.augmentation end to end (--quick) and its command-line errors."""

import json

import pytest

from labs import augmentation as lab
from labs import kit
from tests.conftest import run_module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("augmentation")
    metrics = lab.main(["--quick", "--output-dir", str(out), "--synonyms", "demo"])
    return out, metrics


def test_quick_run_writes_every_output(quick_run):
    out, metrics = quick_run
    for name in lab.gallery_ops(lab.PRESETS["course"], "ours"):
        assert (out / f"gallery_{name}.png").stat().st_size > 1000
    for name in ("pipeline.png", "random_erasing.png", "mixup.png", "cutmix.png", "eda.txt"):
        assert (out / name).stat().st_size > 100
    assert json.loads((out / "metrics.json").read_text()) == json.loads(json.dumps(metrics))


def test_metrics_list_ops_parameters_and_mixed_labels(quick_run):
    _, metrics = quick_run
    assert metrics["ops"]["random_crop"] == {
        "op": "RandomCrop",
        "height": 100,
        "width": 100,
        "resize": False,
        "value_range": [0.0, 1.0],
        "seed": None,
    }
    assert metrics["ops"]["random_erasing"]["aspect"] == [0.2, 0.8]
    assert [s["op"] for s in metrics["pipeline"]["steps"]][-2:] == ["RandomRot90", "RandomHue"]
    for weights in metrics["mixup"]["label_weights"] + metrics["cutmix"]["label_weights"]:
        assert abs(sum(weights) - 1) < 1e-3
    assert metrics["eda"]["synonym_source"] == "demo table"
    assert all(len(v) == 2 for v in metrics["eda"]["examples"].values())


def test_a_seed_reproduces_the_metrics(quick_run, tmp_path):
    _, metrics = quick_run
    again = lab.main(["--quick", "--output-dir", str(tmp_path), "--synonyms", "demo", "--no-plots"])
    assert again["mixup"] == metrics["mixup"] and again["eda"] == metrics["eda"]


def test_bad_image_is_one_line_exit_1(tmp_path):
    bad = tmp_path / "not_an_image.jpg"
    bad.write_text("hello")
    result = run_module(
        "labs.augmentation",
        "--quick",
        "--no-plots",
        "--image",
        bad,
        "--output-dir",
        tmp_path / "out",
        timeout=300,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"augmentation: error: cannot read image {bad}")
    )


def test_bad_image_in_process(tmp_path):
    with pytest.raises(kit.LabError, match="cannot read image"):
        lab.main(["--image", str(tmp_path / "missing.png"), "--output-dir", str(tmp_path)])


def test_epochs_are_refused():
    with pytest.raises(SystemExit) as error:
        lab.main(["--epochs", "3"])
    assert error.value.code == 2


def test_tile_titles_say_only_what_happened():
    import numpy as np

    import augmentation as aug

    erasing = {
        "erase": np.array([True, False]),
        "box": np.array([[3, 4, 10, 20], [1, 2, 3, 4]]),
        "fill": np.array([0.3, 0.7]).reshape(2, 1, 1, 1),
    }
    assert lab.describe(erasing, 0) == "box 10x20 at y=3, x=4\nfill=0.30"
    assert lab.describe(erasing, 1) == "not erased"
    assert lab.describe({"offset": np.array([[12, 80]])}, 0) == "window at y=12, x=80"
    randaugment = aug.RandAugment(ops=("solarize", "rotate", "equalize"))
    params = {
        "op_index": np.array([[0, 1], [2, 1]]),
        "sign": np.array([[-1.0, -1.0]] * 2),
        "magnitude": np.array([[0.5, 0.25]] * 2),
    }
    # solarize has a strength but no direction; equalize neither; rotate both.
    assert lab.describe(params, 0, randaugment) == "solarize 0.50\nrotate -0.25"
    assert lab.describe(params, 1, randaugment) == "equalize\nrotate -0.25"


def test_pipeline_tiles_name_the_steps_each_image_got():
    import numpy as np

    import augmentation as aug

    pipeline = aug.AugmentationPipeline(
        [aug.RandomFlip("horizontal", rate=1.0), (aug.RandomBrightness(0.5), 0.5)]
    )
    images = np.random.default_rng(0).uniform(0, 1, (16, 8, 8, 3)).astype("float32")
    augmented, steps = pipeline.explain(images, seed=3)
    np.testing.assert_array_equal(augmented, pipeline(images, seed=3))  # the same images
    titles = [lab.describe_pipeline(steps, i) for i in range(16)]
    assert all(t.startswith("flip left-right") for t in titles)
    brightened = np.asarray(steps[1]["applied"])
    assert 0 < brightened.sum() < 16
    for title, applied in zip(titles, brightened, strict=True):
        assert ("brightness" in title) == applied
