"""Whose profile an event belongs to."""

import hashlib


def normalise_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.strip().lower()


def customer_key(source: str, customer_id: str | None, email: str | None) -> str | None:
    """The profile key: the store's customer id, else the guest's normalised email.

    A guest key is a hash, so the key itself (which appears in logs and trigger keys) never
    carries the address. With neither id nor email there is nobody to retain.
    """
    if customer_id:
        return f"{source}:{customer_id}"

    normalised = normalise_email(email)
    if normalised is None:
        return None
    return "guest:" + hashlib.sha256(normalised.encode()).hexdigest()[:32]
