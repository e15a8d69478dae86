"""word2vec: the pipeline, the models against the numpy reference, PPMI/SVD, the lab on real PTB."""

import dataclasses
import json
import shutil
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
import scipy.sparse
import tensorflow as tf

from labs import kit
from labs import word2vec as lab
from labs.data import DataError, skipgrams
from labs.data.ptb import load_ptb
from labs.data.skipgrams import (
    AliasSampler,
    Word2VecData,
    cbow_windows,
    keep_probabilities,
    negative_distribution,
    skipgram_pairs,
)
from models import count_embeddings, word2vec
from models.reference.negative_sampling import (
    negative_sampling_backward,
    negative_sampling_forward,
)
from tests.conftest import REPO, kill_when
from tests.reference_helpers import max_gradient_error

# ---- the pipeline ----


def test_keep_probabilities_follow_word2vecs_formula():
    counts = np.array([10_000, 1_000, 10, 1])
    threshold = 1e-3 * counts.sum()
    keep = keep_probabilities(counts, 1e-3)
    expected = (np.sqrt(counts[0] / threshold) + 1) * threshold / counts[0]
    np.testing.assert_allclose(keep[0], expected)
    assert keep[0] < keep[1] < 1.0 and keep[2] == keep[3] == 1.0  # rare words are never dropped
    np.testing.assert_array_equal(keep_probabilities(counts, 0), np.ones(4))


def test_skipgram_pairs_equal_a_written_out_loop():
    ids = np.arange(20, dtype=np.int32) * 3
    for dynamic in (False, True):
        rng = np.random.default_rng(5)
        sizes = rng.integers(1, 4, size=20) if dynamic else np.full(20, 3)
        expected = sorted(
            (ids[i], ids[j]) for i in range(20) for j in range(20) if 0 < abs(i - j) <= sizes[i]
        )
        targets, contexts = skipgram_pairs(ids, 3, np.random.default_rng(5), dynamic=dynamic)
        assert sorted(zip(targets.tolist(), contexts.tolist(), strict=True)) == [
            (int(a), int(b)) for a, b in expected
        ]


def test_cbow_windows_equal_a_written_out_loop():
    ids = np.arange(12, dtype=np.int32) + 100
    rng = np.random.default_rng(1)
    sizes = rng.integers(1, 3, size=12)
    targets, contexts = cbow_windows(ids, 2, np.random.default_rng(1), pad_id=-1)
    for i in range(12):
        row = [ids[i + d] if 0 <= i + d < 12 and abs(d) <= sizes[i] else -1 for d in (-2, -1, 1, 2)]
        assert targets[i] == ids[i] and contexts[i].tolist() == row
    targets, contexts = cbow_windows(ids, 2, rng, pad_id=-1, dynamic=False, edges=False)
    assert targets.tolist() == ids[2:-2].tolist()  # DLFS2's create_contexts_target
    assert contexts[0].tolist() == [100, 101, 103, 104]


def test_alias_sampler_draws_the_unigram_to_the_three_quarters():
    probabilities = negative_distribution(np.array([1000, 300, 50, 5, 1]))
    np.testing.assert_allclose(
        probabilities,
        np.array([1000, 300, 50, 5, 1]) ** 0.75 / (np.array([1000, 300, 50, 5, 1]) ** 0.75).sum(),
    )
    draws = AliasSampler(probabilities).sample((400_000,), np.random.default_rng(0))
    frequencies = np.bincount(draws, minlength=5) / draws.size
    np.testing.assert_allclose(frequencies, probabilities, atol=3e-3)


def _data(model="skipgram", seed=0, **kwargs):
    ids = np.random.default_rng(9).integers(0, 50, size=3000).astype(np.int32)
    counts = np.bincount(ids, minlength=50)
    settings = {
        "window": 3,
        "negatives": 4,
        "sample": 1e-2,
        "batch_size": 64,
        "seed": seed,
        **kwargs,
    }
    return Word2VecData(ids, counts, model=model, **settings)


