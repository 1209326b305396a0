"""Money as ``Decimal`` per currency: never a binary float, never two currencies added."""

from collections.abc import Iterable, Mapping
from decimal import Decimal

Amounts = dict[str, Decimal]


def add_amounts(parts: Iterable[tuple[str, Decimal]]) -> Amounts:
    """Sum amounts per ISO currency code, keeping each currency apart."""
    totals: Amounts = {}
    for currency, amount in parts:
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    return totals


def main_currency(amounts: Mapping[str, Decimal], preferred: str | None) -> str | None:
    """The currency to report a single figure in: the preferred one, else the largest."""
    if preferred and preferred in amounts:
        return preferred
    if not amounts:
        return None
    return max(amounts, key=lambda currency: amounts[currency])
