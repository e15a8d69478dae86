"""Every `.keras` file a lab saves loads with plain `keras.saving.load_model` in a fresh process
started in an empty folder outside the repository, and predicts there what it predicts here.

What the fresh process may import is what a learner's own script would: `keras`, and `models`
(the installed package, which registers the labs' custom objects under "day3"). A model whose
saved config names no "day3>" object must load with no import at all; the others after
`import models`. Each lab's `--quick` run is the session's (`quick_run_of` in conftest.py), shared
with the lab's own tests.
"""

import inspect
import os
import pathlib
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from tests.conftest import REPO


def predict(model, arrays):
    """The model's outputs on `arrays` (one per input), as a list of numpy arrays."""
    import keras

    if hasattr(model, "reset_state"):  # stateful language models start from zero states
        model.reset_state()
    # A functional model takes its inputs in their own structure (word2vec's is a dict).
    functional = getattr(model, "inputs", None) and not isinstance(model, keras.Sequential)
    inputs = keras.tree.pack_sequence_as(model.input, list(arrays)) if functional else arrays[0]
    outputs = model(inputs, training=False)
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in keras.tree.flatten(outputs)]


# The fresh process runs `predict` above too, so both sides call the model the same way.
# argv: outputs.npz inputs.npz, then "bare" or "models" and a .keras path, repeated. Bare paths
# come first, so that they are loaded before anything registered a custom object.
FRESH_PROCESS = (
    "import numpy as np\n"
    + inspect.getsource(predict)
    + """
import sys

import keras

inputs, outputs = np.load(sys.argv[2]), {}
pairs = list(zip(sys.argv[3::2], sys.argv[4::2]))
for index, (mode, path) in enumerate(pairs):
    if mode == "models" and "models" not in sys.modules:
        import models  # noqa: F401
    model = keras.saving.load_model(path)
    arrays = [inputs[f"{index}_{i}"] for i in range(len(inputs.files)) if f"{index}_{i}" in inputs]
    for j, array in enumerate(predict(model, arrays)):
        outputs[f"{index}_{j}"] = array
    print(f"loaded {path} ({mode})", flush=True)
np.savez(sys.argv[1], **outputs)
"""
)


def _spoken_digit_flags(request):
    manual_dir, data_dir = (request.getfixturevalue(name) for name in ("manual_dir", "data_dir"))
    return ("--no-plots", "--manual-dir", manual_dir, "--data-dir", data_dir)


def _data_root_flags(*extra):
    return lambda request: ("--manual-dir", request.getfixturevalue("data_root"), *extra)


def _fashion_flags(request):
    return (
        "--manual-dir",
        request.getfixturevalue("data_root"),
        "--data-dir",
        request.getfixturevalue("fashion_dir"),
    )


# lab: (flags of its --quick run given the test's fixtures, the model files it must save).
# The flags are those of the lab's own tests where they share the run.
LABS = {
    "seq2seq": (lambda request: (), {"course.keras"}),
    "attention": (
        _data_root_flags("--variants", "baseline,reverse,peeky,luong,bahdanau"),
        {"baseline.keras", "reverse.keras", "peeky.keras", "luong.keras", "bahdanau.keras"},
    ),
    "word2vec": (_data_root_flags(), {"skipgram.keras"}),
    "autoencoders": (
        _fashion_flags,
        {"ae.keras", "dae.keras", "vae.keras", "vae_2d.keras", "vqvae.keras", "pixelcnn.keras"},
    ),
    "language_model": (_data_root_flags("--no-plots"), {"default.keras"}),
    "bidirectional": (_spoken_digit_flags, {"best.keras"}),
}


def _needs_models(path):
    """True when the saved config names one of our registered ("day3>...") objects."""
    with zipfile.ZipFile(path) as archive:
        return '"day3>' in archive.read("config.json").decode("utf-8")


def _sample_inputs(model, rng):
    """Fixed inputs for every input of `model`: batch 2 (or the batch it was built for), ints
    0/1 for integer inputs (valid ids of any vocabulary), uniform [0, 1) floats otherwise; an
    unknown time axis gets 8 steps, 8,000 for a waveform (one second at 8 kHz)."""
    import keras

    if getattr(model, "inputs", None):  # in the order predict() packs them back
        tensors = (
            model.inputs if isinstance(model, keras.Sequential) else keras.tree.flatten(model.input)
        )
        specs = [(tuple(tensor.shape), str(tensor.dtype)) for tensor in tensors]
    else:  # a subclassed model (LanguageModel): the shape it was built with, int tokens
        specs = [(tuple(model.get_build_config()["input_shape"]), "int32")]
    arrays = []
    for shape, dtype in specs:
        waveform = len(shape) == 2 and "float" in dtype and shape[1] is None
        size = [2 if shape[0] is None else shape[0]]
        size += [(8000 if waveform else 8) if dim is None else dim for dim in shape[1:]]
        if "int" in dtype:
            arrays.append(rng.integers(0, 2, size=size).astype(dtype))
        else:
            arrays.append(rng.uniform(size=size).astype(dtype))
    return arrays


