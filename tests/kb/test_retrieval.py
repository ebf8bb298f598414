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


def _tiny_retriever(make_settings, model, corpus, documents: dict[str, str]):
    """A retriever over ``documents`` (file name -> text), ingested into a fresh index."""
    from bot.kb.glossary import load
    from bot.kb.retrieval import Retriever
    from ingest.pipeline import run

    corpus.mkdir()
    for name, text in documents.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(corpus_dir=corpus)
    run(settings, model_factory=lambda: model)
    return Retriever(settings, model, load(corpus))


@pytest.fixture
def bilingual(make_settings, model, tmp_path):
    """Two tiny documents, no glossary: only the dictionary can bridge the languages."""
    return _tiny_retriever(make_settings, model, tmp_path / "tiny", {"zh.md": ZH_DOC, "en.md": EN_DOC})


def test_the_dictionary_bridges_words_no_glossary_lists(bilingual, monkeypatch):
    from bot.kb import retrieval

    # BM25 alone (no gate: in a two-chunk corpus the gate's scale says little)
    question = "which funds hit their stop-loss limits?"
    hits = bilingual.lexical_search(question, 3)
    assert hits and "止損" in hits[0].text
    monkeypatch.setattr(retrieval, "TRANSLATE", False)
    assert not any("止損" in h.text and h.bm25 > 0 for h in bilingual.lexical_search(question, 3))


def test_a_cross_language_match_survives_the_gate(bilingual):
    hits = bilingual.search("what did the brokers do to margin requirements?", 3)
    assert hits and "保證金要求" in hits[0].text


MOZER_DOC = """---
title: "Salomon's auction scandal"
lang: en
source: "test"
date: 1993-01-01
license: CC-BY-4.0
---

# Salomon

Paul Mozer ran Salomon Brothers' government bond desk and submitted false bids in Treasury
auctions in 1990 and 1991. The Federal Reserve Bank of New York learned of it in 1991.

## Sentence

In 1993 Mozer pleaded guilty and was sentenced to four months in prison and fined $30,000.
"""


def test_a_rare_name_shared_with_the_corpus_keeps_a_chat_question(make_settings, corpus_copy, model):
    # 最后 / 坐牢 / 多久 translate to nothing the article holds, so coverage is low; "mozer",
    # a word everyday language hardly uses, is what says the question is about this article
    from types import SimpleNamespace

    from bot.kb.glossary import load
    from bot.kb.retrieval import Retriever, gate_features
    from ingest.pipeline import run

    (corpus_copy / "en-salomon.md").write_text(MOZER_DOC, encoding="utf-8")
    settings = make_settings(corpus_dir=corpus_copy)
    run(settings, model_factory=lambda: model)
    retriever = Retriever(settings, model, load(corpus_copy))
    question = "mozer最后判了坐牢多久"
    hits = retriever.search(question, 3)
    assert hits and "Mozer" in hits[0].text
    assert retriever.names(question) == {"mozer"}  # what the answerer lets lead (see extractive._leader)
    real = retriever.frequency
    retriever.frequency = SimpleNamespace(rarity=lambda token: 0.0)  # every word an everyday one
    assert retriever.search(question, 3) == []
    # an everyday word shared with the corpus ("york", from the New York Fed) is not a name
    pizza = "best pizza place in new york?"
    query = retriever._build_query(retriever.index, retriever.glossary, retriever.dictionary, pizza)
    assert "york" in retriever.index.idf
    assert gate_features(retriever.index, query, {}, {}, real.rarity)[3] == 0.0


def test_the_gate_reads_coverage_not_one_score(retriever):
    from bot.kb.retrieval import gate_features, gate_score

    def features(question):
        index = retriever.index
        query = retriever._build_query(index, retriever.glossary, retriever.dictionary, question)
        dense, lexical = retriever._dense(index, question), retriever._lexical(index, query)
        return gate_features(index, query, dense, lexical, retriever.frequency.rarity)

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


