"""labs.dialogue: the generated task and its optima, Switchboard, the models, the lab, `reply`."""

import json
import os
import subprocess
import sys

import keras
import nltk
import numpy as np
import pytest

from labs import dialogue, kit
from labs.data import DataError
from labs.data import dialogue as task
from labs.data.switchboard import backchannel_share, load_switchboard_turns, most_common_turns
from models import dialogue as dm
from tests.conftest import REPO, run_module

TINY = dm.DialogueModelConfig(embedding_dim=4, units=8, latent_dim=2)

# ---- the generated task -------------------------------------------------------------------------


def test_generic_reply_is_the_greedy_answer_of_every_context():
    """The single most likely reply everywhere, and its first word starts no other reply: greedy
    decoding of the true distribution says うん そうだね, whatever the topic."""
    first_words = {}
    for topic, *_ in task.TOPICS:
        replies = task.valid_replies(topic)
        assert sum(replies.values()) == pytest.approx(1.0)
        assert max(replies, key=replies.get) == task.GENERIC_REPLY
        for reply, probability in replies.items():
            word = reply.split()[0]
            first_words[word] = max(first_words.get(word, 0.0), probability)
        assert len({reply.split()[0] for reply in replies}) == len(replies)
    assert max(first_words, key=first_words.get) == task.GENERIC_REPLY.split()[0]


def test_dialogues_are_seeded_and_encoded():
    one, again = task.generate_dialogues(50, seed=3), task.generate_dialogues(50, seed=3)
    np.testing.assert_array_equal(one.context_ids, again.context_ids)
    np.testing.assert_array_equal(one.targets, again.targets)
    assert not np.array_equal(one.targets, task.generate_dialogues(50, seed=4).targets)
    tokenizer = task.Tokenizer()
    assert one.context_ids.shape == (50, task.TURNS, task.UTTERANCE_LENGTH)
    for row in range(5):
        assert tokenizer.decode(one.targets[row]) == one.replies[row]
        assert one.decoder_inputs[row, 0] == tokenizer.ids[task.BEGIN]
        words = np.where(one.targets[row] == dm.END_ID, 0, one.targets[row])  # no <eos> read
        np.testing.assert_array_equal(one.decoder_inputs[row, 1:], words[:-1])
        assert tokenizer.decode(one.context_ids[row, 0]) == one.contexts[row][0]
        assert task.TOPICS[one.topics[row]][0] in one.contexts[row][0]
        assert one.replies[row] in task.valid_replies(task.TOPICS[one.topics[row]][0])


def test_optima_are_the_entropies_of_the_true_distributions():
    dialogues = task.generate_dialogues(40000, seed=0)
    specific = (1 - task.GENERIC_PROBABILITY) / 3
    entropy = -(task.GENERIC_PROBABILITY * np.log(task.GENERIC_PROBABILITY))
    entropy -= 3 * specific * np.log(specific)
    # tokens per reply, <eos> included: 3 for the generic one, 4, 4 and 5 for the others
    tokens = task.GENERIC_PROBABILITY * 3 + specific * (4 + 4 + 5)
    context = task.optimum_perplexity(dialogues, "context")
    last = task.optimum_perplexity(dialogues, "last_utterance")
    assert context == pytest.approx(np.exp(entropy / tokens), rel=0.01)
    # The last utterance hides the topic: log(8 topics) more for every topic-specific reply.
    expected = np.exp((entropy + (1 - task.GENERIC_PROBABILITY) * np.log(8)) / tokens)
    assert last == pytest.approx(expected, rel=0.01)
    with pytest.raises(ValueError, match="sees"):
        task.optimum_perplexity(dialogues, "nothing")


