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