# -- the caches: the same answers, bounded, never stale ------------------------
CACHE_QUESTIONS = [
    "什麼是基差交易?",
    "what is the basis trade?",
    "How much leverage do hedge funds use in the basis trade?",
    "美联储2020年3月是怎么稳定国债市场的?",
    "What did Bessent say about the sell-off?",
    "repo haircut leverage",
    "对冲基金的杠杆有多高?",
    "why did hedge funds get into the basis trade after the financial crisis?",
    "best pizza recipe with mozzarella?",
]


def _reference_lexical(index, query, candidates):
    """BM25 of a structured query the way it read before the column cache: a dense vector per
    token from bm25s's sparse matrix, zeros for unknown tokens, summed and maxed in float32."""
    import numpy as np

    matrix = index.bm25.scores

    def column(token):
        out = np.zeros(len(index.ids), dtype=np.float32)
        tid = index.bm25.vocab_dict.get(token)
        if tid is None or tid + 1 >= len(matrix["indptr"]):
            return out
        start, end = matrix["indptr"][tid], matrix["indptr"][tid + 1]
        out[matrix["indices"][start:end]] = matrix["data"][start:end]
        return out

    scores = np.zeros(len(index.ids), dtype=np.float32)
    for weight, alternatives, _ in query:
        best = None
        for alternative in alternatives:
            vector = sum((column(t) for t in alternative), np.zeros(len(index.ids), np.float32))
            best = vector if best is None else np.maximum(best, vector)
        if best is not None:
            scores += weight * best
    n = min(candidates, len(scores))
    top = np.argpartition(-scores, n - 1)[:n]
    return {int(i): float(scores[i]) for i in top if scores[i] > 0}


def _clear_memos(retriever):
    from bot.kb import retrieval

    retrieval.form_tokens.cache_clear()
    retrieval._typed_forms.cache_clear()
    retriever.dictionary._segmented.cache_clear()
    retriever.dictionary._senses.cache_clear()
    retriever.index.column.cache_clear()


def _signature(hits):
    return [(h.chunk_id, h.score, h.dense, h.bm25) for h in hits]


def test_cached_columns_score_exactly_as_the_sparse_matrix(retriever):
    index = retriever.index
    shapes = set()
    for question in CACHE_QUESTIONS:
        query = retriever._build_query(index, retriever.glossary, retriever.dictionary, question)
        shapes |= {(len(alternatives) > 1, max(map(len, alternatives)) > 1) for _, alternatives, _ in query}
        expected = _reference_lexical(index, query, retriever.settings.candidates)
        assert expected
        assert retriever._lexical(index, query) == expected  # warm columns
        index.column.cache_clear()
        assert retriever._lexical(index, query) == expected  # cold columns
    # groups with several alternatives (max) and alternatives of several tokens (sum) both ran
    assert any(several for several, _ in shapes) and any(long for _, long in shapes)


def test_warm_and_cold_memos_give_identical_results(retriever):
    for mode in ("hybrid", "dense", "bm25"):
        _clear_memos(retriever)
        cold = [_signature(retriever.search(q, 10, mode=mode)) for q in CACHE_QUESTIONS]
        warm = [_signature(retriever.search(q, 10, mode=mode)) for q in CACHE_QUESTIONS]
        assert cold == warm
    assert any(cold)  # the questions do find something


def test_bridged_tokens_after_a_search_equal_a_fresh_build_and_cost_no_second_build(retriever, monkeypatch):
    from bot.kb.retrieval import Retriever

    question = "How much leverage do hedge funds use in the basis trade?"
    retriever.search(question, 5)
    builds = []
    real = Retriever._build_query
    monkeypatch.setattr(Retriever, "_build_query", staticmethod(lambda *a: builds.append(a) or real(*a)))
    cached = retriever.bridged_tokens(question)
    assert builds == []  # served from the query the search built
    index = retriever.index
    fresh = real(index, retriever.glossary, retriever.dictionary, question)
    assert cached == {t for _, alts, source in fresh for a in alts if a != source for t in a}
    assert cached  # the glossary and the dictionary translate this question
    retriever.bridged_tokens("a question nobody searched: what is a repo haircut?")
    assert len(builds) == 1


