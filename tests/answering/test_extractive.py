"""The embedded answerer on real corpus sentences: intent-aware choice, no filler, no repeats, scripts."""

from bot.answering import extractive as ex
from bot.kb.glossary import GLOSSARY_DOC
from bot.kb.glossary import load as load_glossary
from bot.kb.retrieval import Hit
from bot.settings import ROOT

GLOSSARY = load_glossary(ROOT / "corpus")


def hit(text: str, rank: int = 1, chunk: str = "") -> Hit:
    return Hit(rank=rank, score=1.0, text=text, title="doc", source="src", lang="zh-Hant",
               chunk_id=chunk or f"c{rank}", section="doc > part")


def idf(_token: str) -> float:
    return 1.0


def test_traditional_text_is_never_pushed_through_s2tw():
    sentence = "附買回的放款人會對抵押品設定折價率（haircut），也就是只按抵押品市值的（1 − h）比例借出資金。"
    assert ex.in_script(sentence, "zh-Hant") == sentence
    assert "只按" in ex.in_script(sentence, "zh-Hant")
    assert ex.in_script("这个只按市值", "zh-Hant") != "这个只按市值"  # Simplified text is converted
    assert ex.in_script(sentence, "zh-Hans").startswith("附买回")


def test_meta_lines_carry_no_fact():
    assert ex.is_meta("示例 6（假設數字）：折價率決定槓桿上限。")
    assert ex.is_meta("The leverage part of the worked example also uses hypothetical numbers.")
    assert ex.is_meta("The trades in focus also differed.")
    assert not ex.is_meta("折價率 2% 對應的最高槓桿約為 50 倍。")


def test_definition_sentence_comes_first():
    hits = [
        hit("然而,這種「雙槓桿」操作的穩定性建立在三個前提之上:低融資成本、價格穩定的國債市場與充足的市場流動性。", 1),
        hit("基差交易以附買回借款買進現貨，再以只需繳交保證金的期貨避險，因此常被形容為「雙槓桿」操作。", 2),
    ]
    quotes = ex.select_quotes("什麼是雙槓桿", hits, GLOSSARY, "zh-Hant", idf)
    assert "形容為「雙槓桿」" in quotes[0].sentence


def test_why_prefers_cause_and_effect():
    hits = [hit(
        "The Federal Reserve announced $500 billion of Treasury purchases on 15 March 2020. "
        "In March 2020, the Fed stabilised the market by buying nearly $1.5 trillion of Treasuries.", 1)]
    quotes = ex.select_quotes("why did the Fed step in in 2020", hits, GLOSSARY, "en", idf)
    assert "stabilised" in quotes[0].sentence


def first_quote(question: str, text: str) -> str:
    """The sentence an English question about one passage is answered with first."""
    return ex.select_quotes(question, [hit(text, 1)], GLOSSARY, "en", idf)[0].sentence


def test_why_something_happened_is_not_answered_by_the_response_to_it():
    # corpus/en-stress-2020-2025.md: the Fed's buying is why the market calmed, not why it crashed
    text = ("In March 2020, the Fed stabilised the market by buying nearly $1.5 trillion of Treasuries. "
            "In March 2020, hedge funds faced margin calls, so they were forced to sell Treasuries.")
    assert "margin calls" in first_quote("why did treasuries crash in march 2020?", text)
    assert "stabilised" in first_quote("why did the fed buy treasuries in march 2020?", text)


def test_how_much_prefers_the_figure_and_the_total():
    hits = [hit(
        "The Fed made its Treasury purchases open-ended in March 2020. "
        "Over March and April 2020, the Fed bought nearly $1.5 trillion of Treasuries.", 1)]
    quotes = ex.select_quotes("how much did the fed buy in 2020?", hits, GLOSSARY, "en", idf)
    assert "1.5 trillion" in quotes[0].sentence


def test_comparison_gives_one_fact_per_side():
    hits = [
        hit("The trigger differed between the two episodes. March 2020 was a pandemic-driven dash for cash, "
            "while April 2025 followed a tariff announcement.", 1),
        hit("In March 2020, investors sold Treasuries to raise cash. In April 2025, the 10-year yield rose about "
            "50 basis points.", 2),
    ]
    quotes = ex.select_quotes("2020 vs 2025 difference?", hits, GLOSSARY, "en", idf)
    text = " ".join(q.sentence for q in quotes)
    assert "2020" in text and "2025" in text
    assert "The trigger differed between the two episodes." not in [q.sentence for q in quotes]


def test_a_list_is_quoted_whole_across_passages():
    first = hit("本月,美國公債再度遭遇拋售,原因可能包含:\n\n・基差交易槓桿退潮:避險基金大規模解除基差部位。", 1, "a")
    second = hit("・資金「去槓桿」與「現金為王」趨勢:資產管理公司也出售美債。\n\n・政策與財政不確定性上升:關稅政策引發疑慮。", 2, "b")
    third = hit("・美債供給壓力激增:美國財政部預計發行大量長期國債。", 3, "c")
    quotes = ex.select_quotes(
        "2025年4月美債拋售的原因有哪些", [first], GLOSSARY, "zh-Hant", idf, following=lambda h: [second, third]
    )
    text = "\n".join(q.sentence for q in quotes)
    for cause in ("槓桿退潮", "現金為王", "關稅", "供給壓力"):
        assert cause in text
    assert text.count("原因可能包含") == 1


def test_no_fact_twice_and_chinese_first_for_chinese_questions():
    same = "折價率 2% 對應的最高槓桿約為 50 倍。"
    hits = [
        hit(same + "A 2% haircut caps leverage at about 50x.", 1),
        hit(same, 2),
    ]
    quotes = ex.select_quotes("折價率2%對應多少槓桿", hits, GLOSSARY, "zh-Hant", idf)
    sentences = [q.sentence for q in quotes]
    assert sentences.count(same) == 1
    assert all(ex.sentence_lang(s) == "zh" for s in sentences)


