"""`/quiz` and `/quiz-score`: buttons, the score flow, the store surviving a restart, no pings.

The slash commands run through their checks with the recording fake Interaction of
``test_slash_commands``; the buttons run twice: called directly, and through discord.py's own
component dispatch on a dpytest client (a real INTERACTION_CREATE payload routed by custom id
to the view, answered through a recording webhook adapter, since dpytest has no interactions).
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import factories
from discord.webhook.async_ import async_context

from bot.answering.quiz import Question, bank_for
from bot.discord_app.cogs.feedback import FeedbackLog
from bot.discord_app.helpers import user_hasher
from bot.discord_app.quizstore import QUIZ_DB, Score, ScoreStore
from tests.discord_app.test_slash_commands import USER_ID, FakeInteraction, FakeResponse, call


class ClickResponse(FakeResponse):
    async def edit_message(self, **kwargs: Any) -> None:
        assert not self.calls, "responded twice"
        self.calls.append(("edit_message", kwargs.get("content"), kwargs))


class Click(FakeInteraction):
    """A button press: responds by deferring or editing the message, then edits the original."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.response = ClickResponse()
        self.edits: list[dict[str, Any]] = []

    async def edit_original_response(self, **kwargs: Any) -> None:
        self.edits.append(kwargs)


def quiz_module(bot):
    return bot.extensions["bot.discord_app.cogs.quiz"]


async def start(bot, count: int = 3, topic: str | None = "numbers", **kwargs: Any):
    it = await call(bot, "quiz", FakeInteraction(**kwargs), topic=topic, count=count)
    return it, it.first["view"]


async def press(view, index: int, user_id: int = USER_ID) -> Click:
    click = Click(user_id=user_id)
    if await view.interaction_check(click):
        await view.children[index].callback(click)
    return click


@pytest.mark.asyncio
async def test_schemas(make_bot, tmp_path) -> None:
    bot = await make_bot(data_dir=tmp_path / "data")
    quiz = bot.tree.get_command("quiz").to_dict(bot.tree)
    options = {o["name"]: o for o in quiz["options"]}
    assert list(options) == ["topic", "count"] and not any(o["required"] for o in options.values())
    assert [c["value"] for c in options["topic"]["choices"]] == ["terms", "facts", "numbers"]
    assert (options["count"]["min_value"], options["count"]["max_value"]) == (1, 10)
    assert bot.tree.get_command("quiz-score").to_dict(bot.tree)["options"] == []


@pytest.mark.asyncio
async def test_quiz_answers_scores_and_streak(make_bot, tmp_path) -> None:
    bot = await make_bot(data_dir=tmp_path / "data")
    it, view = await start(bot, count=3)
    assert it.response.calls[0][2] == {"ephemeral": True, "thinking": True}
    sent = it.first
    assert sent["ephemeral"] is True and sent["allowed_mentions"].to_dict() == {"parse": []}
    assert sent["content"].startswith("**Q1/3**")
    assert [b.label for b in view.children] == ["A", "B", "C", "D"]

    right = await press(view, view.question.answer)
    assert right.response.calls[0][0] == "defer"  # acknowledged before the score write
    shown = right.edits[0]["content"]
    assert "✅ Right!" in shown and "streak 1 (best 1)" in shown and "all time 1/1" in shown
    assert "Source: calculator:" in shown
    assert right.edits[0]["allowed_mentions"].to_dict() == {"parse": []}
    assert [b.label for b in view.children] == ["Next ▶"]

    again = await press(view, 0)  # the "next" button is now the only child: press it
    assert again.response.calls[0][0] == "edit_message"
    assert again.response.calls[0][1].startswith("**Q2/3**")

    wrong = await press(view, (view.question.answer + 1) % 4)
    shown = wrong.edits[0]["content"]
    assert "❌ Not quite." in shown and "streak 0 (best 1)" in shown and "This quiz 1/2" in shown

    await press(view, 0)
    last = await press(view, view.question.answer)
    assert "Quiz finished" in last.edits[0]["content"] and last.edits[0]["view"] is None
    assert view.is_finished()

    score = await call(bot, "quiz-score", FakeInteraction())
    kind, content, kwargs = score.response.calls[0]
    assert kind == "send_message" and kwargs["ephemeral"] is True
    assert "streak 1 (best 1)" in content and "all time 2/3" in content and "(67%)" in content