def test_the_answerer_gets_dates_both_ways_but_bm25_does_not(retriever):
    # 3月 is in most Chinese passages about 2020: a BM25 term that ranks by date (dev hit@5 fell)
    question = "what did the fed buy in march 2020?"
    groups = retriever.query_groups(question)
    assert groups[0][1:] == ((("3", "月"),), ("march",))  # first, so CC-CEDICT's 行军 does not claim it
    bm25 = retriever._build_query(retriever.index, retriever.glossary, retriever.dictionary, question)
    assert groups[1:] == bm25 and not any(("3", "月") in alts for _, alts, _ in bm25)


def test_the_query_cache_is_bounded_and_least_recently_used_goes_first():
    from bot.kb.retrieval import QueryCache

    cache = QueryCache(3)
    state = (object(), object(), True, 1.0)
    for n in range(5):
        cache.put(f"q{n}", state, [(1.0, ((f"t{n}",),), (f"t{n}",))])
    assert len(cache) == 3
    assert cache.get("q0", state) is None and cache.get("q1", state) is None
    assert cache.get("q2", state) == [(1.0, (("t2",),), ("t2",))]
    cache.put("q5", state, [])  # q3 is now the least recently used, not q2
    assert cache.get("q3", state) is None and cache.get("q2", state) is not None
    # another glossary or dictionary object, or another switch, is another query
    assert cache.get("q2", (object(), state[1], True, 1.0)) is None
    assert cache.get("q2", (state[0], state[1], False, 1.0)) is None


def test_the_column_cache_is_bounded(retriever, monkeypatch):
    from bot.kb import retrieval

    monkeypatch.setattr(retrieval, "COLUMN_CACHE_BYTES", 1)  # the floor: 64 columns
    index = retriever.index
    column = retrieval._columns(index.bm25, len(index.ids))
    tokens = list(index.idf)[:200]
    assert len(tokens) == 200
    for token in tokens:
        assert column(token) is not None
    info = column.cache_info()
    assert info.maxsize == 64 and info.currsize == 64
    assert column("no-such-token-xyz") is None
    assert not column(tokens[0]).flags.writeable  # a cached column cannot be changed by a caller


def test_a_swapped_glossary_or_switch_is_not_served_a_stale_query(retriever, monkeypatch):
    from bot.kb import retrieval
    from bot.kb.glossary import Glossary

    question = "what is the basis trade?"
    retriever.search(question, 5)
    with_glossary = retriever.bridged_tokens(question)
    monkeypatch.setattr(retriever, "glossary", Glossary([]))
    without = retriever.bridged_tokens(question)
    assert without != with_glossary
    fresh = retriever._build_query(retriever.index, retriever.glossary, retriever.dictionary, question)
    assert without == {t for _, alts, source in fresh for a in alts if a != source for t in a}
    monkeypatch.setattr(retrieval, "TRANSLATE", False)
    assert retriever.bridged_tokens(question) == set()  # no glossary, no dictionary: nothing bridged


def test_a_reload_does_not_serve_stale_queries_or_scores(bilingual, model):
    from bot.kb.glossary import load
    from bot.kb.retrieval import Retriever
    from ingest.pipeline import run

    question = "why did the price of gold rise?"
    before = bilingual.search(question, 5, mode="bm25")
    assert "黄金" not in bilingual.bridged_tokens(question)  # no Chinese passage names gold yet
    settings = bilingual.settings
    (settings.corpus_dir / "zh-gold.md").write_text(ZH_GOLD, encoding="utf-8")
    run(settings, model_factory=lambda: model)
    bilingual.reload()
    assert "黄金" in bilingual.bridged_tokens(question)
    after = bilingual.search(question, 5, mode="bm25")
    fresh_retriever = Retriever(settings, model, load(settings.corpus_dir), bilingual.dictionary)
    fresh = fresh_retriever.search(question, 5, mode="bm25")
    assert _signature(after) == _signature(fresh)
    assert _signature(after) != _signature(before)
    assert any("黃金" in h.text for h in after)


ZH_GOLD = """---
title: "金價"
lang: zh-Hant
source: "test"
date: 2025-07-02
license: CC-BY-4.0
---

# 金價

黃金價格創下新高，各國央行持續買進黃金。
"""


