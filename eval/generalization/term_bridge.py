"""Experiment (issue 11): bridge query words no dictionary translates to corpus terms of the
other language through the embedding model, on top of the glossary + CC-CEDICT BM25 query.

    .venv/bin/python eval/generalization/term_bridge.py > eval/generalization/term_bridge-results.txt

Needs four indexes (see ``INDEXES``): the default corpus in ``data/`` (read only) and three
under /tmp/bridge/, built with ``CORPUS_DIR=/tmp/bridge/X DATA_DIR=/tmp/bridge/X-index
.venv/bin/python -m ingest`` from ``zh-corpus`` (corpus/basis-trade-article.zh-Hant.md,
corpus/zh-Hant-mechanics-leverage.md, corpus/glossary.md), ``gen-alone``
(eval/generalization/docs/*.md) and ``gen-mixed`` (those + corpus/*.md); zh-corpus's index is
``/tmp/bridge/zh-index``.

"Ingest" here: the distinctive terms of the index's stored BM25 tokens (idf at least that of a
token in ``MAX_DF`` of the chunks; English >= 3 letters, Chinese >= 2 characters) are embedded
once, each as its commonest surface form (English tokens are stems), and split by language.
At query time every query word the glossary and CC-CEDICT left untranslated (English >= 3
letters; Chinese >= 2 characters and not part of a longer query word; numbers never) is
embedded in one batched ``encode`` call and gets its k nearest corpus terms of the other
language with cosine >= threshold, as one more BM25 group: alternatives = those terms,
weight = w * best cosine / sqrt(number of terms kept) (the dictionary's 1/sqrt(n) for
ambiguity).  ``gate`` says whether the relevance gate sees the bridged groups (they raise its
coverage and BM25 features) or is computed on the query without them, as today.

The setting is chosen on eval/dev.jsonl + eval/crosslingual.jsonl only (``choose``); the
held-out questions (eval/generalization/questions.jsonl) are then scored once for it vs none.
Nothing in bot/ is changed: a subclass of Retriever adds the groups.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.cli.evaluate import evaluate, load_cases  # noqa: E402
from bot.kb import retrieval  # noqa: E402
from bot.kb.dictionary import Group  # noqa: E402
from bot.kb.dictionary import load as load_dictionary  # noqa: E402
from bot.kb.embeddings import encode, load_model  # noqa: E402
from bot.kb.glossary import load as load_glossary  # noqa: E402
from bot.kb.tokens import english_words, stem_words  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.text import fold, has_cjk  # noqa: E402

#: (name, corpus dir, data dir) of every index the experiment reads.
INDEXES = {
    "default": (ROOT / "corpus", ROOT / "data"),
    "zh-only": (Path("/tmp/bridge/zh-corpus"), Path("/tmp/bridge/zh-index")),
    "alone": (Path("/tmp/bridge/gen-alone"), Path("/tmp/bridge/gen-alone-index")),
    "mixed": (Path("/tmp/bridge/gen-mixed"), Path("/tmp/bridge/gen-mixed-index")),
}
#: A corpus term is distinctive when it occurs in at most this share of the chunks (high idf).
MAX_DF = 0.10
K = 5
MODES = ("hybrid", "bm25")


@dataclass(frozen=True)
class Setting:
    k: int
    threshold: float
    weight: float
    gate: bool  # the gate sees the bridged groups
    #: Which words: every untranslated one ("untr"), or only those CC-CEDICT has no entry for
    #: at all ("noentry": names, new jargon; not "say" or "big", whose translations the corpus lacks).
    scope: str = "untr"

    def label(self) -> str:
        gate = "sees" if self.gate else "blind"
        return f"{self.scope:7} k={self.k} cos>={self.threshold} w={self.weight} gate={gate}"


GRID = [
    Setting(k, t, w, g, scope)
    for scope in ("untr", "noentry")
    for k in (1, 3)
    for t in (0.5, 0.6, 0.7)
    for w in (0.5, 1.0)
    for g in (False, True)
]


def english(token: str) -> bool:
    return token.isascii() and token[:1].isalpha()


def shaped(token: str) -> bool:
    """A term worth bridging: an English word of >= 3 letters or a Chinese word of >= 2."""
    if english(token):
        return len(token) >= 3
    return len(token) >= 2 and all(has_cjk(ch) for ch in token)


def surfaces(texts: list[str]) -> dict[str, str]:
    """Stem -> its commonest surface word in ``texts`` (the model embeds words, not stems)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        words = english_words(fold(text))
        for word, stem in zip(words, stem_words(words)):
            seen[stem][word] += 1
    return {stem: counts.most_common(1)[0][0] for stem, counts in seen.items()}


