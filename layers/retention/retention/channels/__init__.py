"""Outbound channels: the CRM (HubSpot) and the email platform (Klaviyo), or the outbox.

One module per vendor holds all of that vendor's quirks; ``http`` is the one way they
call out (timeouts, retries, ``Retry-After``); ``outbox`` stands in for the network when
a channel has no credentials; ``connect`` chooses between the two.

A call either succeeds or raises one of these::

    ChannelError          base: the vendor did not do what we asked; ``channel`` names it,
    │                     ``reason`` is short and free of personal data, ``status`` is the
    │                     HTTP status when there was an answer
    ├── RetryableError    worth trying later: 429, 5xx, 408, timeouts, lost connections,
    │                     after the retries that fit in this invocation; ``retry_after``
    │                     is the wait the vendor asked for. The message goes back to the
    │                     queue, and to the dead-letter queue once SQS gives up on it.
    └── RejectedError     the vendor refused the request (any other 4xx, or one contact
                          refused inside a batch); sending it again unchanged cannot help,
                          so it is never retried here.
"""

from retention.channels.errors import ChannelError, RejectedError, RetryableError

__all__ = ["ChannelError", "RejectedError", "RetryableError"]
