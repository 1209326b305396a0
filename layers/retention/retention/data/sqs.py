"""The trigger queue on SQS."""

from typing import Any

from retention.data.ports import TriggerQueue
from retention.domain.triggers import Trigger

SQS_BATCH_LIMIT = 10


class QueueError(Exception):
    """SQS did not take every message; the caller fails so the work is retried."""


class SqsTriggerQueue(TriggerQueue):
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def enqueue(self, triggers: list[Trigger]) -> None:
        for start in range(0, len(triggers), SQS_BATCH_LIMIT):
            chunk = triggers[start : start + SQS_BATCH_LIMIT]
            entries = [
                {"Id": str(index), "MessageBody": trigger.model_dump_json()}
                for index, trigger in enumerate(chunk)
            ]
            response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            if response.get("Failed"):
                raise QueueError(f"{len(response['Failed'])} triggers were not enqueued")