class TermBank:
    """What ingest would store: the corpus's distinctive terms, their vectors, their language."""

    def __init__(self, index: retrieval.Index, model: Any) -> None:
        n = len(index.ids)
        df = max(1.0, MAX_DF * n)
        floor = math.log(1 + (n - df + 0.5) / (df + 0.5))  # idf of a token in MAX_DF of the chunks
        surface = surfaces(index.texts)
        self.terms = sorted(t for t, idf in index.idf.items() if idf >= floor - 1e-9 and shaped(t))
        texts = [surface.get(t, t) if english(t) else t for t in self.terms]
        start = time.perf_counter()
        self.vectors = np.asarray(encode(model, texts), dtype=np.float32)
        self.seconds = time.perf_counter() - start
        self.is_en = np.array([english(t) for t in self.terms])
        self.by_lang = {lang: np.flatnonzero(self.is_en == (lang == "en")) for lang in ("en", "zh")}

    def describe(self) -> str:
        en = int(self.is_en.sum())
        return (
            f"{len(self.terms)} terms ({en} en, {len(self.terms) - en} zh) embedded in {self.seconds:.1f} s"
        )


def untranslated(groups: list[Group], question: str) -> list[tuple[str, str]]:
    """(token, text to embed) for the question's words no glossary/dictionary group stands for."""
    own = [g[2][0] for g in groups if len(g[2]) == 1 and g[1] == (g[2],)]
    covered = {t for g in groups if g[1] != (g[2],) for t in g[2]}
    covered_zh = [t for t in covered if not english(t)]
    words = english_words(fold(question))
    surface = dict(zip(stem_words(words), words))
    out = []
    for token in dict.fromkeys(own):
        if token in covered or not shaped(token):
            continue
        if not english(token):
            if any(token in c for c in covered_zh):
                continue  # part of a translated word (联储 in 美联储)
            if any(token != o and token in o for o in own):
                continue  # jieba search mode's sub-words: the longest word is bridged
        out.append((token, surface.get(token, token) if english(token) else token))
    return out


