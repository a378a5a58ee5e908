"""Money as integer cents: parsing what people and marketplaces write ("1.5", 1.50, "$2") exactly,
and the currency a run's money is in."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, Overflow

from datastore.errors import InvalidValue

USD = "USD"
"""The currency of a run whose provider records none at launch."""
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
"""An ISO 4217 code, as marketplaces answer them ("USD", "GBP")."""

MAX_CENTS = 100_000_00
"""$100,000: anything above is a typo, not a bonus."""


def to_cents(amount: int | float | str | Decimal) -> int:
    """Dollars → cents; refuses negative, fractional-cent, non-numeric and absurd amounts."""
    if isinstance(amount, bool):
        raise InvalidValue("an amount of money must be a number of dollars")
    if isinstance(amount, float) and abs(amount - round(amount, 2)) < 1e-9:
        amount = round(amount, 2)  # 0.1 + 0.2 means 30 cents, not a fraction of one
    try:
        dollars = Decimal(str(amount).strip().lstrip("$"))
    except InvalidOperation:
        raise InvalidValue(f"{amount!r} is not an amount of dollars") from None
    if not dollars.is_finite():
        raise InvalidValue(f"{amount!r} is not an amount of dollars")
    try:
        cents = dollars * 100
    except Overflow:  # past Decimal's own range ("1e999999999"): only its sign matters below
        cents = Decimal("Infinity").copy_sign(dollars)
    if cents != cents.to_integral_value():
        raise InvalidValue(f"{amount!r} has fractions of a cent")
    if cents < 0:
        raise InvalidValue(f"{amount!r} is negative")
    if cents > MAX_CENTS:
        raise InvalidValue(f"{amount!r} is more than ${MAX_CENTS // 100:,}")
    return int(cents)


def to_dollars(cents: int) -> str:
    """Cents → dollars as marketplaces take them ("1.50")."""
    return f"{cents // 100}.{cents % 100:02d}"


def currency_code(code: str) -> str:
    """`code` checked as a currency code (ISO 4217: three capital letters)."""
    if not isinstance(code, str) or not CURRENCY_CODE.fullmatch(code):
        raise InvalidValue(f"a currency is a three-letter code such as USD or GBP, not {code!r}")
    return code
