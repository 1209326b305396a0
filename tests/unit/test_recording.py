"""Recording and the scan under contention, with an in-memory store that keeps the same
conditional-write contract as the DynamoDB one."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from retention.data.ports import ConflictError, OrderLink, ProfileStore, TriggerQueue
from retention.domain.events import OrderSnapshot, RefundSnapshot, SourceEvent
from retention.domain.orders import OrderRecord
from retention.domain.profiles import Profile
from retention.domain.rules import RetentionRules
from retention.domain.triggers import Trigger
from retention.recording import Recorder
from retention.scan import scan

SHOP = "demo-store.myshopify.com"
ASHA = "shopify:7000000001"
JUST_AFTER_ORDER = datetime(2026, 1, 11, 19, 1, tzinfo=UTC)


class MemoryStore(ProfileStore):
    """Versioned items in dicts; ``rivals`` counts writes that someone else wins first."""

    def __init__(self) -> None:
        self.profiles: dict[tuple[str, str], Profile] = {}
        self.orders: dict[tuple[str, str, str], tuple[OrderRecord, int]] = {}
        self.links: dict[tuple[str, str], OrderLink] = {}
        self.erasures: dict[tuple[str, str], datetime] = {}
        self.rivals = {"profile": 0, "order": 0, "link": 0}

    def get_profile(self, tenant: str, customer_key: str) -> Profile | None:
        return self.profiles.get((tenant, customer_key))

    def put_profile(self, profile: Profile, expected_version: int) -> None:
        self._contend("profile")
        stored = self.profiles.get((profile.tenant, profile.customer_key))
        if (stored.version if stored else 0) != expected_version:
            raise ConflictError(profile.customer_key)
        self.profiles[(profile.tenant, profile.customer_key)] = profile

    def get_order(
        self, tenant: str, customer_key: str, order_id: str
    ) -> tuple[OrderRecord | None, int]:
        record, version = self.orders.get((tenant, customer_key, order_id), (None, 0))
        return record, version

    def put_order(
        self, tenant: str, customer_key: str, order: OrderRecord, expected_version: int
    ) -> None:
        self._contend("order")
        _, version = self.orders.get((tenant, customer_key, order.order_id), (None, 0))
        if version != expected_version:
            raise ConflictError(order.order_id)
        self.orders[(tenant, customer_key, order.order_id)] = (order, version + 1)

    def list_orders(self, tenant: str, customer_key: str) -> list[OrderRecord]:
        return [r for (t, c, _), (r, _) in self.orders.items() if (t, c) == (tenant, customer_key)]

    def delete_order(
        self, tenant: str, customer_key: str, order_id: str, expected_version: int | None = None
    ) -> None:
        self.orders.pop((tenant, customer_key, order_id), None)

    def get_erasure(self, tenant: str, customer_key: str) -> datetime | None:
        return self.erasures.get((tenant, customer_key))

    def put_erasure(self, tenant: str, customer_key: str, erased_at: datetime) -> None:
        self.erasures[(tenant, customer_key)] = erased_at

    def delete_order_link(self, tenant: str, order_id: str) -> None:
        self.links.pop((tenant, order_id), None)

    def delete_profile(self, tenant: str, customer_key: str) -> None:
        self.profiles.pop((tenant, customer_key), None)

    def get_order_link(self, tenant: str, order_id: str) -> OrderLink | None:
        return self.links.get((tenant, order_id))

    def put_order_link(
        self, tenant: str, order_id: str, link: OrderLink, expected_version: int
    ) -> None:
        self._contend("link")
        stored = self.links.get((tenant, order_id))
        if (stored.version if stored else 0) != expected_version:
            raise ConflictError(order_id)
        self.links[(tenant, order_id)] = OrderLink(
            link.customer_key, link.pending_refunds, expected_version + 1
        )

    def due_profiles(self, now: datetime) -> Iterator[tuple[str, str]]:
        for (tenant, key), profile in list(self.profiles.items()):
            if profile.next_action_at and profile.next_action_at <= now:
                yield tenant, key

    def _contend(self, kind: str) -> None:
        if self.rivals[kind]:
            self.rivals[kind] -= 1
            raise ConflictError(kind)


class ListQueue(TriggerQueue):
    def __init__(self) -> None:
        self.sent: list[Trigger] = []

    def enqueue(self, triggers: list[Trigger]) -> None:
        self.sent.extend(triggers)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def queue() -> ListQueue:
    return ListQueue()


@pytest.fixture
def recorder(store: MemoryStore, queue: ListQueue) -> Recorder:
    return Recorder(store, queue, RetentionRules(timezone="Asia/Kolkata"))


@pytest.fixture
def paid_order(shopify_snapshot: Callable[[str], SourceEvent]) -> OrderSnapshot:
    order = shopify_snapshot("orders/paid")
    assert isinstance(order, OrderSnapshot)
    return order


def strainer_refund(order: OrderSnapshot) -> RefundSnapshot:
    return RefundSnapshot(
        refund_id="r1",
        order_id=order.order_id,
        created_at=JUST_AFTER_ORDER,
        currency="INR",
        amount=Decimal("350.00"),
    )


def test_a_profile_written_by_someone_else_meanwhile_is_rebuilt_and_kept(
    recorder: Recorder, store: MemoryStore, queue: ListQueue, paid_order: OrderSnapshot
):
    # Given another delivery wins the race for the profile twice
    store.rivals["profile"] = 2

    # When the paid order is recorded
    outcome = recorder.record("shopify", SHOP, paid_order, JUST_AFTER_ORDER)

    # Then it is applied after retrying, and the welcome is queued (the dispatcher dedupes
    # the repeats that the retries enqueued)
    assert outcome.applied
    profile = store.get_profile(SHOP, ASHA)
    assert profile is not None
    assert profile.order_count == 1
    assert {t.kind for t in queue.sent} == {"welcome"}


def test_contention_that_never_ends_is_an_error_so_the_sender_retries(
    recorder: Recorder, store: MemoryStore, paid_order: OrderSnapshot
):
    store.rivals["order"] = 99

    with pytest.raises(ConflictError):
        recorder.record("shopify", SHOP, paid_order, JUST_AFTER_ORDER)


def test_a_refund_held_for_a_busy_order_link_is_not_lost(
    recorder: Recorder, store: MemoryStore, paid_order: OrderSnapshot
):
    # Given a refund that arrives first while its order link is being written by another
    refund = strainer_refund(paid_order)
    store.rivals["link"] = 1

    # When the refund and then the order are recorded
    recorder.record("shopify", SHOP, refund, JUST_AFTER_ORDER)
    recorder.record("shopify", SHOP, paid_order, JUST_AFTER_ORDER)

    # Then the refund is taken off
    profile = store.get_profile(SHOP, ASHA)
    assert profile is not None
    assert profile.revenue == {"INR": Decimal("900.00")}


def test_the_scan_stops_before_the_function_times_out_and_leaves_the_rest_due(
    recorder: Recorder, store: MemoryStore, paid_order: OrderSnapshot
):
    # Given a due profile and a function with almost no time left
    recorder.record("shopify", SHOP, paid_order, JUST_AFTER_ORDER)
    later = datetime(2026, 3, 1, tzinfo=UTC)

    # When the scan runs
    result = scan(store, recorder, later, time_left=lambda: 1.0)

    # Then it reports unfinished work and the profile is still due for the next run
    assert result.unfinished
    assert result.profiles == 0
    assert list(store.due_profiles(later)) == [(SHOP, ASHA)]


def test_the_scan_skips_a_profile_that_stays_busy_and_goes_on(
    recorder: Recorder, store: MemoryStore, paid_order: OrderSnapshot
):
    recorder.record("shopify", SHOP, paid_order, JUST_AFTER_ORDER)
    store.rivals["profile"] = 99

    result = scan(store, recorder, datetime(2026, 3, 1, tzinfo=UTC))

    assert result.profiles == 0
    assert not result.unfinished


def test_a_refund_arriving_while_its_order_is_being_stored_is_not_lost(
    recorder: Recorder, store: MemoryStore, paid_order: OrderSnapshot
):
    # Given a refund that arrives after the order's link is written but before the order is
    refund = strainer_refund(paid_order)
    store_order = store.put_order
    arrivals = [refund]

    def refund_first(*args, **kwargs) -> None:
        while arrivals:
            recorder.record("shopify", SHOP, arrivals.pop(), JUST_AFTER_ORDER)
        store_order(*args, **kwargs)

    store.put_order = refund_first  # type: ignore[method-assign]

    # When the order is recorded
    recorder.record("shopify", SHOP, paid_order, JUST_AFTER_ORDER)

    # Then the refund is taken off all the same
    profile = store.get_profile(SHOP, ASHA)
    assert profile is not None
    assert profile.revenue == {"INR": Decimal("900.00")}
