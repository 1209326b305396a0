"""HubSpot contacts: the upsert request HubSpot expects, batches, and partial failures."""

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from retention.channels import RejectedError, RetryableError
from retention.channels import hubspot as hubspot_module
from retention.channels.http import Connection, RetryPolicy, new_client
from retention.channels.hubspot import Contact, HubSpot, contact_for, trace_id
from retention.domain.rules import RetentionRules
from retention.domain.triggers import Trigger

from tests.support.profiles import ASHA_EMAIL, SHOP, asha, welcome
from tests.support.vendors import asha_upsert

BASE = "https://api.hubapi.com"
UPSERT_URL = f"{BASE}/crm/v3/objects/contacts/batch/upsert"
TOKEN = "pat-na1-test-token"
KOLKATA = RetentionRules(timezone="Asia/Kolkata")
BOB_EMAIL = "rohan.mehta@example.com"


def hubspot() -> HubSpot:
    client = new_client(BASE, hubspot_module.headers(TOKEN))
    policy = RetryPolicy(sleep=lambda seconds: None)
    return HubSpot(Connection("hubspot", client, policy, hubspot_module.explain))


def asha_contact(rules: RetentionRules = KOLKATA) -> Contact:
    contact = contact_for(asha(), welcome(), rules)
    assert contact is not None
    return contact


def bob_trigger() -> Trigger:
    return welcome().model_copy(
        update={"key": f"{SHOP}/shopify:7000000002/welcome", "customer_key": "shopify:7000000002"}
    )


def bob_contact() -> Contact:
    profile = asha(customer_key="shopify:7000000002", email=BOB_EMAIL, first_name="Rohan")
    contact = contact_for(profile, bob_trigger(), KOLKATA)
    assert contact is not None
    return contact


def sent_inputs(route: respx.Route, call: int = -1) -> list[dict[str, Any]]:
    inputs: list[dict[str, Any]] = json.loads(route.calls[call].request.content)["inputs"]
    return inputs


def test_upsert_is_the_request_hubspot_expects(respx_mock: respx.MockRouter) -> None:
    # Given
    route = respx_mock.post(UPSERT_URL).mock(
        return_value=httpx.Response(200, json={"status": "COMPLETE", "results": []})
    )

    # When
    refused = hubspot().upsert(SHOP, [asha_contact()])

    # Then
    assert refused == {}
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == asha_upsert()


def test_customer_without_email_is_left_out() -> None:
    # Given
    profile = asha(email=None)

    # When
    contact = contact_for(profile, welcome(), KOLKATA)

    # Then
    assert contact is None


def test_last_order_date_is_the_day_in_the_store_time_zone() -> None:
    # Given an order at 00:30 in Kolkata, 19:00 the day before in UTC
    in_utc = RetentionRules(timezone="UTC")

    # When
    kolkata_day = asha_contact(KOLKATA).properties["retention_last_order_date"]
    utc_day = asha_contact(in_utc).properties["retention_last_order_date"]

    # Then
    assert (kolkata_day, utc_day) == ("2026-01-12", "2026-01-11")


def test_lifetime_value_is_one_currency_never_a_sum() -> None:
    # Given
    profile = asha(revenue={"INR": Decimal("1250.00"), "USD": Decimal("30.5")})
    rules = RetentionRules(base_currency="USD")

    # When
    contact = contact_for(profile, welcome(), rules)

    # Then
    assert contact is not None
    assert contact.properties["retention_lifetime_value"] == "30.5"
    assert contact.properties["retention_ltv_currency"] == "USD"


def test_unknown_values_are_left_out_not_cleared() -> None:
    # Given a guest with nothing but an email and no paid order
    profile = asha(first_name=None, last_name=None, phone=None, revenue={}, last_order_at=None)

    # When
    contact = contact_for(profile, welcome(), KOLKATA)

    # Then
    assert contact is not None
    assert set(contact.properties) == {
        "email",
        "retention_stage",
        "retention_order_count",
        "retention_last_trigger",
    }


def test_more_than_a_hundred_contacts_go_in_batches_of_a_hundred(
    respx_mock: respx.MockRouter,
) -> None:
    # Given
    route = respx_mock.post(UPSERT_URL).mock(
        return_value=httpx.Response(200, json={"status": "COMPLETE", "results": []})
    )
    base = asha_contact()
    contacts = [
        Contact(
            email=f"customer{n}@example.com",
            properties={**base.properties, "email": f"customer{n}@example.com"},
            trigger_key=f"{SHOP}/shopify:{n}/welcome",
            customer_key=f"shopify:{n}",
        )
        for n in range(101)
    ]

    # When
    hubspot().upsert(SHOP, contacts)

    # Then
    assert [len(sent_inputs(route, call)) for call in range(route.call_count)] == [100, 1]


def test_a_contact_named_twice_is_sent_once_with_the_last_values(
    respx_mock: respx.MockRouter,
) -> None:
    # Given
    route = respx_mock.post(UPSERT_URL).mock(
        return_value=httpx.Response(200, json={"status": "COMPLETE", "results": []})
    )
    first = asha_contact()
    second = Contact(
        email=first.email,
        properties={**first.properties, "retention_last_trigger": "post_purchase"},
        trigger_key=f"{SHOP}/shopify:7000000001/post_purchase/6000000001",
        customer_key=first.customer_key,
    )

    # When
    hubspot().upsert(SHOP, [first, second])

    # Then
    inputs = sent_inputs(route)
    assert len(inputs) == 1
    assert inputs[0]["properties"]["retention_last_trigger"] == "post_purchase"


