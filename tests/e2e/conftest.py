"""One local stack for the whole tier, started as ``make serve`` starts it."""

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e import served
from tests.e2e.deliveries import STORY, deliver, sample_event

# Moving 60 days fires a scan per simulated day and drains the queue after each.
ADMIN_TIMEOUT = 120.0


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.ServedStack]:
    stack = served.start(tmp_path_factory.mktemp("serve") / "serve.log")
    yield stack
    served.stop(stack)


@pytest.fixture(scope="session")
def client(local_stack: served.ServedStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_stack.url, timeout=ADMIN_TIMEOUT) as http:
        yield http


@pytest.fixture(scope="session")
def story(client: httpx.Client) -> dict[str, httpx.Response]:
    """Every sample Shopify event delivered once, in the story's order, before time moves."""
    return {name: deliver(client, sample_event(name)) for name in STORY}
