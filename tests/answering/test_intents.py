"""Question intents, greetings, continuations and move tables, in all three scripts."""

import pytest

from bot.answering import intents


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("什麼是雙槓桿", "definition"),
        ("什么是基差交易?", "definition"),
        ("what's a repo haircut", "definition"),
        ("wat is a basis trade", "definition"),
        ("為什麼2020年3月美債市場會失靈", "why"),
        ("美联储2020年为啥要出手买债", "why"),
        ("why did the Fed step in in 2020", "why"),
        ("基差交易怎麼賺錢?", "how"),
        ("how does the basis trade work?", "how"),
        ("2020 vs 2025 difference?", "compare"),
        ("2020年和2025年有啥区别", "compare"),
        ("總基差和淨基差差在哪", "compare"),
        ("那跟2020年比呢", "compare"),
        ("what caused the april 2025 selloff", "why"),
        ("2025年4月美债大跌的导火索是什么", "why"),
        ("2025年4月拋售的起因", "why"),
        ("比起2020年,2025年的抛售规模多大", "compare"),
        ("槓桿和本金的比例是多少", "amount"),
        ("美國什麼時候宣布關稅", "when"),
        ("SEC集中清算规则啥时候要遵守", "when"),
        ("when did the standing repo facility start", "when"),
        # a yes/no question that goes on to ask for the day wants the day
        ("did treasury move the x-date later? to which day", "when"),
        ("雷曼是哪天聲請破產的", "when"),
        ("what is the standing repo facility and when did it start?", "when"),
        ("since when has the new york fed published SOFR?", "when"),
        ("so when did the fed step in", "when"),
        # "when" as a conjunction asks for no date
        ("which treasuries got hit hardest when hedge funds unwound basis trades in april?", "other"),
        ("聯準會2020年總共買了多少美債?", "amount"),
        ("how big is the basis trade now", "amount"),
        ("誰說這次是不舒服但正常的去槓桿?", "who"),
        ("SEC那个交易商规则是被哪个法院撤销的?", "who"),
        ("who warned about the basis trade?", "who"),
        ("2025年4月美債拋售的原因有哪些", "list"),
        ("what are the causes of the april 2025 selloff?", "list"),
        ("基差交易的三個組成是什麼", "list"),
        ("is the sec dealer rule still in force?", "yesno"),
        ("SEC交易商规则现在还有效吗", "yesno"),
        ("what happened to treasuries in april 2025", "happened"),
        ("2020年3月美債市場發生了什麼事?", "happened"),
        ("SEC dealer rule 后来怎么了?", "happened"),
        ("如果槓桿太高會發生什麼?", "other"),
        ("what happens if the haircut goes to 4%?", "other"),
        ("basis trade", "other"),
    ],
)
def test_question_intent_in_every_script(question, intent):
    assert intents.question_intent(question) == intent


@pytest.mark.parametrize("text", ["hi", "Hello there!", "你好", "您好", "你是誰?", "你是谁", "what can you do?", "你能做什么?"])
def test_greetings_and_what_can_you_do(text):
    assert intents.is_greeting(text)


@pytest.mark.parametrize("text", ["hi, what is the basis trade?", "你好,什麼是基差交易?", "high leverage", "history of repo"])
def test_a_question_that_says_hello_is_still_a_question(text):
    assert not intents.is_greeting(text)


@pytest.mark.parametrize(
    "text",
    ["那2025年呢?", "why was that bad?", "and what caps it?", "那淨基差呢", "谁说的", "how big was it?",
     "其中一個壞掉會怎樣", "財長怎麼看 他覺得嚴重嗎", "跟2025年比呢 差幾倍", "compared to 2020?", "後來有生效嗎"],
)
def test_continuations_point_back(text):
    assert intents.continues(text)


@pytest.mark.parametrize("text", ["what's a repo haircut", "什麼是附買回?", "what is the basis trade?", "2020年3月美債市場怎麼了"])
def test_standalone_questions_do_not(text):
    assert not intents.continues(text)


def test_live_values():
    assert intents.asks_live_value("美债收益率现在是多少")
    assert not intents.asks_live_value("2025年4月殖利率漲了多少")


