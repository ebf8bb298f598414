"""Intent rules: what a message asks for, in all three scripts, and the fixed replies some intents get.

Kept apart from the answerers so the engine, the extractive answerer and the
calculator router read one definition of "asks for advice", "asks when"...
"""

from __future__ import annotations

import re

NO_LIVE_DATA = {
    "en": "I have no live market data (prices, yields, positions); I only know what the knowledge base says.",
    "zh-Hant": "我沒有即時市場資料(價格、殖利率、部位),只能回答知識庫裡的內容。",
    "zh-Hans": "我没有实时市场数据(价格、收益率、持仓),只能回答知识库里的内容。",
}
NO_FORECAST = {
    "en": "I don't forecast markets, prices or policy moves; I can explain what the knowledge base says about "
          "the basis trade and the 2020 and 2025 Treasury-market stress.",
    "zh-Hant": "我不預測市場、價格或政策走向;可以說明知識庫裡關於基差交易與 2020、2025 年美債市場壓力的內容。",
    "zh-Hans": "我不预测市场、价格或政策走向;可以说明知识库里关于基差交易与 2020、2025 年美债市场压力的内容。",
}
DISCLAIMER = {
    "en": "Education only, not investment advice.",
    "zh-Hant": "僅供教育用途,並非投資建議。",
    "zh-Hans": "仅供教育用途,并非投资建议。",
}
_ADVICE = re.compile(
    r"\b(should i|shall i|do you recommend|is it a good (idea|time)|buy or sell|worth (buying|investing))\b"
    r"|該不該|应不应该|應不應該|要不要買|要不要买|值得買|值得买|推薦買|推荐买|建議買|建议买|可以買嗎|可以买吗|怎麼操作|怎么操作",
    re.IGNORECASE,
)
# "now ... price" on one line.  Each line is read once: from its start, the first cue word is
# found and committed to (atomic group), then the line is searched once for the second word;
# the old `\bcue\b.*\bprice` retried the whole rest of the line from every cue word (n²).
_LIVE = re.compile(
    r"^(?>[^\n]*?\b(?:right now|today'?s|current(?:ly)?|live|latest)\b)[^\n]*\b(?:price|yield|rate|quote|level)s?\b"
    r"|^(?>[^\n]*?\b(?:price|yield|rate)s?\b)[^\n]*\b(?:right now|today|now)\b"
    r"|(?:現在|目前|今天|即時|实时|最新)[^。?？]{0,12}(?:殖利率|收益率|價格|价格|報價|报价|利率)",
    re.IGNORECASE | re.MULTILINE,
)


# "Will the Fed cut?", "比特幣會漲嗎": a prediction, which no passage holds even when the corpus names
# the Fed and rate cuts.  Conditionals and why/how questions explain a mechanism and are answered.
_FORECAST = re.compile(
    r"\b(?:will|gonna|going to)\b[^?.!\n]{0,60}?\b(?:cut|hike|raise|lower|rise|fall|drop|go (?:up|down)|crash|rally"
    r"|hit|rebound|recover|spike)s?\b|\b(?:predict|forecast)\b"
    r"|(?:會|会|將|将|能)(?:不會|不会)?再?(?:降息|升息|加息|減息|减息|漲|涨|跌|崩|反彈|反弹|回升|上升|下跌|走高|走低|暴跌|大跌)"
    r"|預測|预测|走勢|走势",
    re.IGNORECASE,
)
_EXPLAINS = re.compile(
    r"\bif\b|\bwhy\b|\bhow\b|\bwhat happens\b|如果|若|假如|的話|的话|為什麼|为什么|為何|为何|怎麼會|怎么会|多少", re.IGNORECASE
)


def wants_forecast(question: str) -> bool:
    return bool(_FORECAST.search(question)) and not _EXPLAINS.search(question)


def wants_advice(question: str) -> bool:
    return bool(_ADVICE.search(question))


def wants_live_data(question: str) -> bool:
    return bool(_LIVE.search(question))