@pytest.mark.asyncio
async def test_a_second_press_or_another_member_does_not_count(make_bot, tmp_path) -> None:
    bot = await make_bot(data_dir=tmp_path / "data")
    _, view = await start(bot, count=2)
    answer = view.question.answer
    stranger = await press(view, answer, user_id=999)
    assert "someone else" in stranger.response.calls[0][1] and stranger.response.calls[0][2]["ephemeral"]
    await press(view, answer)
    twice = Click()
    await view.choose(twice, answer)  # a double click before the message changed
    assert "Already answered" in twice.response.calls[0][1]
    cog = bot.get_cog("Quiz")
    assert await cog.score_of(USER_ID) == Score(answered=1, correct=1, streak=1, best=1)
    assert await cog.score_of(999) == Score()


@pytest.mark.asyncio
async def test_quiz_in_the_members_script(make_bot, tmp_path) -> None:
    bot = await make_bot(data_dir=tmp_path / "data")
    _, view = await start(bot, count=1, topic="terms", locale="zh-CN")
    assert view.question.lang == "zh-Hans"
    shown = (await press(view, view.question.answer)).edits[0]["content"]
    assert "答对了" in shown and "来源" in shown and "测验结束" in shown
    empty = await call(bot, "quiz-score", FakeInteraction(locale="zh-TW", user_id=5))
    assert "還沒有作答紀錄" in empty.response.calls[0][1]


@pytest.mark.asyncio
async def test_quiz_is_gated_and_rate_limited(make_bot, tmp_path) -> None:
    bot = await make_bot(data_dir=tmp_path / "data", discord_allowed_channels=[1])
    refused = await call(bot, "quiz", FakeInteraction(channel_id=2), topic=None, count=2)
    assert "not enabled" in refused.response.calls[0][1] and not refused.followup.sent
    limited = await make_bot(data_dir=tmp_path / "data2", rate_user_per_minute=1)
    await call(limited, "quiz", FakeInteraction(), topic=None, count=1)
    slow = await call(limited, "quiz", FakeInteraction(), topic=None, count=1)
    assert "Slow down" in slow.response.calls[0][1]


def test_text_never_pings() -> None:
    from bot.discord_app.cogs import quiz as cog

    question = Question(
        kind="fact", lang="en", prompt="Who said @everyone <@123456789012345678> *loudly*?",
        choices=("@here", "b", "c", "<@&456789012345678901>"), answer=0, explanation="@everyone did", source="<@789012345678901234>",
    )
    text = cog.question_content(question, 1, 1) + cog.result_content(question, 0, Score(1, 1, 1, 1), 1, 1, True)
    assert "@everyone" not in text and "@here" not in text and "<@123456789012345678>" not in text and "<@&456789012345678901>" not in text
    assert "\\*loudly\\*" in text


# ------------------------------------------------------------------ the store


def test_store_survives_a_restart(tmp_path) -> None:
    path = tmp_path / "data" / QUIZ_DB
    store = ScoreStore(path)
    for correct in (True, True, False, True):
        store.record("abc", correct)
    assert store.get("abc") == Score(answered=4, correct=3, streak=1, best=2)
    reopened = ScoreStore(path)  # a new process: nothing but the file
    assert reopened.get("abc") == Score(answered=4, correct=3, streak=1, best=2)
    assert reopened.record("abc", True) == Score(answered=5, correct=4, streak=2, best=2)
    assert reopened.get("nobody") == Score()


@pytest.mark.asyncio
async def test_scores_survive_a_bot_restart_under_hashed_ids(make_bot, tmp_path) -> None:
    data = tmp_path / "data"
    first = await make_bot(data_dir=data)
    _, view = await start(first, count=2)
    await press(view, view.question.answer)
    await first.close()

    second = await make_bot(data_dir=data)
    score = await call(second, "quiz-score", FakeInteraction())
    assert "all time 1/1" in score.response.calls[0][1]
    rows = sqlite3.connect(data / QUIZ_DB).execute("SELECT user FROM scores").fetchall()
    # The salted hash the feedback log gives the same member, never the raw id.
    expected = FeedbackLog(second.settings.feedback_file).user_hash(USER_ID)
    assert rows == [(expected,)] and str(USER_ID) not in expected
    assert user_hasher(second.settings)(USER_ID) == expected