def test_compose_cites_once_per_passage_and_marks_foreign_quotes():
    h = hit("折價率 2% 對應的最高槓桿約為 50 倍。附買回的放款人會對抵押品設定折價率。", 1)
    quotes = [ex.Quote(h, "折價率 2% 對應的最高槓桿約為 50 倍。", 1.0), ex.Quote(h, "附買回的放款人會對抵押品設定折價率。", 1.0)]
    text, cited = ex.compose("what caps leverage?", "en", quotes, GLOSSARY)
    assert len(cited) == 1 and text.count("[1]") == 2 and "[2]" not in text
    assert ex.FROM_CHINESE in text and "> 折價率" in text and "Key terms:" in text
    english = ex.Quote(hit("A 2% haircut caps leverage at about 50x.", 1), "A 2% haircut caps leverage at about 50x.", 1.0)
    text, _ = ex.compose("折價率上限?", "zh-Hant", [english], GLOSSARY)
    assert text.startswith(ex.FROM_ENGLISH["zh-Hant"]) and "> A 2% haircut" in text


def test_translated_tokens_let_a_sentence_in_the_other_language_answer():
    """An English question about a Chinese-only fact the glossary does not name (瑞穗 = Mizuho):
    without the retriever's translations no sentence shares a word with the question."""
    from bot.kb.tokens import tokenize

    hits = [hit("瑞穗證券估計，基差交易的部位在四月初縮減了約三成。", 1)]
    question = "what did mizuho estimate"
    assert ex.select_quotes(question, hits, GLOSSARY, "en", idf) == []
    # the retriever's groups for it: its own words, then CC-CEDICT's translations of two of them
    groups = [(1.0, ((t,),), (t,)) for t in tokenize(question)]
    groups += [(1.0, (("瑞穗",),), ("mizuho",)), (1.0, (("估計",),), ("estim",))]
    quotes = ex.select_quotes(question, hits, GLOSSARY, "en", idf, groups=groups)
    assert quotes and "瑞穗" in quotes[0].sentence


def test_who_prefers_the_sentence_that_names_the_bodies():
    # corpus/en-regulation.md and corpus/en-basis-trade-explainer.md
    hits = [
        Hit(rank=1, score=1.0, text="The seed article warns that the basis trade has turned from an arbitrage tool "
            "into a potential source of systemic risk.", title="doc", source="src", lang="en", chunk_id="c1",
            section="doc > part"),
        Hit(rank=2, score=1.0, text="The Bank of England, the Fed, the BIS and the FSB have all warned about "
            "leveraged basis positions and margin spirals.", title="doc2", source="src", lang="en", chunk_id="c2",
            section="doc > part"),
    ]
    quotes = ex.select_quotes("who warned about the basis trade?", hits, GLOSSARY, "en", idf)
    assert "Bank of England" in quotes[0].sentence


def test_who_wants_the_bodies_that_did_what_was_asked_not_any_agency():
    # corpus/en-regulation.md: the CFTC oversees futures, it did not warn; with no "warn" in
    # the sentence, naming an agency is no answer to who warned
    def passage(text, rank, section):
        return Hit(rank=rank, score=1.0, text=text, title="doc", source="src", lang="en", chunk_id=f"c{rank}",
                   section=f"doc > {section}")

    hits = [
        passage("Treasury futures trade on futures exchanges overseen by the US Commodity Futures Trading "
                "Commission (CFTC), part of how the basis trade is regulated.", 1, "Who regulates"),
        passage("The Bank of England has warned that hedge funds face a serious risk of margin calls.", 2,
                "Warnings"),
    ]
    quotes = ex.select_quotes("who warned about the basis trade?", hits, GLOSSARY, "en", idf)
    assert "Bank of England" in quotes[0].sentence
    # the question asks who regulates: the same CFTC sentence is not held to "warned"
    regulated = ex.select_quotes("who regulates the basis trade?", hits, GLOSSARY, "en", idf)
    assert "CFTC" in regulated[0].sentence


def test_a_yes_no_is_answered_by_a_state_of_what_it_asks_or_else_by_what_it_asks():
    # corpus/en-basis-trade-explainer.md and corpus/zh-Hant-mechanics-leverage.md
    text = ("The risks of the basis trade come from leverage and funding, not from the direction of rates. "
            "The basis trade is an arbitrage strategy: it buys cash Treasuries and sells futures against them. "
            "The seed article warns that the basis trade has turned into a potential source of systemic risk.")
    risky = ex.select_quotes("is the basis trade risky?", [hit(text)], GLOSSARY, "en", idf)
    assert risky[0].sentence.startswith("The risks") and len(risky) == 2  # the state, then a reason
    def rare_arbitrage(token: str) -> float:  # as in the corpus: "basis trade" is everywhere
        return 4.0 if token.startswith("arbitrag") else 0.5

    same = ex.select_quotes("is the basis trade the same as arbitrage?", [hit(text)], GLOSSARY, "en", rare_arbitrage)
    assert "arbitrage strategy" in same[0].sentence  # "…not from the direction of rates" is beside it


def test_a_glossary_row_answers_what_is_but_not_why():
    row = Hit(rank=1, score=1.0, text="zh-Hant: 系統性風險 · zh-Hans: 系统性风险 · en: systemic risk · "
              "單一機構或市場的問題擴散並危及整體金融體系的風險。", title="詞彙表 Glossary", source="src",
              lang="mul", chunk_id="g1", section="詞彙表", doc_id=GLOSSARY_DOC)
    cause = hit("基差交易一旦被迫集中平倉，就可能衝擊美國公債市場的流動性與價格穩定，因此被視為系統性風險。", 2)
    why = ex.select_quotes("為何基差交易是系統性風險", [row, cause], GLOSSARY, "zh-Hant", idf)
    assert "集中平倉" in why[0].sentence
    what = ex.select_quotes("什麼是系統性風險", [row, cause], GLOSSARY, "zh-Hant", idf)
    assert what[0].hit.chunk_id == "g1"


