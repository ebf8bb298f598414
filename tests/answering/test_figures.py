"""Figures, disagreeing sources and "as of" dates, on real sentences of corpus/ and of the
held-out documents in eval/generalization/docs and eval/generalization-d/docs (read from the
files, not copied), plus a few constructed sentences where the corpora happen to agree (marked
as such)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from bot.answering import figures as fg
from bot.kb.retrieval import Hit
from bot.settings import ROOT, Settings
from bot.text import split_sentences, to_script
from ingest.loaders import load
from ingest.pipeline import prepare

CORPUS = ROOT / "corpus"
HELD_OUT = ROOT / "eval" / "generalization" / "docs"
BLIND = ROOT / "eval" / "generalization-d" / "docs"


@lru_cache(maxsize=32)
def _chunks(path: Path) -> tuple[tuple[str, dict], ...]:
    """The chunks ingest makes of a document (real splitter, real metadata: title, source, date)."""
    document = load(path, path.parent)
    return tuple((c.text, dict(c.metadata)) for c in prepare(document, Settings(_env_file=None)))


def _hit(text: str, meta: dict) -> Hit:
    return hit(text, meta["title"], meta["source"], meta["date"], meta["section"])


def quote(path: Path, fragment: str) -> tuple[str, Hit]:
    """The real sentence of ``path`` holding ``fragment``, with a hit for the first chunk holding it."""
    found = [
        (sentence, text, meta)
        for text, meta in _chunks(path)
        for sentence in split_sentences(text)
        if fragment in sentence
    ]
    assert found and len({f[0] for f in found}) == 1, f"{fragment!r} is in {len(found)} sentences of {path.name}"
    sentence, text, meta = found[0]
    assert sentence in path.read_text(encoding="utf-8").replace("**", "")
    return sentence, _hit(text, meta)


def hit(text: str, title: str, source: str, date: str = "", section: str = "part") -> Hit:
    return Hit(rank=1, score=1.0, text=text, title=title, source=source, lang="", chunk_id=title,
                    section=section, date=date)


def made_up(sentence: str, title: str, source: str, date: str) -> tuple[str, Hit]:
    """A constructed sentence in its own document (for disagreements the corpora do not hold)."""
    return sentence, hit(sentence, title, source, date)


def citer():
    numbers: dict[str, int] = {}
    return lambda h: numbers.setdefault(h.title, len(numbers) + 1)


VOCUS = CORPUS / "basis-trade-article.zh-Hant.md"
EXPLAINER = CORPUS / "en-basis-trade-explainer.md"
STRESS = CORPUS / "en-stress-2020-2025.md"
MECHANICS = CORPUS / "zh-Hant-mechanics-leverage.md"
REGULATION = CORPUS / "en-regulation.md"


def only(sentence: str, kind: str) -> fg.Figure:
    found = [f for f in fg.extract(sentence) if f.kind == kind]
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------ extract


def test_leverage_in_all_three_scripts():
    bloomberg, _ = quote(STRESS, "levered up to 50 times")
    vocus, _ = quote(VOCUS, "動輒可達50倍")
    mechanics, _ = quote(MECHANICS, "槓桿高達 50 倍")
    for sentence in (bloomberg, vocus, mechanics, to_script(mechanics, "zh-Hans")):
        figure = only(sentence, "leverage")
        assert (figure.value, figure.unit, figure.measure) == (50, "x", "leverage")
        assert sentence[figure.span[0]:figure.span[1]] == figure.text
    assert only(bloomberg, "leverage").qualifier == "up to"
    assert only(vocus, "leverage").bound == ">"  # 50倍甚至更高: at least 50
    assert only("Some desks ran 100x on it.", "leverage").value == 100


def test_money_with_scales_in_all_three_scripts():
    futures, _ = quote(MECHANICS, "2019 年約 8,000 億美元")
    amounts = [f.value for f in fg.extract(futures)]
    assert amounts == [2.5e11, 8e11, 4e11, 1e12]  # 2,500 億 / 8,000 億 / 4,000 億 / 1 兆美元
    english, _ = quote(EXPLAINER, "about $800 billion in 2019")
    assert [f.value for f in fg.extract(english)] == [2.5e11, 8e11]
    jpm, _ = quote(MECHANICS, "6,500 億美元")
    simplified = to_script(jpm, "zh-Hans")
    assert "6,500 亿美元" in simplified and only(simplified, "money").value == 6.5e11
    qt, _ = quote(HELD_OUT / "zh-Hans-fed-qt.md", "9万亿美元")
    assert fg.extract(qt)[0].value == 9e12
    assert only("Positions reached $1 trillion.", "money").value == 1e12
    assert only("Positions reached $800bn.", "money").unit == "USD"
    bare = only("估計規模約5000億。", "money")
    assert (bare.value, bare.unit) == (5e11, "")  # no currency named
    assert only("1兆2,000億美元", "money").value == 1.2e12


def test_ranges_and_bounds():
    barth, _ = quote(EXPLAINER, "Barth and Kahn estimate")
    figure = only(barth, "money")
    assert (figure.value, figure.high, figure.qualifier) == (4e11, 5e11, "about")
    chinese, _ = quote(MECHANICS, "4,000 億至 5,000 億美元")
    assert only(chinese, "money").interval == (4e11, 5e11)
    vocus, _ = quote(VOCUS, "超過1兆美元")
    assert only(vocus, "money").interval == (1e12, float("inf"))
    cut, _ = quote(HELD_OUT / "zh-Hant-2020-fed-emergency.md", "0%至0.25%")
    assert [(f.kind, f.value, f.high) for f in fg.extract(cut)] == [("bp", 100, 100), ("percent", 0, 0.25)]
    eslr, _ = quote(HELD_OUT / "en-eslr-2025.md", "3.5% to 4.5%")
    assert [(f.value, f.high) for f in fg.extract(eslr)] == [(5, 5), (3.5, 4.5)]  # "from 5% to" is no range
    assert [f.value for f in fg.extract("折價率由 2% 調高到 4%。")] == [2, 4]


def test_basis_points_and_their_subject():
    week, _ = quote(STRESS, "rose about 50 basis points")
    figure = only(week, "bp")
    assert (figure.value, figure.measure, figure.tenors, figure.frequency) == (50, "yield", {10}, "week")
    assert (figure.year, figure.months, figure.direction) == (2025, {4}, {"up"})  # not "since 2001"
    long_bond, _ = quote(HELD_OUT / "zh-Hant-2025-long-bond.md", "40個基點")
    figure = only(long_bond, "bp")
    assert (figure.value, figure.bound, figure.tenors, figure.frequency) == (40, ">", {30}, "week")
    assert only("一週上升 50 个基点。", "bp").value == 50
    assert only("Yields rose 64bp.", "bp").value == 64


def test_what_is_not_a_figure():
    assert fg.extract("In the week of 7–11 April 2025, the 10-year yield was volatile.") == []
    assert fg.extract("The 30 年期 bond, 2017–2019.") == []
    assert fg.extract("A 5 m rope.") == []  # a bare "m" is money only with a currency
    gross, _ = quote(EXPLAINER, "110.00 × 0.9150 = 100.65")
    assert all(f.kind != "leverage" for f in fg.extract(gross))  # × between numbers multiplies


def test_spans_index_the_original_full_width_text():
    sentence = "部分基金槓桿高達５０倍，部位約＄８００ｂｎ。"
    figures = fg.extract(sentence)
    assert [(f.kind, f.value) for f in figures] == [("leverage", 50), ("money", 8e11)]
    assert [sentence[a:b] for a, b in (f.span for f in figures)] == ["５０倍", "＄８００ｂｎ"]


def test_each_figure_gets_its_own_clause_year_and_frequency():
    futures, _ = quote(EXPLAINER, "fell to about $400 billion")
    assert [f.year for f in fg.extract(futures)] == [2021, 2023]
    gilts, _ = quote(HELD_OUT / "en-uk-gilt-2022.md", "£65 billion")
    assert [(f.value, f.unit, f.frequency) for f in fg.extract(gilts)] == [(6.5e10, "GBP", None), (5e9, "GBP", "day")]
    buyback, _ = quote(HELD_OUT / "zh-Hans-treasury-buyback.md", "300亿美元")
    assert fg.extract(buyback)[0].year == 0  # "2020年" dates a later clause, not this figure


# ---------------------------------------------------------------- conflicts


def test_two_real_estimates_of_the_2020_peak_differ_across_documents():
    barth = quote(EXPLAINER, "Barth and Kahn estimate")
    jpm = quote(STRESS, "JPMorgan strategists estimated")
    found = fg.conflicts("How big was the basis trade in 2020?", [barth, jpm])
    assert len(found) == 1 and found[0].measure == "basis"
    line = fg.render(found[0], "en", citer())
    assert line == (
        "Sources differ: about $400–500bn [1] (Barth and Kahn; The Treasury cash-futures basis trade, "
        "2020) vs up to $650bn [2] (Bloomberg, 19 March 2020)."
    )


def test_the_same_disagreement_across_scripts_in_the_askers_script():
    barth = quote(STRESS, "Barth and Kahn of the Office")
    jpm = quote(MECHANICS, "摩根大通（JPMorgan）策略師估計")
    (found,) = fg.conflicts("基差交易在2020年的規模多大?", [barth, jpm])
    hant = fg.render(found, "zh-Hant", citer())
    # the English document's title is left to the sources line: a Chinese line names its date,
    # which for a note the project compiled is the year the figure is of, not the note's own
    assert hant.startswith("來源說法不一:約 4,000 億至 5,000 億美元 [1](2020 年)")
    assert "與最高 6,500 億美元 [2](Bloomberg, 2020 年 3 月 19 日)" in hant
    hans = fg.render(found, "zh-Hans", citer())
    assert hans.startswith("来源说法不一:约 4,000 亿至 5,000 亿美元 [1]") and "与最高 6,500 亿美元 [2]" in hans


def test_a_how_much_answer_names_the_figure_another_top_passage_gives():
    from bot.answering import extractive as ex
    from bot.kb.glossary import load as load_glossary

    glossary = load_glossary(CORPUS)
    question = "How big was the basis trade in 2020?"
    jpm_sentence, jpm = quote(STRESS, "JPMorgan strategists estimated")
    _, barth = quote(EXPLAINER, "Barth and Kahn estimate")
    answer = [ex.Quote(jpm, jpm_sentence, 1.0)]
    text, cited = ex.compose(question, "en", answer, glossary, others=[jpm, barth])
    assert "Sources differ: " in text and "$400–500bn [2]" in text and "$650bn [1]" in text
    assert cited == [jpm, barth]  # the passage that disagrees is cited too
    text, cited = ex.compose(question, "en", answer, glossary)
    assert "Sources differ" not in text and cited == [jpm]
    # a top passage about another quantity (leverage) is neither disputed nor cited
    _, leverage = quote(STRESS, "levered up to 50 times")
    text, cited = ex.compose(question, "en", answer, glossary, others=[leverage])
    assert "Sources differ" not in text and cited == [jpm]


def test_a_repeated_disagreement_is_one_line():
    quotes = [
        quote(EXPLAINER, "Barth and Kahn estimate"),
        quote(STRESS, "JPMorgan strategists estimated"),
        quote(STRESS, "Barth and Kahn of the Office"),
        quote(MECHANICS, "摩根大通（JPMorgan）策略師估計"),
        quote(MECHANICS, "4,000 億至 5,000 億美元"),
    ]
    (found,) = fg.conflicts("How big was the basis trade?", quotes)
    assert [s.figure.value for s in found.sides] == [4e11, 6.5e11]


def test_leverage_50x_against_a_100x_claim():
    bloomberg = quote(STRESS, "levered up to 50 times")
    # constructed: no document in corpus/ or eval/generalization says 100x
    other = made_up("據報導部分避險基金的槓桿高達 100 倍。", "Leverage note", "FEDS Notes, Federal Reserve Board",
                    "2024-03")
    (found,) = fg.conflicts("How much leverage do hedge funds use?", [bloomberg, other])
    assert fg.render(found, "en", citer()) == (
        "Sources differ: up to 50x [1] (Bloomberg; Treasury market stress and the basis trade, November 2026) "
        "vs up to 100x [2] (FEDS Notes, March 2024)."
    )
    assert fg.render(found, "zh-Hant", citer()) == (
        "來源說法不一:最高 50 倍 [1](Bloomberg; 2026 年 11 月)"
        "與最高 100 倍 [2](FEDS Notes,2024 年 3 月)。"
    )
    vocus = quote(VOCUS, "動輒可達50倍")  # "50 times or more" does not contradict 100x
    assert fg.conflicts("槓桿有多高?", [vocus, other]) == []
    assert fg.conflicts("How big is the basis trade?", [bloomberg, other]) == []  # not what was asked


def test_weekly_yield_rise_50bp_against_64bp():
    week = quote(STRESS, "rose about 50 basis points")
    other = made_up("美國10年期公債殖利率在2025年4月7日至11日那一週上升64個基點。", "另一篇", "Reuters", "2025-04-14")
    (found,) = fg.conflicts("How much did the 10-year yield rise that week?", [week, other])
    assert fg.render(found, "en", citer()).startswith("Sources differ: about 50bp [1] (")
    assert "vs 64bp [2] (Reuters, April 2025)." in fg.render(found, "en", citer())
    assert fg.render(found, "zh-Hans", citer()).endswith("与64 个基点 [2](Reuters,2025 年 4 月)。")


def test_size_800bn_against_1tn_in_the_same_year():
    # constructed pair (the corpora give $800bn for 2019 and $1tn for 2023, which is no conflict)
    one = made_up("Basis-trade positions were about $800bn in 2024.", "Note A", "Source A", "2024-06")
    other = made_up("2024 年基差交易部位約 1 兆美元。", "Note B", "Source B", "2024-12")
    assert len(fg.conflicts("基差交易規模多大", [one, other])) == 1
    fed_notes = quote(EXPLAINER, "about $800 billion in 2019")
    end_2023 = quote(MECHANICS, "2023 年底約 1 兆美元")
    assert fg.conflicts("How big are futures positions?", [fed_notes, end_2023]) == []  # 2019 vs 2023


def test_within_one_document_2020_and_2025_are_no_conflict():
    peak = quote(MECHANICS, "4,000 億至 5,000 億美元")
    now = quote(MECHANICS, "2025 年 4 月的估計顯示")
    assert peak[1].title == now[1].title
    assert fg.conflicts("基差交易規模多大?", [peak, now]) == []
    barth, jpm = quote(STRESS, "Barth and Kahn of the Office"), quote(STRESS, "JPMorgan strategists estimated")
    assert fg.conflicts("How big was the basis trade in 2020?", [barth, jpm]) == []  # one document's own two figures
    vocus = quote(VOCUS, "超過1兆美元")  # "目前" in a document of 2025-04: a 2025 figure
    assert fg.conflicts("How big is the basis trade?", [vocus, barth]) == []


def test_a_month_without_a_year_is_of_the_year_its_passage_names_not_the_documents_date():
    # a review dated June 2023 of the 2022 hikes: its "10月" is October 2022, not 2023
    october_2022 = quote(BLIND / "zh-Hans-fed-hikes-2022.md", "10月一度突破4.2%")
    assert october_2022[1].date.startswith("2023") and october_2022[1].section.startswith("2022年")
    october_2023 = quote(BLIND / "en-refunding-nov-2023.md", "briefly touched 5% in October")
    assert fg.conflicts("10年期美债收益率涨到多少", [october_2022, october_2023]) == []
    # the same sentence in a passage that names no year is of its document's year, and compared
    undated = october_2022[0], hit(october_2022[0], "Review", "Source", october_2022[1].date)
    assert len(fg.conflicts("10年期美债收益率涨到多少", [undated, october_2023])) == 1


def test_the_same_figure_in_two_scripts_is_no_conflict():
    english = quote(EXPLAINER, "reached about $1 trillion by the end of 2023")
    chinese = quote(MECHANICS, "2023 年底約 1 兆美元")
    assert fg.conflicts("How big are leveraged funds' futures positions?", [english, chinese]) == []
    jpm_en = quote(STRESS, "JPMorgan strategists estimated")
    jpm_zh = quote(MECHANICS, "摩根大通（JPMorgan）策略師估計")
    assert fg.conflicts("基差交易規模多大", [jpm_en, jpm_zh]) == []


def test_a_range_and_a_figure_inside_it_agree():
    barth = quote(EXPLAINER, "Barth and Kahn estimate")
    inside = made_up("The basis trade peaked at about $500bn in 2020.", "Note", "Somewhere", "2021-01")
    assert fg.conflicts("How big was the basis trade?", [barth, inside]) == []
    assert fg.conflicts("How big was the basis trade?", [made_up("基差交易在 2020 年的規模為 400-500bn。", "A", "a", ""),
                                                         made_up("基差交易在 2020 年的規模為 500bn。", "B", "b", "")]) == []


def test_other_tenors_other_measures_and_hypotheticals_are_not_compared():
    ten_year = quote(STRESS, "rose about 50 basis points")
    thirty = quote(HELD_OUT / "zh-Hant-2025-long-bond.md", "40個基點")
    assert fg.conflicts("殖利率一週升了多少?", [ten_year, thirty]) == []  # 10-year vs 30-year
    thirty_80 = made_up("2025年4月那一週，30年期公債殖利率上升80個基點。", "另一篇", "Reuters", "2025-04-14")
    ten_80 = made_up("2025年4月那一週，10年期公債殖利率上升80個基點。", "另一篇", "Reuters", "2025-04-14")
    assert fg.conflicts("殖利率一週升了多少?", [ten_year, thirty_80]) == []
    assert len(fg.conflicts("殖利率一週升了多少?", [ten_year, ten_80])) == 1
    purchases = quote(REGULATION, "the Fed bought nearly $1.5 trillion")
    barth = quote(EXPLAINER, "Barth and Kahn estimate")
    assert fg.conflicts("How big was the basis trade and what did the Fed buy?", [purchases, barth]) == []
    announced = quote(STRESS, "announced $500 billion")
    assert fg.conflicts("How much did the Fed buy?", [announced, purchases]) == []
    per_day = quote(STRESS, "$75 billion of Treasuries a day")
    assert fg.conflicts("How much did the Fed buy?", [per_day, purchases]) == []
    other = made_up("據報導部分避險基金的槓桿高達 100 倍。", "Leverage note", "FEDS Notes", "2024-03")
    at_50x = quote(EXPLAINER, "At 50x leverage, a 2% adverse move")
    cap = quote(EXPLAINER, "A 2% haircut caps leverage")
    example = quote(MECHANICS, "本金 1,000 萬美元、50 倍槓桿，對應的部位是 5 億美元。")
    for claim in (at_50x, cap, example):
        assert fg.conflicts("How much leverage do hedge funds use?", [claim, other]) == [], claim[0]


def test_every_sentence_of_both_corpora_yields_only_the_real_disagreement():
    quotes = []
    for path in sorted([*CORPUS.glob("*.md"), *HELD_OUT.glob("*.md")]):
        if path.name != "glossary.md":
            quotes += [(sentence, _hit(text, meta)) for text, meta in _chunks(path) for sentence in split_sentences(text)]
    questions = ["How big is the basis trade?", "how much leverage do hedge funds use?", "槓桿有多高",
                 "How much did yields rise in April 2025?", "how much did the Fed buy in 2020?", "美联储缩表每月多少",
                 "what share of repo borrowing was the basis trade", "30年期殖利率升了多少", "SOFR成交量多大"]
    found = [c for q in questions for c in fg.conflicts(q, quotes)]
    assert found, "the 2020-peak estimates (Barth and Kahn vs JPMorgan) disagree across documents"
    for conflict in found:
        assert conflict.measure == "basis"
        assert {s.figure.interval for s in conflict.sides} == {(4e11, 5e11), (6.5e11, 6.5e11)}


def test_render_without_a_date_on_the_hit():
    plain = Hit(rank=1, score=1.0, text="", title="Doc A", source="Source A", lang="en", chunk_id="a", section="s")
    other = Hit(rank=1, score=1.0, text="", title="Doc B", source="Source B", lang="en", chunk_id="b", section="s")
    found = fg.conflicts("how much leverage?", [("Funds were levered up to 50 times.", plain),
                                                 ("Funds were levered up to 100 times.", other)])
    assert plain.date == ""
    assert fg.render(found[0], "en", citer()) == "Sources differ: up to 50x [1] (Source A) vs up to 100x [2] (Source B)."


# -------------------------------------------------------------------- as_of


def test_now_facts_get_the_document_date():
    sentence, made = quote(VOCUS, "目前估計市場上仍有超過1兆美元")
    assert made.date == "2025-04"
    dated = fg.as_of(sentence, made.date, "zh-Hant")
    assert dated == sentence[:-1] + "(截至 2025 年 4 月)。"
    assert fg.as_of(to_script(sentence, "zh-Hans"), made.date, "zh-Hans").endswith("两倍以上(截至 2025 年 4 月)。")
    state, _ = quote(VOCUS, "目前的情況屬於有壓力")
    assert fg.as_of(state, "2025-04", "en").endswith("失控的階段 (as of April 2025)。")
    assert fg.as_of("Hedge funds currently run more than $1 trillion of basis trades.", "2025-04-14", "en") == (
        "Hedge funds currently run more than $1 trillion of basis trades (as of April 2025)."
    )
    assert fg.as_of("今年的拋售仍在繼續", "2025", "zh-Hant") == "今年的拋售仍在繼續(截至 2025 年)"


def test_as_of_leaves_other_sentences_alone():
    dated, _ = quote(MECHANICS, "2025 年 4 月的估計顯示")
    assert fg.as_of(dated, "2026-11-26", "zh-Hant") == dated  # no "now"
    implied, _ = quote(EXPLAINER, "buying the cash bond now and delivering")
    assert fg.as_of(implied, "2026-11-26", "en") == implied  # the "now" of a sequence
    assert fg.as_of("目前估計 2025 年市場上仍有超過1兆美元的部位。", "2025-04", "zh-Hant").count("截至") == 0
    assert fg.as_of("這個現象出現在市場上。", "2025-04", "zh-Hant") == "這個現象出現在市場上。"
    assert fg.as_of("以目前價格買進債券並持有到期的年化報酬率。", "2025-04", "zh-Hant").count("截至") == 0
    assert fg.as_of("Funds are now deleveraging.", "", "en") == "Funds are now deleveraging."


# ------------------------------------------------------------------ hostile


@pytest.mark.parametrize(
    "text",
    [
        "1," * 5000,
        "$" + "9" * 10_000,
        "1 " * 5000,
        "億" * 10_000,
        "(" * 10_000,
        "$1-" * 3333,
        "1 to " * 2000,
        "2020年" * 2000,
        "((1," * 2500,
        "basis trade $1bn leverage 50x " * 333,
        "$1 trillion (Bloomberg, " * 417,
        "according to " * 800,
        "目前" * 5000,
    ],
)
def test_hostile_text_of_ten_thousand_characters_returns(text):
    assert len(text) >= 9_990
    other = hit(text.replace("1", "7"), "B", "b", "2025-04")
    assert isinstance(fg.extract(text), list)
    assert len(fg.extract(text)) <= fg.MAX_FIGURES
    assert isinstance(fg.conflicts("how big is the basis trade leverage", [(text, hit(text, "A", "a")), (text, other)],
                                   more=True), list)
    assert isinstance(fg.as_of(text, "2025-04", "en"), str)
    assert isinstance(fg.attribution(text), str)
