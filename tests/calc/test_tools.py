"""The LangChain tools: one per registered formula, built by one `as_tool`."""

from __future__ import annotations

from bot.calc.formulas import FORMULAS, Working, formula, position_size
from bot.calc.router import route
from bot.calc.tools import TOOL_NAMES, as_tool, get_tools

EXPECTED_TOOLS = [
    "calculator",
    "position_size",
    "equity_needed",
    "leverage_from_haircut",
    "haircut_from_leverage",
    "loss_from_move",
    "wipeout_move",
    "margin_call_move",
    "gross_basis",
    "net_basis",
    "implied_repo_rate",
    "dv01_pnl",
    # Treasury-desk helpers (issue 12)
    "price_32nds",
    "conversion_factor",
    "cheapest_to_deliver",
    "accrued_interest",
    "dirty_price",
    "bond_yield",
    "bond_price",
    "day_count",
    "invoice_amount",
    "futures_dv01",
    "hedge_ratio_dv01",
    "hedge_ratio_duration",
    "contract_specs",
    "repo_interest",
    "futures_pnl",
    "futures_margin_call",
    "implied_repo_for_bond",
]


def _tools() -> dict:
    return {tool.name: tool for tool in get_tools()}


def test_every_formula_is_a_tool_in_registry_order() -> None:
    assert [tool.name for tool in get_tools()] == list(TOOL_NAMES) == list(FORMULAS)
    assert set(EXPECTED_TOOLS) <= set(TOOL_NAMES)
    assert TOOL_NAMES[0] == "calculator"


def test_a_new_formula_needs_only_the_decorator() -> None:
    @formula
    def double_it(amount: float, *, chinese: bool = False) -> Working:
        """Twice the amount.

        Args:
            amount: Any number.
        """
        return Working(value=2 * amount, summary=f"2 × {amount:g} = {2 * amount:g}", steps=[], unit="")

    try:
        tool = as_tool(double_it)
        assert tool.name == "double_it" and tool.description == "Twice the amount."
        assert tool.args["amount"]["description"] == "Any number." and "chinese" not in tool.args
        assert tool.invoke({"amount": 2}) == "2 × 2 = 4"
        assert route("what is 2 plus 2") is not None  # the router still works beside it
    finally:
        FORMULAS.pop("double_it")


def test_tools_have_typed_schemas() -> None:
    tools = _tools()
    schema = tools["position_size"].args
    assert schema["equity"]["type"] == "number"
    assert schema["leverage"]["type"] == "number"
    assert schema["leverage"]["description"]
    assert tools["calculator"].args["expression"]["type"] == "string"
    assert "coupon_income" in tools["implied_repo_rate"].args
    for tool in tools.values():
        assert tool.description


def test_tools_return_working_text() -> None:
    tools = _tools()
    assert tools["position_size"].invoke({"equity": 1e7, "leverage": 50}) == position_size(1e7, 50).text
    assert tools["calculator"].invoke({"expression": "1000萬*50"}) == "1000萬*50 = 500,000,000(5億)"
    assert "2%" in tools["wipeout_move"].invoke({"leverage": 50})
    assert "1,500,000" in tools["loss_from_move"].invoke({"leverage": 20, "move_pct": 1.5, "equity": 5e6})
    assert "7.2%" in tools["implied_repo_rate"].invoke(
        {"cash_price": 100, "futures_price": 112, "conversion_factor": 0.9, "days": 90, "coupon_income": 1}
    )


def test_tools_report_errors_as_text() -> None:
    tools = _tools()
    assert tools["calculator"].invoke({"expression": "1/0"}) == "Division by zero."
    assert "Leverage" in tools["wipeout_move"].invoke({"leverage": 0})


def test_tools_are_built_once() -> None:
    assert [id(t) for t in get_tools()] == [id(t) for t in get_tools()]


def test_desk_tools_take_32nds_and_lists() -> None:
    """Prices may be 32nds strings and the CTD tool takes lists, as the LLM would send them."""
    tools = _tools()
    assert tools["gross_basis"].args["futures_price"]["anyOf"] == [{"type": "number"}, {"type": "string"}]
    assert tools["cheapest_to_deliver"].args["cash_prices"]["type"] == "array"
    text = tools["cheapest_to_deliver"].invoke(
        {
            "futures_price": "93-08",
            "cash_prices": [99.5, 143.5, 119.75],
            "conversion_factors": [1.0382, 1.5188, 1.2615],
        }
    )
    assert text.startswith("Cheapest to deliver: Bond 2")
    assert "$1,500" in tools["futures_margin_call"].invoke(
        {"price": 1750, "initial_margin": 6000, "maintenance_margin": 4500, "contract_size": 100}
    )
    assert tools["conversion_factor"].invoke({"coupon_pct": 1.75, "years": 0}).startswith("Conversion factor")
    assert (
        tools["cheapest_to_deliver"].invoke(
            {"futures_price": 93, "cash_prices": [99.5], "conversion_factors": [1, 2]}
        )
        == "Give one conversion factor per bond."
    )


def test_chat_only_calculations_are_tools_too() -> None:
    """What the router answers in chat (what-if tables, variation margin), the LLM agent can call."""
    tools = {tool.name: tool for tool in get_tools()}
    table = tools["whatif"].invoke({"equity": 10_000_000, "leverage": 50, "moves": [-0.5, -1, -2]})
    assert "-5,000,000" in table and "500,000,000" in table
    # CME: a 10-year note point is $1,000, so down 1-08 (1.25 points) on 10 contracts is $12,500
    margin = tools["variation_margin"].invoke({"move_points": -1.25, "contracts": 10})
    assert "$12,500" in margin