def test_a_comparison_of_sizes_gives_each_sides_figure():
    # corpus/en-2020-2025-stress.md
    hits = [hit(
        "The size of the basis trade was larger in 2025 than in 2020. "
        "The 2020 peak was roughly $400–500 billion according to Barth and Kahn. "
        "In April 2025 estimates put basis positions above $1 trillion. "
        "March 2020 was a pandemic-driven dash for cash, while April 2025 followed a tariff announcement.", 1)]
    quotes = ex.select_quotes("how did the size of the trade compare in 2020 and 2025", hits, GLOSSARY, "en", idf)
    text = " ".join(q.sentence for q in quotes)
    assert "400" in text and "1 trillion" in text
    generic = ex.select_quotes("2020 vs 2025, what was different?", hits, GLOSSARY, "en", idf)
    assert "pandemic-driven" in " ".join(q.sentence for q in generic)


def test_a_sentence_said_now_belongs_to_its_documents_year_in_a_comparison():
    # the seed article (dated 2025-04) names no year in its list of 2025 causes
    old = hit("2020年3月,隨著疫情蔓延與市場恐慌升溫,避險基金面臨大量保證金追繳,開始拋售美債部位。", 1)
    now = Hit(rank=2, score=1.0, text="・政策與財政不確定性上升:川普總統最新的關稅政策引發疑慮,美債遭到拋售。",
              title="doc", source="src", lang="zh-Hant", chunk_id="c2", section="doc > part", date="2025-04")
    quotes = ex.select_quotes("2020年跟2025年美債拋售有什麼不同?", [old, now], GLOSSARY, "zh-Hant", idf)
    assert any("關稅" in q.sentence for q in quotes) and any("疫情" in q.sentence for q in quotes)
    undated = Hit(**{**now.__dict__, "date": ""})  # no document date: the sentence names no side
    assert not ex._mentions(undated.text, "2025", (), undated.date)
    assert ex._mentions(now.text, "2025", (), now.date) and not ex._mentions(now.text, "2020", (), now.date)


def test_a_chinese_comparison_quotes_the_english_sentence_that_sets_the_sides_apart():
    # corpus/en-stress-2020-2025.md holds the only sentence contrasting the two episodes
    zh = hit("2020年3月,隨著疫情蔓延與市場恐慌升溫,避險基金面臨大量保證金追繳,開始拋售美債部位。"
             "2025年的情況雖未達到當年危機的程度,但徵兆卻令人不安。", 1)
    en = Hit(rank=2, score=1.0, text="March 2020 was a pandemic-driven dash for cash, while April 2025 followed a "
             "tariff announcement amid policy and fiscal uncertainty.", title="doc", source="src", lang="en",
             chunk_id="en", section="doc > Comparing March 2020 and April 2025")
    quotes = ex.select_quotes("2020跟2025有什麼不同?", [zh, en], GLOSSARY, "zh-Hant", idf)
    assert any("tariff" in q.sentence for q in quotes)
    # a Chinese sentence that draws the contrast itself is preferred
    both = hit("2020年是疫情引發的搶現金潮,而2025年則是關稅引發的拋售。", 3)
    quotes = ex.select_quotes("2020跟2025有什麼不同?", [zh, en, both], GLOSSARY, "zh-Hant", idf)
    assert not any("tariff" in q.sentence for q in quotes) and any("關稅" in q.sentence for q in quotes)


def test_a_how_answer_tells_the_steps_of_one_passage():
    # corpus/en-basis-trade-explainer.md: the steps are one passage; the other passage only shares words
    steps = Hit(rank=1, score=1.0, text=(
        "The cash-futures basis trade pairs a US Treasury security with the Treasury futures contract that "
        "references it. A basis trader buys the cash Treasury bond and, at the same time, sells the matching "
        "Treasury futures contract. The basis trader finances the cash bond in the repo market, pledging the "
        "bond as collateral for a cash loan."), title="doc", source="src", lang="en", chunk_id="steps",
        section="doc > What the basis trade is")
    cousin = Hit(rank=2, score=1.0, text="The basis trade profits from the gap between two financing rates. "
                 "The swap-spread trade is a close cousin of the cash-futures basis trade.", title="doc",
                 source="src", lang="en", chunk_id="other", section="doc > The swap-spread cousin")
    quotes = ex.select_quotes("how does the basis trade work?", [steps, cousin], GLOSSARY, "en", idf)
    assert all(q.hit.chunk_id == "steps" for q in quotes)
    assert any("repo" in q.sentence for q in quotes)


def test_a_heading_that_names_the_question_vouches_for_its_sentences():
    money = Hit(rank=1, score=1.0, text="The basis trade earns the implied repo rate minus the actual repo rate.",
                title="doc", source="src", lang="en", chunk_id="m", section="doc > Why the basis trade makes money")
    other = Hit(rank=1, score=1.0, text="The basis trade is common among large hedge funds.", title="doc",
                source="src", lang="en", chunk_id="o", section="doc > Who trades it")
    quotes = ex.select_quotes("how does the basis trade make money", [other, money], GLOSSARY, "en", idf)
    assert quotes[0].hit.chunk_id == "m"


def test_after_the_best_step_its_own_passage_comes_first():
    def quote(chunk: str, sentence: str, score: float):
        return ex.Quote(hit(sentence, chunk=chunk), sentence, score), frozenset(sentence.lower().split())

    scored = [
        quote("a", "A basis trader buys the cash bond and sells the futures.", 3.0),
        quote("b", "The swap-spread trade is a close cousin of the basis trade.", 2.8),
        quote("a", "The trader finances the cash bond in the repo market.", 2.6),
    ]
    assert [q.hit.chunk_id for q in ex._pick(scored, "how")][:2] == ["a", "a"]
    assert [q.hit.chunk_id for q in ex._pick(scored, "other")][:2] == ["a", "b"]


def test_what_is_a_term_is_not_answered_by_the_definition_of_a_longer_term():
    # corpus/glossary.md rows as the engine quotes them: 逆附買回 contains 附買回
    rows = [hit("逆附買回 (reverse repo): 從資金借出方角度看的附買回交易，即借出資金並收取證券作為抵押品。", 1),
            hit("附買回 / 附買回協議 (repo / repurchase agreement): 以證券作為抵押品借入短期資金、並約定日後買回該證券的融資交易。",
                2)]
    quotes = ex.select_quotes("附買回是什麼意思?", rows, GLOSSARY, "zh-Hant", idf)
    assert [q.sentence[:6] for q in quotes] == ["附買回 / "]
    # ...while the longer term's own question still gets its own definition first
    quotes = ex.select_quotes("什麼是逆附買回?", rows, GLOSSARY, "zh-Hant", idf)
    assert quotes[0].sentence.startswith("逆附買回")


