"""The calculator and every registered formula as LangChain tools, for the LLM agent.

One small :func:`as_tool` builds each tool from its formula: the name is the
function's, the description and the argument help come from its ``Args:``
docstring, so a new ``@formula`` is a new tool with nothing else to edit.
LangChain is imported only when the tools are first asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.calc import leverage  # noqa: F401  (registers the what-if and variation-margin formulas)
from bot.calc.formulas import FORMULAS, Working
from bot.errors import CalcError

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

#: What the agent may call, in the order it is offered.
TOOL_NAMES: tuple[str, ...] = tuple(FORMULAS)


def as_tool(func: Callable[..., Working]) -> BaseTool:
    """A structured tool around one formula; a :class:`CalcError` becomes the tool's error text."""
    from langchain_core.tools import StructuredTool, ToolException
    from langchain_core.tools.base import create_schema_from_function

    def run(**kwargs: Any) -> str:
        try:
            return func(**kwargs).text
        except CalcError as err:
            raise ToolException(str(err)) from None

    schema = create_schema_from_function(func.__name__, func, filter_args=["chinese"], parse_docstring=True)
    description = (func.__doc__ or func.__name__).split("\n\n")[0].strip()
    return StructuredTool.from_function(
        run, name=func.__name__, description=description, args_schema=schema, handle_tool_error=True
    )


@lru_cache(maxsize=1)
def _tools() -> tuple[BaseTool, ...]:
    return tuple(as_tool(FORMULAS[name]) for name in TOOL_NAMES)


def get_tools() -> list[BaseTool]:
    """Every tool, built once per process on first use."""
    return list(_tools())
