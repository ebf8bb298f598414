"""Follow-ups: a message that names its own topic stands alone, a continuation borrows the last turn."""

import pytest

from bot.answering import intents
from bot.answering.engine import conversation_turn
from bot.kb.glossary import load as load_glossary
from bot.settings import ROOT

GLOSSARY = load_glossary(ROOT / "corpus")


def turns(*questions: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for q in questions:
        out += [("user", q), ("assistant", "…")]
    return out


def test_first_message_is_its_own_question():
    assert conversation_turn("那2025年呢?", [], GLOSSARY) == ("那2025年呢?", False)


@pytest.mark.parametrize(
    ("previous", "follow_up"),
    [("什麼是基差交易?", "what's a repo haircut"), ("what is the basis trade?", "什麼是附買回?"),
     ("2020年3月美債市場怎麼了", "SEC的交易商規則現在還有效嗎?")],
)
def test_standalone_questions_borrow_nothing(previous, follow_up):
    assert conversation_turn(follow_up, turns(previous), GLOSSARY) == (follow_up, False)


def test_a_new_year_replaces_the_old_one():
    asked, continued = conversation_turn("那2025年呢?", turns("2020年3月美債市場發生什麼事?"), GLOSSARY)
    assert continued and "2025" in asked and "2020" not in asked and "美債市場" in asked


def test_a_new_term_replaces_the_old_one():
    asked, continued = conversation_turn("那淨基差呢", turns("總基差怎麼算?"), GLOSSARY)
    assert continued and "淨基差" in asked and "總基差" not in asked and "怎麼算" in asked


def test_a_chain_of_follow_ups_keeps_the_first_topic():
    history = turns("2025年4月美债怎么了", "为什么会这样?")
    asked, continued = conversation_turn("那跟2020年比呢", history, GLOSSARY)
    # both years, so the comparison has two sides; not the second turn's bare 为什么
    assert continued and "2020" in asked and "2025年4月美债" in asked and "为什么" not in asked
    asked, _ = conversation_turn("谁说的?", turns("2025年4月美债怎么了", "为什么会这样?", "那2020年呢?"), GLOSSARY)
    assert "2020年4月美债" in asked


def test_a_comparison_naming_one_side_takes_the_other_from_the_last_turn():
    asked, continued = conversation_turn("跟2025年比呢 差幾倍", turns("基差交易2020年高峰的時候大概多大"), GLOSSARY)
    assert continued and "2025" in asked and "2020年高峰" in asked


def test_a_two_digit_year_replaces_the_old_one():
    asked, continued = conversation_turn("那25年4月呢", turns("2020年3月美债怎么崩的"), GLOSSARY)
    assert continued and "2025年4月" in asked and "2020" not in asked


def test_a_follow_up_with_words_of_its_own_carries_them_on():
    # 前提 is what "其中一個" points at; the chain's first turn says what they are the premises of
    asked, _ = conversation_turn("其中一個壞掉會怎樣", turns("為什麼基差交易叫雙槓桿", "那它要靠哪三個前提"), GLOSSARY)
    assert "前提" in asked and "雙槓桿" in asked
    asked, continued = conversation_turn("是哪個法院判的 哪天", turns("SEC那個交易商規則是在幹嘛", "後來有生效嗎"), GLOSSARY)
    assert continued and "交易商規則" in asked


def test_a_new_term_in_english_is_said_in_english():
    asked, continued = conversation_turn("what about the net basis?", turns("what is the gross basis?"), GLOSSARY)
    assert continued and "net basis" in asked and "gross" not in asked and asked.startswith("what is")


@pytest.mark.parametrize(
    ("previous", "follow_up", "kept"),
    [("什麼是基差交易?", "how much leverage do these funds use?", "基差交易"),
     ("基差交易是什麼", "那它跟回購有什麼關係?", "基差交易")],
)
def test_a_follow_up_that_asks_something_of_its_own_keeps_both_terms(previous, follow_up, kept):
    # a term in a message that asks its own question is not a swap: "什麼是槓桿?" was asked instead
    asked, continued = conversation_turn(follow_up, turns(previous), GLOSSARY)
    assert continued and asked.startswith(follow_up) and kept in asked


@pytest.mark.parametrize("follow_up", ["why was that bad?", "and what caps it?", "who said that?"])
def test_pointing_back_borrows_the_topic(follow_up):
    asked, continued = conversation_turn(follow_up, turns("x", "what happened to treasuries in april 2025"), GLOSSARY)
    assert continued and asked.startswith(follow_up) and "april 2025" in asked


def test_engine_follow_ups_answer_the_right_topic(engine):
    answer = engine.ask("what's a repo haircut", turns("什麼是基差交易?"))
    assert answer.language == "en" and "implied repo rate" not in answer.answer.lower()
    assert "lend" in answer.answer.lower()

    answer = engine.ask("那2025年呢?", turns("2020年3月美債市場發生什麼事?"))
    assert answer.grounded and "2025" in answer.answer and "疫情蔓延" not in answer.answer

    answer = engine.ask("why was that bad?", turns("what happened to treasuries in april 2025"))
    assert answer.grounded

    # a calculation that only the last turn completes
    answer = engine.ask("那100倍呢?", turns("本金1000萬、50倍槓桿,部位多大?"))
    assert answer.tool_calls and answer.tool_calls[0].name == "position_size"
    assert answer.tool_calls[0].input == {"equity": 10_000_000.0, "leverage": 100.0}
    answer = engine.ask("so whats the max lev if its 5%", turns("what's a repo haircut?"))
    assert answer.tool_calls and answer.tool_calls[0].input == {"haircut": 0.05} and "20x" in answer.answer

    answer = engine.ask("ok thanks", turns("what is the basis trade?"))
    assert answer.answer == intents.THANKS["en"] and not answer.grounded and not answer.sources

    # the funds' leverage, not the definition of leverage (L = 部位 / 本金)
    answer = engine.ask("how much leverage do these funds use?", turns("什麼是基差交易?"))
    assert answer.language == "en" and "50 times" in answer.answer and "本金" not in answer.answer


def test_a_shared_character_follow_up_keeps_the_askers_script(engine):
    answer = engine.ask("那2025年呢?", turns("2020年3月美债市场发生了什么?"))
    assert answer.language == "zh-Hans"


def test_a_greeting_in_shared_characters_gets_the_help_both_scripts_read(engine):
    from bot.answering import intents

    assert engine.ask("你好啊").answer == intents.HELP["neutral"]
    assert engine.ask("你好,什麼是基差交易").answer != intents.HELP["neutral"]
    # after a Simplified turn, the script is known
    assert engine.ask("你好啊", turns("什么是基差交易?")).answer == intents.HELP["zh-Hans"]


@pytest.mark.parametrize("off_topic", ["明天会下雨吗", "給我講個笑話", "你喜歡吃什麼", "谁是美国总统"])
def test_an_off_topic_message_in_a_conversation_is_not_answered_with_the_last_topic(engine, off_topic):
    # it names no topic of ours and does not point back: it had borrowed the Fed question and
    # been answered with the Fed's 2020 purchases
    answer = engine.ask(off_topic, turns("美联储2020年3月怎么救市的"))
    assert not answer.grounded and not answer.sources
