"""Everyday-language frequency of BM25 tokens (the real wordfreq lists): the gate's name feature."""

from __future__ import annotations

import marshal

import pytest

from bot.kb import frequency
from bot.kb.tokens import tokenize


@pytest.fixture(scope="module")
def table() -> frequency.Frequency:
    return frequency.load()


def rarity(table: frequency.Frequency, word: str) -> float:
    """The rarest of a word's BM25 tokens (jieba's search mode gives 董事 and 董事长)."""
    return max(table.rarity(token) for token in tokenize(word))


@pytest.mark.parametrize("word", ["york", "capital", "rates", "最后", "多久", "董事长", "收購"])
def test_everyday_words_are_not_rare(table, word):
    assert rarity(table, word) == 0.0


@pytest.mark.parametrize("word", ["Mozer", "FINMA", "Archegos", "ycc", "jgbs"])
def test_names_and_new_jargon_are(table, word):
    assert rarity(table, word) > 1.0


def test_a_name_that_made_the_news_is_less_rare_than_an_unknown_one(table):
    # UBS (zipf ~2.9) and 瑞信 are in everyday news, Mozer is not: the feature is graded
    assert 0.0 < rarity(table, "UBS") < rarity(table, "Mozer")
    assert 0.0 < rarity(table, "瑞信") < frequency.RARE_ZIPF - frequency.FLOOR_ZIPF


@pytest.mark.parametrize("token", ["2015", "11.5", "中", "a"])
def test_numbers_and_single_characters_say_nothing(table, token):
    assert table.rarity(token) == 0.0


def test_english_forms_share_their_stem(table):
    # the list's "rates", "rate", "rated" are one BM25 token, as common as all of them together
    assert table.zipf[tokenize("rates")[0]] >= table.zipf.get("rates", 0.0)


def test_the_cache_is_written_once_and_a_damaged_one_is_rebuilt(tmp_path, table):
    frequency.load.cache_clear()
    try:
        built = frequency.load(tmp_path)
        (path,) = tmp_path.glob("wordfreq-*.marshal")
        assert marshal.loads(path.read_bytes()) == built.zipf == table.zipf
        stale = tmp_path / "wordfreq-0.0-told-py30.marshal"
        stale.write_bytes(b"old")
        path.write_bytes(b"\x00 not marshal")
        frequency.load.cache_clear()
        again = frequency.load(tmp_path)
        assert again.zipf == table.zipf
        assert marshal.loads(path.read_bytes()) == table.zipf
        assert not stale.exists()  # a cache of another key is removed
    finally:
        frequency.load.cache_clear()