def test_concurrent_searches_agree_with_serial_ones(retriever):
    from concurrent.futures import ThreadPoolExecutor

    _clear_memos(retriever)
    serial = {q: (_signature(retriever.search(q, 10)), retriever.bridged_tokens(q)) for q in CACHE_QUESTIONS}
    _clear_memos(retriever)

    def one(question):
        return question, (_signature(retriever.search(question, 10)), retriever.bridged_tokens(question))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, CACHE_QUESTIONS * 4))
    assert all(serial[q] == got for q, got in results)


def test_lexical_search_needs_no_encode_and_no_gate(retriever, monkeypatch):
    """The sides of a comparison are searched by BM25 alone: the question itself passed the gate."""
    import bot.kb.retrieval as retrieval

    def no_encode(*_args, **_kwargs):
        raise AssertionError("lexical_search must not embed")

    monkeypatch.setattr(retrieval, "encode", no_encode)
    hits = retriever.lexical_search("2020 basis trade 基差交易", k=5)
    assert hits and all(hit.dense == 0.0 and hit.bm25 > 0 for hit in hits)
    assert any("2020" in hit.text for hit in hits)
    assert retriever.lexical_search("zxqv wplk", k=5) == []


def test_a_near_tie_in_rank_fusion_goes_to_the_stronger_raw_match():
    from types import SimpleNamespace

    from bot.kb.retrieval import Retriever
    from bot.settings import Settings

    # eval/dev.jsonl r-034 "what is the implied repo rate?": the rankers swap the top two, and
    # BM25 prefers the definition twice as much as dense prefers the other passage.
    index = SimpleNamespace(ids=["actual", "implied"], texts=["actual repo rate", "implied repo rate"],
                            metas=[{"lang": "en"}, {"lang": "en"}])
    dense, lexical = {0: 0.443, 1: 0.407}, {0: 5.07, 1: 10.92}

    def top(weight: float) -> str:
        this = SimpleNamespace(settings=Settings(fusion_score_weight=weight))
        return Retriever._fuse(this, index, dense, lexical, 2)[0].chunk_id

    assert top(0.03) == "implied"
    assert top(0.0) == "actual"  # plain rank fusion: a tie, first come first served


TENOR_DOC = """---
title: "殖利率"
lang: zh-Hant
source: "test"
date: 2014-10-20
license: CC-BY-4.0
---

# 殖利率

## 長天期

10年期公債殖利率當天一度跌破2%，收盤回升。

## 短天期

2年期公債殖利率變化不大，交易商的報價也很分散。
"""


def test_chat_shorthand_tenors_reach_a_chinese_passage(make_settings, model, tmp_path):
    # "10yr" is 10-year, which the calendar spells 10年期: BM25 meets the Chinese passage
    retriever = _tiny_retriever(make_settings, model, tmp_path / "tenors", {"zh.md": TENOR_DOC})
    query = retriever._build_query(retriever.index, retriever.glossary, retriever.dictionary, "where did the 10yr close")
    assert any(("10", "年期") in alternatives for _, alternatives, _ in query)
    hits = retriever.lexical_search("where did the 10yr close", 2)
    assert hits and "10年期" in hits[0].text and hits[0].bm25 > hits[1].bm25


def test_a_word_translated_only_to_single_characters_is_not_known_to_the_gate(retriever):
    # CC-CEDICT's win -> 中 (zhòng, to hit a target) is in every Chinese passage: no evidence
    from bot.kb.retrieval import gate_features

    index = retriever.index
    query = retriever._build_query(index, retriever.glossary, retriever.dictionary, "who won?")
    assert (("中",),) in [alternatives for _, alternatives, _ in query]
    assert gate_features(index, query, {}, {}, retriever.frequency.rarity)[2] == 0.0
    repo = retriever._build_query(index, retriever.glossary, retriever.dictionary, "who won the repo?")
    assert 0.0 < gate_features(index, repo, {}, {}, retriever.frequency.rarity)[2] < 1.0


