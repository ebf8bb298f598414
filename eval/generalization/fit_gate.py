"""Fit the retrieval gate (bot.kb.retrieval.GATE) on labelled sets; print its calibration.

    CORPUS/DATA pairs must be ingested first (as `make eval`, `make eval-crosslingual` and
    `make eval-generalization` do); the shipped GATE was fitted on:
    PYTHONPATH=. .venv/bin/python eval/generalization/fit_gate.py corpus:data eval/dev.jsonl \
        data/zh-corpus:data/zh-index eval/crosslingual.jsonl \
        data/generalization-alone:data/generalization-alone-index eval/generalization/questions.jsonl \
        data/generalization-mixed:data/generalization-mixed-index eval/generalization/questions.jsonl \
        data/generalization-b-alone:data/generalization-b-alone-index eval/generalization-b/questions.jsonl \
        data/generalization-b-mixed:data/generalization-b-mixed-index eval/generalization-b/questions.jsonl

Positives are the retrieval questions, negatives the out-of-scope ones, except those the engine
declines before retrieval (live prices: bot.answering.intents).  Held-out set C
(eval/generalization-c) is never read here: it stays held out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from bot.answering.intents import asks_live_value, wants_live_data
from bot.cli.evaluate import load_cases
from bot.kb import retrieval
from bot.kb.embeddings import load_model
from bot.kb.glossary import load as load_glossary
from bot.settings import Settings


def features(pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    model = load_model()
    rows, labels = [], []
    for dirs, cases_file in pairs:
        corpus, data = dirs.split(":")
        settings = Settings(corpus_dir=Path(corpus), data_dir=Path(data))
        r = retrieval.Retriever(settings, model, load_glossary(Path(corpus)))
        for case in load_cases(Path(cases_file)):
            q = case["q"]
            if case["kind"] not in ("retrieval", "oos") or wants_live_data(q) or asks_live_value(q):
                continue
            index = r.index
            query = r._build_query(index, r.glossary, r.dictionary, q)
            rows.append(retrieval.gate_features(index, query, r._dense(index, q), r._lexical(index, query), r.frequency.rarity))
            labels.append(case["kind"] == "retrieval")
    return np.array(rows), np.array(labels)


def main(argv: list[str]) -> None:
    x, y = features(list(zip(argv[0::2], argv[1::2])))
    print(f"{int(y.sum())} in-scope, {int((~y).sum())} off-topic questions")
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    scores = {}
    for c in (0.3, 1, 3, 10, 30, 100):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=1000)
        scores[c] = cross_val_score(model, x, y, cv=cv, scoring="neg_log_loss").mean()
        print(f"  C={c:<5} cross-validated log loss {-scores[c]:.4f}")
    best = max(scores, key=scores.get)
    model = LogisticRegression(C=best, class_weight="balanced", max_iter=1000).fit(x, y)
    p = model.predict_proba(x)[:, 1]
    print(f"C={best}: GATE = {(*model.coef_[0].round(3), round(float(model.intercept_[0]), 3))}")
    print("off-topic p, highest first:", np.sort(p[~y])[::-1].round(3))
    print("in-scope p, lowest first:  ", np.sort(p[y])[:10].round(3))
    t = Settings().gate_threshold
    print(f"at threshold {t}: in-scope kept {(p[y] >= t).mean():.3f}, off-topic refused {(p[~y] < t).sum()}/{(~y).sum()}")
    for lo in np.arange(0, 1, 0.2):
        sel = (p >= lo) & (p < lo + 0.2 + (lo >= 0.8))
        if sel.any():
            print(f"  p in [{lo:.1f},{lo + 0.2:.1f}): n={sel.sum():3d}  mean p {p[sel].mean():.2f}  in-scope share {y[sel].mean():.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
