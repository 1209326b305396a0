"""What the recording rules need from storage and the trigger queue.

Every write of a stored item is conditional on the version that was read, so two
deliveries about the same customer can never overwrite each other's work silently.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from retention.domain.orders import OrderRecord, PendingRefund
from retention.domain.profiles import Profile
from retention.domain.triggers import Trigger


class ConflictError(Exception):
    """Someone else wrote the item since we read it; read again and retry."""


@dataclass(frozen=True)
class OrderLink:
    """Which customer an order belongs to, and refunds that came before the order."""

    customer_key: str | None
    pending_refunds: dict[str, PendingRefund] = field(default_factory=dict)
    version: int = 0


class ProfileStore(ABC):
    @abstractmethod
    def get_profile(self, tenant: str, customer_key: str) -> Profile | None: ...

    @abstractmethod
    def put_profile(self, profile: Profile, expected_version: int) -> None:
        """Store ``profile``; ``expected_version`` 0 means it must not exist yet."""

    @abstractmethod
    def get_order(
        self, tenant: str, customer_key: str, order_id: str
    ) -> tuple[OrderRecord | None, int]: ...

    @abstractmethod
    def put_order(
        self, tenant: str, customer_key: str, order: OrderRecord, expected_version: int
    ) -> None: ...

    @abstractmethod
    def list_orders(self, tenant: str, customer_key: str) -> list[OrderRecord]: ...

    @abstractmethod
    def delete_order(
        self, tenant: str, customer_key: str, order_id: str, expected_version: int | None = None
    ) -> None:
        """Delete an order; with ``expected_version``, only if no one wrote it since."""

    @abstractmethod
    def get_erasure(self, tenant: str, customer_key: str) -> datetime | None:
        """When the customer's data was erased, if it was."""

    @abstractmethod
    def put_erasure(self, tenant: str, customer_key: str, erased_at: datetime) -> None: ...

    @abstractmethod
    def delete_order_link(self, tenant: str, order_id: str) -> None: ...

    @abstractmethod
    def delete_profile(self, tenant: str, customer_key: str) -> None: ...

    @abstractmethod
    def get_order_link(self, tenant: str, order_id: str) -> OrderLink | None: ...

    @abstractmethod
    def put_order_link(
        self, tenant: str, order_id: str, link: OrderLink, expected_version: int
    ) -> None: ...

    @abstractmethod
    def due_profiles(self, now: datetime) -> Iterator[tuple[str, str]]:
        """``(tenant, customer_key)`` of every profile whose next action is due by ``now``."""


class TriggerQueue(ABC):
    @abstractmethod
    def enqueue(self, triggers: list[Trigger]) -> None: ...
