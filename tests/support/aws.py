"""AWS for the integration tests, under moto: resources as ``template.yaml`` defines them.

Tables get the template's key schema, indexes and TTL, and secrets the template's value,
so that a test runs against what is deployed; each is named after its logical id.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from retention.local.intrinsics import load_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
INDEX_FIELDS = ("IndexName", "KeySchema", "Projection")


def template_resource(logical_id: str) -> dict[str, Any]:
    document = load_yaml(TEMPLATE.read_text(encoding="utf-8"))
    resource: dict[str, Any] = document["Resources"][logical_id]
    return resource


def create_table(client: Any, logical_id: str) -> str:
    """The template's table ``logical_id``, created under that name."""
    properties = template_resource(logical_id)["Properties"]
    definition: dict[str, Any] = {
        "TableName": logical_id,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    indexes = properties.get("GlobalSecondaryIndexes") or []
    if indexes:
        definition["GlobalSecondaryIndexes"] = [
            {field: index[field] for field in INDEX_FIELDS} for index in indexes
        ]
    client.create_table(**definition)

    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=logical_id, TimeToLiveSpecification=ttl)
    return logical_id


def template_secret(logical_id: str) -> str:
    """The ``SecretString`` a fresh deployment starts with."""
    value: str = template_resource(logical_id)["Properties"]["SecretString"]
    return value


def load_handler(function_dir: str) -> ModuleType:
    """A function's ``app.py``, loaded afresh like a cold start, without touching sys.path."""
    path = ROOT / "functions" / function_dir / "app.py"
    spec = importlib.util.spec_from_file_location(f"{function_dir}_app", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    """What Lambda passes a handler, as far as Powertools reads it."""

    function_name: str = "retention-dispatch"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:retention-dispatch"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis
