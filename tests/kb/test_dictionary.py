"""CC-CEDICT bridge: the real bundled dictionary, both directions, and query translation."""

import math

import pytest

from bot.kb import cedict, dictionary
from bot.kb.dictionary import clean_gloss, parse
from bot.kb.tokens import tokenize

SAMPLE = """# CC-CEDICT
#! date=2023-11-07T06:42:16Z
止損 止损 [zhi3 sun3] /(finance) stop-loss/to sell a security in response to its price dropping to one's stop-loss point/
拍賣 拍卖 [pai1 mai4] /to auction/auction sale/
個 个 [ge4] /CL:個|个[ge4]/variant of 箇|个[ge4]/
穆迪 穆迪 [Mu4 di2] /Moody's, company specializing in financial market ratings/
許 许 [Xu3] /surname Xu/
"""


@pytest.mark.parametrize(
    ("gloss", "expected"),
    [
        ("(finance) stop-loss", "stop-loss"),
        ("to auction", "auction"),
        ("moody's, company specializing in financial market ratings", "moody's"),
        ("cl:個|个[ge4]", None),
        ("variant of 箇|个[ge4]", None),
        ("surname xu", None),
        ("", None),
    ],
)
def test_clean_gloss_keeps_translations_and_drops_notes(gloss, expected):
    assert clean_gloss(gloss) == expected


@pytest.mark.parametrize(
    ("gloss", "expected"),
    [
        ("lehman or leymann", ["lehman", "leymann"]),
        ("george soros or györgy schwartz", ["george soros", "györgy schwartz"]),
        ("air or shipping route", ["air or shipping route"]),  # "air" alone is no translation
        ("that level or higher", ["that level or higher"]),
        ("stop-loss", ["stop-loss"]),
    ],
)
def test_either_splits_two_alternatives_of_one_length(gloss, expected):
    assert dictionary.either(gloss) == expected


def test_a_name_glossed_with_two_spellings_translates_to_either():
    # 雷曼 "Lehman or Leymann (name)": a passage about Lehman Brothers holds one spelling only
    assert ("lehman",) in dictionary.load().english("雷曼")



@pytest.mark.parametrize(
    ("gloss", "expected"),
    [
        ("Renminbi (RMB)/Chinese Yuan (CNY)/", ["RMB", "CNY"]),
        ("Standard and Poor's (S&P), company specializing in financial market ratings/", ["S&P"]),
        ("(TCM) to rectify 氣|气[qi4]/", []),  # a usage label opening a sense
        ("opposition between vital energy and pathogeny (TCM)/", []),  # ...or closing one
        ("pentose (CH2O)5, monosaccharide/", []),  # a formula
        ("US Federal Reserve (Fed), the US central bank/", []),  # one capital: not told from a word
    ],
)
def test_an_acronym_in_parentheses_is_a_translation(gloss, expected):
    assert dictionary.acronyms(gloss) == expected


def test_chat_acronyms_reach_their_chinese_headword():
    # "how big was the cut to the rmb midpoint": CC-CEDICT writes RMB only in parentheses
    d = dictionary.load()
    assert "人民币" in d.chinese(("rmb",)) and "人民币" in d.chinese(tuple(tokenize("cny")))
    assert ("rmb",) in d.english("人民幣")

def test_parse_builds_both_directions_and_skips_descriptions():
    d = parse(SAMPLE)
    assert d.english("止損") == (("stop", "loss"),)  # the long description is not a translation
    assert d.english("拍卖") == (("auction",), ("auction", "sale"))
    assert d.chinese(("auction",)) == ("拍卖",)
    assert d.english("穆迪") == (("moodi",),)
    assert d.english("个") == () and d.english("许") == ()


def test_bundled_dictionary_covers_words_the_glossary_lacks():
    d = dictionary.load()
    assert ("stop", "loss") in d.english("止損")  # Traditional input folds to the headword
    assert "拍卖" in d.chinese(("auction",))
    assert ("hedg", "fund") in d.english("对冲基金")
    assert len(d.zh_to_en) > 90_000


def test_headwords_for_the_segmenter_are_multi_character_and_simplified():
    words = cedict.headwords()
    assert "止损" in words and "缩表" in words
    assert "止損" not in words and "个" not in words


def test_bridge_translates_english_to_chinese_the_corpus_holds():
    known = {"止损", "拍卖", "上限"}.__contains__
    groups = dictionary.load().bridge("some funds hit their stop-loss limits at the auction", known)
    alternatives = {a for _, alts, _ in groups for a in alts}
    assert ("止损",) in alternatives and ("拍卖",) in alternatives
    sources = {s for _, _, s in groups}
    assert ("stop", "loss") in sources
    # nothing the corpus does not hold is offered
    assert all(known(t) for a in alternatives for t in a)