# A question that asks for an explanation as well as a number ("什麼是…? 50倍…").
_KNOWLEDGE_CUE = re.compile(
    r"什麼|什么|為什麼|为什么|為何|为何|如何運作|如何运作|解釋|解释|\bwhat is\b|\bwhat are\b|\bwhy\b|\bexplain\b|\bhow does\b",
    re.IGNORECASE,
)


def wants_knowledge(question: str) -> bool:
    """An explanation is asked for, even if the message also holds numbers to compute."""
    return bool(_KNOWLEDGE_CUE.search(question))


# ------------------------------------------------------------ question intent
# What kind of answer a question wants, in all three scripts.  Patterns are plain
# alternations with bounded gaps only (no nested or adjacent unbounded quantifiers).

INTENTS = ("compare", "list", "why", "who", "when", "amount", "happened", "yesno", "definition", "how", "other")

_INTENT_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("compare", re.compile(
        r"\bvs\.?(?!\w)|\bversus\b|\bcompar|\bdifferen|\bdiffer\b|區別|区别|不同|差別|差别|差在哪|差異|差异|比較|比较|對比|对比|相比"
        r"|(?:跟|和|與|与)[^，。,?？\s]{1,12}?比(?![例重率])|比起",
        re.IGNORECASE)),
    ("list", re.compile(
        r"\bwhat (?:are|were) (?:the )?(?:\w+ ){0,3}(?:causes|reasons|conditions|legs|parts|drivers|factors|risks)\b"
        r"|\b(?:list|name) (?:the|all)\b|\b(?:\d|two|three|four|five) (?:\w+ )?(?:reasons|causes|things|conditions|factors|legs)\b|有哪些|有哪幾|有哪几|哪些原因|哪三|哪四|哪幾個|哪几个|由哪|前提|組成|组成|原因是什麼|原因是什么",
        re.IGNORECASE)),
    ("why", re.compile(
        r"\bwhy\b|\bhow come\b|為什麼|为什么|為何|为何|為啥|为啥|怎麼會|怎么会|何以"
        # what set it off: "what caused the april 2025 selloff", "导火索是啥", "拋售的起因"
        r"|\bwhat (?:caused|triggered|sparked|set off|drove)\b|導火線|导火线|導火索|导火索|起因|誘因|诱因",
        re.IGNORECASE)),
    ("who", re.compile(r"\bwho\b|\bwhich (?:agenc|bod|institution|regulator|bank)|誰|谁|哪些機構|哪些机构|哪個機構|哪个机构|哪個法院|哪个法院|哪家|哪位", re.IGNORECASE)),
    ("when", re.compile(
        # "when" that asks, not the conjunction of "which bonds fell hardest when funds unwound"
        r"^\W*+(?:and |so |then |but )?when\b|\bwhen (?:did|does|do|is|was|were|are|will|has|have|had|would|could|can|should)\b"
        r"|\b(?:what|which) (?:year|date|month|day)\b|什麼時候|什么时候|啥時候|啥时候|何時|何时|哪一年|哪年"
        r"|哪一?天|哪一?日|哪一?個月|哪一?个月|幾月|几月|幾號|几号",
        re.IGNORECASE)),
    ("amount", re.compile(
        r"\bhow (?:much|many|big|large|high|far)\b|\bwhat (?:size|share|percentage)\b|多少|多大|多高|幾倍|几倍|規模|规模",
        re.IGNORECASE)),
    # "what happened in April 2025?": the events (what moved, by how much), not a "what is" and not
    # the hypothetical "what happens if…", which explains a mechanism.
    ("happened", re.compile(
        r"\bwhat (?:happened|went (?:on|wrong))\b|\bwhat was going on\b"
        r"|(?<![會会將将])發生(?:了)?(?:什麼|什么|甚麼|啥)|(?<![會会將将])发生(?:了)?(?:什么|啥)|出了?(?:什麼|什么)事|出了?啥事|怎麼了|怎么了",
        re.IGNORECASE)),
    ("yesno", re.compile(
        r"^\s*(?:is|are|was|were|did|does|do|can|could|has|have|will)\b|嗎\s*+[?？]?+\s*+$|吗\s*+[?？]?+\s*+$|有沒有|有没有|是不是|算不算|還有效|还有效",
        re.IGNORECASE)),
    ("definition", re.compile(
        r"\bwhat(?:'s| is| are|s)\b|\bwat is\b|\bdefine\b|\bdefinition\b|\bmeaning\b|\bmean\b|\bwhat does\b"
        r"|什麼是|什么是|是什麼|是什么|是啥|啥是|啥意思|什麼意思|什么意思|指的是|是指|什麼叫|什么叫|叫做什麼|咋算",
        re.IGNORECASE)),
    ("how", re.compile(r"\bhow (?:does|do|is|can|to|did|would)\b|怎麼|怎么|如何|咋|運作|运作", re.IGNORECASE)),
)