@pytest.fixture(scope="module", params=sorted(LABS))
def lab_models(request, quick_run_of, tmp_path_factory):
    """`(lab, {file name: (in-process outputs, fresh-process outputs, loaded bare)})`."""
    import keras

    import models  # noqa: F401  (in this process, as the lab's own restart path does)

    lab = request.param
    flags, expected = LABS[lab]
    out = quick_run_of(lab, *flags(request))
    paths = sorted((out / "models").glob("*.keras"), key=_needs_models)  # bare ones first
    assert {path.name for path in paths} >= expected, sorted(path.name for path in paths)

    rng = np.random.default_rng(0)
    inputs, here = {}, {}
    for index, path in enumerate(paths):
        model = keras.saving.load_model(path)
        arrays = _sample_inputs(model, rng)
        inputs.update({f"{index}_{i}": array for i, array in enumerate(arrays)})
        here[path.name] = predict(model, arrays)

    elsewhere = tmp_path_factory.mktemp(f"fresh_{lab}")  # an empty folder, not the repo
    np.savez(elsewhere / "inputs.npz", **inputs)
    argv = []
    for path in paths:
        argv += ["models" if _needs_models(path) else "bare", str(path)]
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, "outputs.npz", "inputs.npz", *argv],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=600,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    fresh = np.load(elsewhere / "outputs.npz")
    results = {}
    for index, path in enumerate(paths):
        there = [fresh[f"{index}_{j}"] for j in range(len(here[path.name]))]
        results[path.name] = (here[path.name], there, not _needs_models(path))
    return lab, results


def test_every_saved_model_loads_in_a_fresh_process_and_predicts_the_same(lab_models):
    lab, results = lab_models
    for name, (here, there, _) in results.items():
        assert len(here) == len(there) > 0, (lab, name)
        for mine, theirs in zip(here, there, strict=True):
            assert np.all(np.isfinite(theirs)), (lab, name)
            np.testing.assert_allclose(theirs, mine, rtol=1e-5, atol=1e-6, err_msg=f"{lab}/{name}")


# The models built from Keras layers only, which load (and are loaded above) with no import.
KERAS_ONLY = {
    "seq2seq": {"course.keras"},
    "attention": {"baseline.keras"},
    "autoencoders": {"ae.keras"},
}


def test_models_of_keras_layers_only_need_no_import(lab_models):
    lab, results = lab_models
    bare = {name for name, (_, _, loaded_bare) in results.items() if loaded_bare}
    assert bare == KERAS_ONLY.get(lab, set())


def test_the_fresh_process_cannot_see_the_repository(tmp_path):
    # The check above means something only if `models` comes from the installed package, not
    # from a checkout on the path: started in an empty folder, Python finds it by installation.
    result = subprocess.run(
        [sys.executable, "-c", "import models, pathlib; print(pathlib.Path(models.__file__))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert pathlib.Path(result.stdout.strip()).parent == REPO / "models"  # editable install


def test_models_package_imports_every_module_that_registers_an_object():
    import ast

    registering = sorted(
        path.stem
        for path in (REPO / "models").glob("*.py")
        if path.stem != "__init__"
        and "@keras.saving.register_keras_serializable" in path.read_text(encoding="utf-8")
    )
    tree = ast.parse((REPO / "models" / "__init__.py").read_text(encoding="utf-8"))
    imported = sorted(
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "models"
        for alias in node.names
    )
    assert imported == registering


def test_registered_names_carry_the_package_name():
    import keras

    import models

    ours = {
        name: obj
        for name, obj in keras.saving.get_custom_objects().items()
        if getattr(obj, "__module__", "").startswith(("models.", "augmentation."))
    }
    assert ours and all(name.startswith(f"{models.PACKAGE}>") for name in ours), sorted(ours)
    assert f"{models.PACKAGE}>RandAugment" in ours  # augmentation.layers, via import models


def test_a_model_with_augmentation_layers_loads_after_import_models(tmp_path):
    import keras

    from augmentation import layers

    model = keras.Sequential(
        [keras.Input((8, 8, 3)), layers.RandomFlip("horizontal"), keras.layers.Conv2D(2, 3)]
    )
    path = tmp_path / "augmented.keras"
    model.save(path)
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype("float32")
    here = predict(model, [images])  # training=False: the flip passes images through
    np.savez(tmp_path / "inputs.npz", **{"0_0": images})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            FRESH_PROCESS,
            "outputs.npz",
            str(tmp_path / "inputs.npz"),
            "models",
            str(path),
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(
        np.load(elsewhere / "outputs.npz")["0_0"], here[0], rtol=1e-5, atol=1e-6
    )
