"""`python -m bot eval FILE.jsonl`: hit@1, hit@k and MRR, overall and per language.

With ``--answers`` every line also goes through the answering engine, and
calc / oos / bad lines are scored; without it those lines are listed as skipped.
A case may also carry ``history`` (earlier user turns, answered first, in
order, as in a chat), ``groups`` (every group needs one of its strings in the
answer), ``forbid`` (strings that must not appear) and ``grounded`` (expected
true/false); a case of any other kind is answered and scored by those fields.
Every answer is also checked for hygiene: wrong script, English sentences in an
answer to a Chinese question, repeated sentences, answers over 900 characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.calc.evaluator import evaluate as calculate
from bot.errors import CalcError, UserError
from bot.text import cjk_ratio, split_sentences, squash, to_script, to_simplified

MAX_ANSWER_CHARS = 900
KNOWN_KINDS = ("retrieval", "calc", "oos", "bad")
#: ``ask(question, history)`` → the ``ask --json`` object; history is (role, text) pairs.
Asker = Callable[[str, list[tuple[str, str]]], dict[str, Any]]


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


def contains_literal(text: str, forbidden: list[str]) -> bool:
    """Substring match after NFKC, whitespace removal and case only: a ``forbid`` string is text
    that must not appear as written, and some name script damage ("也就是隻按" for 只按) that
    Trad/Simp folding would equate with the correct text."""
    def plain(value: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()

    haystack = plain(text)
    return any(plain(item) in haystack for item in forbidden)


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


def engine_asker(engine: Any) -> Asker:
    """The ``ask`` an engine offers eval: the ``ask --json`` object, with the chat history."""

    def ask(question: str, history: list[tuple[str, str]]) -> dict[str, Any]:
        return engine.ask(question, history).model_dump()

    return ask


def _answer(ask: Asker, case: dict[str, Any]) -> dict[str, Any]:
    """Answer the case's history turns in order, then the case, as a chat would."""
    history: list[tuple[str, str]] = []

    def one(question: str) -> dict[str, Any]:
        try:
            return ask(question, list(history))
        except UserError as err:  # e.g. an over-long message: the user sees this line
            return {"answer": str(err), "grounded": False, "sources": [], "tool_calls": [], "error": True}

    for turn in case.get("history", []):
        earlier = one(turn)
        history += [("user", turn), ("assistant", earlier["answer"])]
    return one(case["q"])


def evaluate(
    cases: list[dict[str, Any]],
    search: Callable[[str, int], list[dict[str, Any]]],
    k: int = 5,
    ask: Asker | None = None,
) -> dict[str, Any]:
    """Score every case; ``search`` returns public hit dicts, ``ask`` the `ask --json` object
    (a case's ``history`` turns are answered first, in order, as in a chat)."""
    results = []
    by_lang: dict[str, list[int | None]] = defaultdict(list)
    retrieval: list[int | None] = []
    answers: dict[str, list[bool]] = defaultdict(list)
    by_intent: dict[str, list[bool]] = defaultdict(list)
    by_answer_lang: dict[str, list[bool]] = defaultdict(list)
    faults: dict[str, list[str]] = defaultdict(list)
    skipped = []
    for case in cases:
        kind = case["kind"]
        out: dict[str, Any] = {k_: case.get(k_) for k_ in ("id", "kind", "lang", "q")}
        if "intent" in case:
            out["intent"] = case["intent"]
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
            answer = _answer(ask, case)
            out["answer"] = answer
            problems = hygiene(case, answer)
            if problems:
                out["hygiene"] = problems
                for problem in problems:
                    faults[problem].append(case["id"])
            correct = _answer_correct(case, answer)
            if correct is not None:
                out["answer_correct"] = correct
                answers[kind].append(correct)
                by_intent[case.get("intent", kind)].append(correct)
                by_answer_lang[case["lang"]].append(correct)
        results.append(out)
    summary: dict[str, Any] = {"k": k, "cases": len(cases), **_metrics(retrieval, k)}
    summary["by_lang"] = {lang: _metrics(ranks, k) for lang, ranks in sorted(by_lang.items())}
    summary["misses"] = [r["id"] for r in results if r["kind"] == "retrieval" and r["hit_rank"] is None]
    summary["skipped"] = skipped
    if ask is not None:
        summary["answer_accuracy"] = _accuracy(answers)
        summary["answer_by_intent"] = _accuracy(by_intent)
        summary["answer_by_lang"] = _accuracy(by_answer_lang)
        summary["hygiene"] = {name: faults.get(name, []) for name in HYGIENE_FAULTS}
    return {"summary": summary, "cases": results}