_INTENT_PATTERN = dict(_INTENT_RES)


def asks_when(question: str) -> bool:
    """A date is asked for, whatever the question's intent ("哪天宣布的 第一次减了多少")."""
    return bool(_INTENT_PATTERN["when"].search(question)) or "期限" in question


def asks_amount(question: str) -> bool:
    """A figure is asked for, whatever the question's intent."""
    return bool(_INTENT_PATTERN["amount"].search(question))


def cue_text(question: str, intent: str) -> str:
    """The words of ``question`` that carry ``intent``'s cue ("what went wrong", 發生什麼): they
    say what kind of answer is wanted, not what it is about."""
    pattern = _INTENT_PATTERN.get(intent)
    return " ".join(m.group() for m in pattern.finditer(question)) if pattern else ""


def question_intent(question: str) -> str:
    """The first intent (in INTENTS order) whose cue the question carries, else "other"."""
    for name, pattern in _INTENT_RES:
        if pattern.search(question):
            return name
    return "other"


_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|yo|hiya|good (?:morning|afternoon|evening)|嗨|哈囉|哈啰|你好|您好|早安|午安|晚安|安安)"
    r"(?: ?(?:there|bot|啊|呀|喔|~|!|！|[.,，。])){0,3}\s*$"
    r"|\bwho are you\b|\bwhat can you do\b|\bwhat do you do\b|\bwhat are you\b|^\s*+help\s*+[?？]?+\s*+$"
    r"|你是誰|你是谁|你能做什麼|你能做什么|你可以做什麼|你可以做什么|你會什麼|你会什么|能幹嘛|能干嘛",
    re.IGNORECASE,
)

HELP = {
    "en": "Hi! I answer questions about the US Treasury basis trade, the March 2020 and April 2025 "
    "Treasury-market stress and their regulation, with cited sources, and I do leverage arithmetic "
    "(\"10m equity at 50x, how big is the position?\", \"50x, drops of 0.5% 1% 2%\"). "
    "Commands: /define TERM, /leverage EQUITY LEVERAGE [haircut] [move], /sources, /help.",
    "zh-Hant": "你好!我回答美國公債基差交易、2020 年 3 月與 2025 年 4 月美債市場壓力及相關監管的問題,附上出處;"
    "也能做槓桿計算(「本金1000萬、50倍槓桿,部位多大?」「50倍 跌0.5% 1% 2%各虧多少」)。"
    "指令:/define 詞彙、/leverage 本金 槓桿 [折價率] [變動]、/sources、/help。",
    "zh-Hans": "你好!我回答美国国债基差交易、2020 年 3 月与 2025 年 4 月美债市场压力及相关监管的问题,附上出处;"
    "也能做杠杆计算(「本金1000万、50倍杠杆,仓位多大?」「50倍 跌0.5% 1% 2%各亏多少」)。"
    "指令:/define 词汇、/leverage 本金 杠杆 [折扣率] [变动]、/sources、/help。",
    # For a greeting in characters both scripts share ("你好啊"): text that reads the same in both.
    "neutral": "你好!可以用中文或英文提出基差交易 (basis trade)、2020 年 3 月和 2025 年 4 月 US Treasury 的疑惑,"
    "例如「基差交易是?」;也可以算 leverage:「本金 10,000,000 美元、50 倍,部位多大?」。"
    "指令:/define、/leverage、/sources、/help。",
}


