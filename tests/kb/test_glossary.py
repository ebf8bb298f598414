"""The glossary table: parsing, longest-match term detection, expansion and definitions."""

from pathlib import Path

from bot.kb.glossary import Glossary, load, parse, readable_row, row_text
from bot.settings import ROOT

TABLE = """# Glossary

| zh-Hant | zh-Hans | English | 說明 |
|---|---|---|---|
| 附買回 / 附買回協議 | 回购 / 回购协议 | repo / repurchase agreement | 以證券抵押借入短期資金。 |
| 隱含附買回利率 | 隐含回购利率 | implied repo rate | 買進現貨並交割所隱含的融資報酬率。 |
| 槓桿 | 杠杆 | leverage | 部位相對本金的倍數。 |
"""


def glossary() -> Glossary:
    return Glossary(parse(TABLE))


def test_parse_reads_every_row_and_form():
    terms = parse(TABLE)
    assert len(terms) == 3
    assert terms[0].zh_hant == ("附買回", "附買回協議")
    assert terms[0].english == ("repo", "repurchase agreement")
    assert terms[2].note == "部位相對本金的倍數。"


def test_a_table_with_other_columns_is_not_a_glossary():
    assert parse("| a | b | c |\n|---|---|---|\n| 1 | 2 | 3 |\n") == []


def test_longest_form_wins_and_matches_do_not_overlap():
    found = glossary().matches("What is the implied repo rate?")
    assert [t.english[0] for t in found] == ["implied repo rate"]


def test_english_forms_need_word_boundaries_but_allow_plurals():
    g = glossary()
    assert sorted(t.english[0] for t in g.matches("repos and leverage")) == ["leverage", "repo"]
    assert g.matches("a reporter wrote") == []


def test_any_script_matches():
    g = glossary()
    assert g.matches("槓桿有多高") == g.matches("杠杆有多高") != []


def test_other_forms_are_only_forms_the_text_lacks():
    g = glossary()
    (leverage,) = g.matches("how much leverage?")
    extra = g.other_forms(leverage, "how much leverage?")
    assert "槓桿" in extra and "杠杆" in extra
    assert "leverage" not in extra


def test_a_longer_form_holding_the_written_one_is_no_other_form():
    # "cash-futures basis trade" only adds modifiers to the "basis trade" the question wrote
    table = TABLE + "| 基差交易 | 基差交易 | basis trade / cash-futures basis trade | 買現貨、賣期貨。 |\n"
    (term,) = Glossary(parse(table)).matches("who warned about the basis trade")
    assert Glossary.other_forms(term, "who warned about the basis trade") == ("基差交易",)
    assert "cash-futures basis trade" in Glossary.other_forms(term, "基差交易是什麼")


def test_define_by_exact_form_then_by_mention():
    g = glossary()
    assert g.define("回购").english[0] == "repo"
    assert g.define("tell me about leverage please").english == ("leverage",)
    assert g.define("pizza") is None


def test_row_text_round_trips_to_a_readable_line():
    header = ["zh-Hant", "zh-Hans", "English", "說明"]
    line = row_text(header, ["槓桿", "杠杆", "leverage", "部位相對本金的倍數。"])
    assert readable_row(line) == "槓桿 (leverage): 部位相對本金的倍數。"
    assert readable_row("An ordinary sentence.") == "An ordinary sentence."


def test_load_reads_the_corpus_glossary_and_tolerates_none(tmp_path: Path):
    assert len(load(ROOT / "corpus")) > 20
    assert len(load(tmp_path)) == 0


def test_an_english_term_next_to_chinese_is_still_a_term() -> None:
    """"CTD是什么" once found nothing: a Chinese character counted as part of the English word."""
    glossary = load(ROOT / "corpus")
    assert any("cheapest-to-deliver" in " ".join(t.english).lower() for t in glossary.matches("CTD是什么"))
    assert not glossary.matches("actdx")  # inside a longer English word it is not the term


def test_a_compound_matches_however_it_is_typed() -> None:
    # learners drop the hyphens of "cheapest-to-deliver" or join "sell-off" into one word
    table = TABLE + "| 拋售 | 抛售 | sell-off | 大量賣出。 |\n| 最便宜可交割債券 | 最便宜可交割债券 | cheapest-to-deliver / CTD | 交割成本最低的債券。 |\n"
    g = Glossary(parse(table))
    for text in ("what is the cheapest to deliver bond", "the Cheapest-To-Deliver", "the selloff in april", "a sell off"):
        assert g.matches(text), text
    (ctd,) = g.matches("cheapest to deliver?")
    assert "cheapest-to-deliver" not in g.other_forms(ctd, "cheapest to deliver?")  # already typed, just spaced
    # typed joined, it is written too: "sell off" would have been a synonym summed beside "selloff"
    (selloff,) = g.matches("what did bessent say about the treasury selloff?")
    assert g.other_forms(selloff, "what did bessent say about the treasury selloff?") == ("拋售", "抛售")
    assert g.define("cheapest to deliver").zh_hant == ("最便宜可交割債券",)
    assert not g.matches("sell offers")  # still whole words
