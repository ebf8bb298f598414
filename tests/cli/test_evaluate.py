"""The eval command on a small set: metrics, misses, skipped kinds, JSON shape."""

import json
import subprocess
import sys

import pytest

from bot.cli.evaluate import contains_any, contains_literal, engine_asker, evaluate, load_cases
from bot.errors import UserError
from bot.settings import ROOT
from tests.conftest import cli_env

CASES = [
    {"id": "a", "kind": "retrieval", "lang": "zh-Hant", "q": "什麼是道德風險?", "expect_any": ["道德風險"]},
    {"id": "b", "kind": "retrieval", "lang": "en", "q": "What is a margin spiral?", "expect_any": ["保證金螺旋", "margin spiral"]},
    {"id": "c", "kind": "retrieval", "lang": "en", "q": "Who won the 2022 World Cup?", "expect_any": ["Argentina"]},
    {"id": "d", "kind": "calc", "lang": "en", "q": "1+1", "answer_any": ["2"]},
]


def test_contains_any_folds_script_width_space_and_case():
    assert contains_any("美聯儲 在 2020 年", ["美联储在２０２０年"])
    assert contains_any("Basis  Trade", ["basistrade"])
    assert not contains_any("repo", ["haircut"])


def test_forbidden_text_is_matched_as_written_not_script_folded():
    # eval/learner.jsonl L-004 forbids the s2tw damage 隻按; folding would equate it with 只按
    right = "也就是只按抵押品市值的（1 − h）比例借出資金。"
    assert contains_any(right, ["也就是隻按"])  # why forbid cannot use the folded match
    assert not contains_literal(right, ["也就是隻按"])
    assert contains_literal("也就是隻按抵押品市值", ["也就是 隻按"])
    assert contains_literal("The Trigger", ["the trigger"])


def test_metrics_and_misses(retriever):
    report = evaluate(CASES, lambda q, k: [h.public() for h in retriever.search(q, k)], k=5)
    s = report["summary"]
    assert s["n"] == 3 and s["misses"] == ["c"] and s["skipped"] == ["d"]
    assert s["hit@5"] == pytest.approx(2 / 3, abs=1e-3)
    assert 0 < s["mrr"] <= s["hit@5"]
    assert set(s["by_lang"]) == {"zh-Hant", "en"}
    case = next(c for c in report["cases"] if c["id"] == "c")
    assert case["hit_rank"] is None and case["hits"] == []


def test_answers_mode_scores_kinds(engine):
    cases = [*CASES, {"id": "e", "kind": "oos", "lang": "en", "q": "Best pasta recipe?"},
             {"id": "f", "kind": "bad", "lang": "en", "q": "9**9**9**9", "calc": True}]
    report = evaluate(
        cases, lambda q, k: [h.public() for h in engine.retriever.search(q, k)], k=5,
        ask=engine_asker(engine),
    )
    acc = report["summary"]["answer_accuracy"]
    assert acc["calc"]["accuracy"] == 1.0 and acc["oos"]["accuracy"] == 1.0 and acc["bad"]["accuracy"] == 1.0
    assert all("answer" in c for c in report["cases"])


def test_bad_jsonl_is_a_user_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"q": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(UserError, match=":2:"):
        load_cases(path)


def test_eval_cli_json(built_settings, tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CASES), encoding="utf-8")
    env = cli_env(built_settings.corpus_dir, built_settings.data_dir)
    out = subprocess.run(
        [sys.executable, "-m", "bot", "eval", str(path), "-k", "3", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["summary"]["k"] == 3 and "hit@3" in report["summary"]
    assert {"id", "kind", "lang", "q", "hit_rank", "hits"} <= set(report["cases"][0])


def test_history_groups_forbid_and_grounded_are_scored(engine):
    cases = [
        {"id": "h", "kind": "learner", "lang": "zh-Hant", "intent": "followup", "q": "那2025年呢?",
         "history": ["2020年3月美債市場發生什麼事?"], "groups": [["2025"]], "forbid": ["疫情蔓延"], "grounded": True},
        {"id": "g", "kind": "learner", "lang": "en", "intent": "definition", "q": "what is a margin spiral",
         "groups": [["margin call"], ["no such phrase in any answer"]]},
        {"id": "o", "kind": "learner", "lang": "en", "intent": "oos", "q": "best pizza in new york?", "grounded": False},
    ]
    seen = []

    def ask(question, history):
        seen.append((question, list(history)))
        return engine_asker(engine)(question, history)

    report = evaluate(cases, lambda q, k: [], k=5, ask=ask)
    by_id = {c["id"]: c for c in report["cases"]}
    assert seen[0] == ("2020年3月美債市場發生什麼事?", []) and seen[1][0] == "那2025年呢?" and len(seen[1][1]) == 2
    assert by_id["h"]["answer_correct"] is True
    assert by_id["g"]["answer_correct"] is False  # one group has no match
    assert by_id["o"]["answer_correct"] is True
    s = report["summary"]
    assert s["answer_by_intent"]["followup"]["n"] == 1 and set(s["answer_by_lang"]) == {"zh-Hant", "en"}
    assert set(s["hygiene"]) == {"wrong_script", "english_in_chinese", "repeated_sentence", "too_long"}


@pytest.mark.parametrize(
    ("lang", "text", "fault"),
    [
        ("zh-Hans", "基差交易是一种套利。這是繁體。", "wrong_script"),
        ("zh-Hant", "基差交易是一種套利。这是简体。", "wrong_script"),
        ("zh-Hant", "基差交易是一種套利。 The basis trade pairs a cash bond with futures.", "english_in_chinese"),
        ("en", "The basis trade is an arbitrage. [1] The basis trade is an arbitrage. [2]", "repeated_sentence"),
        ("en", "word " * 200, "too_long"),
    ],
)
def test_hygiene_faults(lang, text, fault):
    from bot.cli.evaluate import hygiene

    assert fault in hygiene({"lang": lang}, {"answer": text})


def test_clean_answers_have_no_hygiene_faults():
    from bot.cli.evaluate import hygiene

    assert hygiene({"lang": "zh-Hant"}, {"answer": "附買回的放款人會設定折價率，也就是只按市值借出資金。 [1]\n英文資料原文:\n> "
                                                   "The SEC dealer rule was vacated in November 2024. [2]"}) == []
    assert hygiene({"lang": "zh-Hans"}, {"answer": "本金 1000 万\n```\nMove  P&L  Equity left  Margin call\n```"}) == []
