"""Dollar amounts become exact cents, and nonsense amounts are refused."""
from decimal import Decimal

import pytest

from datastore import InvalidValue
from datastore.money import to_cents, to_dollars


@pytest.mark.parametrize(
    ("amount", "cents"),
    [(0, 0), ("1.5", 150), (1.25, 125), ("$2", 200), (Decimal("0.01"), 1), (0.1 + 0.2 - 0.3 + 0.3, 30)],
)
def test_amounts_in_dollars_become_exact_cents(amount, cents):
    assert to_cents(amount) == cents


@pytest.mark.parametrize("amount", [-1, "-0.01", "0.001", "abc", "nan", "inf", True, "1e9", None])
def test_nonsense_amounts_are_refused_with_a_sentence(amount):
    with pytest.raises(InvalidValue):
        to_cents(amount)


def test_cents_print_as_mturk_dollar_strings():
    assert to_dollars(150) == "1.50" and to_dollars(5) == "0.05" and to_dollars(0) == "0.00"
