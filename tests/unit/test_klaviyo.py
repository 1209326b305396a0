"""Klaviyo events: the Create Event request Klaviyo expects, one metric per trigger kind."""

import json
from typing import Any

import httpx
import pytest
import respx
from retention.channels import RejectedError
from retention.channels import klaviyo as klaviyo_module
from retention.channels.http import Connection, RetryPolicy, new_client
from retention.channels.klaviyo import METRIC_NAMES, REVISION, Klaviyo, event_for
from retention.domain.rules import RetentionRules
from retention.domain.triggers import TriggerKind

from tests.support.profiles import ASHA_EMAIL, NOW, asha, stale_win_back, welcome
from tests.support.vendors import KLAVIYO_EVENTS_URL, asha_welcome_event

BASE = "https://a.klaviyo.com"
API_KEY = "pk_test_key"
KOLKATA = RetentionRules(timezone="Asia/Kolkata")


def klaviyo() -> Klaviyo:
    client = new_client(BASE, klaviyo_module.headers(API_KEY))
    policy = RetryPolicy(sleep=lambda seconds: None)
    return Klaviyo(Connection("klaviyo", client, policy, klaviyo_module.explain))


def test_event_is_the_request_klaviyo_expects(respx_mock: respx.MockRouter) -> None:
    # Given
    route = respx_mock.post(KLAVIYO_EVENTS_URL).mock(return_value=httpx.Response(202))
    event = event_for(welcome(), asha(), KOLKATA, NOW)

    # When
    klaviyo().create_event(welcome(), event)

    # Then
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Klaviyo-API-Key {API_KEY}"
    assert request.headers["revision"] == REVISION
    assert request.headers["accept"] == "application/vnd.api+json"
    assert request.headers["content-type"] == "application/vnd.api+json"
    assert json.loads(request.content) == asha_welcome_event()


def test_each_trigger_kind_has_a_metric_of_its_own() -> None:
    assert set(METRIC_NAMES) == set(TriggerKind)
    assert len(set(METRIC_NAMES.values())) == len(TriggerKind)


def test_win_back_carries_its_step_and_order() -> None:
    # Given a win-back at 45 days after order 6000000001
    trigger = stale_win_back().model_copy(
        update={"key": "k", "order_id": "6000000001", "step_days": 45}
    )

    # When
    attributes = event_for(trigger, asha(), KOLKATA, NOW)["data"]["attributes"]

    # Then
    assert attributes["metric"]["data"]["attributes"]["name"] == "Retention Win-Back"
    assert attributes["properties"]["step_days"] == 45
    assert attributes["properties"]["order_id"] == "6000000001"
    assert attributes["unique_id"] == "k"


def test_no_value_is_a_binary_float() -> None:
    # When
    event = event_for(welcome(), asha(), KOLKATA, NOW)

    # Then
    assert not any(isinstance(value, float) for value in _values(event))


def _values(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in _values(value)]
    if isinstance(tree, list):
        return [leaf for value in tree for leaf in _values(value)]
    return [tree]


@pytest.mark.parametrize("phone", ["5555550101", "+1 555 555 0101", "00915555550101"])
def test_phone_that_is_not_e164_is_left_out(phone: str) -> None:
    # When
    event = event_for(welcome(), asha(phone=phone), KOLKATA, NOW)

    # Then
    person = event["data"]["attributes"]["profile"]["data"]["attributes"]
    assert "phone_number" not in person
    assert person["email"] == ASHA_EMAIL


def test_customer_without_orders_still_gets_an_event() -> None:
    # When
    event = event_for(welcome(), asha(recent_orders=(), revenue={}), KOLKATA, NOW)

    # Then
    properties = event["data"]["attributes"]["properties"]
    assert "order_id" not in properties
    assert "lifetime_value" not in properties


def test_refusal_names_the_field_never_its_value(respx_mock: respx.MockRouter) -> None:
    # Given
    answer = {
        "errors": [
            {
                "status": 400,
                "code": "invalid",
                "title": "Invalid input.",
                "detail": f"{ASHA_EMAIL} is not a valid email address",
                "source": {"pointer": "/data/attributes/profile/data/attributes/email"},
            }
        ]
    }
    respx_mock.post(KLAVIYO_EVENTS_URL).mock(return_value=httpx.Response(400, json=answer))

    # When
    with pytest.raises(RejectedError) as raised:
        klaviyo().create_event(welcome(), event_for(welcome(), asha(), KOLKATA, NOW))

    # Then
    assert raised.value.reason == ("400 invalid at /data/attributes/profile/data/attributes/email")
    assert ASHA_EMAIL not in str(raised.value)


def test_error_without_a_body_is_named_by_its_status(respx_mock: respx.MockRouter) -> None:
    # Given
    respx_mock.post(KLAVIYO_EVENTS_URL).mock(return_value=httpx.Response(403))

    # When
    with pytest.raises(RejectedError) as raised:
        klaviyo().create_event(welcome(), event_for(welcome(), asha(), KOLKATA, NOW))

    # Then
    assert raised.value.reason == "403 Forbidden"


def test_dry_run_reply_is_accepted_with_no_body() -> None:
    # When
    reply = klaviyo_module.dry_run_reply(httpx.Request("POST", KLAVIYO_EVENTS_URL))

    # Then
    assert reply.status_code == 202
    assert reply.content == b""