class BridgedRetriever(retrieval.Retriever):
    """The retriever with embedding bridges appended to the BM25 query (``setting``; None = off)."""

    def __init__(self, settings: Settings, model: Any, glossary: Any, dictionary: Any) -> None:
        super().__init__(settings, model, glossary, dictionary)
        self.bank = TermBank(self.index, model)
        self.setting: Setting | None = None
        self.memo = True  # experiment speed-ups: question cosines and word vectors kept
        self._dense_memo: dict[str, dict[int, float]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._mine: set[Group] = set()
        self.last_bridges: list[tuple[str, list[tuple[str, float]]]] = []
        self.last_encoded = 0

    # -- the added groups ------------------------------------------------
    def bridge(self, question: str, groups: list[Group]) -> list[Group]:
        s = self.setting
        self.last_bridges = []
        self.last_encoded = 0
        if s is None:
            return []
        words = untranslated(groups, question)
        if s.scope == "noentry":
            words = [(t, text) for t, text in words if not self.in_dictionary(t)]
        self.last_encoded = len(words)
        if not words:
            return []
        texts = [text for _, text in words]
        known = self._vectors if self.memo else {}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:  # one batched encode call per question
            known.update(zip(missing, np.asarray(encode(self.model, missing), dtype=np.float32)))
        vectors = np.stack([known[t] for t in texts])
        added = []
        bank = self.bank
        for (token, _), vector in zip(words, vectors):
            pool = bank.by_lang["zh" if english(token) else "en"]
            if not len(pool):
                continue
            cos = bank.vectors[pool] @ vector
            order = np.argsort(-cos)[: s.k]
            near = [(bank.terms[pool[i]], float(cos[i])) for i in order if cos[i] >= s.threshold]
            if not near:
                continue
            self.last_bridges.append((token, near))
            group = (s.weight * near[0][1] / math.sqrt(len(near)), tuple((t,) for t, _ in near), (token,))
            added.append(group)
        self._mine = set(added)
        return added

    def in_dictionary(self, token: str) -> bool:
        """CC-CEDICT has an entry for the word (whether or not the corpus holds its translation)."""
        if english(token):
            return bool(self.dictionary.chinese((token,)))
        return bool(self.dictionary.english(token))

    # The hook the installed retriever's search() uses.
    def _build_query(self, index, glossary, dictionary, question):  # type: ignore[override]
        groups = retrieval.Retriever._build_query(index, glossary, dictionary, question)
        return groups + self.bridge(question, groups)

    def _on_topic(self, index, query, dense, lexical) -> bool:  # type: ignore[override]
        if self.setting is None or self.setting.gate or not self._mine:
            return super()._on_topic(index, query, dense, lexical)
        base = [g for g in query if g not in self._mine]
        return super()._on_topic(index, base, dense, self._lexical(index, base))

    def gate(self, question: str) -> tuple[float, tuple[float, float, float]]:
        """The gate's score and features (cosine, BM25 / rarest idf, coverage) as search sees them."""
        index = self.index
        query = self._build_query(index, self.glossary, self.dictionary, question)
        if self.setting is not None and not self.setting.gate:
            query = [g for g in query if g not in self._mine]
        features = retrieval.gate_features(
            index, query, self._dense(index, question), self._lexical(index, query), self.frequency.rarity
        )
        return retrieval.gate_score(features), features

    def _dense(self, index, question):  # type: ignore[override]
        if not self.memo:
            return super()._dense(index, question)
        if question not in self._dense_memo:
            self._dense_memo[question] = super()._dense(index, question)
        return self._dense_memo[question]


# -- scoring -------------------------------------------------------------------
def open_retriever(name: str, model: Any, dictionary: Any) -> BridgedRetriever:
    corpus, data = INDEXES[name]
    settings = Settings(corpus_dir=corpus, data_dir=data)
    return BridgedRetriever(settings, model, load_glossary(corpus), dictionary)


def score(r: BridgedRetriever, cases: list[dict[str, Any]], setting: Setting | None) -> dict[str, Any]:
    """hit@1/hit@5/MRR per mode (bot.cli.evaluate), off-topic questions refused, bridges made."""
    r.setting = setting
    out: dict[str, Any] = {}
    for mode in MODES:

        def search(q: str, k: int, mode: str = mode) -> list[dict[str, Any]]:
            return [h.public() for h in r.search(q, k, mode=mode)]

        out[mode] = evaluate(cases, search, K)
    oos = [c for c in cases if c["kind"] == "oos"]
    out["oos"] = (sum(1 for c in oos if not r.search(c["q"], K)), len(oos))
    bridged = 0
    for c in cases:
        if c["kind"] == "retrieval":
            r.search(c["q"], K)
            bridged += len(r.last_bridges)
    out["bridges"] = bridged / max(1, sum(c["kind"] == "retrieval" for c in cases))
    return out


def row(label: str, got: dict[str, Any]) -> str:
    cells = []
    for mode in MODES:
        s = got[mode]["summary"]
        cells.append(f"{s['hit@1']:.3f} {s[f'hit@{K}']:.3f} {s['mrr']:.3f}")
    refused, total = got["oos"]
    return f"  {label:36} | {' | '.join(cells)} | {refused}/{total:<3} | {got['bridges']:.2f}"


HEADER = f"  {'setting':36} | hybrid h@1 h@{K}  MRR | bm25   h@1 h@{K}  MRR | oos   | bridges/q"


def key(results: dict[str, dict[str, Any]]) -> tuple[float, ...]:
    """The selection criterion on dev + crosslingual: hybrid hit@5, then hybrid MRR, then bm25
    hit@5 (summed over the two sets)."""

    def total(mode: str, metric: str) -> float:
        return sum(results[name][mode]["summary"][metric] for name in results)

    return (total("hybrid", f"hit@{K}"), total("hybrid", "mrr"), total("bm25", f"hit@{K}"))


def choose(baseline: dict[str, dict[str, Any]], grid: dict[Setting, dict[str, dict[str, Any]]]) -> Setting:
    """The best setting by :func:`key` among those refusing at least as many off-topic dev
    questions as no bridging does."""
    floor = baseline["dev"]["oos"][0]
    allowed = [s for s, res in grid.items() if res["dev"]["oos"][0] >= floor] or list(grid)
    return max(allowed, key=lambda s: key(grid[s]))


def ranks(got: dict[str, Any], mode: str = "hybrid") -> dict[str, int | None]:
    return {c["id"]: c["hit_rank"] for c in got[mode]["cases"] if c["kind"] == "retrieval"}


def changes(
    r: BridgedRetriever,
    setting: Setting,
    before: dict[str, Any],
    after: dict[str, Any],
    cases: list[dict[str, Any]],
) -> list[str]:
    """Questions whose hybrid rank (or, off-topic, whose refusal) the setting changed, with the
    gate's score and features (cosine, BM25 / rarest idf, coverage) before -> after."""
    a, b = ranks(before), ranks(after)
    refused = {c["id"]: not c["hits"] for c in before["hybrid"]["cases"]}
    out = []
    for case in cases:
        cid = case["id"]
        if case["kind"] == "retrieval" and a[cid] != b[cid]:
            what = f"rank {a[cid]} -> {b[cid]}" + (" (gate refused it before)" if refused[cid] else "")
        elif case["kind"] == "oos":
            r.setting = None
            was = not r.search(case["q"], K)
            r.setting = setting
            if was == (not r.search(case["q"], K)):
                continue
            what = "off-topic, refused -> answered" if was else "off-topic, answered -> refused"
        else:
            continue
        r.setting = None
        g0, f0 = r.gate(case["q"])
        r.setting = setting
        g1, f1 = r.gate(case["q"])
        feats = " ".join(f"{x:.2f}" for x in f0) + " -> " + " ".join(f"{x:.2f}" for x in f1)
        out.append(f"    {cid}: {what}; gate {g0:.2f} -> {g1:.2f} ({feats})  {case['q'][:60]}")
    r.setting = None
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[int(p * (len(values) - 1))]


def latency(r: BridgedRetriever, cases: list[dict[str, Any]], setting: Setting, reps: int = 7) -> list[str]:
    """Added ms per question, nothing memoised: the whole search with and without bridging,
    interleaved question by question so machine noise hits both alike, and the bridge step
    alone; the fastest of ``reps`` runs per question (the machine is shared, so slower runs
    measure the neighbours)."""
    questions = [c["q"] for c in cases if c["kind"] in ("retrieval", "oos")]
    r.memo = False
    for q in questions[:5]:
        r.search(q)
    plain: dict[str, list[float]] = defaultdict(list)
    bridged: dict[str, list[float]] = defaultdict(list)
    step: dict[str, list[float]] = defaultdict(list)
    encoded: list[int] = []
    for _ in range(reps):
        for q in questions:
            r.setting = None
            t = time.perf_counter()
            r.search(q)
            plain[q].append(time.perf_counter() - t)
            r.setting = setting
            t = time.perf_counter()
            r.search(q)
            bridged[q].append(time.perf_counter() - t)
            groups = retrieval.Retriever._build_query(r.index, r.glossary, r.dictionary, q)
            t = time.perf_counter()
            r.bridge(q, groups)
            step[q].append(time.perf_counter() - t)
            encoded.append(r.last_encoded)
    r.memo = True
    r.setting = None
    med = {q: (min(plain[q]), min(bridged[q]), min(step[q])) for q in questions}
    added = [1000 * (b - p) for p, b, _ in med.values()]
    steps = [1000 * s for _, _, s in med.values()]
    base = [1000 * p for p, _, _ in med.values()]
    with_encode = sum(1 for n in encoded if n) / len(encoded)
    return [
        f"  {len(questions)} dev questions x {reps}, fastest run per question; {setting.label()}",
        f"  search without bridging: p50 {statistics.median(base):.1f} ms  p95 {percentile(base, 0.95):.1f} ms",
        f"  bridge step alone (select words, one encode, neighbours): mean {statistics.mean(steps):.1f} ms  "
        f"p50 {statistics.median(steps):.1f} ms  p95 {percentile(steps, 0.95):.1f} ms",
        f"  added to the whole search: mean {statistics.mean(added):.1f} ms  p50 {statistics.median(added):.1f} ms  "
        f"p95 {percentile(added, 0.95):.1f} ms",
        f"  words embedded per question: mean {statistics.mean(encoded):.2f}; questions needing an encode: "
        f"{with_encode:.0%}",
    ]


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def main() -> None:
    emit: Callable[[str], None] = print
    emit(__doc__.split("\n\n")[0])
    emit(
        f"retrieval.py {fingerprint(ROOT / 'bot/kb/retrieval.py')}  dictionary.py "
        f"{fingerprint(ROOT / 'bot/kb/dictionary.py')}  tokens.py {fingerprint(ROOT / 'bot/kb/tokens.py')} "
        "(sha256 prefixes of the files this ran against)"
    )
    model = load_model()
    dictionary = load_dictionary(ROOT / "data" / "cache")
    dev_sets = {
        "dev": ("default", ROOT / "eval/dev.jsonl"),
        "crosslingual": ("zh-only", ROOT / "eval/crosslingual.jsonl"),
    }
    retrievers = {name: open_retriever(name, model, dictionary) for name in INDEXES}
    emit("")
    emit("Term banks (the ingest side):")
    for name, r in retrievers.items():
        emit(f"  {name:8} {r.size} chunks: {r.bank.describe()}")

    cases = {name: load_cases(path) for name, (_, path) in dev_sets.items()}
    baseline = {name: score(retrievers[ix], cases[name], None) for name, (ix, _) in dev_sets.items()}
    grid = {}
    for setting in GRID:
        grid[setting] = {
            name: score(retrievers[ix], cases[name], setting) for name, (ix, _) in dev_sets.items()
        }
    for name in dev_sets:
        emit("")
        emit(f"== {name} ({dev_sets[name][1].relative_to(ROOT)}, index {dev_sets[name][0]})")
        emit(HEADER)
        emit(row("none (glossary + CC-CEDICT only)", baseline[name]))
        for setting in GRID:
            emit(row(setting.label(), grid[setting][name]))

    chosen = choose(baseline, grid)
    emit("")
    emit(
        "Selection (dev + crosslingual only): hybrid hit@5 summed, then hybrid MRR, then bm25 hit@5; "
        "dev off-topic refusals must not fall."
    )
    emit(f"  none:   {tuple(round(x, 4) for x in key(baseline))}")
    emit(f"  chosen: {chosen.label()}  {tuple(round(x, 4) for x in key(grid[chosen]))}")
    helps = key(grid[chosen]) > key(baseline)
    emit(f"  better than none on dev + crosslingual: {'yes' if helps else 'no'}")
    blind = Setting(chosen.k, chosen.threshold, chosen.weight, False, chosen.scope)
    emit(
        f"  the same setting with the gate blind to the bridges (their BM25 ranking only): "
        f"{tuple(round(x, 4) for x in key(grid[blind]))}"
    )
    for name in dev_sets:
        moved = changes(
            retrievers[dev_sets[name][0]], chosen, baseline[name], grid[chosen][name], cases[name]
        )
        emit(f"  {name}: {len(moved)} questions changed (hybrid)")
        for line in moved:
            emit(line)

    emit("")
    emit("Control (not used for choosing): no bridging, the gate threshold lowered instead")
    for name, (ix, _) in dev_sets.items():
        emit(f"== {name}")
        emit(HEADER)
        r = retrievers[ix]
        default = r.settings
        for threshold in (0.30, 0.25, 0.20, 0.15, 0.10):
            r.settings = default.model_copy(update={"gate_threshold": threshold})
            emit(row(f"none, GATE_THRESHOLD {threshold:.2f}", score(r, cases[name], None)))
        r.settings = default

    emit("")
    emit("Bridges the chosen setting makes on eval/crosslingual.jsonl (token -> corpus terms, cosine):")
    r = retrievers["zh-only"]
    r.setting = chosen
    shown = 0
    for case in cases["crosslingual"]:
        r.search(case["q"], K)
        if r.last_bridges and shown < 20:
            shown += 1
            pairs = "; ".join(
                f"{t} -> " + ", ".join(f"{u} {c:.2f}" for u, c in near) for t, near in r.last_bridges
            )
            emit(f"  {case['id']}: {pairs}")
    r.setting = None

    emit("")
    emit("Held-out questions (eval/generalization/questions.jsonl), scored once: chosen setting vs none")
    held = load_cases(ROOT / "eval/generalization/questions.jsonl")
    for name in ("alone", "mixed"):
        r = retrievers[name]
        got = {"none": score(r, held, None), "chosen": score(r, held, chosen)}
        emit(f"== {name} (index {INDEXES[name][1]})")
        emit(
            f"  {'pair':8} {'n':>3} | none: hybrid h@1 h@{K} MRR | bm25 h@1 h@{K} MRR || chosen: hybrid | bm25"
        )
        pairs = sorted(got["none"]["hybrid"]["summary"]["by_lang"])
        for pair in [*pairs, "all"]:
            cells = []
            for label in ("none", "chosen"):
                for mode in MODES:
                    s = got[label][mode]["summary"]
                    m = s if pair == "all" else s["by_lang"][pair]
                    cells.append(f"{m['hit@1']:.3f} {m[f'hit@{K}']:.3f} {m['mrr']:.3f}")
            summary = got["none"]["hybrid"]["summary"]
            n = summary["n"] if pair == "all" else summary["by_lang"][pair]["n"]
            emit(f"  {pair:8} {n:>3} | {cells[0]} | {cells[1]} || {cells[2]} | {cells[3]}")
        emit(
            f"  off-topic refused: none {got['none']['oos'][0]}/{got['none']['oos'][1]}, "
            f"chosen {got['chosen']['oos'][0]}/{got['chosen']['oos'][1]}; bridges per question {got['chosen']['bridges']:.2f}"
        )
        for line in changes(r, chosen, got["none"], got["chosen"], held):
            emit(line)

    emit("")
    emit("Latency (default index, no memo):")
    for line in latency(retrievers["default"], cases["dev"], chosen):
        emit(line)


if __name__ == "__main__":
    main()