def test_partial_failure_names_the_refused_trigger(respx_mock: respx.MockRouter) -> None:
    # Given
    answer = {
        "status": "COMPLETE",
        "results": [{"id": "101", "objectWriteTraceId": trace_id(ASHA_EMAIL)}],
        "numErrors": 1,
        "errors": [
            {
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": f"Property values were not valid for {BOB_EMAIL}",
                "context": {"objectWriteTraceId": [trace_id(BOB_EMAIL)]},
            }
        ],
    }
    respx_mock.post(UPSERT_URL).mock(return_value=httpx.Response(207, json=answer))

    # When
    refused = hubspot().upsert(SHOP, [asha_contact(), bob_contact()])

    # Then
    assert list(refused) == [bob_trigger().key]
    assert refused[bob_trigger().key].reason == "contact refused: VALIDATION_ERROR"
    assert BOB_EMAIL not in str(refused[bob_trigger().key])


def test_error_naming_its_input_by_email(respx_mock: respx.MockRouter) -> None:
    # Given
    answer = {
        "status": "COMPLETE",
        "results": [],
        "errors": [{"category": "INVALID_EMAIL", "context": {"ids": [BOB_EMAIL.upper()]}}],
    }
    respx_mock.post(UPSERT_URL).mock(return_value=httpx.Response(200, json=answer))

    # When
    refused = hubspot().upsert(SHOP, [asha_contact(), bob_contact()])

    # Then
    assert list(refused) == [bob_trigger().key]


def test_unattributed_errors_refuse_every_unconfirmed_input(
    respx_mock: respx.MockRouter,
) -> None:
    # Given
    answer = {
        "status": "COMPLETE",
        "results": [{"id": "101", "objectWriteTraceId": trace_id(ASHA_EMAIL)}],
        "numErrors": 1,
        "errors": [{"category": "INTERNAL_ERROR"}],
    }
    respx_mock.post(UPSERT_URL).mock(return_value=httpx.Response(207, json=answer))

    # When
    refused = hubspot().upsert(SHOP, [asha_contact(), bob_contact()])

    # Then
    assert list(refused) == [bob_trigger().key]


def test_batch_refused_for_its_content_is_sent_one_contact_at_a_time(
    respx_mock: respx.MockRouter,
) -> None:
    # Given HubSpot refuses any batch that holds Rohan's contact
    def answer(request: httpx.Request) -> httpx.Response:
        emails = {item["id"] for item in json.loads(request.content)["inputs"]}
        if BOB_EMAIL in emails:
            return httpx.Response(400, json={"category": "VALIDATION_ERROR"})
        return httpx.Response(200, json={"status": "COMPLETE", "results": []})

    route = respx_mock.post(UPSERT_URL).mock(side_effect=answer)

    # When
    refused = hubspot().upsert(SHOP, [asha_contact(), bob_contact()])

    # Then
    assert route.call_count == 3
    assert list(refused) == [bob_trigger().key]
    assert refused[bob_trigger().key].reason == "400 VALIDATION_ERROR"


def test_single_contact_refused_for_its_content_is_reported_not_raised(
    respx_mock: respx.MockRouter,
) -> None:
    # Given
    respx_mock.post(UPSERT_URL).mock(
        return_value=httpx.Response(400, json={"category": "VALIDATION_ERROR"})
    )

    # When
    refused = hubspot().upsert(SHOP, [asha_contact()])

    # Then
    assert list(refused) == [welcome().key]


def test_unauthorised_fails_the_whole_batch_at_once(respx_mock: respx.MockRouter) -> None:
    # Given
    route = respx_mock.post(UPSERT_URL).mock(
        return_value=httpx.Response(401, json={"category": "INVALID_AUTHENTICATION"})
    )

    # When
    with pytest.raises(RejectedError) as raised:
        hubspot().upsert(SHOP, [asha_contact(), bob_contact()])

    # Then
    assert route.call_count == 1
    assert raised.value.reason == "401 INVALID_AUTHENTICATION"


def test_rate_limit_reason_names_the_policy(respx_mock: respx.MockRouter) -> None:
    # Given the day's limit is spent, and HubSpot asks for a longer wait than a function has
    answer = {"status": "error", "policyName": "DAILY", "message": "daily limit reached"}
    respx_mock.post(UPSERT_URL).mock(
        return_value=httpx.Response(429, json=answer, headers={"Retry-After": "3600"})
    )

    # When
    with pytest.raises(RetryableError) as raised:
        hubspot().upsert(SHOP, [asha_contact()])

    # Then
    assert str(raised.value) == "hubspot: 429 DAILY"
    assert raised.value.retry_after == 3600.0


def test_dry_run_reply_is_a_complete_upsert(respx_mock: respx.MockRouter) -> None:
    # Given the request the client sends
    route = respx_mock.post(UPSERT_URL).mock(
        return_value=httpx.Response(200, json={"status": "COMPLETE", "results": []})
    )
    hubspot().upsert(SHOP, [asha_contact()])
    request = route.calls.last.request

    # When
    reply = hubspot_module.dry_run_reply(request)

    # Then
    answer = reply.json()
    assert reply.status_code == 200
    assert answer["status"] == "COMPLETE"
    assert answer["results"][0]["objectWriteTraceId"] == trace_id(ASHA_EMAIL)
    assert answer["results"][0]["properties"]["email"] == ASHA_EMAIL
