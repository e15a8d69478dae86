"""EDA for text, with a synonym table defined here (nothing is downloaded)."""

import builtins
import random

import pytest

import augmentation as aug
from augmentation import text_eda as eda_lib

SYNONYMS = aug.synonym_table(
    {
        "quick": ["fast", "speedy"],
        "dog": ["hound"],
        "runs": ["sprints"],
        "happy": ["glad", "cheerful"],
        "park": ["garden"],
    }
)
SENTENCE = "The quick dog runs to the happy park"


def test_synonym_table_normalises_and_drops_the_word_itself():
    table = aug.synonym_table({"Good": ["good", "fine", "Fine", "well-made"]})
    assert table("GOOD") == ["fine", "well made"]
    assert table("unknown") == []


def test_synonym_replacement_uses_only_synonyms_and_skips_stop_words():
    rng = random.Random(0)
    words = SENTENCE.lower().split()
    out = eda_lib.synonym_replacement(words, 2, SYNONYMS, rng)
    changed = [(a, b) for a, b in zip(words, out, strict=True) if a != b]
    assert len(changed) == 2
    assert all(b in SYNONYMS(a) for a, b in changed)
    assert eda_lib.synonym_replacement(["the", "to"], 1, SYNONYMS, rng) == ["the", "to"]


def test_random_insertion_adds_synonyms():
    words = SENTENCE.lower().split()
    out = eda_lib.random_insertion(words, 3, SYNONYMS, random.Random(1))
    assert len(out) == len(words) + 3
    inserted = list(out)
    for word in words:
        inserted.remove(word)
    all_synonyms = {s for w in words for s in SYNONYMS(w)}
    assert set(inserted) <= all_synonyms


def test_random_swap_keeps_the_words():
    words = SENTENCE.lower().split()
    out = eda_lib.random_swap(words, 2, random.Random(2))
    assert sorted(out) == sorted(words) and out != words


def test_random_deletion_probability_and_never_empty():
    words = [f"w{i}" for i in range(2000)]
    kept = eda_lib.random_deletion(words, 0.3, random.Random(3))
    assert 0.65 < len(kept) / len(words) < 0.75
    assert len(eda_lib.random_deletion(["a", "b"], 1.0, random.Random(0))) == 1
    assert eda_lib.random_deletion(["only"], 1.0, random.Random(0)) == ["only"]


def test_eda_counts_original_last_and_seed():
    out = aug.eda(SENTENCE, SYNONYMS, num_aug=6, seed=4)
    assert len(out) == 7 and out[-1] == "the quick dog runs to the happy park"
    assert out == aug.eda(SENTENCE, SYNONYMS, num_aug=6, seed=4)
    assert out != aug.eda(SENTENCE, SYNONYMS, num_aug=6, seed=5)
    only_swaps = aug.EDA(SYNONYMS, alpha_sr=0, alpha_ri=0, alpha_rs=0.3, p_rd=0, num_aug=3)
    for sentence in only_swaps(SENTENCE, seed=0)[:-1]:
        assert sorted(sentence.split()) == sorted(SENTENCE.lower().split())


def test_eda_fractional_num_aug_keeps_a_fraction():
    counts = [len(aug.eda(SENTENCE, SYNONYMS, num_aug=0.5, seed=s)) - 1 for s in range(200)]
    # 4 candidates (one per edit), each kept with probability 0.5 / 4: num_aug on average.
    assert 0.35 < sum(counts) / len(counts) < 0.7


def test_eda_rejects_bad_settings():
    with pytest.raises(ValueError, match="alpha_sr"):
        aug.EDA(SYNONYMS, alpha_sr=2.0)


def test_wordnet_missing_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_nltk(name, *args, **kwargs):
        if name == "nltk" or name.startswith("nltk."):
            raise ImportError("No module named 'nltk'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nltk)
    with pytest.raises(aug.SynonymSourceUnavailable, match="pip install nltk.*nltk.downloader"):
        aug.wordnet_synonyms()


def test_eda_with_the_staged_wordnet(monkeypatch):
    # WordNet 3.0 staged for nltk beside the checkout (../shared/data/nltk_data).
    from tests.conftest import SHARED_DATA, _missing

    nltk = pytest.importorskip("nltk")
    staged = SHARED_DATA / "nltk_data"
    if not (staged / "corpora" / "wordnet").is_dir():
        _missing(f"WordNet is not staged in {staged}")
    monkeypatch.setattr(nltk.data, "path", [str(staged), *nltk.data.path])
    synonyms = aug.wordnet_synonyms()
    assert {"fast", "speedy"} <= set(synonyms("quick")) and "quick" not in synonyms("quick")
    only_replacements = aug.EDA(synonyms, alpha_sr=0.5, alpha_ri=0, alpha_rs=0, p_rd=0, num_aug=1)
    original = "the quick dog runs to the happy park"
    augmented = only_replacements(original, seed=0)[0].split()
    changed = [(a, b) for a, b in zip(original.split(), augmented, strict=False) if a != b]
    assert changed, "synonym replacement changed nothing"
    # A multi-word lemma ("hot dog") shifts the words after it: check the first change, and
    # that the stop words ("the", "to") are all still there.
    first_word, first_replacement = changed[0]
    assert first_word not in eda_lib.STOP_WORDS
    assert any(s.split()[0] == first_replacement for s in synonyms(first_word))
    assert augmented.count("the") >= 2 and "to" in augmented