def test_a_definition_opens_with_the_term_glossed_and_a_copula():
    assert ex._defines("The implied repo rate (隱含附買回利率) is the financing rate …", ["implied repo rate"])
    assert ex._defines("A repo haircut (折價率) h is the share of the bond's value …", ["repo haircut"])
    assert not ex._defines("The basis trader finances the cash bond in the repo market.", ["repo"])
    # the term inside another subject is not what the sentence defines (L-149 had opened with it)
    assert not ex._defines("Forced selling in a margin spiral is a form of deleveraging.", ["margin spiral"])
    assert ex._defines("A margin spiral is a loop in which losses trigger margin calls.", ["margin spiral"])


def test_a_sentence_that_only_announces_a_list_is_its_lead_not_an_answer():
    # corpus/en-stress-2020-2025.md, "What drove the April 2025 sell-off"
    text = ("The seed article lists four possible causes of the April 2025 sell-off. First, hedge funds unwound "
            "basis positions and sold cash Treasuries, most visibly at the long end. Second, a broader "
            "deleveraging led asset managers to sell Treasuries as well.")
    quotes = ex.select_quotes("what did asset managers sell in april 2025?", [hit(text)], GLOSSARY, "en", idf)
    assert quotes and not any("lists four" in q.sentence for q in quotes)
    # a why-question is answered by the causes it announces: the lead, then every item
    quotes = ex.select_quotes("why did the april 2025 sell-off happen?", [hit(text)], GLOSSARY, "en", idf)
    assert "lists four" in quotes[0].sentence and "Second" in quotes[-1].sentence
    quotes = ex.select_quotes("what were the causes of the april 2025 sell-off?", [hit(text)], GLOSSARY, "en", idf,
                              intent="list")
    assert "lists four" in quotes[0].sentence and "Second" in quotes[-1].sentence


def test_two_causes_of_the_same_month_are_two_facts():
    # corpus/zh-Hant-mechanics-leverage.md: both sentences are dated 2020 年 3 月, and a shared date
    # is not a shared figure
    (a, ta), (b, tb) = ex._sentences(
        "2020 年 3 月，避險基金無法繼續以低利率融資，面臨大量保證金追繳，因而開始拋售美債部位。"
        "2020 年 3 月的「現金為王」（dash for cash）期間，投資人拋售公債以換取現金，交易商的資產負債表被塞滿。")
    assert not ex._same_fact(a, b, ta, tb)
    # ...while the same two figures are the same fact, whatever the date
    (c, tc), (d, td) = ex._sentences("2020 年 3 月聯準會共買進 1.5 兆美元公債，每日約 750 億美元。"
                                     "聯準會買進公債：共 1.5 兆美元，每日 750 億美元。")
    assert ex._same_fact(c, d, tc, td)


def test_why_something_matters_is_answered_by_its_consequences_not_its_causes():
    # corpus/en-regulation.md and corpus/en-stress-2020-2025.md
    text = ("Hedge funds run the basis trade with high leverage, because the price gap between cash and "
            "futures is small. Treasuries are a cornerstone of global capital markets, so any doubt about "
            "their liquidity would hit hedge funds, pension funds and banks.")
    assert "cornerstone" in first_quote("why is the basis trade such a big deal for markets?", text)
    assert "because" in first_quote("why do hedge funds run the basis trade with high leverage?", text)


def test_a_chinese_answer_takes_an_english_sentence_that_beats_its_second_chinese_one(monkeypatch):
    # corpus/glossary.md, corpus/basis-trade-article.zh-Hant.md, corpus/en-regulation.md: only the
    # English document names the court
    hits = [
        hit("交易商規則 (dealer rule): 美國證券交易委員會要求部分提供大量流動性的交易者登記為交易商的規則，已於 2024 年 11 月遭法院撤銷。", 1),
        hit("美國證券交易委員會(SEC)是美國主管證券市場的聯邦監管機關。", 2),
        Hit(rank=3, score=1.0, text="The US District Court for the Northern District of Texas vacated the SEC dealer rule "
            "(交易商規則) on 21 November 2024.", title="doc", source="src", lang="en", chunk_id="e1", section="doc"),
    ]
    monkeypatch.setattr(ex, "ENGLISH_MARGIN", 0.1)  # these idf-free scores are closer than real ones
    quotes = ex.select_quotes("SEC那個交易商規則是被哪個法院撤銷的?", hits, GLOSSARY, "zh-Hant", idf)
    assert quotes[0].sentence.startswith("交易商規則")
    assert "District Court" in quotes[1].sentence
    monkeypatch.setattr(ex, "ENGLISH_MARGIN", 0.5)  # not far enough ahead: the Chinese answer stays Chinese
    quotes = ex.select_quotes("SEC那個交易商規則是被哪個法院撤銷的?", hits, GLOSSARY, "zh-Hant", idf)
    assert not any("District Court" in q.sentence for q in quotes)


def test_a_translated_word_meets_its_longer_english_forms():
    # CC-CEDICT gives 遵守 → "comply"; corpus/en-regulation.md says "compliance due by 31 December 2026"
    concepts = ex._concepts({"遵守"}, [], [(1.0, (("compli",),), ("遵守",))], idf)
    tokens = frozenset(("complianc", "due", "decemb"))
    assert ex._matched(concepts[0], tokens, ex._starts(tokens), {"遵守": 1.0}) > 0
    unrelated = frozenset(("complet", "due"))
    assert ex._matched(concepts[0], unrelated, ex._starts(unrelated), {"遵守": 1.0}) == 0


