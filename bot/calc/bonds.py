"""Coupon-bond arithmetic on QuantLib: accrued interest, clean/dirty price, yield, day counts.

US Treasury conventions: semiannual coupons on a schedule generated backwards
from maturity (dates not adjusted), ACT/ACT (ICMA) accrual, the US government
bond calendar for business days.  QuantLib is imported inside each function,
so importing this module (and ``python -m bot calc``) stays light.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.errors import CalcError

if TYPE_CHECKING:
    import QuantLib as ql

__all__ = [
    "DAY_COUNTS",
    "Accrued",
    "BondQuote",
    "accrued_interest",
    "adjust_business_day",
    "day_count",
    "parse_date",
    "price_from_yield",
    "yield_from_price",
]

#: Day-count names people type, mapped to one canonical name.
DAY_COUNTS = {
    "act/act": "ACT/ACT ICMA",
    "actual/actual": "ACT/ACT ICMA",
    "act/act icma": "ACT/ACT ICMA",
    "icma": "ACT/ACT ICMA",
    "isma": "ACT/ACT ICMA",
    "30/360": "30/360",
    "30/360 bond": "30/360",
    "act/360": "ACT/360",
    "actual/360": "ACT/360",
    "act/365": "ACT/365F",
    "act/365f": "ACT/365F",
}

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%B %d, %Y",
)


def parse_date(name: str, value: date | str) -> date:
    """A date given as a ``date`` or text such as 2038-07-10, 10 July 2038 or July 10, 2038."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).strip().replace(",", ", ").split()).replace(" ,", ",")
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not 1900 <= parsed.year <= 2200:
            break
        return parsed
    raise CalcError(f"{name} must be a date such as 2038-07-10.")


def _ql_date(value: date) -> ql.Date:
    import QuantLib as ql

    return ql.Date(value.day, value.month, value.year)


def _py_date(value: ql.Date) -> date:
    return date(value.year(), value.month(), value.dayOfMonth())


def _day_counter(name: str, schedule: Any = None) -> ql.DayCounter:
    import QuantLib as ql

    canonical = DAY_COUNTS.get(name.strip().lower())
    if canonical is None:
        raise CalcError(f"Unknown day count {name[:20]!r}: use ACT/ACT, 30/360, ACT/360 or ACT/365.")
    if canonical == "ACT/ACT ICMA":
        # A bond's coupon schedule gives ICMA its reference periods; two bare dates use ISDA.
        if schedule is not None:
            return ql.ActualActual(ql.ActualActual.ISMA, schedule)
        return ql.ActualActual(ql.ActualActual.ISDA)
    if canonical == "30/360":
        return ql.Thirty360(ql.Thirty360.BondBasis)
    if canonical == "ACT/360":
        return ql.Actual360()
    return ql.Actual365Fixed()


def _frequency(per_year: int) -> Any:
    import QuantLib as ql

    table = {1: ql.Annual, 2: ql.Semiannual, 4: ql.Quarterly, 12: ql.Monthly}
    if per_year not in table:
        raise CalcError("Coupon frequency must be 1, 2, 4 or 12 a year.")
    return table[per_year]


def _bond(
    coupon_pct: float, maturity: date, settlement: date, frequency: int, day_count: str
) -> tuple[Any, Any]:
    """A fixed-rate bond of face 100 whose schedule covers the settlement date."""
    import QuantLib as ql

    if not 0 <= coupon_pct <= 100:
        raise CalcError("Coupon must be a percent from 0 to 100, e.g. 4.25.")
    if maturity <= settlement:
        raise CalcError("Maturity must come after settlement.")
    if (maturity - settlement).days > 100 * 366:
        raise CalcError("Maturity must be within 100 years of settlement.")
    ql.Settings.instance().evaluationDate = _ql_date(settlement)
    calendar = ql.UnitedStates(ql.UnitedStates.GovernmentBond)
    # Issued a year before settlement, so settlement falls in a regular coupon period.
    issue = _ql_date(settlement) - ql.Period(1, ql.Years)
    schedule = ql.Schedule(
        issue,
        _ql_date(maturity),
        ql.Period(_frequency(frequency)),
        calendar,
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Backward,
        False,
    )
    dc = _day_counter(day_count, schedule)
    bond = ql.FixedRateBond(0, 100.0, schedule, [coupon_pct / 100], dc, ql.Unadjusted)
    return bond, dc