def test_dataset_batches_are_reproducible_and_new_each_epoch():
    data = _data()
    dataset = data.dataset()
    first, second = ([batch for batch in dataset.take(3)] for _ in range(2))
    (inputs, labels) = first[0]
    assert inputs["target"].shape == (64,) and inputs["negatives"].shape == (64, 4)
    np.testing.assert_array_equal(labels[:, 0], np.ones(64))
    assert float(tf.reduce_sum(labels)) == 64.0  # column 0 is the true word, the rest negatives
    assert not np.array_equal(first[0][0]["context"], second[0][0]["context"])  # a new epoch
    again = [batch for batch in _data().dataset().take(3)]
    for (a, _), (b, _) in zip(first, again, strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    # Subsampling drops the frequent words: fewer examples than the full windows would give.
    assert data.expected_examples() < 2 * 2 * 3000


def test_cbow_dataset_pads_with_the_vocabulary_size():
    data = _data("cbow")
    ((inputs, _),) = data.dataset().take(1)
    assert inputs["context"].shape == (64, 6)
    assert data.pad_id == 50 and int(tf.reduce_max(inputs["context"])) <= 50


# ---- the Keras models against the numpy reference ----


def _batch(model, rng, vocabulary=23, batch=7, negatives=4, window=2):
    target = rng.integers(0, vocabulary, size=batch).astype(np.int32)
    if model == "skipgram":
        context = rng.integers(0, vocabulary, size=batch).astype(np.int32)
    else:
        context = rng.integers(0, vocabulary, size=(batch, 2 * window)).astype(np.int32)
        context[rng.random(context.shape) < 0.3] = vocabulary  # padding
        context[0] = vocabulary  # a window of padding only
        context[1, :2] = context[1, 2]  # a word repeated in a window
    negatives = rng.integers(0, vocabulary, size=(batch, negatives)).astype(np.int32)
    negatives[2, 1] = target[2] if model == "cbow" else context[2]  # a negative = the true word
    return target, context, negatives


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_keras_loss_and_gradients_equal_the_reference(model, reduction):
    rng = np.random.default_rng(3)
    config = word2vec.Word2VecConfig(
        vocabulary_size=23,
        embedding_dim=6,
        negatives=4,
        window=2,
        optimizer="sgd" if reduction == "sum" else "adam",
    )
    network = {"skipgram": word2vec.build_skipgram, "cbow": word2vec.build_cbow}[model](config)
    word_table = network.get_layer("word_embedding")
    output_table = network.get_layer("output_embedding")
    word_weights = rng.normal(scale=0.5, size=word_table.embeddings.shape).astype(np.float32)
    output_weights = rng.normal(scale=0.5, size=(23, 6)).astype(np.float32)
    word_table.set_weights([word_weights])
    output_table.set_weights([output_weights])
    target, context, negatives = _batch(model, rng)
    labels = np.zeros((7, 5), np.float32)
    labels[:, 0] = 1
    loss_function = word2vec.NegativeSamplingLoss(
        reduction="sum" if reduction == "sum" else "sum_over_batch_size"
    )
    with tf.GradientTape() as tape:
        logits = network({"target": target, "context": context, "negatives": negatives})
        loss = loss_function(labels, logits)
    gradients = tape.gradient(loss, [word_table.embeddings, output_table.embeddings])

    expected, cache = negative_sampling_forward(
        word_weights, output_weights, target, context, negatives, model=model, reduction=reduction
    )
    d_word, d_output = negative_sampling_backward(cache)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(tf.convert_to_tensor(gradients[0]), d_word, atol=1e-5)
    np.testing.assert_allclose(tf.convert_to_tensor(gradients[1]), d_output, atol=1e-5)
    assert np.abs(d_output).sum() > 0 and np.abs(d_word).sum() > 0


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_reference_gradients_equal_finite_differences(model):
    rng = np.random.default_rng(4)
    word_weights = rng.normal(scale=0.5, size=(24 if model == "cbow" else 23, 6))
    output_weights = rng.normal(scale=0.5, size=(23, 6))
    target, context, negatives = _batch(model, rng)

    def loss():
        return negative_sampling_forward(
            word_weights, output_weights, target, context, negatives, model=model, reduction="mean"
        )[0]

    _, cache = negative_sampling_forward(
        word_weights, output_weights, target, context, negatives, model=model, reduction="mean"
    )
    analytic = negative_sampling_backward(cache)
    assert max_gradient_error(loss, [word_weights, output_weights], analytic) < 1e-7


def test_softmax_cbow_scores_every_word():
    config = word2vec.Word2VecConfig(vocabulary_size=30, embedding_dim=4, window=2)
    network = word2vec.build_softmax_cbow(config)
    context = np.array([[1, 2, 30, 30], [30, 30, 30, 30]], np.int32)
    logits = network({"context": context})
    assert logits.shape == (2, 30)
    # The all-padding window has a zero hidden vector: its logits are the bias (zeros) alone.
    np.testing.assert_allclose(logits[1], np.zeros(30), atol=1e-7)
    assert word2vec.word_vectors(network).shape == (30, 4)  # the padding row is not a word


def test_keras_training_is_reproducible():
    def train():
        keras.utils.set_random_seed(0)
        config = word2vec.Word2VecConfig(
            vocabulary_size=50, embedding_dim=8, negatives=4, window=3, decay_steps=20
        )
        network = word2vec.compile_word2vec(word2vec.build_skipgram(config), config)
        network.fit(_data().dataset(), epochs=2, verbose=0)
        return word2vec.word_vectors(network)

    first = train()
    np.testing.assert_array_equal(first, train())
    assert not np.allclose(first, 0)


# ---- count-based vectors ----


def test_cooccurrence_ppmi_and_svd_equal_dense_formulas():
    ids = np.random.default_rng(2).integers(0, 8, size=200)
    counts = count_embeddings.cooccurrence_matrix(ids, 8, window=2, weighting="dynamic")
    dense = np.zeros((8, 8))
    for i in range(200):
        for j in range(max(0, i - 2), min(200, i + 3)):
            if i != j:
                dense[ids[i], ids[j]] += (2 - abs(i - j) + 1) / 2
    np.testing.assert_allclose(counts.toarray(), dense)

    total = dense.sum()
    context = dense.sum(axis=0) ** 0.75
    pmi = np.log(
        dense
        / total
        / (dense.sum(axis=1, keepdims=True) / total * (context / context.sum())[None, :])
    )
    expected = np.where(dense > 0, np.maximum(pmi, 0), 0)
    matrix = count_embeddings.ppmi(scipy.sparse.csr_matrix(dense))
    np.testing.assert_allclose(matrix.toarray(), expected, atol=1e-12)

    vectors = count_embeddings.svd_embeddings(matrix, dim=3, eigenvalue_power=1.0)
    left, singular, _ = np.linalg.svd(expected)
    np.testing.assert_allclose(np.abs(vectors), np.abs(left[:, :3] * singular[:3]), atol=1e-5)


def test_gensim_anchor_is_reproducible_with_one_worker():
    sentences = [[f"w{i % 37}" for i in range(start, start + 50)] for start in range(0, 2000, 50)]
    first, _ = word2vec.train_gensim(
        sentences, embedding_dim=8, window=3, negatives=3, sample=0, epochs=1, workers=1, seed=3
    )
    second, _ = word2vec.train_gensim(
        sentences, embedding_dim=8, window=3, negatives=3, sample=0, epochs=1, workers=1, seed=3
    )
    np.testing.assert_array_equal(first.wv["w5"], second.wv["w5"])


# ---- the lab on the staged Penn Treebank ----


@pytest.fixture(scope="module")
def quick_run(data_root, quick_run_of):
    return quick_run_of("word2vec", "--manual-dir", data_root)  # shared with test_saved_models


def test_quick_run_scores_every_embedding(quick_run):
    metrics = json.loads((quick_run / "metrics.json").read_text())
    kit.validate_metrics(lab.LAB, metrics)
    assert metrics["lab"] == "word2vec" and metrics["quick"] and metrics["tokens"] == 30_000
    assert set(metrics["embeddings"]) == {"skipgram", "ppmi_svd", "gensim"}
    for scores in metrics["embeddings"].values():
        # The same vocabulary for all three: the same items are evaluated.
        assert (
            scores["wordsim353"]["pairs"]
            == metrics["embeddings"]["gensim"]["wordsim353"]["pairs"]
            > 0
        )
        assert (
            scores["analogy"]["questions"]
            == metrics["embeddings"]["gensim"]["analogy"]["questions"]
            > 0
        )
        assert set(scores["neighbours"]) >= {"you", "year", "car"}
    speed = metrics["speed"]
    assert speed["ratio"] == round(speed["ours_words_per_s"] / speed["gensim_words_per_s"], 3)
    timing = metrics["softmax_vs_negative_sampling"]
    assert timing["tokens"] == 3000 and timing["softmax_epoch_seconds"] > 0
    for name in ("loss", "pca_skipgram", "similarity_skipgram", "analogies_skipgram"):
        assert (quick_run / f"{name}.png").stat().st_size > 10_000
    assets = json.loads((quick_run / "assets.json").read_text())
    assert assets == {"model": "skipgram", "embeddings": ["skipgram", "ppmi_svd", "gensim"]}


def test_exports_hold_the_trained_vectors_and_the_model_reloads(quick_run, data_root):
    from gensim.models import KeyedVectors

    keyed = KeyedVectors.load_word2vec_format(str(quick_run / "embeddings" / "skipgram.txt"))
    words = (quick_run / "embeddings" / "skipgram_metadata.tsv").read_text().splitlines()
    vectors = np.loadtxt(quick_run / "embeddings" / "skipgram_vectors.tsv", delimiter="\t")
    assert keyed.index_to_key == words and vectors.shape == (len(words), 16)
    np.testing.assert_allclose(keyed[words], vectors, rtol=1e-5, atol=1e-6)
    # A fresh process loads the .keras file with only the models module imported.
    script = (
        "import sys, numpy as np, keras, models.word2vec as w;"
        "m = keras.saving.load_model(sys.argv[1]);"
        "np.save(sys.argv[2], w.word_vectors(m))"
    )
    table_path = quick_run.parent / f"{quick_run.name}_table.npy"
    subprocess.run(
        [sys.executable, "-c", script, str(quick_run / "models" / "skipgram.keras"), table_path],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    table = np.load(table_path)
    assert table.shape == (10_000, 16)
    ids = load_ptb(data_root).word_to_id
    np.testing.assert_allclose(
        keyed[words], table[[ids[word] for word in words]], rtol=1e-5, atol=1e-6
    )


def test_similar_and_analogy_answer_from_the_run(quick_run, capsys):
    out = ["--output-dir", str(quick_run)]
    similar = kit.execute(lab.LAB, ["similar", "you", "car", *out, "--top", "3"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["you", "car"] and len(similar["you"]) == 3
    assert len(lines[0].split(", ")) == 3
    kit.execute(lab.LAB, ["analogy", "he", "his", "she", *out, "--embedding", "ppmi_svd"])
    assert capsys.readouterr().out.startswith("he : his :: she : ?")
    for command in (("similar", "you", "qwertyuiop"), ("analogy", "king", "zzzz", "queen")):
        with pytest.raises(kit.LabError, match="not among"):
            kit.execute(lab.LAB, [*command, *out])
    with pytest.raises(kit.LabError, match="no cbow embedding"):
        kit.execute(lab.LAB, ["similar", "you", *out, "--embedding", "cbow"])
    with pytest.raises(SystemExit) as exit_:  # A : B :: C : ? takes three words
        kit.execute(lab.LAB, ["analogy", "king", "man", *out])
    assert exit_.value.code == 2
    assert "three words" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_a_damaged_embeddings_file_is_one_line(quick_run, tmp_path, damage):
    for name in ("metrics.json", "assets.json"):
        shutil.copy(quick_run / name, tmp_path / name)
    (tmp_path / "embeddings").mkdir()
    text = (quick_run / "embeddings" / "skipgram.txt").read_bytes()
    damaged = text[: len(text) // 2] if damage == "truncated" else bytes(range(256)) * 40
    (tmp_path / "embeddings" / "skipgram.txt").write_bytes(damaged)
    with pytest.raises(kit.LabError, match="cannot read .*skipgram.txt"):
        kit.execute(lab.LAB, ["similar", "you", "--output-dir", str(tmp_path)])


def test_every_flag_is_in_the_config_and_the_course_trains_dlfs2s_cbow(data_root, tmp_path):
    flags = ["--model", "cbow", "--epochs", "1", "--batch-size", "50", "--learning-rate", "0.002"]
    metrics = kit.execute(
        lab.LAB,
        [
            *("--preset", "course", "--quick", "--no-plots", *flags),
            *("--manual-dir", str(data_root), "--output-dir", str(tmp_path)),
        ],
    )
    kit.validate_metrics(lab.LAB, metrics)
    config = metrics["config"]
    assert (config["model"], config["epochs"], config["batch_size"]) == ("cbow", 1, 50)
    assert config["learning_rate"] == 0.002 and config["optimizer"] == "adam"
    assert {f.name for f in dataclasses.fields(lab.Config) if "flag" in f.metadata} == {
        "model",
        "epochs",
        "batch_size",
        "learning_rate",
    }
    assert set(metrics["embeddings"]) == {"cbow", "ppmi_svd", "gensim"}
    assert "softmax_vs_negative_sampling" not in metrics
    assert (tmp_path / "models" / "cbow.keras").is_file()
    assert not list(tmp_path.glob("*.png"))
    with pytest.raises(DataError, match="--manual-dir"):  # no data: one line under kit.main
        kit.execute(
            lab.LAB, ["--quick", "--manual-dir", str(tmp_path), "--output-dir", str(tmp_path / "x")]
        )
    with pytest.raises(kit.LabError, match="no finished run"):
        kit.execute(lab.LAB, ["similar", "you", "--output-dir", str(tmp_path / "nothing")])


def test_a_diverging_run_leaves_the_finished_run_in_its_folder(quick_run, data_root, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(quick_run, out)
    before = {name: (out / name).read_bytes() for name in ("metrics.json", "history.csv")}
    argv = ["--quick", "--no-plots", "--manual-dir", str(data_root), "--output-dir", str(out)]
    with pytest.raises(kit.Diverged, match="lower --learning-rate"):
        kit.execute(lab.LAB, [*argv, "--learning-rate", "1e6"])
    assert {name: (out / name).read_bytes() for name in before} == before
    diagnosis = json.loads((out / "diverged.json").read_text())
    assert (
        diagnosis["diverged"]["run"] == "skipgram" and diagnosis["config"]["learning_rate"] == 1e6
    )
    kit.execute(lab.LAB, ["similar", "you", "--output-dir", str(out)])  # the finished run answers


def test_the_labs_names_agree_with_the_pipeline():
    assert lab.MODELS == skipgrams.MODELS


def _without_timing(metrics):
    timing = {"train_seconds", "words_per_s"}
    embeddings = {
        name: {k: v for k, v in scores.items() if k not in timing}
        for name, scores in metrics["embeddings"].items()
    }
    softmax = metrics["softmax_vs_negative_sampling"]["tokens"]  # the rest: seconds
    return {
        **metrics,
        "embeddings": embeddings,
        "speed": None,
        "softmax_vs_negative_sampling": softmax,
        "versions": None,
    }


@pytest.mark.slow
def test_a_run_killed_after_its_first_epoch_resumes_to_the_same_results(data_root, tmp_path):
    flags = ["--quick", "--epochs", "2", "--no-plots", "--manual-dir", str(data_root)]
    whole = kit.execute(lab.LAB, [*flags, "--output-dir", str(tmp_path / "whole")])
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "labs.word2vec", *flags, "--output-dir", str(out)]
    returncode, stderr = kill_when(command, "Epoch 2/")  # verbose=2: epoch 1 is backed up
    # 130: interrupted. -SIGABRT: TensorFlow 2.21 sometimes aborts in the train step when SIGTERM
    # lands mid-epoch (glibc "free(): invalid next size", 1 kill in 3-5, seen before the kit
    # redesign too); the backup of the epochs done is whole either way, which is what is tested.
    assert returncode in (130, -signal.SIGABRT), stderr
    resumed = kit.execute(lab.LAB, [*flags, "--output-dir", str(out)])
    assert _without_timing(resumed) == _without_timing(whole)
    assert (out / "history.csv").read_text() == (tmp_path / "whole" / "history.csv").read_text()


@pytest.mark.slow
def test_the_benchmark_trains_and_scores_as_the_lab(quick_run, data_root):
    from benchmarks import word2vec as benchmark

    result = benchmark.main(["--quick", "--json", "--manual-dir", str(data_root), "--workers", "1"])
    metrics = json.loads((quick_run / "metrics.json").read_text())
    ours = metrics["embeddings"]["skipgram"]
    assert result["ours_wordsim_spearman"] == ours["wordsim353"]["spearman"]
    assert result["ours_analogy_accuracy"] == ours["analogy"]["accuracy"]
    assert (
        result["gensim_wordsim_spearman"]
        == metrics["embeddings"]["gensim"]["wordsim353"]["spearman"]
    )
    assert result["tokens"] == metrics["tokens"] and result["epochs"] == 1