def test_a_chinese_translation_is_met_as_written_however_jieba_cut_the_sentence():
    # CC-CEDICT gives yield → 殖利 (one token on its own), but jieba cuts 公債殖利率 as 殖 / 利率
    sentence = "美國30年期公債殖利率一週升幅超過40個基點。"
    (reading,) = ex._readings(sentence)
    assert "殖利" not in reading.tokens
    concepts = ex._concepts({"yield"}, [], [(0.7, (("殖利",), ("让",)), ("yield",))], idf)
    assert ex._matched(concepts[0], reading.tokens, reading.starts, {"yield": 1.0}, reading.folded) > 0
    assert ex._overlap(concepts, {"yield": 1.0})(reading)[0] > 0
    # one character is too common to count wherever it is written (年 of 年期, 让 of 出让)
    concepts = ex._concepts({"year"}, [], [(0.7, (("年",),), ("year",))], idf)
    assert concepts[0].phrases == ()


def test_an_english_date_meets_the_chinese_sentence_that_writes_it_in_digits():
    # worded like eval/generalization/docs: the Chinese answer shares no token with the question
    # but its date (4月) and tenor (30年期); the English one shares April 2025 and "rose"
    from bot.kb.dictionary import calendar

    hits = [
        Hit(rank=1, score=1.0, text="Gold rose to a record high in April 2025 as investors sought safety.",
            title="doc", source="src", lang="en", chunk_id="e1", section="doc"),
        hit("2025年4月關稅消息公布後那一週，30年期公債殖利率上升超過40個基點。", 2),
    ]
    question = "how much did the 30-year yield rise in april 2025?"
    # dates are common words in this corpus, a tenor and "yield" are not
    rarity = {"2025": 0.5, "april": 1.0, "much": 1.0, "year": 1.5, "rise": 2.0, "30": 2.5, "yield": 2.5}
    dictionary = [(0.7, (("殖利",),), ("yield",)), (0.7, (("上升",),), ("rise",))]
    def answer(groups: list) -> ex.Quote:
        return ex.select_quotes(question, hits, GLOSSARY, "en", lambda t: rarity.get(t, 1.0), groups=groups)[0]

    dated, undated = answer([*calendar(question, lambda _t: True), *dictionary]), answer(dictionary)
    assert "40個基點" in dated.sentence
    assert dated.sentence == undated.sentence and dated.score > undated.score + 0.5  # 4月 and 30年期 met


def test_a_country_or_a_market_term_in_capitals_is_not_a_who():
    # corpus/en-basis-trade-explainer.md
    hits = [hit("The cash-futures basis trade pairs a US Treasury security with the Treasury futures contract. "
                "Hedge funds are the typical basis traders.", 1)]
    quotes = ex.select_quotes("who are the typical basis traders", hits, GLOSSARY, "en", idf)
    assert quotes[0].sentence.startswith("Hedge funds")
    assert ex._INSTITUTION.findall("the CTD of a US Treasury future") == []
    assert ex._INSTITUTION.findall("the BIS and the FSB") == ["BIS", "FSB"]


def test_the_concept_precheck_scores_every_sentence_as_asking_every_concept_would():
    # _overlap skips the concepts a sentence holds no cue of; it must never skip one that earns.
    # Sentences worded like corpus/'s, in both languages: glossary terms, a translated stem
    # (遵守 → compli) that only meets a longer word (Compliance), and one sentence that earns nothing.
    question = "遵守 haircut 折價率 leverage 槓桿上限"
    own = set(ex.tokenize(question))
    terms = GLOSSARY.matches(question)
    concepts = ex._concepts(own, terms, [(1.0, (("compli",),), ("遵守",))], idf)
    weights = {t: idf(t) for t in own}
    overlap = ex._overlap(concepts, weights)
    text = (
        "A repo haircut (折價率) h caps leverage at about 1/h.\n"
        "折價率為 h 時，槓桿上限約為 1 / h。\n"
        "Compliance is due by 31 December 2026 for cash trades.\n"
        "The Fed bought nearly $1.5 trillion of Treasuries."
    )
    readings = ex._readings(text)
    every = [sum(ex._matched(c, r.tokens, r.starts, weights, r.folded) for c in concepts) for r in readings]
    assert [overlap(r)[0] for r in readings] == every
    assert every[0] > 0 and every[1] > 0 and every[2] > 0 and every[3] == 0


def test_one_figure_told_twice_is_one_fact_but_a_shared_leverage_is_not():
    # corpus/en-stress-2020-2025.md tells the Fed's $1.5 trillion in two sections
    (a, ta), (b, tb) = ex._sentences(
        "Over March and April 2020, the Fed bought nearly $1.5 trillion of Treasuries. "
        "In March 2020, the Fed stabilised the market by buying nearly $1.5 trillion of Treasuries over March and April.")
    assert ex._same_fact(a, b, ta, tb)
    # corpus/zh-Hant-mechanics-leverage.md and en-stress-2020-2025.md: who runs 50x and what 50x did
    # are two facts
    (c, tc), (d, td) = ex._sentences(
        "Reports say some hedge funds run the basis trade at 50x leverage. "
        "Leverage of 50x helps explain why losses turned quickly into forced unwinds.")
    assert not ex._same_fact(c, d, tc, td)


def test_an_amount_answer_stops_where_another_source_retells_it_but_a_why_answer_goes_on():
    def quote(chunk: str, sentence: str, score: float):
        return ex.Quote(hit(sentence, chunk=chunk), sentence, score), ex._sentences(sentence)[0][1]

    scored = [
        quote("a", "Over March and April 2020, the Fed bought nearly $1.5 trillion of Treasuries.", 3.0),
        quote("b", "In March 2020 the Fed stabilised the market by buying nearly $1.5 trillion of Treasuries.", 2.9),
        quote("c", "The Standing Repo Facility did not exist during the March 2020 dash for cash.", 2.5),
    ]
    assert [q.hit.chunk_id for q in ex._pick(scored, "amount")] == ["a"]
    assert [q.hit.chunk_id for q in ex._pick(scored, "why")] == ["a", "c"]


def test_what_happened_is_answered_by_what_moved_and_by_how_much():
    # corpus/en-stress-2020-2025.md, "April 2025: tariffs and a Treasury sell-off"
    text = ("The April 2025 episode is the second episode of stress in the Treasury market. "
            "In the week of 7–11 April 2025, the 10-year Treasury yield rose about 50 basis points, its worst "
            "week since 2001.")
    assert "50 basis points" in first_quote("what happened to treasuries in april 2025", text)