def is_greeting(question: str) -> bool:
    """A hello or "who are you / what can you do": answered with a short help, not retrieval."""
    return bool(_GREETING.search(question))


#: A thank-you or an acknowledgement that asks nothing ("ok thanks", "謝啦 懂了", "懂了，感谢🙏"): a
#: search for it would quote whatever shares "ok".  A message is one when nothing but these words
#: and :data:`_ACK_FILLER` is in it.
_THANKS_WORDS = re.compile(
    r"謝謝|谢谢|謝啦|谢啦|謝了|谢了|感謝|感谢|多謝|多谢|懂了|了解|明白|收到"
    r"|\b(?:thanks|thank you|thank u|thx|tks|ty|cheers|got it|i see|makes sense|understood|appreciate it)\b",
    re.IGNORECASE,
)
_ACK_FILLER = re.compile(
    r"\b(?:ok|okay|k|cool|great|nice|perfect|alright|so|very|much|a lot|lol|man|bro|bot|again|all)\b"
    r"|[你您啦了喔哦囉啰呀啊嗯好的哈]|[^\w]|_",
    re.IGNORECASE,
)

_A_WORD = re.compile(r"[a-z\u4e00-\u9fff]", re.IGNORECASE)

THANKS = {
    "en": "You're welcome! Ask me anything else.",
    "zh-Hant": "不客氣!有問題隨時再問。",
    "zh-Hans": "不客气!有问题随时再问。",
}


def is_thanks(question: str) -> bool:
    """A thank-you that asks nothing: answered with a one-line reply, not retrieval."""
    # thank-you words and filler only, with a word among them ("ok", "好的"; not "???")
    return not _ACK_FILLER.sub("", _THANKS_WORDS.sub("", question)) and bool(_A_WORD.search(question))


# A message that continues the previous turn rather than naming its own topic.
_CONTINUATION = re.compile(
    r"^\s*(?:and|so|then|but|also|what about|how about|and what about|why was that|why is that|is that|was that)\b"
    r"|\b(?:that|this|it|they|them|those|these)\b(?!\s+(?:basis|trade|repo|haircut|fed|sec|rule))"
    r"|^\s*(?:那|那麼|那么|那它|它|這|这|還有|还有|所以|然後|然后|為什麼會這樣|为什么会这样)"
    r"|呢\s*+[?？]?+\s*+$|這樣|这样|那樣|那样|誰說的|谁说的|它的|這個|这个"
    # "其中一個壞掉會怎樣", "他覺得嚴重嗎" (not 其他), "30年期那邊", "後來有生效嗎", and a comparison
    # that names one side ("跟2025年比呢", "compared to 2020?")
    r"|其中|(?<!其)他們|(?<!其)他们|(?<!其)他|她|那邊|那边|後來|后来|^\s*(?:跟|和|與|与|比起)|^\s*(?:compared?|vs\.?|versus)\b",
    re.IGNORECASE,
)


def without_pointers(question: str) -> str:
    """The message with its pointing back taken out (what :func:`continues` reads)."""
    return _CONTINUATION.sub(" ", question)


def continues(question: str) -> bool:
    """The message points back ("那2025年呢?", "why was that bad?", "and what caps it?")."""
    return bool(_CONTINUATION.search(question))



#: What an LLM backend is told the question asks for (the same intent the offline answerer uses).
INTENT_HINTS = {
    "definition": "a definition, first sentence says what it is",
    "why": "the cause or reason",
    "how": "the mechanism, step by step",
    "compare": "a comparison, one fact for each side",
    "when": "a date",
    "amount": "a figure with its date and source",
    "who": "a person or institution",
    "list": "the whole list",
    "yesno": "a yes or no, then the reason",
    "happened": "the events: what moved, when and by how much",
}

