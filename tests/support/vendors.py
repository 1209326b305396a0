"""What HubSpot and Klaviyo should receive for Asha's welcome, written out in full.

Rules in the store's zone (Asia/Kolkata) and the clock at ``profiles.NOW``.
"""

from typing import Any

from retention.channels.hubspot import trace_id

from tests.support.profiles import ASHA, ASHA_EMAIL, SHOP, WELCOME_KEY

HUBSPOT_UPSERT_URL = "https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert"
KLAVIYO_EVENTS_URL = "https://a.klaviyo.com/api/events"


def asha_upsert() -> dict[str, Any]:
    return {
        "inputs": [
            {
                "idProperty": "email",
                "id": ASHA_EMAIL,
                "objectWriteTraceId": trace_id(ASHA_EMAIL),
                "properties": {
                    "email": ASHA_EMAIL,
                    "firstname": "Asha",
                    "lastname": "Rao",
                    "phone": "+15555550101",
                    "retention_stage": "new",
                    "retention_lifetime_value": "1250.00",
                    "retention_ltv_currency": "INR",
                    "retention_order_count": "1",
                    "retention_last_order_date": "2026-01-12",
                    "retention_last_trigger": "welcome",
                },
            }
        ]
    }


def asha_welcome_event() -> dict[str, Any]:
    properties = {
        "trigger": "welcome",
        "store": SHOP,
        "stage": "new",
        "order_count": 1,
        "lifetime_value": "1250.00",
        "lifetime_value_currency": "INR",
        "order_id": "6000000001",
        "order_name": "#1001",
        "order_placed_at": "2026-01-11T19:00:00+00:00",
        "order_total": "1250.00",
        "order_currency": "INR",
        "order_item_count": 2,
        "items": [
            {"product_id": "8000000001", "title": "Assam Masala Chai", "quantity": 2},
            {"product_id": "8000000002", "title": "Brass Tea Strainer", "quantity": 1},
        ],
    }
    person = {
        "email": ASHA_EMAIL,
        "external_id": ASHA,
        "phone_number": "+15555550101",
        "first_name": "Asha",
        "last_name": "Rao",
    }
    return {
        "data": {
            "type": "event",
            "attributes": {
                "properties": properties,
                "time": "2026-01-12T04:30:00+00:00",
                "unique_id": WELCOME_KEY,
                "metric": {"data": {"type": "metric", "attributes": {"name": "Retention Welcome"}}},
                "profile": {"data": {"type": "profile", "attributes": person}},
            },
        }
    }