def test_why_a_move_was_bad_is_answered_by_how_bad_it_was_when_no_sentence_names_the_damage():
    # corpus/en-stress-2020-2025.md: no sentence here says what the move did to others
    text = ("The United States announced broad tariffs on 2 April 2025. "
            "In the week of 7–11 April 2025, the 10-year Treasury yield rose about 50 basis points, its worst "
            "week since 2001.")
    assert "worst week" in first_quote("why was the april 2025 move so bad?", text)


def test_simplified_amounts_are_amounts():
    # worded like eval/generalization/docs: 亿 and 基点 are how mainland news writes figures
    for sentence in ("流动性支持买回每年的上限起初定为约300亿美元。", "30年期美债收益率一周升幅超过40个基点。",
                     "流動性支持買回每年的上限起初定為約300億美元。", "The facility could buy up to £65 billion.",
                     "Some funds were levered up to 50 times."):
        assert ex._kind_bonus("amount", sentence, True, False) > 0, sentence
    assert ex._kind_bonus("amount", "美联储再次放慢缩表节奏。", True, False) < 0


def test_dates_and_now_only_date_a_question():
    from bot.kb.dictionary import calendar

    question = "2025年4月30年期公債殖利率現在多少"
    groups = calendar(question, lambda _t: True)
    concepts = ex._concepts(set(ex.tokenize(question)), [], groups, idf)
    dated = {tuple(sorted(c.own)) for c in concepts if ex._is_date(c)}
    assert ("4", "月") in dated and ("2025",) in dated and ("现在",) in dated
    assert not any(ex._is_date(c) for c in concepts if "30" in c.own)  # a tenor is what is asked


def test_a_sentence_sharing_only_the_date_does_not_beat_the_other_language_answer():
    # worded like eval/generalization/docs: the Chinese sentence shares only 2025年4月 with the
    # question, the English one names the gold the question asks about
    from bot.kb.dictionary import calendar

    hits = [
        hit("2025年4月，聯準會再次放慢節奏，每月只讓50億美元國債到期不續。", 1),
        Hit(rank=2, score=1.0, text="Gold rose to a record of about $3,500 an ounce on 22 April 2025.",
            title="doc", source="src", lang="en", chunk_id="e1", section="doc"),
    ]
    question = "2025年4月黃金漲到多少？"
    groups = [*calendar(question, lambda _t: True), (1.0, (("gold",),), ("黄金",))]
    rarity = {"2025": 0.5, "年": 0.5, "月": 0.5, "4": 1.0, "黄金": 3.0, "涨": 3.0}  # dates are common words
    quotes = ex.select_quotes(question, hits, GLOSSARY, "zh-Hant", lambda t: rarity.get(t, 1.0), groups=groups)
    assert quotes[0].sentence.startswith("Gold")
    # ...while a Chinese sentence that names the gold too keeps the asker's language first
    hits[0] = hit("2025年4月黃金一度漲到每盎司約3,500美元。", 1)
    quotes = ex.select_quotes(question, hits, GLOSSARY, "zh-Hant", lambda t: rarity.get(t, 1.0), groups=groups)
    assert quotes[0].sentence.startswith("2025年4月黃金")


def test_what_happened_to_a_rule_is_not_what_happened_to_the_dealers_its_name_shares():
    # corpus/glossary.md and corpus/zh-Hant-mechanics-leverage.md: the second sentence shares
    # 交易商 with 交易商規則 and a sell-off with "what happened", nothing of the rule
    hits = [
        hit("交易商規則 (dealer rule): 美國證券交易委員會要求部分提供大量流動性的交易者登記為交易商的規則，已於 2024 年 11 月遭法院撤銷。", 1),
        hit("2020 年 3 月，投資人拋售公債以換取現金，交易商的資產負債表被塞滿，基差交易出現虧損並被迫平倉。", 2),
    ]
    question = "交易商規則後來怎麼了?"
    assert ex.intents.question_intent(question) == "happened"
    rarity = {"规则": 3.0}  # as in the corpus: 規則 is rare, 交易 and 交易商 are everywhere
    quotes = ex.select_quotes(question, hits, GLOSSARY, "zh-Hant", lambda t: rarity.get(t, 1.0))
    assert [q.sentence[:5] for q in quotes] == ["交易商規則"]


def test_a_question_of_fact_is_not_answered_by_a_worked_examples_figures():
    # corpus/en-basis-trade-explainer.md's worked example against corpus/en-stress-2020-2025.md's report
    example = Hit(rank=1, score=1.0, text="An adverse move of 1% at the same 50x leverage costs $1 million, half of "
                  "the fund's equity.", title="doc", source="src", lang="en", chunk_id="e1",
                  section="The trade › Worked example (hypothetical numbers)")
    report = Hit(rank=2, score=1.0, text="Bloomberg also reported that some funds used leverage of up to 50 times.",
                 title="doc", source="src", lang="en", chunk_id="e2", section="How large the 2020 positions were")
    quotes = ex.select_quotes("how much leverage do these funds use?", [example, report], GLOSSARY, "en", idf)
    assert quotes[0].sentence.startswith("Bloomberg")
    # ...but a question about the example is
    quotes = ex.select_quotes("in the worked example how much leverage does the fund use?", [example, report],
                              GLOSSARY, "en", idf)
    assert quotes[0].sentence.startswith("An adverse move")


def test_the_first_passage_answers_in_the_other_language_when_no_dictionary_bridges_its_name():
    # worded like eval/generalization-b: no dictionary spells Uchida 內田, so the topic measure
    # sees two sentences about "the market"; only the ranking knows the Chinese one is the answer
    zh = Hit(rank=1, score=1.0, text="8月7日，日本央行副行長內田真一表示，市場不穩定時不會升息，市場隨即回穩。",
             title="doc", source="src", lang="zh-Hant", chunk_id="z1", section="doc")
    en = Hit(rank=2, score=1.0, text="Markets fell sharply on 5 August, the worst day for Japanese stocks since 1987.",
             title="doc", source="src", lang="en", chunk_id="e2", section="doc")
    question = "what did uchida say that calmed the markets?"
    groups = [(1.0, (("市场",),), ("market",)), (0.7, (("表示",), ("说",)), ("say",))]
    quotes = ex.select_quotes(question, [zh, en], GLOSSARY, "en", idf, groups=groups)
    assert quotes[0].sentence.startswith("8月7日")
    # ranked second, the same passage gives way to the asker's language
    zh.rank, en.rank = 2, 1
    quotes = ex.select_quotes(question, [en, zh], GLOSSARY, "en", idf, groups=groups)
    assert quotes[0].sentence.startswith("Markets fell")


