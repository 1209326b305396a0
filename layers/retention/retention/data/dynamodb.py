"""The single-table DynamoDB store.

Access patterns, each served by a key or the due index, never a Scan:

====================================  ===============================  =====================
Pattern                               Key                              Operation
====================================  ===============================  =====================
profile of a customer                 pk=CUSTOMER#<tenant>#<customer>  GetItem (consistent)
                                      sk=PROFILE
one order of a customer               pk=CUSTOMER#..., sk=ORDER#<id>   GetItem (consistent)
all orders of a customer              pk=CUSTOMER#..., sk>ORDER#       Query (consistent)
customer of an order (for refunds)    pk=ORDER#<tenant>#<order>        GetItem (consistent)
                                      sk=LINK
profiles whose next action is due     GSI "due": due_shard=DUE#<n>,   Query per shard
                                      due_at <= now
a customer's data, to redact it       pk=CUSTOMER#... and each order's  Query, DeleteItem
                                      ORDER#...#LINK
====================================  ===============================  =====================

Only profiles with a next action carry ``due_shard``, so the due index is sparse: the
lifecycle scan reads what is due and nothing else.
"""

import hashlib
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from retention.data.items import from_item, iso, to_item
from retention.data.ports import ConflictError, OrderLink, ProfileStore
from retention.domain.orders import OrderRecord, PendingRefund
from retention.domain.profiles import Profile

DUE_INDEX = "due"
DUE_SHARDS = 4
PROFILE_SK = "PROFILE"
ORDER_PREFIX = "ORDER#"
LINK_SK = "LINK"
# Kept after a customer is erased, holding only the time, so that a late delivery from
# before the erasure cannot bring the customer's data back.
ERASED_SK = "ERASED"


def customer_pk(tenant: str, customer_key: str) -> str:
    return f"CUSTOMER#{tenant}#{customer_key}"


def order_link_pk(tenant: str, order_id: str) -> str:
    return f"ORDER#{tenant}#{order_id}"


def due_shard(pk: str) -> str:
    """Spread due profiles over a few index partitions so no single one runs hot."""
    digest = hashlib.sha256(pk.encode()).digest()
    return f"DUE#{digest[0] % DUE_SHARDS}"


class DynamoProfileStore(ProfileStore):
    def __init__(self, table: Any) -> None:
        self._table = table

    def get_profile(self, tenant: str, customer_key: str) -> Profile | None:
        item = self._get(customer_pk(tenant, customer_key), PROFILE_SK)
        return from_item(Profile, item) if item else None

    def put_profile(self, profile: Profile, expected_version: int) -> None:
        pk = customer_pk(profile.tenant, profile.customer_key)
        item = {"pk": pk, "sk": PROFILE_SK, **to_item(profile)}
        if profile.next_action_at is not None:
            item["due_shard"] = due_shard(pk)
            item["due_at"] = iso(profile.next_action_at)
        self._put(item, expected_version)

    def get_order(
        self, tenant: str, customer_key: str, order_id: str
    ) -> tuple[OrderRecord | None, int]:
        item = self._get(customer_pk(tenant, customer_key), ORDER_PREFIX + order_id)
        if not item:
            return None, 0
        return from_item(OrderRecord, _without_keys(item)), int(item["version"])

    def put_order(
        self, tenant: str, customer_key: str, order: OrderRecord, expected_version: int
    ) -> None:
        item = {
            "pk": customer_pk(tenant, customer_key),
            "sk": ORDER_PREFIX + order.order_id,
            **to_item(order),
            "version": expected_version + 1,
        }
        self._put(item, expected_version)

    def list_orders(self, tenant: str, customer_key: str) -> list[OrderRecord]:
        condition = Key("pk").eq(customer_pk(tenant, customer_key)) & Key("sk").begins_with(
            ORDER_PREFIX
        )
        items = self._query(KeyConditionExpression=condition, ConsistentRead=True)
        return [from_item(OrderRecord, _without_keys(item)) for item in items]

    def delete_order(
        self, tenant: str, customer_key: str, order_id: str, expected_version: int | None = None
    ) -> None:
        key = {"pk": customer_pk(tenant, customer_key), "sk": ORDER_PREFIX + order_id}
        if expected_version is None:
            self._table.delete_item(Key=key)
            return
        try:
            self._table.delete_item(
                Key=key, ConditionExpression=Attr("version").eq(Decimal(expected_version))
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(key["pk"]) from error
            raise

    def get_erasure(self, tenant: str, customer_key: str) -> datetime | None:
        item = self._get(customer_pk(tenant, customer_key), ERASED_SK)
        return datetime.fromisoformat(str(item["erased_at"])) if item else None

    def put_erasure(self, tenant: str, customer_key: str, erased_at: datetime) -> None:
        pk = customer_pk(tenant, customer_key)
        self._table.put_item(Item={"pk": pk, "sk": ERASED_SK, "erased_at": iso(erased_at)})

    def delete_order_link(self, tenant: str, order_id: str) -> None:
        self._table.delete_item(Key={"pk": order_link_pk(tenant, order_id), "sk": LINK_SK})

    def delete_profile(self, tenant: str, customer_key: str) -> None:
        key = {"pk": customer_pk(tenant, customer_key), "sk": PROFILE_SK}
        self._table.delete_item(Key=key)

    def get_order_link(self, tenant: str, order_id: str) -> OrderLink | None:
        item = self._get(order_link_pk(tenant, order_id), LINK_SK)
        if not item:
            return None
        pending = {
            refund_id: PendingRefund.model_validate(value)
            for refund_id, value in (item.get("pending_refunds") or {}).items()
        }
        return OrderLink(
            customer_key=item.get("customer_key"),
            pending_refunds=pending,
            version=int(item["version"]),
        )

    def put_order_link(
        self, tenant: str, order_id: str, link: OrderLink, expected_version: int
    ) -> None:
        item: dict[str, Any] = {
            "pk": order_link_pk(tenant, order_id),
            "sk": LINK_SK,
            "version": expected_version + 1,
            "pending_refunds": {
                refund_id: to_item(refund) for refund_id, refund in link.pending_refunds.items()
            },
        }
        if link.customer_key:
            item["customer_key"] = link.customer_key
        self._put(item, expected_version)

    def due_profiles(self, now: datetime) -> Iterator[tuple[str, str]]:
        for shard in range(DUE_SHARDS):
            condition = Key("due_shard").eq(f"DUE#{shard}") & Key("due_at").lte(iso(now))
            for item in self._query(IndexName=DUE_INDEX, KeyConditionExpression=condition):
                _, tenant, customer_key = str(item["pk"]).split("#", 2)
                yield tenant, customer_key

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True)
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _put(self, item: dict[str, Any], expected_version: int) -> None:
        if expected_version == 0:
            condition = Attr("pk").not_exists()
        else:
            condition = Attr("version").eq(Decimal(expected_version))
        try:
            self._table.put_item(Item=item, ConditionExpression=condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(item["pk"]) from error
            raise

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            response = self._table.query(**kwargs)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _without_keys(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in {"pk", "sk", "version"}}
