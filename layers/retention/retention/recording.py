"""Recording what a source tells us onto the customer's profile, and planning triggers.

The webhook functions and the lifecycle scan both end in ``refresh``: one path rebuilds the
profile from its orders, plans triggers and enqueues those that are due, so a trigger fires
the same way whether an order or the passing of time made it due.

Triggers are enqueued before the profile that records them is written. If the write then
fails, the retry enqueues them again and the dispatcher, which sends each key once,
absorbs the repeat; the other order could lose a trigger.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from retention.data.ports import ConflictError, OrderLink, ProfileStore, TriggerQueue
from retention.domain.events import (
    CustomerSnapshot,
    OrderSnapshot,
    RedactRequest,
    RefundSnapshot,
    SourceEvent,
    latest_time,
)
from retention.domain.identity import customer_key
from retention.domain.orders import (
    OrderRecord,
    PendingRefund,
    add_refund,
    merge_order,
    with_held_refunds,
)
from retention.domain.profiles import Profile, apply_customer, summarise
from retention.domain.rules import RetentionRules
from retention.domain.triggers import plan
from retention.redaction import redact

ATTEMPTS = 5
ERASED = "the customer's data was erased after this was sent"
TRIGGER_KEYS_KEPT = 100


@dataclass(frozen=True)
class Outcome:
    applied: bool
    reason: str | None = None
    customer_key: str | None = None
    triggers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """Whose order it is, the refunds it carries over, and whom it moved away from."""

    owner: str
    pending: dict[str, PendingRefund]
    previous: str | None = None


@dataclass(frozen=True)
class Recorder:
    store: ProfileStore
    queue: TriggerQueue
    rules: RetentionRules

    def record(self, source: str, tenant: str, event: SourceEvent, now: datetime) -> Outcome:
        match event:
            case OrderSnapshot():
                return self.record_order(source, tenant, event, now)
            case RefundSnapshot():
                return self.record_refund(tenant, event, now)
            case CustomerSnapshot():
                return self.record_customer(source, tenant, event, now)
            case RedactRequest():
                erased = redact(self.store, source, tenant, event, now)
                return Outcome(applied=True, reason=f"erased {erased} stored items")

    def record_order(
        self, source: str, tenant: str, order: OrderSnapshot, now: datetime
    ) -> Outcome:
        customer = order.customer
        email = order.email or (customer.email if customer else None)
        key = customer_key(source, customer.customer_id if customer else None, email)
        if key is None:
            return Outcome(applied=False, reason="order has neither a customer nor an email")
        if self._erased_since(tenant, key, order.updated_at):
            return Outcome(applied=False, reason=ERASED)

        claim = self._claim_order(tenant, order, key)
        owner = claim.owner
        self._update_order(
            tenant, owner, order.order_id, lambda s: merge_order(s, order, claim.pending)
        )
        self._take_held_refunds(tenant, owner, order.order_id)

        if claim.previous is not None:
            self._move_away(tenant, claim.previous, owner, order.order_id)
            self.refresh(tenant, claim.previous, now)
        if owner != key:
            # A stale delivery of an order that has moved to another customer since: its
            # buyer's details belong to nobody's profile now.
            return self.refresh(tenant, owner, now)
        if customer is None:
            customer = CustomerSnapshot(customer_id=None, email=email, updated_at=None)
        return self.refresh(tenant, key, now, customer)

    def record_refund(self, tenant: str, refund: RefundSnapshot, now: datetime) -> Outcome:
        link = self.store.get_order_link(tenant, refund.order_id)
        key = link.customer_key if link else None
        if key is None or self.store.get_order(tenant, key, refund.order_id)[0] is None:
            self._hold_refund(tenant, refund, link)
            key = self._customer_of(tenant, refund.order_id)
            if key is None:
                return Outcome(applied=True, reason="refund held until its order arrives")
            self._take_held_refunds(tenant, key, refund.order_id)
        else:
            self._update_order(tenant, key, refund.order_id, lambda s: _refund_onto(s, refund))
        return self.refresh(tenant, key, now)

    def record_customer(
        self, source: str, tenant: str, customer: CustomerSnapshot, now: datetime
    ) -> Outcome:
        key = customer_key(source, customer.customer_id, customer.email)
        if key is None:
            return Outcome(applied=False, reason="customer has neither an id nor an email")
        if self._erased_since(tenant, key, latest_time(customer)):
            return Outcome(applied=False, reason=ERASED)
        return self.refresh(tenant, key, now, customer)

    def refresh(
        self,
        tenant: str,
        key: str,
        now: datetime,
        customer: CustomerSnapshot | None = None,
    ) -> Outcome:
        """Rebuild the profile, enqueue what is due, and store it; retried on conflict.

        A rebuild that changes nothing writes nothing: a stale or repeated delivery costs
        reads only.
        """
        for _ in range(ATTEMPTS):
            stored = self.store.get_profile(tenant, key)
            profile = stored or Profile(tenant=tenant, customer_key=key)
            if customer is not None:
                profile = apply_customer(profile, customer)
            profile = summarise(profile, self.store.list_orders(tenant, key), self.rules)

            planned = plan(profile, self.rules, now)
            due_keys = [trigger.key for trigger in planned.due]
            version = stored.version if stored else 0
            profile = profile.model_copy(
                update={
                    "stage": planned.stage,
                    "next_action": planned.next_action,
                    "next_action_at": planned.next_action_at,
                    "triggers_enqueued": (profile.triggers_enqueued + tuple(due_keys))[
                        -TRIGGER_KEYS_KEPT:
                    ],
                    "version": version + 1,
                }
            )

            if stored is not None and profile == stored.model_copy(update={"version": version + 1}):
                return Outcome(applied=True, reason="nothing changed", customer_key=key)

            if planned.due:
                self.queue.enqueue(planned.due)
            try:
                self.store.put_profile(profile, expected_version=version)
            except ConflictError:
                continue
            return Outcome(applied=True, customer_key=key, triggers=due_keys)

        raise ConflictError(f"profile kept changing under us after {ATTEMPTS} attempts")

    def _claim_order(self, tenant: str, order: OrderSnapshot, key: str) -> Claim:
        """Decide whose order this is, and note it on the order's link.

        An order can move to another customer (Shopify lets a merchant change it). The newer
        snapshot decides: it moves the order, while a stale one is applied to the order
        where it now is. Refunds that came first, or were recorded under the previous owner,
        go with it.
        """
        for _ in range(ATTEMPTS):
            link = self.store.get_order_link(tenant, order.order_id)
            held = link.pending_refunds if link else {}
            holder = link.customer_key if link else None
            if holder == key:
                return Claim(key, held)

            previous = None
            if holder is not None:
                stored, _ = self.store.get_order(tenant, holder, order.order_id)
                if stored is not None and stored.updated_at >= order.updated_at:
                    return Claim(holder, held)
                previous = holder
                held = {**held, **_as_held(stored)}

            version = link.version if link else 0
            try:
                self.store.put_order_link(
                    tenant, order.order_id, OrderLink(key, held), expected_version=version
                )
            except ConflictError:
                continue
            return Claim(key, held, previous)

        raise ConflictError(f"order link kept changing after {ATTEMPTS} attempts")

    def _erased_since(self, tenant: str, key: str, moment: datetime | None) -> bool:
        """Whether the customer was erased after ``moment`` (undated counts as before).

        Only a customer without a profile can have been erased, so the mark is read only
        then: the common case costs no extra read.
        """
        if self.store.get_profile(tenant, key) is not None:
            return False
        erased_at = self.store.get_erasure(tenant, key)
        return erased_at is not None and (moment is None or moment <= erased_at)

    def _move_away(self, tenant: str, previous: str, owner: str, order_id: str) -> None:
        """Delete the previous owner's copy, taking along refunds recorded on it meanwhile.

        The delete is conditional on the version whose refunds were taken, so a refund
        written to the old copy at the last moment makes the step run again.
        """
        for _ in range(ATTEMPTS):
            stored, version = self.store.get_order(tenant, previous, order_id)
            if stored is None:
                return
            carried = partial(_held_onto, held=_as_held(stored))
            self._update_order(tenant, owner, order_id, carried)
            try:
                self.store.delete_order(tenant, previous, order_id, expected_version=version)
            except ConflictError:
                continue
            return

        raise ConflictError(f"moved order kept changing after {ATTEMPTS} attempts")

    def _customer_of(self, tenant: str, order_id: str) -> str | None:
        """The order's customer, if the order itself is stored by now."""
        link = self.store.get_order_link(tenant, order_id)
        if link is None or link.customer_key is None:
            return None
        stored, _ = self.store.get_order(tenant, link.customer_key, order_id)
        return link.customer_key if stored else None

    def _take_held_refunds(self, tenant: str, key: str, order_id: str) -> None:
        """Merge refunds held on the order's link into the stored order.

        Both sides look again after writing: the order after it is stored, the refund after
        it is held. Whichever writes second sees the other's write, so a refund arriving
        while its order is being stored is never lost.
        """
        link = self.store.get_order_link(tenant, order_id)
        held = link.pending_refunds if link else {}
        if held:
            self._update_order(tenant, key, order_id, lambda s: _held_onto(s, held))

    def _hold_refund(self, tenant: str, refund: RefundSnapshot, link: OrderLink | None) -> None:
        for _ in range(ATTEMPTS):
            pending = dict(link.pending_refunds) if link else {}
            pending[refund.refund_id] = PendingRefund(
                amount=refund.amount, currency=refund.currency
            )
            version = link.version if link else 0
            try:
                self.store.put_order_link(
                    tenant,
                    refund.order_id,
                    OrderLink(link.customer_key if link else None, pending),
                    expected_version=version,
                )
            except ConflictError:
                link = self.store.get_order_link(tenant, refund.order_id)
                continue
            return

        raise ConflictError(f"order link kept changing after {ATTEMPTS} attempts")

    def _update_order(
        self,
        tenant: str,
        key: str,
        order_id: str,
        change: Callable[[OrderRecord | None], OrderRecord | None],
    ) -> None:
        for _ in range(ATTEMPTS):
            stored, version = self.store.get_order(tenant, key, order_id)
            updated = change(stored)
            if updated is None or updated == stored:
                return
            try:
                self.store.put_order(tenant, key, updated, expected_version=version)
            except ConflictError:
                continue
            return

        raise ConflictError(f"order kept changing under us after {ATTEMPTS} attempts")


def _refund_onto(stored: OrderRecord | None, refund: RefundSnapshot) -> OrderRecord | None:
    return add_refund(stored, refund) if stored else None


def _held_onto(stored: OrderRecord | None, held: dict[str, PendingRefund]) -> OrderRecord | None:
    return with_held_refunds(stored, held) if stored else None


def _as_held(order: OrderRecord | None) -> dict[str, PendingRefund]:
    if order is None:
        return {}
    return {
        refund_id: PendingRefund(amount=amount, currency=order.currency)
        for refund_id, amount in order.refunds.items()
    }