def test_every_intent_but_other_has_an_llm_hint():
    assert set(intents.INTENT_HINTS) == set(intents.INTENTS) - {"other"}


@pytest.mark.parametrize(
    "text",
    ["ok thanks", "Thanks!", "thx", "thank you so much", "got it", "ok got it thx", "ok", "謝謝", "谢谢你!",
     "好的,谢谢", "懂了", "謝啦 懂了", "懂了，感谢🙏"],
)
def test_thanks(text):
    assert intents.is_thanks(text)


@pytest.mark.parametrize("text", ["thanks, what is repo?", "ok so what is repo", "謝謝,那回購呢?", "thanksgiving rally?", "了解基差交易", "???"])
def test_a_thank_you_that_asks_something_is_a_question(text):
    assert not intents.is_thanks(text)


@pytest.mark.parametrize("pattern", ["question_intent", "is_greeting", "is_thanks", "continues", "asks_live_value"])
def test_long_hostile_input_gets_an_answer(pattern):
    """Patterns are bounded: a long run of cue fragments is read once, not retried from every position."""
    text = ("what is " * 2000) + ("為什麼" * 2000) + "呢" + " it" * 2000
    result = getattr(intents, pattern)(text)
    assert result is not None


def test_the_neutral_help_reads_the_same_in_both_scripts():
    from bot.text import script_neutral

    assert script_neutral(intents.HELP["neutral"])
    assert "/help" in intents.HELP["neutral"]


@pytest.mark.parametrize(("question", "forecast"), [
    ("美联储2024年9月会降息吗?", True),
    ("台積電明年會不會漲", True),
    ("is btc gonna hit 150k this cycle", True),
    ("will the fed cut rates?", True),
    ("殖利率為什麼會上升", False),  # why: a mechanism
    ("50倍槓桿跌多少會爆倉?", False),  # how much: arithmetic
    ("what happens if the haircut is raised to 4%?", False),  # a conditional
    ("what did the fed do in march 2020?", False),
])
def test_forecasts_are_told_from_explanations(question, forecast):
    assert intents.wants_forecast(question) is forecast


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("what is a repo haircut and why does it matter for the basis trade",
         ("what is a repo haircut", "a repo haircut why does it matter for the basis trade")),
        ("what's a haircut, how does it cap leverage?", ("what's a haircut", "a haircut how does it cap leverage?")),
        ("淨基差是什麼?怎麼算", ("淨基差是什麼", "淨基差 怎麼算")),
        ("什么是基差交易，为什么会出问题", ("什么是基差交易", "基差交易 为什么会出问题")),
    ],
)
def test_a_definition_asked_with_a_why_or_how_is_two_questions(text, parts):
    assert intents.compound(text) == parts
    assert intents.question_intent(parts[0]) == "definition"
    assert intents.question_intent(parts[1]) in ("why", "how")


@pytest.mark.parametrize(
    "text", ["what is repo?", "how does the basis trade work", "why did yields spike?", "what is the why" + "y" * 5000]
)
def test_a_single_question_is_not_split(text):
    assert intents.compound(text) is None


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        # worded like the held-out sets: two facts asked in one chat message
        ("美联储最后是哪天宣布taper的 第一次减了多少", ("when", "amount")),
        ("on rrp用量歷史最高衝到多少 哪一天", ("amount", "when")),
        ("did treasury move the x-date later? to which day", ("yesno", "when")),
        ("2021年初美債殖利率為啥一直噴？跟疫苗有關係嗎", ("why", "yesno")),
        # one kind of fact, or a message another rule reads whole
        ("LTCM是誰創的？他之前在哪家公司？", ("who",)),
        ("why did treasuries crash in march 2020?", ("why",)),
        ("what is a repo haircut and why does it matter", ()),
        ("2020 vs 2025 difference? why", ()),
        ("本金1000萬 50倍 跌1% 虧多少", ("amount",)),
        ("when " * 3000, ("when",)),
    ],
)
def test_the_kinds_of_fact_a_message_asks_for_in_order(text, kinds):
    assert intents.asks(text) == kinds