def test_dense_candidates_are_the_exact_nearest_chunks(retriever):
    """An approximate HNSW search missed 4-10 of these questions' 60 nearest chunks, a different
    few in each process (see ``store.EF_SEARCH``); the ingested index searches exactly."""
    import numpy as np

    from bot.kb.embeddings import encode

    index = retriever.index
    stored = index.collection.get(include=["embeddings"])
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [index.position[cid] for cid in stored["ids"]]
    questions = [json.loads(line)["q"] for name in ("dev", "learner") for line in (ROOT / "eval" / f"{name}.jsonl").open()]
    n = min(retriever.settings.candidates, len(rows))
    missed = {}
    for question, vector in zip(questions, np.asarray(encode(retriever.model, questions), dtype=np.float32)):
        cosine = vectors @ (vector / np.linalg.norm(vector))
        cut = np.sort(cosine)[-n]
        must = {rows[j] for j in np.flatnonzero(cosine > cut + 1e-5)}  # ties at the cut may go either way
        lost = must - set(retriever._dense(index, question))
        if lost:
            missed[question] = len(lost)
    assert len(questions) > 300 and not missed


def test_a_glossary_term_counts_once_however_many_forms_it_has(retriever):
    # "basis trade" has five forms in the glossary (基差交易 in both scripts, "cash-futures basis
    # trade"…): counted form by form they outweighed "warned", and the passage that says who
    # warned (corpus/en-regulation.md) ranked 32nd in BM25
    index = retriever.index
    query = retriever._build_query(index, retriever.glossary, retriever.dictionary, "who warned about the basis trade")
    synonyms = [alternatives for _, alternatives, source in query if "基差" in source]
    assert synonyms == [(("基差", "交易"),)]  # one group; the longer English form only adds modifiers
    hits = retriever.search("who warned about the basis trade", 5, mode="bm25")
    assert any(h.section.endswith("Warnings from central banks and global bodies") for h in hits)


def test_dense_keeps_the_nearest_passages_of_each_language(retriever):
    """Fusion ranks each language apart, so the dense list must hold the other language too: an
    English question's nearest Chinese passages (cosine 0.1-0.3) ranked below every English one and
    fell off a list cut globally, leaving them no dense rank at all."""
    import numpy as np

    from bot.kb.embeddings import encode
    from bot.kb.retrieval import Retriever, _script

    settings = retriever.settings.model_copy(update={"candidates": 5})
    small = Retriever(settings, retriever.model, retriever.glossary, retriever.dictionary, retriever.frequency)
    index = small.index
    question = "what did bessent say about the treasury selloff?"
    stored = index.collection.get(include=["embeddings"])
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)
    vector = np.asarray(encode(small.model, [question])[0], dtype=np.float32)
    cosine = dict(zip((index.position[c] for c in stored["ids"]), vectors @ vector / np.linalg.norm(vectors, axis=1)))
    by_script = {}
    for i in sorted(cosine, key=lambda i: -cosine[i]):
        by_script.setdefault(_script(index.metas[i]["lang"]), []).append(i)
    dense = small._dense(index, question)
    assert set(dense) == set(by_script["en"][:5]) | set(by_script["zh"][:5])
    assert set(by_script["zh"][:5]) - set(sorted(cosine, key=lambda i: -cosine[i])[:5])  # a global cut drops some


BASIS_POINT_DOC = """---
title: "升息"
lang: zh-Hant
source: "test"
date: 2022-06-16
license: CC-BY-4.0
---

# 升息

## 六月

聯準會宣布升息75個基點，為1994年以來最大幅度。

## 市場

股市當天收高，交易商的報價也很分散。
"""


def test_a_chat_abbreviation_reaches_a_chinese_passage_through_its_words(make_settings, model, tmp_path):
    # "bps" is in no dictionary; "basis points" is, as 基点: one group that stands for "bps", so
    # the gate's coverage counts "bps" as known rather than "basis" and "points" as unknown
    retriever = _tiny_retriever(make_settings, model, tmp_path / "bps", {"zh.md": BASIS_POINT_DOC})
    question = "how many bps did the fed hike"
    query = retriever._build_query(retriever.index, retriever.glossary, retriever.dictionary, question)
    assert [g for g in query if g[2] == ("bps",) and ("基点",) in g[1]]
    assert not [g for g in query if g[2] in (("basi",), ("point",))]
    hits = retriever.lexical_search(question, 2)
    assert hits and "75個基點" in hits[0].text
