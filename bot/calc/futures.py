"""Treasury-futures arithmetic as CME and Hull define it, written and tested here.

No library gets these right as a whole (FinancePy, for one, rounds 5-year
maturities to the quarter), so each rule is spelt out with its source:

* conversion factor: CME Group, "Calculating U.S. Treasury Futures Conversion
  Factors" — the price at a 6% yield, with the remaining term measured from the
  first day of the delivery month and cut to whole months (TU, 3YR, FV) or whole
  quarters (TY, TN, US, TWE, UB);
* basis, implied repo, invoice, DV01 and hedge ratios: CME Group, "Understanding
  Treasury Futures", and Hull, *Options, Futures, and Other Derivatives*, ch. 6.

Pure Python (``datetime`` only); results are plain numbers, and
:mod:`bot.calc.formulas` writes the working around them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from bot.errors import CalcError

__all__ = [
    "CONTRACTS",
    "ContractSpec",
    "contract",
    "conversion_factor",
    "conversion_factor_terms",
    "implied_repo",
    "margin_path",
    "margin_threshold",
    "remaining_term",
]


@dataclass(frozen=True)
class ContractSpec:
    """One CME Treasury futures contract: face value, tick and deliverable basket."""

    code: str
    name: str
    name_zh: str
    face: float
    tick_32nds: float
    quarter_rounding: bool
    deliverable: str
    deliverable_zh: str

    @property
    def tick_points(self) -> float:
        """One tick in price points (per 100 of face)."""
        return self.tick_32nds / 32

    @property
    def tick_value(self) -> float:
        """Dollars per contract for a one-tick move."""
        return self.face * self.tick_points / 100

    @property
    def point_value(self) -> float:
        """Dollars per contract for a one-point (1/100 of face) move."""
        return self.face / 100


#: CME Group contract specifications (Treasury futures, cmegroup.com product pages).
CONTRACTS: dict[str, ContractSpec] = {
    spec.code: spec
    for spec in (
        ContractSpec(
            "TU",
            "2-Year T-Note futures",
            "2年期美國國債期貨",
            200_000,
            1 / 8,
            False,
            "notes with original maturity ≤ 5y3m and 1y9m–2y left on the last day of the delivery month",
            "原始期限不超過5年3個月、交割月最後一天剩餘1年9個月至2年的國債",
        ),
        ContractSpec(
            "3YR",
            "3-Year T-Note futures",
            "3年期美國國債期貨",
            200_000,
            1 / 8,
            False,
            "notes with original maturity ≤ 7y and 2y9m–3y left on the last day of the delivery month",
            "原始期限不超過7年、交割月最後一天剩餘2年9個月至3年的國債",
        ),
        ContractSpec(
            "FV",
            "5-Year T-Note futures",
            "5年期美國國債期貨",
            100_000,
            1 / 4,
            False,
            "notes with original maturity ≤ 5y3m and at least 4y2m left on the first day of the delivery month",
            "原始期限不超過5年3個月、交割月第一天剩餘至少4年2個月的國債",
        ),
        ContractSpec(
            "TY",
            "10-Year T-Note futures",
            "10年期美國國債期貨",
            100_000,
            1 / 2,
            True,
            "notes with 6.5–10 years left on the first day of the delivery month",
            "交割月第一天剩餘6.5至10年的國債",
        ),
        ContractSpec(
            "TN",
            "Ultra 10-Year T-Note futures",
            "超長10年期美國國債期貨",
            100_000,
            1 / 2,
            True,
            "notes with 9y5m–10y left on the first day of the delivery month",
            "交割月第一天剩餘9年5個月至10年的國債",
        ),
        ContractSpec(
            "TWE",
            "20-Year T-Bond futures",
            "20年期美國國債期貨",
            100_000,
            1,
            True,
            "bonds with 19y2m–19y11m left on the first day of the delivery month",
            "交割月第一天剩餘19年2個月至19年11個月的國債",
        ),
        ContractSpec(
            "US",
            "T-Bond futures",
            "美國長期國債期貨",
            100_000,
            1,
            True,
            "bonds with at least 15 and under 25 years left on the first day of the delivery month",
            "交割月第一天剩餘至少15年、不足25年的國債",
        ),
        ContractSpec(
            "UB",
            "Ultra T-Bond futures",
            "超長期美國國債期貨",
            100_000,
            1,
            True,
            "bonds with at least 25 years left on the first day of the delivery month",
            "交割月第一天剩餘至少25年的國債",
        ),
    )
}

_ALIASES = {
    "2y": "TU",
    "2yr": "TU",
    "2-year": "TU",
    "z3n": "3YR",
    "3y": "3YR",
    "3-year": "3YR",
    "5y": "FV",
    "5yr": "FV",
    "5-year": "FV",
    "10y": "TY",
    "10yr": "TY",
    "10-year": "TY",
    "ultra 10": "TN",
    "tn": "TN",
    "bond": "US",
    "zb": "US",
    "30y": "US",
    "ultra": "UB",
    "ultra bond": "UB",
    "zn": "TY",
    "zf": "FV",
    "zt": "TU",
    "20y": "TWE",
}


def contract(code: str) -> ContractSpec:
    """A contract by CME code (TU, 3YR, FV, TY, TN, TWE, US, UB) or a common alias (ZN, 10y…)."""
    key = str(code).strip()
    spec = CONTRACTS.get(key.upper()) or CONTRACTS.get(_ALIASES.get(key.lower(), ""))
    if spec is None:
        raise CalcError(f"Unknown contract {key[:20]!r}: use one of {', '.join(CONTRACTS)}.")
    return spec


# ------------------------------------------------------------ conversion factor


def remaining_term(maturity: date, delivery_month: date) -> tuple[int, int]:
    """Whole years and whole months from the first day of the delivery month to maturity."""
    first = date(delivery_month.year, delivery_month.month, 1)
    if maturity <= first:
        raise CalcError("The bond must mature after the first day of the delivery month.")
    months = (maturity.year - first.year) * 12 + (maturity.month - first.month)
    return divmod(months, 12)


@dataclass(frozen=True)
class FactorTerms:
    """The pieces of CME's conversion-factor formula, kept for the working."""

    n: int
    z: int
    v: int
    a: float
    b: float
    c: float
    d: float
    factor: float


