"""The trigger queue's consumer: sends due triggers to the CRM and the email platform.

SQS invokes it with a batch of triggers and reads back ``batchItemFailures``, so only the
records that failed are delivered again.
"""

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext
from retention import config, runtime
from retention.channels.connect import connect
from retention.channels.http import RetryPolicy
from retention.dispatch import Dispatcher
from retention.observability import logger, metrics, tracer

MILLISECONDS = 1000


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = runtime.settings()
    credentials = config.secret(settings.api_credentials_name, settings)
    policy = RetryPolicy(time_left=lambda: context.get_remaining_time_in_millis() / MILLISECONDS)

    with connect(credentials, settings, _outbox(settings.outbox_table), policy) as channels:
        dispatcher = Dispatcher(
            runtime.store(),
            config.rules(settings),
            channels,
            _sent_triggers(settings.idempotency_table),
        )
        return dispatcher.dispatch(event, context)


@cache
def _sent_triggers(table_name: str) -> DynamoDBPersistenceLayer:
    """A persistence layer of its own: Powertools keeps the first configuration a layer is
    given, and the webhooks' (shared through ``runtime``) keeps deliveries for days only."""
    return DynamoDBPersistenceLayer(table_name=table_name)


@cache
def _outbox(table_name: str) -> Any:
    return boto3.resource("dynamodb").Table(table_name) if table_name else None
