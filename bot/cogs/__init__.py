"""One cog per feature.  ``add_all`` is what ``setup_hook`` (and the tests) call."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord_bot import BasisBotCore


async def add_all(bot: BasisBotCore) -> None:
    """Feedback first: the answering cogs look it up to put 👍/👎 under answers."""
    from bot.cogs.admin import Admin
    from bot.cogs.ask import Ask
    from bot.cogs.calc import Calc
    from bot.cogs.feedback import Feedback
    from bot.cogs.info import Info

    for cog in (Feedback(bot), Ask(bot), Calc(bot), Info(bot), Admin(bot)):
        await bot.add_cog(cog)