@dataclass(frozen=True)
class Accrued:
    """Accrued interest per 100 face and the coupon period it comes from."""

    amount: float
    last_coupon: date
    next_coupon: date
    days: int
    period_days: int
    coupon: float  # one coupon payment per 100 face


def accrued_interest(
    coupon_pct: float, maturity: date, settlement: date, frequency: int = 2, day_count: str = "act/act"
) -> Accrued:
    """Interest accrued since the last coupon (Treasuries: ACT/ACT, coupon ÷ 2 × days ÷ period days)."""
    import QuantLib as ql

    bond, dc = _bond(coupon_pct, maturity, settlement, frequency, day_count)
    when = _ql_date(settlement)
    last = ql.BondFunctions.previousCashFlowDate(bond, when)
    following = ql.BondFunctions.nextCashFlowDate(bond, when)
    return Accrued(
        amount=bond.accruedAmount(when),
        last_coupon=_py_date(last),
        next_coupon=_py_date(following),
        days=dc.dayCount(last, when),
        period_days=dc.dayCount(last, following),
        coupon=coupon_pct / frequency,
    )


@dataclass(frozen=True)
class BondQuote:
    """Clean and dirty price, yield, modified duration and DV01, all per 100 face."""

    clean: float
    dirty: float
    accrued: float
    yield_pct: float
    modified_duration: float
    dv01: float


def _quote(bond: Any, dc: Any, rate: float, when: Any, frequency: int) -> BondQuote:
    import QuantLib as ql

    freq = _frequency(frequency)
    interest = ql.InterestRate(rate, dc, ql.Compounded, freq)
    clean = bond.cleanPrice(rate, dc, ql.Compounded, freq, when)
    dirty = bond.dirtyPrice(rate, dc, ql.Compounded, freq, when)
    duration = ql.BondFunctions.duration(bond, interest, ql.Duration.Modified, when)
    return BondQuote(
        clean=clean,
        dirty=dirty,
        accrued=bond.accruedAmount(when),
        yield_pct=rate * 100,
        modified_duration=duration,
        dv01=dirty * duration / 10_000,
    )


def price_from_yield(
    coupon_pct: float, maturity: date, settlement: date, yield_pct: float, frequency: int = 2
) -> BondQuote:
    """Price at a yield (street convention: compounded at the coupon frequency)."""
    if not -5 < yield_pct < 100:
        raise CalcError("Yield must be a percent between -5 and 100.")
    bond, dc = _bond(coupon_pct, maturity, settlement, frequency, "act/act")
    return _quote(bond, dc, yield_pct / 100, _ql_date(settlement), frequency)


def yield_from_price(
    coupon_pct: float, maturity: date, settlement: date, clean_price: float, frequency: int = 2
) -> BondQuote:
    """Yield to maturity of a clean price (street convention)."""
    import QuantLib as ql

    bond, dc = _bond(coupon_pct, maturity, settlement, frequency, "act/act")
    try:
        rate = bond.bondYield(
            ql.BondPrice(clean_price, ql.BondPrice.Clean), dc, ql.Compounded, _frequency(frequency)
        )
    except RuntimeError:
        raise CalcError("No yield fits that price.") from None
    return _quote(bond, dc, rate, _ql_date(settlement), frequency)


def day_count(start: date, end: date, convention: str = "act/360") -> tuple[int, float]:
    """Days and year fraction between two dates under a convention (ACT/ACT between bare dates is ISDA)."""
    if end < start:
        raise CalcError("The end date must not come before the start date.")
    if (end - start).days > 100 * 366:
        raise CalcError("Dates must be within 100 years of each other.")
    dc = _day_counter(convention)
    a, b = _ql_date(start), _ql_date(end)
    return dc.dayCount(a, b), dc.yearFraction(a, b)


def adjust_business_day(value: date) -> date:
    """The next US government-bond business day on or after a date."""
    import QuantLib as ql

    calendar = ql.UnitedStates(ql.UnitedStates.GovernmentBond)
    return _py_date(calendar.adjust(_ql_date(value)))
