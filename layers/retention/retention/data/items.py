"""Models to DynamoDB items and back: Decimals stay Decimals, times become UTC ISO strings.

Every time is written as UTC with the same format, so that the due-index sort key orders
lexicographically as it does in time.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def to_item(model: BaseModel) -> dict[str, Any]:
    converted = _convert(model.model_dump(mode="python"))
    assert isinstance(converted, dict)  # noqa: S101 - a model always dumps to a dict
    return converted


def from_item[M: BaseModel](model: type[M], item: Mapping[str, Any]) -> M:
    return model.model_validate(_restore(item))


def _convert(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        raise TypeError("binary floats are not stored; use Decimal")
    if isinstance(value, Mapping):
        return {str(k): _convert(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_convert(v) for v in value]
    return value


def _restore(value: Any) -> Any:
    """DynamoDB returns every number as Decimal; whole numbers go back to int."""
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.is_finite():
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else value
    if isinstance(value, Mapping):
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value
