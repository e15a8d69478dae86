"""The spoken_digit splits, on the real FSDD archive."""

import collections

import numpy as np
import pytest

from labs.data.spoken_digit import SPEAKERS, load_spoken_digit, recording_fields


def _recordings(dataset):
    """[(speaker, take, label)] of a split."""
    rows = []
    for example in dataset:
        speaker, take = recording_fields(example["audio/filename"])
        rows.append((speaker.numpy().decode(), int(take), int(example["label"])))
    return rows


@pytest.fixture(scope="module")
def official(manual_dir, data_dir):
    splits = load_spoken_digit("official", manual_dir=manual_dir, data_dir=data_dir)
    return {name: _recordings(getattr(splits, name)) for name in ("train", "validation", "test")}


def test_course_split_sizes(manual_dir, data_dir):
    splits = load_spoken_digit("course", manual_dir=manual_dir, data_dir=data_dir)
    sizes = [sum(1 for _ in ds) for ds in (splits.train, splits.validation, splits.test)]
    assert sizes == [1750, 375, 375]


def test_official_split_sizes(official):
    assert [len(official[name]) for name in ("train", "validation", "test")] == [2000, 250, 250]


def test_official_test_is_exactly_takes_0_to_4(official):
    assert {take for _, take, _ in official["test"]} == {0, 1, 2, 3, 4}
    held_out = {(s, t, d) for s in SPEAKERS for t in range(5) for d in range(10)}
    assert set(official["test"]) == held_out
    assert all(take >= 5 for _, take, _ in official["train"] + official["validation"])


def test_official_validation_comes_from_train_takes(official):
    assert {take for _, take, _ in official["validation"]} == {5, 6, 7, 8, 9}
    assert not set(official["validation"]) & set(official["train"])


def test_official_labels_are_balanced(official):
    for name, per_digit in (("train", 200), ("validation", 25), ("test", 25)):
        counts = collections.Counter(label for _, _, label in official[name])
        assert counts == {digit: per_digit for digit in range(10)}, name


@pytest.mark.parametrize("speaker", ["theo", "yweweler"])
def test_speaker_split_holds_one_voice_out(manual_dir, data_dir, speaker):
    splits = load_spoken_digit("speaker", speaker=speaker, manual_dir=manual_dir, data_dir=data_dir)
    train, validation, test = (
        _recordings(ds) for ds in (splits.train, splits.validation, splits.test)
    )
    assert (len(train), len(validation), len(test)) == (1800, 200, 500)
    assert {s for s, _, _ in test} == {speaker}
    assert speaker not in {s for s, _, _ in train + validation}
    assert collections.Counter(label for _, _, label in test) == {d: 50 for d in range(10)}


def test_audio_is_raw_int16_range(manual_dir, data_dir):
    splits = load_spoken_digit("course", manual_dir=manual_dir, data_dir=data_dir)
    audio = next(iter(splits.train))["audio"].numpy()
    assert audio.ndim == 1 and audio.size > 1000
    assert np.abs(audio).max() > 100  # not normalised
    assert np.abs(audio).max() <= 32768


def test_bad_split_names_are_rejected(manual_dir, data_dir):
    with pytest.raises(ValueError, match="split must be one of"):
        load_spoken_digit("random", manual_dir=manual_dir, data_dir=data_dir)
    with pytest.raises(ValueError, match="speaker must be one of"):
        load_spoken_digit("speaker", speaker="bob", manual_dir=manual_dir, data_dir=data_dir)
