"""The AWS clients and collaborators of a function, built once per cold start.

Kept apart from the rules so that they can be read and tested without AWS. Tests and the
local stack call ``reset`` after changing the environment.
"""

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from retention import config
from retention.data.dynamodb import DynamoProfileStore
from retention.data.sqs import SqsTriggerQueue
from retention.recording import Recorder
from retention.settings import Settings


@cache
def settings() -> Settings:
    return Settings()


@cache
def profiles_table() -> Any:
    return boto3.resource("dynamodb").Table(settings().profiles_table)


@cache
def sqs_client() -> Any:
    return boto3.client("sqs")


@cache
def idempotency_store() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table)


def store() -> DynamoProfileStore:
    return DynamoProfileStore(profiles_table())


def recorder() -> Recorder:
    """Rules are re-read through the parameters cache, so edits apply within its max age."""
    return Recorder(
        store=store(),
        queue=SqsTriggerQueue(sqs_client(), settings().trigger_queue_url),
        rules=config.rules(settings()),
    )


def webhook_secrets() -> dict[str, Any]:
    return config.secret(settings().webhook_secrets_name, settings())


def reset() -> None:
    for cached in (settings, profiles_table, sqs_client, idempotency_store):
        cached.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # Powertools leaves it untyped
