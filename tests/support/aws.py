"""AWS for the integration tests, under moto: resources as ``template.yaml`` defines them.

Tables get the template's key schema, indexes and TTL, and secrets the template's value,
so that a test runs against what is deployed; each is named after its logical id.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
INDEX_FIELDS = ("IndexName", "KeySchema", "Projection")


class _TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (``!Ref``, ``!Sub``...) as the plain values they wrap;
    the tests need the definitions, not the references resolved."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


_TemplateLoader.add_multi_constructor("!", _plain)


def template_resource(logical_id: str) -> dict[str, Any]:
    text = TEMPLATE.read_text(encoding="utf-8")
    document = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
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
