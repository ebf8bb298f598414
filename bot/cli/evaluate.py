"""`python -m bot eval FILE.jsonl`: hit@1, hit@k and MRR, overall and per language.

With ``--answers`` every line also goes through the answering engine, and
calc / oos / bad lines are scored; without it those lines are listed as skipped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.calc.evaluator import evaluate as calculate
from bot.errors import CalcError, UserError
from bot.text import squash


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as err:
            raise UserError(f"{path}:{number}: not valid JSON ({err.msg}).") from err
        if "q" not in case:
            raise UserError(f"{path}:{number}: a case needs a 'q' field.")
        case.setdefault("id", f"line{number}")
        case.setdefault("kind", "retrieval")
        case.setdefault("lang", "unknown")
        cases.append(case)
    return cases


def contains_any(text: str, expected: list[str]) -> bool:
    """Substring match after NFKC, whitespace removal, case and Trad/Simp folding."""
    haystack = squash(text)
    return any(squash(item) in haystack for item in expected)


def check_calc(case: dict[str, Any]) -> bool:
    """Eval `bad` lines: a clear one-line CalcError or a correct value both count."""
    try:
        result = calculate(case["q"])
    except CalcError as err:
        return bool(str(err).strip()) and "\n" not in str(err)
    return contains_any(result.text, case.get("answer_any", [result.text]))


def hit_rank(hits: list[dict[str, Any]], expected: list[str]) -> int | None:
    for hit in hits:
        if contains_any(hit["text"], expected):
            return int(hit["rank"])
    return None


def _metrics(ranks: list[int | None], k: int) -> dict[str, float]:
    n = len(ranks)
    if not n:
        return {"n": 0, "hit@1": 0.0, f"hit@{k}": 0.0, "mrr": 0.0}
    return {
        "n": n,
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        f"hit@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 4),
        "mrr": round(sum(1.0 / r for r in ranks if r) / n, 4),
    }


def evaluate(
    cases: list[dict[str, Any]],
    search: Callable[[str, int], list[dict[str, Any]]],
    k: int = 5,
    ask: Callable[[str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Score every case; ``search`` returns public hit dicts, ``ask`` the `ask --json` object."""
    results = []
    by_lang: dict[str, list[int | None]] = defaultdict(list)
    retrieval: list[int | None] = []
    answers: dict[str, list[bool]] = defaultdict(list)
    skipped = []
    for case in cases:
        kind = case["kind"]
        out: dict[str, Any] = {k_: case.get(k_) for k_ in ("id", "kind", "lang", "q")}
        if kind != "retrieval" and ask is None:
            skipped.append(case["id"])
            continue
        if kind == "retrieval":
            hits = search(case["q"], k)
            rank = hit_rank(hits, case.get("expect_any", []))
            out.update(hit_rank=rank, hits=hits)
            retrieval.append(rank)
            by_lang[case["lang"]].append(rank)
        if ask is not None:
            try:
                answer = ask(case["q"])
            except UserError as err:  # e.g. an over-long message: the user sees this line
                answer = {"answer": str(err), "grounded": False, "sources": [], "tool_calls": [], "error": True}
            out["answer"] = answer
            correct = _answer_correct(case, answer)
            if correct is not None:
                out["answer_correct"] = correct
                answers[kind].append(correct)
        results.append(out)
    summary: dict[str, Any] = {"k": k, "cases": len(cases), **_metrics(retrieval, k)}
    summary["by_lang"] = {lang: _metrics(ranks, k) for lang, ranks in sorted(by_lang.items())}
    summary["misses"] = [r["id"] for r in results if r["kind"] == "retrieval" and r["hit_rank"] is None]
    summary["skipped"] = skipped
    if ask is not None:
        summary["answer_accuracy"] = {
            kind: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)} for kind, v in sorted(answers.items())
        }
    return {"summary": summary, "cases": results}


def _answer_correct(case: dict[str, Any], answer: dict[str, Any]) -> bool | None:
    kind = case["kind"]
    if kind == "oos":
        return not answer["grounded"]
    if kind == "bad" and case.get("calc"):
        return check_calc(case)
    if case.get("answer_any"):
        return contains_any(answer["answer"], case["answer_any"])
    return None


def render(report: dict[str, Any], path: str) -> str:
    """The human-readable report."""
    s = report["summary"]
    k = s["k"]
    lines = [
        f"{path}: {s['n']} retrieval cases  hit@1 {s['hit@1']:.3f}  hit@{k} {s[f'hit@{k}']:.3f}  MRR {s['mrr']:.3f}"
    ]
    for lang, m in s["by_lang"].items():
        lines.append(
            f"  {lang:8} n={m['n']:3}  hit@1 {m['hit@1']:.3f}  hit@{k} {m[f'hit@{k}']:.3f}  MRR {m['mrr']:.3f}"
        )
    for kind, m in s.get("answer_accuracy", {}).items():
        lines.append(f"  answers {kind:9} n={m['n']:3}  accuracy {m['accuracy']:.3f}")
    for case in report["cases"]:
        if case["kind"] == "retrieval" and case["hit_rank"] is None:
            top = case["hits"][0]["text"][:60].replace("\n", " ") if case["hits"] else "(no hits)"
            lines.append(f"  MISS {case['id']} [{case['lang']}] {case['q']}  -> {top}")
        if case.get("answer_correct") is False:
            text = case["answer"]["answer"][:80].replace("\n", " ")
            lines.append(f"  WRONG {case['id']} [{case['kind']}] {case['q']}  -> {text}")
    if s["skipped"]:
        lines.append(f"  skipped {len(s['skipped'])} non-retrieval cases (use --answers): {', '.join(s['skipped'])}")
    return "\n".join(lines)
