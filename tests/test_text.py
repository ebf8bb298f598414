"""The script-aware text helpers every layer shares: language, script, folding, sentences, width."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import cjk_ratio, detect_lang, display_width, fold, has_cjk, split_sentences, squash, to_script

# ------------------------------------------------------------------ detect_lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("什麼是基差交易?", "zh-Hant"),
        ("為什麼基差交易需要槓桿?", "zh-Hant"),
        ("什么是基差交易?", "zh-Hans"),
        ("为什么基差交易需要杠杆?", "zh-Hans"),
        ("What is the basis trade?", "en"),
        ("What does 槓桿 mean?", "en"),  # a Chinese word inside English stays English
        ("hedge fund 在 2020 年 3 月為什麼一直被 margin call?", "zh-Hant"),
        ("基差", "zh-Hant"),  # shared characters: the seed article's script
        ("", "en"),
        ("12345 + 678", "en"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_cjk_helpers() -> None:
    assert has_cjk("abc 基差") and not has_cjk("abc 123")
    assert cjk_ratio("ab基差") == 0.5
    assert cjk_ratio("123 !?") == 0.0


# -------------------------------------------------------------------- to_script


def test_to_script_traditional_uses_taiwan_forms() -> None:
    assert to_script("基差交易的杠杆与保证金", "zh-Hant") == "基差交易的槓桿與保證金"


def test_to_script_simplified() -> None:
    assert to_script("槓桿與保證金", "zh-Hans") == "杠杆与保证金"


def test_to_script_english_passes_through() -> None:
    assert to_script("leverage 槓桿", "en") == "leverage 槓桿"


# ------------------------------------------------------------------------- fold


def test_fold_is_nfkc_simplified_lower_case() -> None:
    assert fold("ＡＢＣ１２ 槓桿") == "abc12 杠杆"
    assert fold("Basis TRADE") == "basis trade"
    assert fold("槓桿") == fold("杠杆")


def test_squash_drops_whitespace() -> None:
    assert squash("  基差 交易\n Basis ") == "基差交易basis"


# -------------------------------------------------------------- split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("基差交易是套利。它需要槓桿！對嗎？", ["基差交易是套利。", "它需要槓桿！", "對嗎？"]),
        ("先買現貨；再賣期貨。", ["先買現貨；", "再賣期貨。"]),
        ("他說「很好。」然後走了。", ["他說「很好。」", "然後走了。"]),
        ("Repo is short. It rolls daily.", ["Repo is short.", "It rolls daily."]),
        ("e.g. this one. lower case goes on.", ["e.g. this one. lower case goes on."]),
        ("Really? Yes! 好", ["Really?", "Yes!", "好"]),
        ("(He said “stop.”) Then 2020 came.", ["(He said “stop.”)", "Then 2020 came."]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Ask <@!123456789> about repo. Thanks!", ["Ask <@!123456789> about repo.", "Thanks!"]),
        ("<@!42> 什麼是基差交易？", ["<@!42> 什麼是基差交易？"]),
        ("Hi <@!1>! Next", ["Hi <@!1>!", "Next"]),
        ("Ping <@&987> and see <#555>. Done.", ["Ping <@&987> and see <#555>.", "Done."]),
        ("<@&1>! <#2>? <@!3>", ["<@&1>!", "<#2>?", "<@!3>"]),
    ],
)
def test_discord_mentions_never_split(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<@!123>", "<@&45>", "<#67>", "。", "!", "?", " ", "Hi", "基差", ". ", "A"]), max_size=12))
def test_mentions_survive_any_split(parts: list[str]) -> None:
    text = "".join(parts)
    joined = " ".join(split_sentences(text))
    for mention in ("<@!123>", "<@&45>", "<#67>"):
        assert joined.count(mention) == text.count(mention)


def test_split_sentences_is_linear_on_long_runs() -> None:
    """A message of 1000 end marks or spaces splits (a hang would fail this; no timing asserted)."""
    assert len(split_sentences("。" * 1000)) == 1000
    assert split_sentences("A." + " " * 5000 + "x") == ["A." + " " * 5000 + "x"]


# ----------------------------------------------------------------- display_width


@pytest.mark.parametrize(
    ("text", "width"),
    [("", 0), ("abc", 3), ("基差", 4), ("ａｂ", 4), ("a基b", 4), ("50%", 3), ("。", 2)],
)
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


def test_script_neutral() -> None:
    from bot.text import script_neutral

    assert script_neutral("你好啊")
    assert script_neutral("那2025年呢?")
    assert not script_neutral("什麼是基差交易")
    assert not script_neutral("什么是基差交易")
    assert not script_neutral("hello")
