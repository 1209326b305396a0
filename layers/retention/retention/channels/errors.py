"""How a call to a vendor can fail; the hierarchy is described in ``retention.channels``."""


class ChannelError(Exception):
    """A vendor call did not do what we asked.

    ``reason`` is short and built by us from the status and the vendor's error code, never
    from the request or the vendor's message, so it is safe to log and carries no personal
    data.
    """

    def __init__(self, channel: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{channel}: {reason}")
        self.channel = channel
        self.reason = reason
        self.status = status


class RetryableError(ChannelError):
    """Worth trying again later: rate limits, server errors, timeouts, lost connections.

    ``retry_after`` is the wait in seconds the vendor asked for, when it said.
    """

    def __init__(
        self,
        channel: str,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(channel, reason, status)
        self.retry_after = retry_after


class RejectedError(ChannelError):
    """The vendor refused the request; sending it again unchanged cannot succeed."""

    def __init__(self, channel: str, reason: str, status: int) -> None:
        super().__init__(channel, reason, status)
        self.status: int = status
