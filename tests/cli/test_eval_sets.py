"""The held-out sets `make eval-generalization` reads: documents that load like corpus documents,
questions whose expected passage text is in their documents, labels the report groups by."""

import json

import pytest

from bot.settings import ROOT
from ingest.loaders import load

SETS = ("generalization", "generalization-b", "generalization-c", "generalization-d", "generalization-e")
PAIRS = {"en>zh", "zh>en", "zh>zh", "en>en"}


@pytest.mark.parametrize("name", SETS)
def test_held_out_set_is_well_formed(name):
    folder = ROOT / "eval" / name
    docs = [load(path, folder / "docs") for path in sorted((folder / "docs").glob("*.md"))]
    assert docs and all(doc.meta["license"] and doc.meta["source"] for doc in docs)
    texts = [(doc.meta["lang"], "\n".join(block.text for block in doc.blocks)) for doc in docs]
    cases = [json.loads(line) for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        if case["kind"] == "oos":
            assert case["lang"] in ("en", "zh-Hant", "zh-Hans"), case["id"]
            continue
        assert case["lang"] in PAIRS, case["id"]
        # the passage a question is scored by exists, in the language its label says
        holders = {lang[:2] for lang, text in texts for expected in case["expect_any"] if expected in text}
        assert holders == {case["lang"].split(">")[1]}, case["id"]