def test_a_two_digit_year_typed_in_chat_picks_the_sentence_of_that_year():
    # "in 98" is 1998, as the retriever's query spells it (dictionary.shorthand)
    def english(text: str, rank: int) -> Hit:
        return Hit(rank=rank, score=1.0, text=text, title="doc", source="src", lang="en",
                   chunk_id=f"e{rank}", section="doc")

    hits = [english("In 2008 the fund lost $2 billion.", 1), english("In 1998 the fund lost $4.6 billion.", 2)]
    quotes = ex.select_quotes("how much did the fund lose in 98", hits, GLOSSARY, "en", idf)
    assert quotes[0].sentence.startswith("In 1998")


def test_a_sentence_whose_figures_were_all_shown_restates_them_in_any_language():
    # corpus/zh-Hant-mechanics-leverage.md and corpus/en-stress-2020-2025.md tell the Fed's first
    # purchase of March 2020 in two languages; the total is another fact
    shown = ["2020 年 3 月 15 日，聯準會宣布購買 5,000 億美元的美國公債，並於 3 月 23 日改為不設上限，3 月下旬每日購買約 750 億美元。"]
    assert ex.restates("The Federal Reserve (聯準會) announced $500 billion of Treasury purchases on 15 March 2020.", shown)
    assert not ex.restates("Over March and April 2020, the Fed bought nearly $1.5 trillion of Treasuries.", shown)
    assert not ex.restates("The Fed stepped in to calm the market.", shown)  # no figure: nothing to compare


def test_a_year_a_record_runs_from_is_not_the_year_a_sentence_is_about():
    # worded like eval/generalization-d: "為1982年以來最高" measures a 2022 figure from 1982, so a
    # question about 22年9月 is answered by it; "2007年以來首見" in a 2023 passage is of 2023
    def chinese(text: str, rank: int, section: str = "doc") -> Hit:
        return Hit(rank=rank, score=1.0, text=text, title="doc", source="src", lang="zh-Hans",
                   chunk_id=f"z{rank}", section=section)

    cpi = chinese("2022年通胀居高不下。9月核心CPI同比升至6.6%，为1982年以来最高。", 1)
    gas = chinese("6月中旬汽油均价一度突破每加仑5美元。", 2)
    quotes = ex.select_quotes("22年9月的核心通胀年增多少", [cpi, gas], GLOSSARY, "zh-Hans", idf)
    assert "6.6%" in quotes[0].sentence
    old = chinese("10月19日，10年期收益率升破5%，这是2007年以来首见。", 1, "2023年的卖压")
    new = chinese("2024年8月5日，10年期收益率一度跌至3.7%。", 2)
    quotes = ex.select_quotes("2024年8月5日10年期收益率到多少", [old, new], GLOSSARY, "zh-Hans", idf)
    assert quotes[0].sentence.startswith("2024年8月5日")


def test_a_two_word_dictionary_sense_is_met_by_its_last_word():
    # CC-CEDICT glosses 日元 "Japanese yen"; a passage about the yen rarely says "Japanese" beside it
    yen = Hit(rank=1, score=1.0, text="By early July 2024 the yen had slid to around 161 per dollar.", title="doc",
              source="src", lang="en", chunk_id="e1", section="doc")
    groups = [(1.0, (("japanes", "yen"),), ("日元",))]
    quotes = ex.select_quotes("日元跌到多少", [yen], GLOSSARY, "zh-Hans", idf, groups=groups)
    assert quotes and quotes[0].sentence.startswith("By early July")


# worded like eval/generalization-b: the English passage names Japan, the bank, the deputy governor
# and the market; no dictionary spells Uchida 內田
UCHIDA_QUESTION = "日本央行副行長內田說了什麼讓市場穩下來？"
UCHIDA_GROUPS = [(1.0, (("japan",),), ("日本",)), (1.0, (("bank",),), ("央行",)),
                 (1.0, (("deputi", "governor"),), ("副行长",)), (1.0, (("market",),), ("市场",))]


def uchida(rank: int) -> Hit:
    return Hit(rank=rank, score=1.0, text="On 7 August 2024 Bank of Japan Deputy Governor Shinichi Uchida said the "
               "bank would not raise rates while markets were unstable.", title="doc", source="src",
               lang="en", chunk_id="e1", section="doc")


def quoted_for_uchida(hits: list[Hit]) -> list[str]:
    quotes = ex.select_quotes(UCHIDA_QUESTION, hits, GLOSSARY, "zh-Hant", idf, groups=UCHIDA_GROUPS)
    return [q.sentence[:10] for q in quotes]


def test_a_chinese_answer_takes_the_first_passages_english_sentence_when_it_holds_more_of_the_topic():
    # the best Chinese sentence, from a lower passage, names only two of the four
    crash = hit("日本股市在8月5日重挫，市場恐慌情緒蔓延到全球。", 2)
    assert "On 7 Augus" in quoted_for_uchida([uchida(1), crash])
    # ranked below a Chinese passage about as much on the topic, it stays out of the Chinese answer
    bank = hit("日本央行在市場重挫後表示會密切觀察市場。", 1)
    assert "On 7 Augus" not in quoted_for_uchida([bank, uchida(2)])
    # ...but not below one that holds under half of what it holds (Japan and the market only)
    crash.rank = 1
    assert "On 7 Augus" in quoted_for_uchida([crash, uchida(2)])


def test_beside_the_leading_sentence_one_with_under_half_its_topic_is_left_out():
    # the Chinese sentence names only the market, a quarter of what the first passage's sentence names
    panic = hit("全球市場的恐慌情緒在那一週持續蔓延。", 2)
    assert quoted_for_uchida([uchida(1), panic]) == ["On 7 Augus"]
    # from the first-ranked passage it is no rival of a leader: the asker's language answers
    panic.rank = 1
    assert "全球市場的恐慌情緒在" in quoted_for_uchida([panic, uchida(2)])