def test_reply_scores():
    parakeet, cat = task.topic_replies("インコ"), task.topic_replies("猫")
    rows = [
        [task.GENERIC_REPLY, *parakeet, parakeet[0]],  # all four, one twice
        [task.GENERIC_REPLY] * 5,
    ]
    scores = task.reply_scores(rows, [0, 0])
    assert scores["unique_replies_per_context"] == 2.5
    assert scores["valid_reply_coverage"] == (1 + 0.25) / 2
    assert scores["on_topic_rate"] == 1.0 and scores["generic_rate"] == 0.6
    mixed = task.reply_scores([[cat[0], "うん うん", parakeet[1], task.GENERIC_REPLY]], [0])
    assert mixed["on_topic_rate"] == pytest.approx(1 / 3)
    assert task.reply_scores([[task.GENERIC_REPLY]], [0])["on_topic_rate"] is None
    assert task.classify_reply(cat[0], 0) == "other_topic"
    assert task.classify_reply("うん うん", 0) == "invalid"


def test_translate_and_unknown_words():
    assert task.translate("インコ の 話 を しよう") == "let's talk about parakeets"
    assert task.translate("猫 かわいい よね") == "cats: so cute, right?"
    assert task.translate("うん うん") == "[uh-huh uh-huh]"
    tokenizer = task.Tokenizer()
    assert tokenizer.unknown_words("インコ が 好き") == ["が"]
    assert tokenizer.encode("が")[0] == tokenizer.ids[task.UNKNOWN]
    ids = task.encode_contexts([["どう 思う ？"]], tokenizer)  # one turn: two empty ones first
    assert ids[0, :2].sum() == 0 and ids[0, 2, 0] == tokenizer.ids["どう"]


# ---- Switchboard --------------------------------------------------------------------------------


def test_switchboard_backchannel_share(data_root):
    turns = load_switchboard_turns(data_root)
    assert len(turns) == 5303  # nltk's sample: 48 turns without a token, 84 of punctuation only
    assert most_common_turns(turns, 3) == [("uh-huh", 599), ("yeah", 378), ("right", 122)]
    assert backchannel_share(turns, 1) == 599 / 5171  # of the 5,171 turns with a word
    assert 0.25 < backchannel_share(turns) < 0.30  # "about a quarter of all turns" (data README)


def test_switchboard_missing_is_one_line_naming_the_option(tmp_path, monkeypatch):
    monkeypatch.delenv("NLTK_DATA", raising=False)
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(DataError, match="--manual-dir") as error:
        load_switchboard_turns(tmp_path)
    assert "\n" not in str(error.value)


# ---- the models ---------------------------------------------------------------------------------


def test_the_labs_names_are_the_models():
    assert dialogue.MODELS == dm.KINDS == tuple(dm.BUILDERS)
    assert dm.DialogueModelConfig().vocabulary_size == len(task.vocabulary())


def test_word_drop_replaces_words_only_in_training():
    tokens = np.array([[2, 20, 26, 0, 0]] * 400, np.int32)  # <bos> うん そうだね <pad> <pad>
    layer = dm.WordDrop(0.25, seed=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(tokens)), tokens)
    dropped = keras.ops.convert_to_numpy(layer(tokens, training=True))
    np.testing.assert_array_equal(dropped[:, [0, 3, 4]], tokens[:, [0, 3, 4]])  # <bos>, padding
    share = np.mean(dropped[:, 1:3] == dm.UNKNOWN_ID)
    assert 0.2 < share < 0.3
    assert set(np.unique(dropped[:, 1:3])) <= {1, 20, 26}


@pytest.mark.parametrize("kind", dm.KINDS)
def test_greedy_decoding_is_the_teacher_forced_models_argmax(kind):
    keras.utils.set_random_seed(0)
    model = dm.BUILDERS[kind](TINY)
    dialogues = task.generate_dialogues(4, seed=0)
    z = dm.sample_prior(model, dialogues.context_ids) if kind == "vhred" else None
    generated = dm.greedy_replies(model, dialogues.context_ids, z, max_length=4)
    decoder_input = np.concatenate([np.full((4, 1), dm.BEGIN_ID), generated[:, :-1]], axis=1)
    state = keras.ops.convert_to_numpy(model.get_layer("context_encoder")(dialogues.context_ids))
    inputs = [state, z, decoder_input] if kind == "vhred" else [state, decoder_input]
    logits = keras.ops.convert_to_numpy(model.get_layer("decoder")(inputs))
    np.testing.assert_array_equal(logits.argmax(axis=-1), generated)