def conversion_factor_terms(coupon_pct: float, years: int, months: int, code: str = "TY") -> FactorTerms:
    """CME's formula: factor = a × (coupon/2 + c + d) − b, rounded to four decimals.

    a = 1/1.03^(v/6), b = coupon/2 × (6 − v)/6, c = 1/1.03^(2n) (z < 7) or 1/1.03^(2n+1),
    d = coupon/0.06 × (1 − c); v = z if z < 7 else z − 6, with z cut to a whole quarter
    for TY, TN, TWE, US and UB.
    """
    spec = contract(code)
    coupon = coupon_pct / 100
    if not 0 <= coupon < 1:
        raise CalcError("Coupon must be a percent from 0 to 100, e.g. 4.25.")
    if years < 0 or not 0 <= months < 12 or years > 100:
        raise CalcError("Term must be whole years (0–100) and months (0–11).")
    z = months - months % 3 if spec.quarter_rounding else months
    v = z if z < 7 else z - 6
    a = 1 / 1.03 ** (v / 6)
    b = coupon / 2 * (6 - v) / 6
    c = 1 / 1.03 ** (2 * years) if z < 7 else 1 / 1.03 ** (2 * years + 1)
    d = coupon / 0.06 * (1 - c)
    factor = a * (coupon / 2 + c + d) - b
    return FactorTerms(years, z, v, a, b, c, d, round(factor + 1e-12, 4))


def conversion_factor(coupon_pct: float, maturity: date, delivery_month: date, code: str = "TY") -> float:
    """The CME conversion factor of a bond for one contract and delivery month."""
    years, months = remaining_term(maturity, delivery_month)
    return conversion_factor_terms(coupon_pct, years, months, code).factor


# ------------------------------------------------------------ implied repo


@dataclass(frozen=True)
class ImpliedRepo:
    """Implied repo rate and the cash flows behind it (per 100 face)."""

    rate: float  # a fraction, 0.0178 = 1.78%
    invoice: float  # futures × CF + accrued at delivery
    cost: float  # clean + accrued at purchase
    proceeds: float  # invoice + interim coupon


def implied_repo(
    cash_price: float,
    futures_price: float,
    factor: float,
    days: float,
    accrued_purchase: float = 0.0,
    accrued_delivery: float = 0.0,
    interim_coupon: float = 0.0,
    days_coupon_to_delivery: float = 0.0,
) -> ImpliedRepo:
    """CME's implied repo (ACT/360): buy the bond (dirty), deliver it into the futures (invoice).

    IRR = (invoice + coupon − cost) × 360 ÷ (cost × days − coupon × days after the coupon),
    which is the simple ((invoice + coupon) ÷ cost − 1) × 360 ÷ days without a coupon.
    """
    cost = cash_price + accrued_purchase
    invoice = futures_price * factor + accrued_delivery
    proceeds = invoice + interim_coupon
    denominator = cost * days - interim_coupon * days_coupon_to_delivery
    if denominator <= 0:
        raise CalcError("Days after the coupon must be fewer than the days to delivery.")
    return ImpliedRepo((proceeds - cost) * 360 / denominator, invoice, cost, proceeds)


# ------------------------------------------------------------------ margin


def margin_threshold(
    price: float, contract_size: float, initial: float, maintenance: float, side: str = "long"
) -> float:
    """Exchange margin: the futures price at which the balance first falls below maintenance.

    A long loses (price drop) × size; the call comes once the loss exceeds
    initial − maintenance per contract (Hull, ch. 2).  A short mirrors it upwards.
    """
    move = (initial - maintenance) / contract_size
    return price - move if side == "long" else price + move


@dataclass(frozen=True)
class MarginDay:
    """One settlement in the variation-margin path."""

    price: float
    gain: float
    balance: float  # after the day's gain, before any top-up
    call: float  # variation margin paid in to restore the initial margin


def margin_path(
    price: float,
    settlements: list[float],
    contracts: float,
    contract_size: float,
    initial: float,
    maintenance: float,
    side: str = "long",
) -> list[MarginDay]:
    """Daily marking to market: a balance under maintenance is topped back up to initial (Hull Table 2.1)."""
    sign = 1 if side == "long" else -1
    need_initial = initial * contracts
    need_maintenance = maintenance * contracts
    balance = need_initial
    previous = price
    days = []
    for settle in settlements:
        gain = sign * (settle - previous) * contract_size * contracts
        balance += gain
        call = need_initial - balance if balance < need_maintenance else 0.0
        days.append(MarginDay(settle, gain, balance, call))
        balance += call
        previous = settle
    return days


def check_finite(*values: float) -> None:
    """Guard against inf/NaN slipping through arithmetic on huge inputs."""
    if not all(math.isfinite(v) for v in values):
        raise CalcError("Number too large.")