def test_a_name_the_question_shares_lets_the_first_passages_english_sentence_lead():
    # worded like eval/generalization-e: "mozer" is the only word the English article shares with
    # the question; the Chinese sentence from a lower passage shares 最后 (last), as much by idf
    question = "mozer最后判了坐牢多久"
    mozer = Hit(rank=1, score=1.0, text="Mozer pleaded guilty in 1993 and served four months in prison.",
                title="doc", source="src", lang="en", chunk_id="e1", section="doc")
    last = hit("停发之前最后一只30年期新券是2001年2月发行的债券。", 2)

    def quoted(names: frozenset[str]) -> list[str]:
        quotes = ex.select_quotes(question, [mozer, last], GLOSSARY, "zh-Hans", idf, names=names)
        return [q.sentence[:10] for q in quotes]

    assert quoted(frozenset(["mozer"])) == ["Mozer plea"]
    # without the name, the topic is a tie and the asker's language answers
    assert quoted(frozenset())[0] == "停发之前最后一只30"
    # from the first passage, the Chinese sentence is no rival a name can set aside
    mozer.rank, last.rank = 2, 1
    assert quoted(frozenset(["mozer"]))[0] == "停发之前最后一只30"


def test_an_english_answer_leaves_out_a_lower_passages_sentence_beside_the_leading_chinese_one():
    # worded like eval/generalization: the Chinese first passage says what Moody's did to the rating;
    # the English sentence from a lower passage shares only "cut"
    moody = hit("2025年5月16日，穆迪宣布把美國主權信用評級從Aaa下調一級至Aa1。", 1)
    budget = Hit(rank=2, score=1.0, text="On 23 September 2022 the UK government announced large unfunded tax cuts.",
                 title="doc", source="src", lang="en", chunk_id="e2", section="doc")
    groups = [(1.0, (("穆迪",),), ("moodi",)), (1.0, (("评级",),), ("rate",)), (1.0, (("下调",),), ("cut",))]

    def quoted(hits: list[Hit]) -> list[str]:
        quotes = ex.select_quotes("what did moody's cut the us rating to?", hits, GLOSSARY, "en", idf, groups=groups)
        return [q.sentence[:10] for q in quotes]

    assert quoted([moody, budget]) == ["2025年5月16日"]
    budget.rank, moody.rank = 1, 2  # ranked first, the English passage answers in the asker's language
    assert "On 23 Sept" in quoted([budget, moody])


def test_a_sentence_from_a_document_about_another_event_gives_way():
    # worded like eval/generalization-b: a question about LTCM's rescue, the first passage from an
    # article about SVB that shares only "banks" and "much", the second from the article about LTCM
    svb = Hit(rank=1, score=1.0, text="The banks lost much of the $1.8 billion.", title="SVB", source="src",
              lang="en", chunk_id="s1", section="doc", doc_id="svb")
    ltcm = Hit(rank=2, score=1.0, text="Banks put $3.6 billion into the fund.", title="LTCM", source="src",
               lang="en", chunk_id="l1", section="doc", doc_id="ltcm")
    documents = {
        "svb": ex.Document.of(frozenset(ex.tokenize("SVB sold its bonds. " + svb.text)), "SVB sold its bonds. " + svb.text),
        "ltcm": ex.Document.of(frozenset(ex.tokenize("LTCM nearly failed. " + ltcm.text)), "LTCM nearly failed. " + ltcm.text),
    }

    def first(document=None) -> str:
        quotes = ex.select_quotes("how much did the banks put into ltcm", [svb, ltcm], GLOSSARY, "en", idf,
                                  document=document)
        return quotes[0].sentence[:9]

    assert first() == "The banks"  # the passage ranked first, read alone
    assert first(lambda h: documents.get(h.doc_id)) == "Banks put"


def test_an_exchange_rate_is_a_figure_a_how_much_question_keeps():
    # worded like eval/generalization-b: "161 per dollar" answers 日圓跌到多少; the Chinese passage
    # below only shares 美元 with the question, but its "1120億美元" used to be the only figure kept
    yen = Hit(rank=1, score=1.0, text="By early July 2024 the yen had slid to around 161 per dollar.", title="doc",
              source="src", lang="en", chunk_id="e1", section="doc")
    refunding = hit("11月1日，財政部公布的再融資規模為1120億美元。", 2)
    groups = [(1.0, (("japanes", "yen"),), ("日圆",)), (1.0, (("us", "dollar"),), ("美元",))]
    quotes = ex.select_quotes("日圓跌到多少美元", [yen, refunding], GLOSSARY, "zh-Hant", idf, groups=groups)
    assert any(q.sentence.startswith("By early July") for q in quotes)
    assert ex._AMOUNT.search("fell 634 points") and ex._AMOUNT.search("10 million shares")
    assert not ex._AMOUNT.search("上午9點33分")


def test_a_translated_word_stands_for_the_shorter_words_cut_out_of_it():
    # jieba's search mode cuts 美联储 into 美联储 and 联储: a Chinese sentence writing 美联储 used to
    # score both while the English "Federal Reserve" scored one (worded like eval/generalization-c)
    own = set(ex.tokenize("美联储扩大购债"))
    assert {"美联储", "联储"} <= own
    groups = [(1.0, (("feder", "reserv"),), ("美联储",))]
    concepts = ex._concepts(own, [], groups, idf)
    fed = next(c for c in concepts if "美联储" in c.own)
    assert fed.own == {"美联储", "联储"} and fed.weight == 2.0
    assert not any(c.own == {"联储"} for c in concepts)
    weights = {t: 1.0 for t in own}
    english = ex._readings("The Federal Reserve expanded its purchases.")[0]
    chinese = ex._readings("美联储宣布扩表。")[0]
    assert ex._matched(fed, english.tokens, english.starts, weights) == ex.TRANSLATED_MATCH * 2.0
    assert ex._matched(fed, chinese.tokens, chinese.starts, weights) == 2.0
