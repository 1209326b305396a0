"""Whose profile an event belongs to."""

import pytest
from retention.domain.identity import customer_key, normalise_email


def test_registered_customer_is_keyed_by_the_stores_id():
    # Given a registered customer, with an email too
    # When the profile key is made
    key = customer_key("shopify", "7000000001", "asha.rao@example.com")

    # Then the store's id keys it, never the email
    assert key == "shopify:7000000001"


def test_guest_key_is_a_hash_that_never_carries_the_email():
    # Given a guest checkout with only an email
    # When the profile key is made
    key = customer_key("shopify", None, "asha.rao@example.com")

    # Then it is a guest hash, with no part of the address in it
    assert key is not None
    assert key.startswith("guest:")
    assert "asha" not in key
    assert "example" not in key


def test_guest_key_is_the_same_however_the_email_is_typed():
    # Given the same guest typing their email differently on two orders
    # When the keys are made
    first = customer_key("shopify", None, "asha.rao@example.com")
    second = customer_key("shopify", None, "  Asha.Rao@Example.COM ")

    # Then both orders land on one guest profile
    assert first == second


def test_different_guests_get_different_keys():
    # Given two guests
    # When their keys are made
    # Then they differ
    assert customer_key("shopify", None, "a@example.com") != customer_key(
        "shopify", None, "b@example.com"
    )


@pytest.mark.parametrize("email", [None, "", "not-an-email"])
def test_order_with_neither_customer_nor_email_has_no_key(email):
    # Given an order with no customer and no usable email
    # When a key is asked for
    # Then there is nobody to retain
    assert customer_key("shopify", None, email) is None


def test_normalised_email_is_trimmed_and_lower_case():
    # Given an email as typed at checkout
    # When it is normalised
    # Then it is trimmed and lower-cased
    assert normalise_email("  Asha.Rao@Example.COM ") == "asha.rao@example.com"
