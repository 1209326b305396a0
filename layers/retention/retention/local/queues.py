"""Queue consumers: the SQS event source mappings of the template, run against moto.

A consumer receives up to the mapping's batch size, builds the SQS event Lambda would send,
invokes the function and deletes what succeeded. With ``ReportBatchItemFailures`` the
messages named in ``batchItemFailures`` stay on the queue; if the handler raises, the whole
batch does. Either way they come back after the visibility timeout, and moto's redrive policy
moves them to the dead-letter queue after ``maxReceiveCount`` receives, as SQS does.
"""

import base64
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from retention.local.background import Repeating
from retention.local.template import QueueSource

log = logging.getLogger(__name__)
SQS_RECEIVE_LIMIT = 10
DRAIN_ROUNDS = 1000


@dataclass(frozen=True)
class QueueConsumer:
    function: str
    source: QueueSource
    queue_url: str
    queue_arn: str
    region: str
    sqs: Any
    invoke: Callable[[str, Any], Any]

    def poll_once(self) -> int:
        """Receive one batch and hand it to the function; the number of messages received."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, SQS_RECEIVE_LIMIT),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        if not messages:
            return 0

        failed = self._failed_ids(messages)
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(done)
                ],
            )
        return len(messages)

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Records": [self._record(message) for message in messages]}

    def _failed_ids(self, messages: list[dict[str, Any]]) -> set[str]:
        every = {message["MessageId"] for message in messages}
        try:
            result = self.invoke(self.function, self.event(messages))
        except Exception:
            # Any error from the handler fails the whole batch, which is what Lambda does.
            log.exception("%s failed; its batch returns to the queue", self.function)
            return every

        if not self.source.report_failures or not isinstance(result, dict):
            return set()
        reported = result.get("batchItemFailures") or []
        failed = {str(item.get("itemIdentifier") or "") for item in reported}
        if not failed <= every:
            log.warning("%s reported unknown message ids; the batch fails", self.function)
            return every
        return failed

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


class Consumers:
    """Every consumer, polled in the background and drained on demand.

    One lock covers a whole round (receive, invoke, delete), so a drain that finds the queues
    empty knows that no batch is still being processed behind its back.
    """

    def __init__(self, consumers: list[QueueConsumer], interval: float = 0.2) -> None:
        self.consumers = consumers
        self._lock = threading.Lock()
        self._poller = Repeating("polling the queues", interval, self.drain)

    def drain(self) -> int:
        """Poll until a round receives nothing; messages waiting out a retry are left."""
        received = 0
        for _ in range(DRAIN_ROUNDS):
            got = self._round()
            received += got
            if not got:
                break
        return received

    def start(self) -> None:
        self._poller.start()

    def stop(self) -> None:
        self._poller.stop()

    def _round(self) -> int:
        with self._lock:
            return sum(consumer.poll_once() for consumer in self.consumers)


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode() if binary else None,
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [
            base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])
        ],
        "dataType": value.get("DataType"),
    }