def test_vhred_loss_is_the_negative_elbo_and_annealing_is_linear():
    keras.utils.set_random_seed(0)
    model = dm.build_vhred(TINY)
    dialogues = task.generate_dialogues(64, seed=1)
    annealing = dm.KLAnnealing(steps=4)
    history = model.fit(
        dm.model_inputs(dialogues, latent=True),
        dialogues.targets,
        batch_size=32,
        epochs=2,
        callbacks=[annealing],
        verbose=0,
    ).history
    assert history["kl_weight"] == [0.5, 1.0]  # 2 batches an epoch, 4 to reach 1
    assert history["kl"][-1] > 0
    # At inference z is the posterior mean: the loss is the reconstruction at z = mu plus the KL.
    state = keras.ops.convert_to_numpy(model.get_layer("context_encoder")(dialogues.context_ids))
    mean, log_var = model.get_layer("posterior")([state, dialogues.targets])
    mean, log_var = keras.ops.convert_to_numpy(mean), keras.ops.convert_to_numpy(log_var)
    prior_mean, prior_log_var = model.get_layer("prior")(state)
    logits = model.get_layer("decoder")([state, mean, dialogues.decoder_inputs])
    kl = dm.gaussian_kl(mean, log_var, prior_mean, prior_log_var)
    expected = keras.ops.mean(dm.reply_nll(dialogues.targets, logits) + kl)
    loss = model.evaluate(dm.model_inputs(dialogues, True), dialogues.targets, verbose=0)
    loss = loss[0] if isinstance(loss, list) else loss
    assert loss == pytest.approx(float(expected), rel=1e-4)


def test_importance_sampling_is_exact_for_deterministic_models_and_above_the_elbo():
    keras.utils.set_random_seed(0)
    dialogues = task.generate_dialogues(16, seed=2)
    hred = dm.build_hred(TINY)
    exact = dm.reply_log_likelihoods(hred, dialogues)["log_likelihood"]
    loss = keras.ops.convert_to_numpy(
        dm.reply_nll(dialogues.targets, hred.predict(dm.model_inputs(dialogues), verbose=0))
    )
    np.testing.assert_allclose(-exact, loss, rtol=1e-4)
    vhred = dm.build_vhred(TINY)
    estimates = dm.reply_log_likelihoods(vhred, dialogues, samples=50)
    assert np.mean(estimates["log_likelihood"]) >= np.mean(estimates["elbo"])
    assert np.all(estimates["kl"] >= 0)


# ---- the lab ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_run(data_root, quick_run_of):
    return quick_run_of("dialogue", "--manual-dir", data_root)


def test_quick_run_writes_every_output(quick_run):
    metrics = json.loads((quick_run / "metrics.json").read_text())
    kit.validate_metrics(dialogue.LAB, metrics)
    assert metrics["quick"] and list(metrics["models"]) == list(dialogue.MODELS)
    assert "kl_nats" in metrics["models"]["vhred"] and "kl_nats" not in metrics["models"]["hred"]
    assert (
        metrics["models"]["seq2seq"]["optimum_perplexity"]
        > (metrics["models"]["hred"]["optimum_perplexity"])
    )
    assert metrics["models"]["hred"]["unique_replies_per_context"] == 1.0  # greedy, no z
    assert 0.25 < metrics["switchboard"]["backchannel_share"] < 0.30
    assert set(metrics["timings"]["train_seconds"]) == set(dialogue.MODELS)
    for name in ("perplexity.png", "replies.png", "kl.png", "history.csv"):
        assert (quick_run / name).is_file(), name
    assets = json.loads((quick_run / "assets.json").read_text())
    assert assets["vocabulary"] == task.vocabulary()
    history = kit.read_history_csv(quick_run / "history.csv")
    assert history["vhred"]["kl_weight"][-1] == 1.0 and "kl" in history["vhred"]


