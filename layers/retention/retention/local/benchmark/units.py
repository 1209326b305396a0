"""DynamoDB's on-demand request units, estimated from a call's request and answer.

A write is a unit per KB of the item, a read a unit per 4 KB (half that when
eventually consistent), at least one a request; a write that puts or deletes a
KEYS_ONLY index entry adds a unit for each, two for an entry it changes.
"""

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

from retention.local.template import TABLE, Template

KB = 1024


@dataclass(frozen=True)
class Units:
    read: float = 0.0
    write: float = 0.0
    items_read: int = 0


@dataclass(frozen=True)
class TableKeys:
    name: str
    primary: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...]], ...]


def table_keys(template: Template) -> dict[str, TableKeys]:
    """Each table's key attributes and its KEYS_ONLY global indexes', by local name."""
    found = {}
    for table in template.of_type(TABLE):
        properties = table.properties
        name = str(properties.get("TableName") or table.logical_id)
        indexes = tuple(
            (str(index["IndexName"]), _key_names(index["KeySchema"]))
            for index in properties.get("GlobalSecondaryIndexes") or []
            if index["Projection"]["ProjectionType"] == "KEYS_ONLY"
        )
        primary = _key_names(properties["KeySchema"])
        found[name] = TableKeys(name, primary, indexes)
    return found


def _key_names(schema: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(key["AttributeName"]) for key in schema)


class IndexEntries:
    """The index entries of each item as the last put this process saw left them.

    Only PutItem is followed: the functions write their indexed items whole.
    """

    def __init__(self, tables: dict[str, TableKeys]) -> None:
        self._tables = tables
        self._entries: dict[tuple[str, str, str], tuple[str, ...] | None] = {}

    def written(self, request: dict[str, Any]) -> int:
        """Units for the entries that a put adds, deletes or changes."""
        keys = self._tables.get(request.get("TableName", ""))
        if keys is None:
            return 0
        item = request["Item"]
        where = json.dumps([item.get(name) for name in keys.primary])
        units = 0
        for index, attributes in keys.indexes:
            present = set(attributes) <= set(item)
            new = tuple(json.dumps(item[name]) for name in attributes) if present else None
            old = self._entries.get((keys.name, index, where))
            self._entries[(keys.name, index, where)] = new
            if old != new:
                units += 2 if old is not None and new is not None else 1
        return units


def request_units(
    operation: str,
    request: dict[str, Any],
    response: dict[str, Any],
    index_units: int,
) -> Units:
    consistent = bool(request.get("ConsistentRead"))
    match operation:
        case "GetItem":
            found = response.get("Item")
            units = _read_units(item_size(found or {}), consistent)
            return Units(read=units, items_read=int(found is not None))
        case "Query" | "Scan":
            items = response.get("Items", [])
            units = _read_units(sum(item_size(item) for item in items), consistent)
            return Units(read=units, items_read=len(items))
        case "PutItem":
            units = _write_units(item_size(request["Item"]))
            return Units(write=units + index_units)
        case "UpdateItem" | "DeleteItem":
            return Units(write=_write_units(_key_and_values_size(request)))
    return Units()


def _key_and_values_size(request: dict[str, Any]) -> int:
    """The whole item counts; Powertools' records are small, so key and values are near."""
    values = request.get("ExpressionAttributeValues", {})
    return item_size(request["Key"]) + sum(_value_size(v) for v in values.values())


def _read_units(size: int, consistent: bool) -> float:
    units = _per_started(size, 4 * KB)
    return units if consistent else units / 2


def _write_units(size: int) -> float:
    return _per_started(size, KB)


def _per_started(size: int, block: int) -> float:
    """A unit for each block begun, and at least one."""
    return float(max(1, math.ceil(size / block)))


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item in its wire format: names plus values, in bytes."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    match kind:
        case "S":
            return len(str(inner).encode())
        case "N":
            return _number_size(str(inner))
        case "B":
            return len(base64.b64decode(inner))
        case "SS":
            return sum(len(text.encode()) for text in inner)
        case "NS":
            return sum(_number_size(number) for number in inner)
        case "L":
            return 3 + sum(1 + _value_size(element) for element in inner)
        case "M":
            return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in inner.items())
    return 1


def _number_size(number: str) -> int:
    """A byte per two significant digits, and one more."""
    digits = number.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1
