"""Erasing a customer's personal data when the store asks (Shopify's ``customers/redact``).

What is erased: the profile, every stored order of the customer, each order's link, and the
guest profile kept for the same email. Deliveries' dedupe keys hold no personal data and
expire by themselves; outbox entries expire within 25 days (see ``channels.outbox``).
Triggers still queued for the customer find no profile and are not sent.
"""

from retention.data.ports import ProfileStore
from retention.domain.events import RedactRequest
from retention.domain.identity import customer_key


def redact(store: ProfileStore, source: str, tenant: str, request: RedactRequest) -> int:
    """Delete what we hold of the customer; returns how many stored items were erased."""
    keys = {
        customer_key(source, request.customer_id, None),
        customer_key(source, None, request.email),
    }
    erased = 0
    order_ids = set(request.order_ids)

    for key in filter(None, keys):
        for order in store.list_orders(tenant, key):
            store.delete_order(tenant, key, order.order_id)
            order_ids.add(order.order_id)
            erased += 1
        if store.get_profile(tenant, key) is not None:
            store.delete_profile(tenant, key)
            erased += 1

    for order_id in order_ids:
        if store.get_order_link(tenant, order_id) is not None:
            store.delete_order_link(tenant, order_id)
            erased += 1
    return erased
