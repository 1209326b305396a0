"""Bounded field types for vendor payload models.

A signed body can still carry values that would crash a write or distort a profile: ids of
a thousand digits, prices beyond DynamoDB's 38 significant digits, times without a zone or
in the year 9999, megabytes in a name. Every vendor model uses these types, so such a body
is refused with a 400 and a reason before anything is stored.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

FIRST_YEAR = 1990
LAST_YEAR = 2200


def _not_a_flag(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("an id is a number, not true or false")
    return value


def _plausible(moment: datetime) -> datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"time outside {FIRST_YEAR} to {LAST_YEAR}")
    return moment


# Shopify's ids are 64-bit; some payloads carry them as digit strings, never as true.
Id = Annotated[int, BeforeValidator(_not_a_flag), Field(gt=0, lt=2**63)]
Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
# Money fits DynamoDB's number type with room to add up a customer's orders.
Money = Annotated[Decimal, Field(ge=0, le=10**12, max_digits=20, decimal_places=6)]
Quantity = Annotated[int, Field(ge=0, le=1_000_000)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
Email = Annotated[str, StringConstraints(max_length=320)]
Phone = Annotated[str, StringConstraints(max_length=40)]
Name = Annotated[str, StringConstraints(max_length=255)]
Title = Annotated[str, StringConstraints(max_length=1000)]
Code = Annotated[str, StringConstraints(max_length=64)]
Tags = Annotated[str, StringConstraints(max_length=65_535)]