def test_saved_models_load_in_a_fresh_process(quick_run, tmp_path):
    """`import models` is all a new process needs; the reloaded models compute the same logits."""
    dialogues = task.generate_dialogues(3, seed=5)
    np.save(tmp_path / "context.npy", dialogues.context_ids)
    np.save(tmp_path / "inputs.npy", dialogues.decoder_inputs)
    np.save(tmp_path / "targets.npy", dialogues.targets)
    script = (
        "import sys, json, numpy as np, keras, models\n"
        "out, data = sys.argv[1], sys.argv[2]\n"
        "x = [np.load(f'{data}/{n}.npy') for n in ('context', 'inputs', 'targets')]\n"
        "sums = {}\n"
        "for name in ('seq2seq', 'hred', 'vhred'):\n"
        "    model = keras.saving.load_model(f'{out}/models/{name}.keras')\n"
        "    sums[name] = float(model.predict(x[: len(model.inputs)], verbose=0).sum())\n"
        "print(json.dumps(sums))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(quick_run), str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sums = json.loads(result.stdout.strip().splitlines()[-1])
    saved = kit.load_run(quick_run)
    for name, value in sums.items():
        model = saved.model(name)
        inputs = dm.model_inputs(dialogues, dm.is_latent(model))
        assert float(model.predict(inputs, verbose=0).sum()) == pytest.approx(value, rel=1e-5)


def test_reply_prints_each_model_and_reads_unknown_words(quick_run):
    result = run_module(
        "labs.dialogue", "reply", "--output-dir", quick_run, "--samples", "3",
        "インコ が 好き", "へえ", "どう 思う ？",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "note: not in the vocabulary, read as <unk>: が"
    assert lines[1:5] == [
        "context:",
        "  A: インコ <unk> 好き    ([parakeets <unk> like])",
        "  B: へえ    (oh)",
        "  A: どう 思う ？    (what do you think?)",
    ]
    replies = [sum(line.startswith(name) for line in lines) for name in dialogue.MODELS]
    assert replies == [1, 1, 3]  # seq2seq, hred, three VHRED samples


def test_reply_errors_are_one_line(quick_run, tmp_path):
    empty = run_module("labs.dialogue", "reply", "--output-dir", quick_run, "インコ", " ")
    assert empty.returncode == 2 and len(empty.stderr.strip().splitlines()) == 1
    assert "non-empty" in empty.stderr
    none = run_module("labs.dialogue", "reply", "--output-dir", tmp_path / "nothing", "うん")
    assert none.returncode == 1 and none.stderr.strip().splitlines() == [
        f"dialogue: error: no finished run in {tmp_path / 'nothing'}/: run "
        "`python -m labs.dialogue` first, or pass --output-dir"
    ]


@pytest.mark.slow
def test_flags_are_in_the_config_and_a_seed_reproduces_the_metrics(data_root, quick_run_of):
    flags = ("--manual-dir", data_root, "--no-plots", "--models", "hred,vhred")
    flags += ("--word-drop", "0.5", "--latent-dim", "3", "--batch-size", "32", "--epochs", "1")
    first, second = quick_run_of("dialogue", *flags), quick_run_of("dialogue", *flags, "--seed", 0)
    metrics = [json.loads((out / "metrics.json").read_text()) for out in (first, second)]
    config = metrics[0]["config"]
    assert config["models"] == ["hred", "vhred"] and config["word_drop"] == 0.5
    assert (config["latent_dim"], config["batch_size"], config["epochs"]) == (3, 32, 1)
    assert list(metrics[0]["models"]) == ["hred", "vhred"]
    assert metrics[0]["models"] == metrics[1]["models"]
