"""The quiz generator on the real index: deterministic, in the member's script, and checked.

Each check is shown to fail on a question broken in exactly the way it guards against, so a
check that passes everything would fail here.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re

import pytest

from bot.answering import quiz
from bot.answering.quiz import CHECKS, TOPICS, QuizBank, check
from bot.calc import formulas
from bot.calc.prices import parse_32nds
from bot.text import fold, to_simplified


@pytest.fixture(scope="module")
def bank(engine) -> QuizBank:
    return QuizBank.from_engine(engine)


@pytest.fixture(scope="module")
def mixed(bank) -> list[quiz.Question]:
    return bank.generate(120, seed=11)


def first(questions, kind):
    return next(q for q in questions if q.kind == kind)


def test_same_seed_same_questions(bank) -> None:
    one = [q.public() for q in bank.generate(20, seed=5, lang="zh-Hant")]
    two = [q.public() for q in bank.generate(20, seed=5, lang="zh-Hant")]
    other = [q.public() for q in bank.generate(20, seed=6, lang="zh-Hant")]
    assert one == two and len(one) == 20
    assert one != other


def test_every_question_passes_the_checks_and_has_four_distinct_choices(bank, mixed) -> None:
    assert len(mixed) == 120
    for question in mixed:
        assert check(question, bank) == []
        assert len(question.choices) == 4 and len({fold(c) for c in question.choices}) == 4
        assert 0 <= question.answer < 4 and question.explanation and question.source
    assert len({q.prompt for q in mixed}) == len(mixed)  # no repeats within a quiz
    assert {q.kind for q in mixed} == {k for kinds in TOPICS.values() for k in kinds}
    assert {q.lang for q in mixed} == {"zh-Hant", "zh-Hans", "en"}


def test_questions_are_in_the_members_script(bank) -> None:
    for question in bank.generate(30, seed=2, lang="zh-Hans"):
        for text in (question.prompt, *question.choices, question.explanation):
            assert to_simplified(text) == text, text
    for question in bank.generate(30, seed=2, lang="en"):
        assert question.kind not in ("term_meaning", "meaning_term")  # the notes are Chinese only
        if question.kind not in TOPICS["terms"]:  # the terms kinds show the Chinese being asked about
            assert not re.search(r"[\u4e00-\u9fff]", question.prompt), question.prompt


def test_topics_limit_the_kinds(bank) -> None:
    for topic, kinds in TOPICS.items():
        assert {q.kind for q in bank.generate(12, seed=3, lang="zh-Hant", topic=topic)} <= set(kinds)


def test_glossary_distractors_are_terms_of_the_same_kind(bank, mixed) -> None:
    for question in mixed:
        if question.kind in TOPICS["terms"]:
            kind = quiz.term_kind(question.basis["term"])
            assert {quiz.term_kind(t) for t in question.basis["others"]} == {kind}
    english = {t.english[0] for t in bank.terms}
    assert set(quiz.TERM_KINDS) <= english  # no stale or misspelt key


def test_fact_answer_fills_a_sentence_of_the_index_and_cites_it(bank, engine, mixed) -> None:
    facts = [q for q in mixed if q.kind == "fact"]
    assert facts
    titles = {meta["title"] for meta in engine.retriever.index.metas}
    for question in facts:
        sentence = question.basis["sentence"]
        assert quiz.BLANK in question.prompt
        assert fold(sentence.text) in fold(question.prompt.replace(quiz.BLANK, question.answer_text))
        assert fold(question.explanation) == fold(sentence.text)
        assert any(title and question.source.startswith(to_simplified(title) if question.lang == "zh-Hans" else title)
                   for title in titles)


def test_numbers_come_from_the_calculator(bank) -> None:
    questions = bank.generate(40, seed=4, lang="en", topic="numbers")
    for question in questions:
        args = question.basis["args"]
        value = float(re.sub(r"[^0-9.]", "", question.answer_text.split()[0].replace(",", "")))
        if question.kind == "wipeout":
            assert math.isclose(value, round(formulas.wipeout_move(**args).value, 2))
        elif question.kind == "haircut":
            assert math.isclose(value, round(formulas.leverage_from_haircut(**args).value, 2))
        elif question.kind == "price32":
            assert math.isclose(value, round(parse_32nds(args["text"]), 6))
            assert args["text"] in question.prompt
    assert {q.kind for q in questions} == set(TOPICS["numbers"])


# ------------------------------------------------------------------ each check can fail


def test_answer_once_rejects_a_repeated_choice(bank, mixed) -> None:
    question = first(mixed, "wipeout")
    wrong = next(i for i in range(4) if i != question.answer)
    keys = list(question.keys)
    keys[wrong] = keys[question.answer]
    choices = list(question.choices)
    choices[wrong] = question.answer_text
    broken = dataclasses.replace(question, keys=tuple(keys), choices=tuple(choices))
    assert "answer_once" in check(broken, bank)


def test_distractor_true_rejects_a_term_whose_note_also_fits(bank) -> None:
    secretary = bank.glossary.define("Treasury Secretary")
    bessent = bank.glossary.define("Scott Bessent")
    rng = random.Random(0)
    question = bank.propose("meaning_term", "zh-Hant", rng)
    others = [*question.basis["others"][:2], bessent]
    broken = dataclasses.replace(question, basis={"term": secretary, "others": others})
    assert "distractor_true" in check(broken, bank)
    # The same row with unrelated distractors passes that check.
    unrelated = [bank.glossary.define(name) for name in ("haircut", "futures", "tariff")]
    fine = dataclasses.replace(question, basis={"term": secretary, "others": unrelated})
    assert "distractor_true" not in check(fine, bank)


def test_distractor_true_rejects_a_value_the_sentence_also_states(bank) -> None:
    for sentence, value in bank.clozes:
        others = [v for v in bank.values[id(sentence)] if v.kind == value.kind and v.key != value.key]
        if others:
            break
    else:
        pytest.fail("no sentence with two values of one kind")
    rng = random.Random(1)
    made = bank.propose("fact", "en" if sentence.lang == "en" else "zh-Hant", rng)
    stem = sentence.text[: value.start] + quiz.BLANK + sentence.text[value.end :]
    keys = (value.key, others[0].key, "date:1999-01", "date:1998-02")
    broken = dataclasses.replace(
        made, keys=keys, answer=0, choices=(value.text(sentence.text), "x", "y", "z"),
        basis={"sentence": sentence, "value": value, "stem": stem},
    )
    assert "distractor_true" in check(broken, bank)


def test_unsupported_rejects_an_answer_the_source_does_not_give(bank, mixed) -> None:
    for kind in ("fact", "term_meaning", "haircut", "price32"):
        question = first(mixed, kind)
        wrong = (question.answer + 1) % 4
        moved = dataclasses.replace(question, answer=wrong)
        assert "unsupported" in check(moved, bank), kind
    fact = first(mixed, "fact")
    edited = dataclasses.replace(fact, basis={**fact.basis, "stem": fact.basis["stem"] + " (edited)"})
    assert "unsupported" in check(edited, bank)


def test_distractor_true_rejects_a_number_too_close_to_the_truth(bank, mixed) -> None:
    question = first(mixed, "haircut")
    truth = float(question.keys[question.answer].split(":")[1])
    wrong = next(i for i in range(4) if i != question.answer)
    keys = list(question.keys)
    keys[wrong] = f"haircut:{truth * 1.001:.12g}"
    assert "distractor_true" in check(dataclasses.replace(question, keys=tuple(keys)), bank)


def test_measure_300(bank) -> None:
    """The figures the README quotes (printed with `python -m bot quiz -n 300 --seed 1 --stats`)."""
    report = bank.measure(300, seed=1)
    assert report["questions"] == 300
    assert report["langs"] == {"en": 100, "zh-Hans": 100, "zh-Hant": 100}
    assert set(report["rejected_by_check"]) == {*CHECKS, "repeat"}
    assert report["candidates"] == report["questions"] + report["rejected"]
    assert 0 < report["rejected_share"] < 0.6
    assert all(report["kinds"].get(k, 0) > 0 for kinds in TOPICS.values() for k in kinds)