def _accuracy(groups: dict[str, list[bool]]) -> dict[str, dict[str, float]]:
    return {name: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)} for name, v in sorted(groups.items()) if v}


# ------------------------------------------------------------------ hygiene

HYGIENE_FAULTS = ("wrong_script", "english_in_chinese", "repeated_sentence", "too_long")
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
_CITATION = re.compile(r"\s*\[\d+\]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_QUOTED_LINE = re.compile(r"^\s*>")


def _simplified_only(text: str) -> list[str]:
    """Characters that exist only in Simplified: Simplified folding keeps them and
    Traditional folding changes them (less a few forms both scripts use)."""
    return [ch for ch in set(text) if ch not in _SHARED_FORMS and to_script(ch, "zh-Hant") != ch == to_simplified(ch)]


#: Characters OpenCC's s2t rewrites although Traditional text uses them too (台北, 公里, 只有…).
_SHARED_FORMS = frozenset("台里后干只系面准发范制游冲松复历丑斗胡于余志云卷采姜尽借咸才出占")


def _prose(text: str) -> str:
    return _CODE_BLOCK.sub(" ", text)


def hygiene(case: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """The hygiene faults of one answer (names from HYGIENE_FAULTS)."""
    text = answer.get("answer", "")
    lang = case.get("lang")
    prose = _prose(text)
    problems = []
    if (lang == "zh-Hans" and to_simplified(prose) != prose) or (lang == "zh-Hant" and _simplified_only(prose)):
        problems.append("wrong_script")
    if lang in ("zh-Hant", "zh-Hans"):
        for line in prose.splitlines():
            for sentence in split_sentences(_CITATION.sub("", line)):
                if _QUOTED_LINE.match(sentence) or "`" in sentence:
                    continue
                if len(_LATIN_WORD.findall(sentence)) >= 5 and cjk_ratio(sentence) < 0.3:
                    problems.append("english_in_chinese")
                    break
            if "english_in_chinese" in problems:
                break
    sentences = [  # citations out first: "…arbitrage. [1] The…" is two sentences
        s.strip() for line in prose.splitlines() for s in split_sentences(_CITATION.sub("", line))
    ]
    counts = Counter(squash(s) for s in sentences if len(squash(s)) >= 8)
    if any(n > 1 for n in counts.values()):
        problems.append("repeated_sentence")
    if len(text) > MAX_ANSWER_CHARS:
        problems.append("too_long")
    return problems


def _answer_correct(case: dict[str, Any], answer: dict[str, Any]) -> bool | None:
    """Known kinds keep their rule; ``groups``/``forbid``/``grounded`` add to it (and are
    the whole rule for any other kind).  None when nothing can be scored."""
    kind = case["kind"]
    verdicts: list[bool] = []
    if kind == "oos":
        verdicts.append(not answer["grounded"])
    elif kind == "bad" and case.get("calc"):
        verdicts.append(check_calc(case))
    elif case.get("answer_any"):
        verdicts.append(contains_any(answer["answer"], case["answer_any"]))
    for group in case.get("groups", []):
        verdicts.append(contains_any(answer["answer"], group))
    if case.get("forbid"):
        verdicts.append(not contains_literal(answer["answer"], case["forbid"]))
    if "grounded" in case:
        verdicts.append(bool(answer["grounded"]) == bool(case["grounded"]))
    if not verdicts:
        return None
    return all(verdicts)


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
    if len(s.get("answer_by_intent", {})) > 1 and set(s["answer_by_intent"]) != set(s["answer_accuracy"]):
        for name, m in s["answer_by_intent"].items():
            lines.append(f"  intent  {name:9} n={m['n']:3}  accuracy {m['accuracy']:.3f}")
    if s.get("answer_by_lang"):
        for name, m in s["answer_by_lang"].items():
            lines.append(f"  lang    {name:9} n={m['n']:3}  accuracy {m['accuracy']:.3f}")
    if "hygiene" in s:
        total = sum(len(v) for v in s["hygiene"].values())
        detail = ", ".join(f"{name} {len(ids)}" for name, ids in s["hygiene"].items())
        lines.append(f"  hygiene faults {total}: {detail}")
        for name, ids in s["hygiene"].items():
            if ids:
                lines.append(f"  HYGIENE {name}: {', '.join(ids)}")
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
