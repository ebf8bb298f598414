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
_LIVE = re.compile(
    r"\b(right now|today'?s|current(ly)?|live|latest)\b.*\b(price|yield|rate|quote|level)s?\b"
    r"|\b(price|yield|rate)s?\b.*\b(right now|today|now)\b"
    r"|(現在|目前|今天|即時|实时|最新)[^。?？]{0,12}(殖利率|收益率|價格|价格|報價|报价|利率)",
    re.IGNORECASE,
)


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


_ASKS_WHEN = re.compile(r"\bwhen\b|\bwhat (year|date)\b|什麼時候|什么时候|何時|何时|哪一年|幾月|几月|期限", re.IGNORECASE)
_ASKS_AMOUNT = re.compile(
    r"\bhow (much|many|big|large|high|far)\b|\bwhat (size|share|percentage)\b|多少|多大|多高|幾倍|几倍|規模|规模",
    re.IGNORECASE,
)


def asks_when(question: str) -> bool:
    return bool(_ASKS_WHEN.search(question))


def asks_amount(question: str) -> bool:
    return bool(_ASKS_AMOUNT.search(question))
