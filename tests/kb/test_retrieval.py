"""Hybrid retrieval on the real index: scripts fold, English reaches Chinese, noise is floored."""

import json
import subprocess
import sys

import pytest

from bot.errors import InputError
from bot.settings import ROOT
from tests.conftest import cli_env


def _texts(hits):
    return " ".join(h.text for h in hits)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("什麼是基差交易?", "基差交易"),
        ("什么是基差交易?", "基差交易"),
        ("what is the basis trade?", "basis trade"),
        ("What three preconditions does the basis trade's stability rest on?", "three conditions"),
        ("What is moral hazard in the Treasury market?", "moral hazard"),
        ("美联储2020年3月是怎么稳定国债市场的?", "購債"),
    ],
)
def test_relevant_passages_are_found(retriever, question, expected):
    hits = retriever.search(question, 5)
    assert expected.lower() in _texts(hits).lower()


def test_traditional_and_simplified_questions_agree(retriever):
    hant = [h.chunk_id for h in retriever.search("避險基金的槓桿有多高?", 5)]
    hans = [h.chunk_id for h in retriever.search("对冲基金的杠杆有多高?", 5)]
    assert hant[:3] and set(hant[:3]) & set(hans[:3])


@pytest.mark.parametrize(
    "question",
    ["台北今天天氣如何?", "What's a good pasta recipe?", "Who won the 2022 World Cup?", "Sam Bankman-Fried 是誰?"],
)
def test_out_of_scope_questions_get_no_hits(retriever, question):
    assert retriever.search(question, 5) == []


def test_modes_rank_differently_but_all_work(retriever):
    for mode in ("dense", "bm25", "hybrid"):
        assert retriever.search("repo haircut leverage", 3, mode=mode)


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_empty_or_huge_questions_are_refused(retriever, question):
    with pytest.raises(InputError):
        retriever.search(question)


def test_search_cli_json(built_settings):
    env = cli_env(built_settings.corpus_dir, built_settings.data_dir)
    out = subprocess.run(
        [sys.executable, "-m", "bot", "search", "什麼是保證金螺旋?", "-k", "3", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert 1 <= len(hits) <= 3
    assert set(hits[0]) == {"rank", "score", "text", "title", "source", "lang", "chunk_id", "section"}
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))


def test_search_cli_without_index_names_the_fix(tmp_path):
    env = cli_env(ROOT / "corpus", tmp_path / "nothing")
    out = subprocess.run(
        [sys.executable, "-m", "bot", "search", "basis"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 2
    assert "python -m ingest" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What three preconditions does the basis trade's stability rest on?", "低融資成本"),
        ("What does the article say about moral hazard?", "道德風險"),
        ("What did Bessent say about the sell-off?", "不舒服但正常的去槓桿"),
        ("How much leverage do hedge funds use in the basis trade?", "50倍"),
    ],
)
def test_english_questions_reach_the_chinese_article(make_settings, corpus_copy, model, question, expected):
    from bot.kb.glossary import load
    from bot.kb.retrieval import Retriever
    from ingest.pipeline import run

    (corpus_copy / "en-regulation.md").unlink()  # only Chinese text (and the glossary) remain
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    hits = Retriever(settings, model, load(corpus_copy)).search(question, 5)
    assert expected in _texts(hits)


ZH_DOC = """---
title: "長債賣壓"
lang: zh-Hant
source: "test"
date: 2025-04-14
license: CC-BY-4.0
---

# 長債賣壓

## 券商

多家主要券商提高了保證金要求，部分基金觸及內部的止損上限，只能減碼。

## 標售

財政部舉行拍賣，外國買盤並未缺席。
"""

EN_DOC = """---
title: "Gold"
lang: en
source: "test"
date: 2025-07-01
license: CC-BY-4.0
---

# Gold

Gold rose to a record as central banks looked for a safe asset.
"""


@pytest.fixture
def bilingual(make_settings, model, tmp_path):
    """Two tiny documents, no glossary: only the dictionary can bridge the languages."""
    from bot.kb.glossary import load
    from bot.kb.retrieval import Retriever
    from ingest.pipeline import run

    corpus = tmp_path / "tiny"
    corpus.mkdir()
    (corpus / "zh.md").write_text(ZH_DOC, encoding="utf-8")
    (corpus / "en.md").write_text(EN_DOC, encoding="utf-8")
    settings = make_settings(corpus_dir=corpus)
    run(settings, model_factory=lambda: model)
    return Retriever(settings, model, load(corpus))


def test_the_dictionary_bridges_words_no_glossary_lists(bilingual, monkeypatch):
    from bot.kb import retrieval

    question = "which funds hit their stop-loss limits?"
    hits = bilingual.search(question, 3, mode="bm25")
    assert hits and "止損" in hits[0].text
    monkeypatch.setattr(retrieval, "TRANSLATE", False)
    assert not any("止損" in h.text and h.bm25 > 0 for h in bilingual.search(question, 3, mode="bm25"))


def test_a_cross_language_match_survives_the_gate(bilingual):
    hits = bilingual.search("what did the brokers do to margin requirements?", 3)
    assert hits and "保證金要求" in hits[0].text


def test_the_gate_reads_coverage_not_one_score(retriever):
    from bot.kb.retrieval import gate_features, gate_score

    def features(question):
        index = retriever.index
        query = retriever._query_terms(index, question, retriever.glossary.expand(question))
        return gate_features(index, query, retriever._dense(index, question), retriever._lexical(index, query))

    on_topic = features("how much leverage do hedge funds use in the basis trade?")
    off_topic = features("best pizza recipe with mozzarella?")
    assert on_topic[2] > off_topic[2]  # coverage: pizza and mozzarella are not in the corpus
    assert gate_score(on_topic) > 0.9 > 0.1 > gate_score(off_topic)


def test_each_language_is_ranked_on_its_own_before_fusion():
    from types import SimpleNamespace

    from bot.kb.retrieval import _ranks

    index = SimpleNamespace(metas=[{"lang": "en"}, {"lang": "zh-Hant"}, {"lang": "en"}, {"lang": "mul"}])
    ranks = _ranks(index, {0: 0.5, 2: 0.4, 1: 0.2, 3: 0.1})
    # the best Chinese passage gets first-rank credit despite its lower cosine;
    # the glossary ("mul") ranks with the Chinese
    assert ranks == {0: 0, 2: 1, 1: 0, 3: 1}


def test_bridged_tokens_name_the_translations(bilingual):
    bridged = bilingual.bridged_tokens("which funds hit their stop-loss limits?")
    assert "止损" in bridged
    assert "stop-loss" not in bridged  # the question's own words are not translations
