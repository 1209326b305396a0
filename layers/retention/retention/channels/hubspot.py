"""HubSpot CRM: contacts upserted in batches, identified by email.

- ``POST /crm/v3/objects/contacts/batch/upsert`` with a private app's Bearer token
  (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts).
  Batches are kept to 100 inputs, and one batch of triggers makes one call: the rate
  limits are shared by every app in the portal.
- ``idProperty`` is ``email``: a customer without an email cannot be upserted, and is
  left out on purpose rather than sent under another identity.
- Values are strings. Money is the net revenue in one currency (``retention_ltv_currency``
  says which), never a sum across currencies. A date property holds midnight UTC of a
  day, so the last order's day in the store's time zone is sent as ``YYYY-MM-DD``.
- The ``retention_*`` properties are custom: they must exist in the portal, or HubSpot
  refuses every contact.
- A 200 or 207 answer can still report ``errors``. Each input carries an
  ``objectWriteTraceId`` (a hash, never the email) so that an error names its input.
- A whole batch refused for its content (400, 409, 422) is sent again one contact at a
  time, so that one bad contact cannot hold back the others.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from retention.channels.errors import RejectedError
from retention.channels.http import Connection, Subject
from retention.domain.identity import normalise_email
from retention.domain.lifecycle import local_day
from retention.domain.money import main_currency
from retention.domain.profiles import Profile
from retention.domain.rules import RetentionRules
from retention.domain.triggers import Trigger

CHANNEL = "hubspot"
UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert"
BATCH_LIMIT = 100
CONTENT_STATUSES = frozenset({400, 409, 422})


@dataclass(frozen=True)
class Contact:
    """One contact to upsert, and the trigger that asked for it."""

    email: str
    properties: Mapping[str, str]
    trigger_key: str
    customer_key: str


def headers(access_token: str) -> dict[str, str]:
    return {
        "authorization": f"Bearer {access_token}",
        "accept": "application/json",
        "content-type": "application/json",
    }


def contact_for(profile: Profile, trigger: Trigger, rules: RetentionRules) -> Contact | None:
    """The contact a trigger upserts; ``None`` for a customer without an email."""
    email = normalise_email(profile.email)
    if email is None:
        return None

    return Contact(
        email=email,
        properties={"email": email, **_properties(profile, trigger, rules)},
        trigger_key=trigger.key,
        customer_key=profile.customer_key,
    )


def _properties(profile: Profile, trigger: Trigger, rules: RetentionRules) -> dict[str, str]:
    currency = main_currency(profile.revenue, rules.base_currency)
    last_order_day = (
        local_day(profile.last_order_at, rules.zone).isoformat() if profile.last_order_at else None
    )
    values = {
        "firstname": profile.first_name,
        "lastname": profile.last_name,
        "phone": profile.phone,
        "retention_stage": profile.stage.value,
        "retention_lifetime_value": format(profile.revenue[currency], "f") if currency else None,
        "retention_ltv_currency": currency,
        "retention_order_count": str(profile.order_count),
        "retention_last_order_date": last_order_day,
        "retention_last_trigger": trigger.kind.value,
    }
    # An unknown value is left out rather than sent empty, which would clear it in HubSpot.
    return {name: value for name, value in values.items() if value is not None}


class HubSpot:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def upsert(self, tenant: str, contacts: Sequence[Contact]) -> dict[str, RejectedError]:
        """Upsert the contacts; answer the trigger keys whose contact HubSpot refused.

        A contact named by several triggers is sent once, with the last one's values: a
        batch that names an email twice is refused. A failure of the whole call raises.
        """
        by_email: dict[str, list[Contact]] = {}
        for contact in contacts:
            by_email.setdefault(contact.email, []).append(contact)

        refused: dict[str, RejectedError] = {}
        for chunk in _chunks(list(by_email.values()), BATCH_LIMIT):
            for email, error in self._upsert_isolating(tenant, chunk).items():
                refused.update({contact.trigger_key: error for contact in by_email[email]})
        return refused

    def _upsert_isolating(
        self, tenant: str, groups: list[list[Contact]]
    ) -> dict[str, RejectedError]:
        """A batch refused for its content is tried one contact at a time."""
        try:
            return self._upsert(tenant, groups)
        except RejectedError as error:
            if error.status not in CONTENT_STATUSES:
                raise
            if len(groups) == 1:
                return {groups[0][-1].email: error}

        refused: dict[str, RejectedError] = {}
        for group in groups:
            refused.update(self._upsert_isolating(tenant, [group]))
        return refused

    def _upsert(self, tenant: str, groups: list[list[Contact]]) -> dict[str, RejectedError]:
        """One call; answers the emails refused in an otherwise successful answer."""
        inputs = [_input(group[-1]) for group in groups]
        everyone = [contact for group in groups for contact in group]
        subject = Subject(
            tenant=tenant,
            trigger_keys=tuple(contact.trigger_key for contact in everyone),
            customer_keys=tuple(contact.customer_key for contact in everyone),
        )

        response = self._connection.post_json(UPSERT_PATH, {"inputs": inputs}, subject)
        traces = {trace_id(group[-1].email): group[-1].email for group in groups}
        return _refused(response, traces)


def _input(contact: Contact) -> dict[str, Any]:
    return {
        "idProperty": "email",
        "id": contact.email,
        "objectWriteTraceId": trace_id(contact.email),
        "properties": dict(contact.properties),
    }


def trace_id(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def _refused(response: httpx.Response, traces: Mapping[str, str]) -> dict[str, RejectedError]:
    """The inputs that an answer with ``errors`` names; all unconfirmed ones if it names none."""
    answer = _json(response)
    errors = [error for error in answer.get("errors") or [] if isinstance(error, Mapping)]
    if not errors and not answer.get("numErrors"):
        return {}

    refused: dict[str, RejectedError] = {}
    for error in errors:
        reason = f"contact refused: {error.get('category') or 'error'}"
        for trace in _traces_named(error, traces):
            refused[traces[trace]] = RejectedError(CHANNEL, reason, response.status_code)
    if refused:
        return refused

    confirmed = {
        result.get("objectWriteTraceId")
        for result in answer.get("results") or []
        if isinstance(result, Mapping)
    }
    unconfirmed = (email for trace, email in traces.items() if trace not in confirmed)
    reason = "contact refused: unattributed error"
    return {email: RejectedError(CHANNEL, reason, response.status_code) for email in unconfirmed}


def _traces_named(error: Mapping[str, Any], traces: Mapping[str, str]) -> Iterator[str]:
    """Trace ids an error names, by ``objectWriteTraceId`` or, failing that, by email."""
    context = error.get("context")
    if not isinstance(context, Mapping):
        return
    by_email = {email: trace for trace, email in traces.items()}
    named = _strings(context.get("objectWriteTraceId"))
    yield from (trace for trace in named if trace in traces)

    emails = (email.strip().lower() for email in _strings(context.get("ids")))
    yield from (by_email[email] for email in emails if email in by_email)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _json(response: httpx.Response) -> Mapping[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, Mapping) else {}


def _chunks[T](items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def explain(response: httpx.Response) -> str:
    """HubSpot's error category (and rate-limit policy), never its message, which can quote
    property values back."""
    answer = _json(response)
    parts = [answer.get("category"), answer.get("policyName")]
    named = [part for part in parts if isinstance(part, str) and part]
    return " ".join(named) or response.reason_phrase or "error"


def dry_run_reply(request: httpx.Request) -> httpx.Response:
    """What HubSpot answers a successful upsert, for the outbox to answer in its place."""
    inputs = json.loads(request.read()).get("inputs") or []
    results = [
        {
            "id": f"outbox-{item['objectWriteTraceId']}",
            "objectWriteTraceId": item["objectWriteTraceId"],
            "new": False,
            "properties": item["properties"],
        }
        for item in inputs
    ]
    return httpx.Response(200, json={"status": "COMPLETE", "results": results})