# ------------------------------------------------------------------ through discord.py's dispatch


class RecordingAdapter:
    """Stands in for Discord's interaction endpoints: records what the bot answers with."""

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self.responses: list[dict[str, Any]] = []
        self.edits: list[dict[str, Any]] = []

    async def create_interaction_response(self, interaction_id: int, token: str, **kwargs: Any) -> dict[str, Any]:
        self.responses.append(kwargs["params"].payload)
        return {"interaction": {"id": str(interaction_id), "type": 3}}

    async def edit_original_interaction_response(self, application_id: int, token: str, **kwargs: Any) -> dict[str, Any]:
        self.edits.append(kwargs["payload"])
        return {**self.message, "content": kwargs["payload"].get("content", "")}


def component_payload(bot, message: dict[str, Any], member: discord.Member, custom_id: str, n: int) -> dict[str, Any]:
    channel = dpytest.get_config().channels[0]
    return {
        "id": str(900000 + n), "application_id": str(bot.user.id), "type": 3, "token": f"t{n}", "version": 1,
        "channel_id": str(channel.id), "guild_id": str(channel.guild.id),
        "channel": {"id": str(channel.id), "type": 0, "guild_id": str(channel.guild.id), "name": channel.name,
                    "position": 0, "permission_overwrites": []},
        "member": {"user": factories.dict_from_user(member._user), "roles": [], "joined_at": "2020-01-01T00:00:00+00:00",
                   "deaf": False, "mute": False, "permissions": "0", "flags": 0},
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": message, "locale": "en-US", "app_permissions": "0", "attachment_size_limit": 8388608,
    }


async def until(condition) -> None:
    """Wait for the dispatched task to finish its work (bounded by pytest's own run, not a timing claim)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the button task never finished")


@pytest.mark.asyncio
async def test_buttons_through_discord_dispatch(make_dpy_bot, tmp_path) -> None:
    bot = await make_dpy_bot(data_dir=tmp_path / "data")
    config = dpytest.get_config()
    owner, stranger = config.members
    cog = bot.get_cog("Quiz")
    questions = bank_for(bot.engine).generate(2, seed=8, lang="en", topic="terms")
    view = quiz_module(bot).QuizView(cog, owner.id, questions)
    sent = await config.channels[0].send(view.content(), view=view)  # stores the view under the message id
    message = factories.make_message_dict(config.channels[0], bot.user, id_num=sent.id, content=sent.content)
    adapter = RecordingAdapter(message)
    token = async_context.set(adapter)
    try:
        right = questions[0].answer
        # A stranger's press is refused and counts for nothing.
        bot._connection.parse_interaction_create(component_payload(bot, message, stranger, view.children[right].custom_id, 1))
        await until(lambda: adapter.responses)
        assert adapter.responses[0]["type"] == 4 and "someone else" in adapter.responses[0]["data"]["content"]
        assert adapter.responses[0]["data"]["flags"] == 64
        # The owner's press: deferred (type 6), then the result edited in with a "next" button.
        bot._connection.parse_interaction_create(component_payload(bot, message, owner, view.children[right].custom_id, 2))
        await until(lambda: adapter.edits)
        assert adapter.responses[1]["type"] == 6
        edit = adapter.edits[0]
        assert "✅ Right!" in edit["content"] and edit["allowed_mentions"]["parse"] == []
        [row] = edit["components"]
        assert [c["label"] for c in row["components"]] == ["Next ▶"]
        # "Next", routed by its custom id to the same view, shows question 2 in place.
        bot._connection.parse_interaction_create(component_payload(bot, message, owner, row["components"][0]["custom_id"], 3))
        await until(lambda: len(adapter.responses) == 3)
        update = adapter.responses[2]
        assert update["type"] == 7 and update["data"]["content"].startswith("**Q2/2**")
        assert [c["label"] for c in update["data"]["components"][0]["components"]] == ["A", "B", "C", "D"]
    finally:
        async_context.reset(token)
    assert await cog.score_of(owner.id) == Score(answered=1, correct=1, streak=1, best=1)
    assert await cog.score_of(stranger.id) == Score()