# "殖利率現在多少?": the value named first, then "now" (the live rule above has them the other way).
_LIVE_AFTER = re.compile(
    r"(?:殖利率|收益率|價格|价格|報價|报价|利率)[^。?？\n]{0,6}(?:現在|现在|目前|今天|即時|即时|實時|实时|最新)"
)


def asks_live_value(question: str) -> bool:
    return bool(_LIVE_AFTER.search(question))


# "what is a repo haircut and why does it matter?", "淨基差是什麼?怎麼算": two questions in one
# message, a definition and a why/how about the same term.  Answered as one, the why cue won and
# the definition was lost.  Bounded gaps only; the term is at most 60 characters.
_WHY_OR_HOW = r"(?:why|how)\b|為什麼|为什么|為何|为何|為啥|为啥|怎麼|怎么|如何"
_JOIN_ZH = r"[?？,，。\s]++(?:那|又|還有|还有|以及)?"
_REST = rf"(?P<rest>(?:{_WHY_OR_HOW})[^\n]{{0,300}})$"
_COMPOUND = (
    re.compile(
        r"^\s*+(?P<definition>(?:so |and |ok )?(?:what(?:'s| is| are)|whats|wat is) (?P<term>[^?,;\n]{2,60}?))"
        rf"(?:\s*+[?,;]\s*+|\s++)(?:and |&\s*+|but |also )?{_REST}",
        re.IGNORECASE,
    ),
    re.compile(rf"^\s*+(?P<definition>(?:什麼是|什么是|啥是)(?P<term>[^?？,，。\s]{{1,30}}?)){_JOIN_ZH}{_REST}", re.IGNORECASE),
    re.compile(
        rf"^\s*+(?P<definition>(?P<term>[^?？,，。\s]{{1,30}}?)(?:到底)?(?:是什麼|是什么|是啥)){_JOIN_ZH}{_REST}",
        re.IGNORECASE,
    ),
)


# "美联储最后是哪天宣布taper的 第一次减了多少", "when did the boj go negative and how negative was it":
# the clauses of a chat message, each a question of its own.  Split at question marks, at "and" /
# "&" before a question word, and at a space between Chinese clauses.
_CLAUSE = re.compile(
    r"[?？]++|\s++(?:and|&)\s++(?=(?:when|how|what|who|why|which|did|was|is|were|does|do)\b)"
    r"|(?<=[\u3400-\u9fff])\s++(?=[\u3400-\u9fffA-Za-z0-9])",
    re.IGNORECASE,
)
#: Intents a two-part message is answered by part by part: each names a kind of fact to quote.
#: A comparison or a list reads the whole message; "other" asks for no kind of fact; a how beside
#: a why asks the same thing twice (为啥能放到表外 会计上怎么处理的: answered part by part, the
#: why lost its second sentence to the how).
_PART_INTENTS = frozenset(["why", "who", "when", "amount", "happened", "yesno"])
#: Intents whose answers read the whole message (a comparison's sides, a list's items, the term).
_WHOLE_INTENTS = frozenset(["compare", "list", "definition"])


def asks(question: str) -> tuple[str, ...]:
    """The kinds of fact a message's clauses ask for, in the order asked, each once (at most
    two): ("when", "amount") for 哪天宣布的 第一次减了多少.  None when the message or one of its
    clauses is a comparison, list or definition (the message is answered as one question)."""
    if question_intent(question) in _WHOLE_INTENTS:
        return ()
    found: list[str] = []
    for clause in _CLAUSE.split(question[:2000]):
        intent = question_intent(clause)
        if intent in _WHOLE_INTENTS:
            return ()
        if intent in _PART_INTENTS and intent not in found:
            found.append(intent)
    return tuple(found[:2])


def compound(question: str) -> tuple[str, str] | None:
    """A definition and a why/how question in one message, as (the definition question as typed,
    the why/how question with the term in front), or None for a single question."""
    for pattern in _COMPOUND:
        match = pattern.match(question)
        if match:
            return match.group("definition").strip(), f"{match.group('term').strip()} {match.group('rest').strip()}"
    return None