def test_bridge_weighs_ambiguous_terms_less():
    d = dictionary.load()
    senses = [s[0] for s in d.english("交换") if len(s) == 1]
    known = set(senses).__contains__
    (weight, alternatives, source), *_ = dictionary.load().bridge("交换", known)
    assert source == ("交换",)
    assert len(alternatives) == len(senses) > 1
    assert weight == pytest.approx(1 / math.sqrt(len(alternatives)))


def test_bridge_translates_chinese_to_english_once_per_word():
    known = {"hedg", "fund", "fed", "feder", "reserv"}.__contains__
    groups = dictionary.load().bridge("對沖基金", known)
    sources = [s for _, _, s in groups]
    assert ("对冲基金",) in sources
    assert ("基金",) not in sources  # inside a longer translated word: not translated again


def test_calendar_spells_dates_and_tenors_the_way_the_other_language_writes_them():
    # CC-CEDICT gives April = 四月 only; news in Chinese writes 4月 and 30年期
    def pairs(text: str) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
        return {(source, alt) for _, alts, source in dictionary.calendar(text, lambda _t: True) for alt in alts}

    assert pairs("how far did the 30-year yield rise in april 2025?") == {
        (("30", "year"), ("30", "年期")), (("30", "year"), ("30", "年")), (("april",), ("4", "月"))}
    assert pairs("2019年9月17日，30年期公債") == {(("9", "月"), ("septemb",)), (("30", "年期"), ("30", "year"))}
    assert pairs("in may 2025") == {(("may",), ("5", "月"))}
    # abbreviated, as people type it, beside a number: and the month written out for English text
    assert pairs("the 10yr on oct 15 2014, in aug 2023") == {
        (("oct",), ("10", "月")), (("oct",), ("octob",)), (("aug",), ("8", "月")), (("aug",), ("august",))}
    assert pairs("a dec of the mar") == set()
    assert pairs("10-year and 30-year yields in april 2025 and april 2020") == {
        (("10", "year"), ("10", "年期")), (("10", "year"), ("10", "年")),
        (("30", "year"), ("30", "年期")), (("30", "year"), ("30", "年")), (("april",), ("4", "月"))}
    assert len(dictionary.calendar("april 2025 and april 2020", lambda _t: True)) == 1
    # a modal verb, a duration and a calendar year are no dates or tenors
    assert pairs("what may happen to positions compared to 5 years ago") == set()
    assert pairs("2025年的拋售") == set()
    # only what the corpus holds is offered
    assert dictionary.calendar("april 2025", {"4"}.__contains__) == []


def test_the_parse_is_cached_on_disk_and_a_damaged_cache_is_redone(tmp_path) -> None:
    first = dictionary.load(tmp_path)
    cached = list(tmp_path.glob("cedict-*.marshal"))
    assert len(cached) == 1
    dictionary.load.cache_clear()
    again = dictionary.load(tmp_path)  # read back from the file, not parsed
    assert again.zh_to_en == first.zh_to_en and again.en_to_zh == first.en_to_zh
    cached[0].write_bytes(b"not marshal")
    dictionary.load.cache_clear()
    assert dictionary.load(tmp_path).english("基差") == first.english("基差")
    dictionary.load.cache_clear()


def _unmemoised_bridge_alternatives(d, phrase, known):
    """What bridge offers for an English phrase, segmenting the headwords afresh."""
    from bot.kb.tokens import tokenize

    heads = d.en_heads.get(phrase[0], ()) if len(phrase) == 1 else ()  # by the last word of a gloss
    return {a for a in (tuple(tokenize(h)) for h in (*d.chinese(phrase), *heads)) if a and all(known(t) for t in a)}


def test_memoised_translation_equals_a_fresh_one_and_is_bounded(monkeypatch):
    monkeypatch.setattr(dictionary, "HEADWORD_CACHE", 2)
    full = dictionary.load()
    d = dictionary.Dictionary(zh_to_en=full.zh_to_en, en_to_zh=full.en_to_zh, en_heads=full.en_heads)  # memos sized now
    known = {"止损", "拍卖", "上限", "利率", "率", "速率", "hedg", "fund"}.__contains__
    text = "some funds hit their stop-loss limits at the auction; the rate rose. 對沖基金"
    first = d.bridge(text, known)
    memos = (d._segmented, d._senses, d._headed)
    assert all(memo.cache_info().currsize <= 2 for memo in memos)
    assert d.bridge(text, known) == first  # served partly from the memo, partly afresh
    for phrase in (("stop-loss",), ("auction",), ("rate",)):
        expected = _unmemoised_bridge_alternatives(d, phrase, known)
        offered = {a for _, alts, source in first if source == phrase for a in alts}
        assert offered == expected
    assert {a for _, alts, _ in first for a in alts} >= {("止损",), ("拍卖",), ("hedg", "fund")}


