"""BM25 tokens: one vocabulary for both Chinese scripts, stems for English, corpus-aware words."""

from bot.kb.tokens import english_words, stem_words, tokenize


def test_jieba_knows_dictionary_words_it_lacked():
    # jieba alone cuts 缩表要; CC-CEDICT's headword 缩表 is a word now
    tokens = tokenize("美联储缩表要到哪天才停")
    assert "缩表" in tokens
    assert "缩表要" not in tokens


def test_both_scripts_give_the_same_tokens():
    assert tokenize("部分基金觸及內部的止損上限") == tokenize("部分基金触及内部的止损上限")
    assert "止损" in tokenize("止損")


def test_english_is_stemmed_without_stop_words():
    assert tokenize("The hedge funds are leveraged") == ["hedg", "fund", "leverag"]


def test_numbers_and_mixed_text():
    tokens = tokenize("SOFR printed at 5.25% on 17 September 2019")
    assert {"sofr", "5.25", "17", "2019", "septemb"} <= set(tokens)


def test_english_helpers_match_tokenize():
    words = english_words("the stop-loss limits of funds")
    assert words == ["stop", "loss", "limits", "funds"]
    assert stem_words(words) == tokenize("the stop loss limits of funds")
    assert stem_words([]) == []


def test_a_hyphenated_word_meets_its_spaced_and_joined_forms():
    hyphenated = set(tokenize("the sell-off"))
    assert set(tokenize("a sell off")) <= hyphenated
    assert set(tokenize("the selloff")) <= hyphenated
    assert {"cheapest", "deliv"} <= set(tokenize("cheapest-to-deliver"))
    assert tokenize("-") == [] and tokenize("well- put") == ["well", "put"]


def test_a_question_and_a_passage_cut_a_term_the_same_way():
    # the BM25 match needs the question's word among the passage's tokens, in either script
    question = set(tokenize("美聯儲縮表要到哪天才停"))
    passage = set(tokenize("美联储自2022年6月开始缩表，资产负债表逐月缩小。"))
    assert {"美联储", "缩表"} <= question & passage


def test_fingerprint_changes_with_the_rules_and_the_libraries(monkeypatch):
    from bot.kb import tokens

    first = tokens.fingerprint()
    assert first == tokens.fingerprint() and len(first) == 12
    try:
        tokens.fingerprint.cache_clear()
        monkeypatch.setattr(tokens, "RULES_VERSION", tokens.RULES_VERSION + 1)
        assert tokens.fingerprint() != first
        monkeypatch.undo()
        tokens.fingerprint.cache_clear()
        real = tokens.metadata.version
        monkeypatch.setattr(tokens.metadata, "version", lambda name: "0.0" if name == "jieba" else real(name))
        assert tokens.fingerprint() != first
    finally:
        monkeypatch.undo()
        tokens.fingerprint.cache_clear()
    assert tokens.fingerprint() == first


def test_typed_contractions_of_question_words_are_stop_words():
    # "whats the cheapest to deliver bond" used to keep "whats", a word no chunk holds, which the
    # relevance gate reads as a question the corpus does not know.
    assert tokenize("whats the cheapest to deliver bond") == tokenize("what is the cheapest to deliver bond")
    assert "dont" not in tokenize("why dont regulators just ban it")


def test_an_irregular_verb_form_meets_its_verb():
    # the stemmer keeps lost / lose apart; "how much did svb lose" must meet "SVB lost"
    assert tokenize("how much did svb lose") == tokenize("how much svb lost")
    assert tokenize("yields rose, then fell") == tokenize("yields rise, then fall")
    assert tokenize("the fund sold bonds it bought") == ["fund", "sell", "bond", "buy"]
    # the Fed is no form of "feed"; light verbs and auxiliaries keep their forms
    assert tokenize("the Fed") == ["fed"]
    assert "make" not in tokenize("the trade made up 60%")
    assert tokenize("it has been said") == ["has", "been", "say"]
