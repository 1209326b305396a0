"""Opening the channels: each vendor's API when it has credentials, else the outbox.

The credentials are one JSON secret::

    {"hubspot": {"access_token": "<private app token>"},
     "klaviyo": {"api_key": "<private API key>"}}

A channel whose credential is missing or empty is recorded in the outbox instead of
sent, through the same client code; the others are sent. One set of credentials serves
every tenant; a store whose shops use different HubSpot portals or Klaviyo accounts is not
served yet.

Clients live for one invocation, so a rotated secret applies from the next batch on, at
the cost of a new connection to each vendor per batch.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from retention.channels import hubspot, klaviyo
from retention.channels.http import Connection, RetryPolicy, new_client
from retention.channels.hubspot import HubSpot
from retention.channels.klaviyo import Klaviyo
from retention.channels.outbox import OutboxTransport
from retention.config import ConfigError
from retention.observability import logger
from retention.settings import Settings

# Stands in for the missing credential, so the recorded request has the real header's shape.
OUTBOX_CREDENTIAL = "outbox"


@dataclass(frozen=True)
class Channels:
    hubspot: HubSpot
    klaviyo: Klaviyo


@contextmanager
def connect(
    credentials: Mapping[str, Any],
    settings: Settings,
    outbox: Any | None,
    policy: RetryPolicy,
) -> Iterator[Channels]:
    """Open both channels for one invocation, and close their connections after it.

    ``outbox`` is the outbox table; a channel without credentials needs it.
    """
    with ExitStack() as stack:
        hubspot_client = stack.enter_context(
            _client(
                hubspot.CHANNEL,
                _credential(credentials, hubspot.CHANNEL, "access_token"),
                settings.hubspot_base_url,
                hubspot.headers,
                hubspot.dry_run_reply,
                outbox,
            )
        )
        klaviyo_client = stack.enter_context(
            _client(
                klaviyo.CHANNEL,
                _credential(credentials, klaviyo.CHANNEL, "api_key"),
                settings.klaviyo_base_url,
                klaviyo.headers,
                klaviyo.dry_run_reply,
                outbox,
            )
        )
        yield Channels(
            hubspot=HubSpot(Connection(hubspot.CHANNEL, hubspot_client, policy, hubspot.explain)),
            klaviyo=Klaviyo(Connection(klaviyo.CHANNEL, klaviyo_client, policy, klaviyo.explain)),
        )


def _client(
    channel: str,
    credential: str | None,
    base_url: str,
    headers: Callable[[str], dict[str, str]],
    dry_run_reply: Callable[[httpx.Request], httpx.Response],
    outbox: Any | None,
) -> httpx.Client:
    if credential:
        logger.info("channel open", channel=channel, mode="live")
        return new_client(base_url, headers(credential))

    if outbox is None:
        raise ConfigError(f"{channel} has no credentials and there is no outbox table")
    logger.info("channel open", channel=channel, mode="outbox")
    transport = OutboxTransport(outbox, channel, dry_run_reply)
    return new_client(base_url, headers(OUTBOX_CREDENTIAL), transport)


def _credential(credentials: Mapping[str, Any], channel: str, name: str) -> str | None:
    section = credentials.get(channel)
    value = section.get(name) if isinstance(section, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() else None