def test_each_dictionary_keeps_its_own_memo():
    a = parse(SAMPLE)
    b = parse(SAMPLE.replace("/to auction/auction sale/", "/to sell off/"))
    known = {"拍卖"}.__contains__
    assert a.bridge("the auction", known) and not b.bridge("the auction", known)


def test_shorthand_spells_out_tenors_and_two_digit_years_as_documents_write_them():
    assert dictionary.shorthand("how high did the 10yr spike after the 7y auction") == (
        "how high did the 10-year spike after the 7-year auction")
    assert dictionary.shorthand("how much did ltcm lose in 98") == "how much did ltcm lose in 1998"
    assert dictionary.shorthand("how low did the 10yr get at the end of 08") == (
        "how low did the 10-year get at the end of 2008")
    assert dictionary.shorthand("08年12月美联储降到多少") == "2008年12月美联储降到多少"
    assert dictionary.shorthand("94年那轮加息") == "1994年那轮加息"
    assert dictionary.shorthand("11年标普降级之后 10年期到多少") == "2011年标普降级之后 10年期到多少"
    assert dictionary.shorthand("20年3月美债怎么了") == "2020年3月美债怎么了"
    assert dictionary.shorthand("22年加息几次") == "2022年加息几次"
    # a tenor, a duration, an amount or a count is no year; nor is a plural "yrs"
    for kept in ("30年期公債", "過去20年", "up 22 bp in 25 bps", "in 30 minutes", "in 10 years", "2 yrs ago",
                 "5y5y forward", "in 50x", "in 2020", "$10y",
                 "過去13年", "15年前", "持有11年", "10年美债", "20年公债"):
        assert dictionary.shorthand(kept) == kept


def test_a_tenor_in_chinese_numerals_is_written_in_digits():
    # jieba cuts "十年期美债" into 十年 / 期美债, which meet neither 10年期 nor 10-year
    assert dictionary.shorthand("1994年十年期美债收益率从多少涨到多少？") == "1994年10年期美债收益率从多少涨到多少？"
    assert dictionary.shorthand("三十年期公債和兩年期美債") == "30年期公債和2年期美債"
    assert dictionary.shorthand("五年期跟七年期標售") == "5年期跟7年期標售"
    # a decade, a number cn2an cannot read, or a longer number is left as typed
    for kept in ("十年來殖利率", "十十年期", "一百二十年期"):
        assert dictionary.shorthand(kept) == kept


def test_a_chinese_numeral_tenor_reaches_the_tenor_group(retriever):
    groups = retriever.query_groups("十年期美债收益率涨到多少")
    assert any(("10", "year") in alternatives for _, alternatives, _ in groups), groups


def test_chat_abbreviations_are_spelled_out_by_their_token():
    # the table is keyed as questions are tokenised ("75bps" is 75 and bps), each spelling its own
    assert dictionary.spelled_out(tokenize("how many bps did 10y JGBs move, per the BoJ?")) == {
        "bps": "basis points",
        "jgbs": "Japanese government bonds",
        "boj": "Bank of Japan",
    }
    assert dictionary.spelled_out(tokenize("fed went 75bps")) == {"bps": "basis points"}
    assert dictionary.spelled_out(tokenize("the baseball score")) == {}


def test_bridge_reaches_a_headword_by_the_last_word_of_its_gloss():
    # CC-CEDICT glosses 收益率 "earnings yield", never "yield" alone (that is 让, "to yield"): the
    # last word of a multi-word gloss names the thing, at HEAD_WEIGHT of an exact gloss
    d = dictionary.load()
    known = {"让", "收益", "收益率", "低头"}.__contains__
    groups = d.bridge("treasury yields", known)
    exact = [g for g in groups if ("让",) in g[1]]
    head = [g for g in groups if ("收益", "收益率") in g[1]]
    assert exact and exact[0][2] == ("yield",)
    assert head and head[0][2] == ("yield",) and head[0][0] == pytest.approx(dictionary.HEAD_WEIGHT)
    assert not [g for g in head if ("让",) in g[1]]  # an exact sense is not counted twice
