"""Erasing a customer's personal data when the store asks (Shopify's ``customers/redact``).

What is erased: the profile, every stored order of the customer, the links of those orders,
and the guest profile kept for the same email. A mark with the time of erasure stays.
Deliveries' dedupe keys hold no personal data and expire by themselves; outbox entries
expire within 25 days (see ``channels.outbox``).
Triggers still queued for the customer find the mark and are dropped, not retried.
"""

from datetime import datetime

from retention.data.ports import ProfileStore
from retention.domain.events import RedactRequest
from retention.domain.identity import customer_key


def redact(
    store: ProfileStore, source: str, tenant: str, request: RedactRequest, now: datetime
) -> int:
    """Delete what we hold of the customer; returns how many stored items were erased.

    An order listed in the request that belongs to someone else now keeps its link: only
    links that point at the erased customer go. Each key gets an erasure mark, so that a
    delivery dated before now cannot bring the customer back.
    """
    keys = {
        key
        for key in (
            customer_key(source, request.customer_id, None),
            customer_key(source, None, request.email),
        )
        if key is not None
    }
    erased = 0
    order_ids = set(request.order_ids)

    for key in keys:
        known = [now]
        for order in store.list_orders(tenant, key):
            store.delete_order(tenant, key, order.order_id)
            order_ids.add(order.order_id)
            known.append(order.updated_at)
            erased += 1
        profile = store.get_profile(tenant, key)
        if profile is not None:
            store.delete_profile(tenant, key)
            known += [t for t in (profile.customer_updated_at, profile.consent.updated_at) if t]
            erased += 1
        # Dated no earlier than what was erased: a sender's clock may run ahead of ours.
        store.put_erasure(tenant, key, max(known))

    for order_id in order_ids:
        link = store.get_order_link(tenant, order_id)
        if link is not None and link.customer_key in keys:
            store.delete_order_link(tenant, order_id)
            erased += 1
    return erased
