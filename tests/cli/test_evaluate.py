"""The eval command on a small set: metrics, misses, skipped kinds, JSON shape."""

import json
import subprocess
import sys

import pytest

from bot.cli.evaluate import contains_any, evaluate, load_cases
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
        ask=lambda q: engine.ask(q).model_dump(),
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
