"""moto_server in-process, with every table, queue, secret and parameter of the template.

The AWS endpoint, fake credentials and region are put in the environment before any boto3
client is made, so the functions' own clients talk to moto without knowing it. Local names
are the template's own (``TableName``, ``QueueName``, ``Name``) or else the logical id.

moto keeps its state in the process, so one stack runs at a time in a process; starting a
stack resets moto.
"""

import json
import os
import secrets
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import httpx
from moto.server import ThreadedMotoServer

from retention.local.intrinsics import Resolver, UnresolvedError
from retention.local.secret_values import as_secret_string, load_secret_values, secrets_file
from retention.local.template import (
    PARAMETER,
    QUEUE,
    SECRET,
    TABLE,
    Function,
    Resource,
    Template,
    TemplateError,
)

HOST = "127.0.0.1"
DEFAULT_MOTO_PORT = 5005
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK_NAME = "retention-local"
FAKE_CREDENTIAL = "testing"
QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
)
LOG_GROUP = "AWS::Logs::LogGroup"
CREATED = frozenset({TABLE, QUEUE, SECRET, PARAMETER})
INDEX_FIELDS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


@dataclass(frozen=True)
class StackOptions:
    moto_port: int = DEFAULT_MOTO_PORT
    parameters: Mapping[str, str] = field(default_factory=dict)
    secrets_file: Path | None = None
    stack_name: str = STACK_NAME


class LocalStack:
    def __init__(self, template: Template, options: StackOptions | None = None) -> None:
        self.template = template
        self.options = options or StackOptions()
        self.resolver = Resolver(
            parameters=template.parameter_defaults(dict(self.options.parameters)),
            pseudo=_pseudo_parameters(self.options.stack_name),
            conditions=template.conditions,
        )
        self._moto: ThreadedMotoServer | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._clients: dict[str, Any] = {}
        self._dynamodb: Any = None
        self.endpoint_url = ""

    def __enter__(self) -> "LocalStack":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        check_port_free(self.options.moto_port, "--moto-port")
        self._moto = ThreadedMotoServer(ip_address=HOST, port=self.options.moto_port, verbose=False)
        self._moto.start()
        release_connections_on_close(getattr(self._moto, "_server", None))
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._set_environment(_aws_environment(self.endpoint_url))
        httpx.post(f"{self.endpoint_url}/moto-api/reset").raise_for_status()
        self._create_resources()

    def stop(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._dynamodb is not None:
            self._dynamodb.meta.client.close()
            self._dynamodb = None
        if self._moto is not None:
            self._moto.stop()
            # ThreadedMotoServer.stop leaves its listening socket open.
            server = getattr(self._moto, "_server", None)
            if server is not None:
                server.server_close()
            self._moto = None
        self._restore_environment()

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service)
        return self._clients[service]

    def table(self, name: str) -> Any:
        if self._dynamodb is None:
            self._dynamodb = boto3.resource("dynamodb")
        return self._dynamodb.Table(name)

    def function_name(self, function: Function) -> str:
        return self.resolver.refs[function.logical_id]

    def function_arn(self, function: Function) -> str:
        return self.resolver.attributes[(function.logical_id, "Arn")]

    def environment(self, function: Function) -> dict[str, str]:
        """The function's variables resolved to local names, plus what Lambda itself sets."""
        name = self.function_name(function)
        log_group = function.log_group
        variables = {key: self.resolver.text(value) for key, value in function.environment.items()}
        return {
            **variables,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.resolver.text(log_group or f"/aws/lambda/{name}"),
            "_HANDLER": function.handler,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def variable_values(self, variable: str) -> set[str]:
        """Every value that the functions give ``variable``, e.g. the outbox table's name."""
        return {
            self.resolver.text(function.environment[variable])
            for function in self.template.functions.values()
            if variable in function.environment
        }

    def queue_url(self, logical_id: str) -> str:
        return self.resolver.refs[logical_id]

    def queue_arn(self, logical_id: str) -> str:
        return self.resolver.attributes[(logical_id, "Arn")]

    def _create_resources(self) -> None:
        self._register_names()
        creators: dict[str, Callable[[Resource], None]] = {
            TABLE: self._create_table,
            QUEUE: self._create_queue,
            SECRET: self._create_secret,
            PARAMETER: self._create_parameter,
        }
        for kind, create in creators.items():
            for resource in self.template.of_type(kind):
                try:
                    create(resource)
                except UnresolvedError as error:
                    raise TemplateError(f"{resource.logical_id}: {error}") from error
            if kind == QUEUE:
                self._set_redrive_policies()

    def _register_names(self) -> None:
        """What ``!Ref`` gives for the resources that moto does not hold."""
        refs, attributes = self.resolver.refs, self.resolver.attributes
        for resource in self.template.resources.values():
            if resource.type not in CREATED:
                refs[resource.logical_id] = resource.logical_id
        for resource in self.template.of_type(LOG_GROUP):
            refs[resource.logical_id] = self._name_of(resource.logical_id, "LogGroupName")
        for function in self.template.functions.values():
            name = self.resolver.text(function.name) if function.name else function.logical_id
            refs[function.logical_id] = name
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
            attributes[(function.logical_id, "Arn")] = arn

    def _name_of(self, logical_id: str, property_name: str) -> str:
        value = self.template.resources[logical_id].properties.get(property_name)
        return self.resolver.text(value) if value else logical_id

    def _create_table(self, resource: Resource) -> None:
        properties = self.resolver.resolve(_table_fields(resource.properties))
        name = properties.pop("TableName", None) or resource.logical_id
        described = self.client("dynamodb").create_table(TableName=name, **properties)
        self.resolver.refs[resource.logical_id] = name
        description = described["TableDescription"]
        self.resolver.attributes[(resource.logical_id, "Arn")] = description["TableArn"]

        ttl = self.resolver.resolve(resource.properties.get("TimeToLiveSpecification"))
        if ttl and ttl.get("Enabled"):
            self.client("dynamodb").update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )

    def _create_queue(self, resource: Resource) -> None:
        properties = resource.properties
        attributes = {
            key: _attribute_text(self.resolver.resolve(properties[key]))
            for key in QUEUE_ATTRIBUTES
            if key in properties
        }
        name = self._name_of(resource.logical_id, "QueueName")
        if attributes.get("FifoQueue") == "true" and not name.endswith(".fifo"):
            name += ".fifo"
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        self.resolver.refs[resource.logical_id] = url
        self.resolver.attributes.update(
            {
                (resource.logical_id, "Arn"): arn["Attributes"]["QueueArn"],
                (resource.logical_id, "QueueName"): name,
                (resource.logical_id, "QueueUrl"): url,
            }
        )

    def _set_redrive_policies(self) -> None:
        """After every queue exists, so that a queue may come before its dead-letter queue."""
        for resource in self.template.of_type(QUEUE):
            policy = resource.properties.get("RedrivePolicy")
            if policy:
                self.client("sqs").set_queue_attributes(
                    QueueUrl=self.queue_url(resource.logical_id),
                    Attributes={"RedrivePolicy": json.dumps(self.resolver.resolve(policy))},
                )

    def _create_secret(self, resource: Resource) -> None:
        local_values = self._local_secret_values()
        if resource.logical_id in local_values:
            value = as_secret_string(local_values[resource.logical_id])
        else:
            value = self._template_secret(resource.properties)

        name = self._name_of(resource.logical_id, "Name")
        created = self.client("secretsmanager").create_secret(Name=name, SecretString=value)
        self.resolver.refs[resource.logical_id] = created["ARN"]
        self.resolver.attributes[(resource.logical_id, "Id")] = created["ARN"]

    def _local_secret_values(self) -> dict[str, Any]:
        path = secrets_file(self.template.root, self.options.secrets_file)
        known = {secret.logical_id for secret in self.template.of_type(SECRET)}
        return load_secret_values(path, known)

    def _template_secret(self, properties: dict[str, Any]) -> str:
        if "SecretString" in properties:
            return self.resolver.text(properties["SecretString"])
        generate = self.resolver.resolve(properties.get("GenerateSecretString") or {})
        generated = secrets.token_urlsafe(int(generate.get("PasswordLength", 32)))
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            document[generate["GenerateStringKey"]] = generated
            return json.dumps(document)
        return generated

    def _create_parameter(self, resource: Resource) -> None:
        name = self._name_of(resource.logical_id, "Name")
        value = self.resolver.text(resource.properties["Value"])
        kind = self.resolver.text(resource.properties.get("Type", "String"))
        self.client("ssm").put_parameter(Name=name, Value=value, Type=kind)
        self.resolver.refs[resource.logical_id] = name
        self.resolver.attributes[(resource.logical_id, "Type")] = kind
        self.resolver.attributes[(resource.logical_id, "Value")] = value

    def _set_environment(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            self._saved_environment.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _restore_environment(self) -> None:
        for key, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environment.clear()


def check_port_free(port: int, option: str) -> None:
    """Fail early and clearly; moto_server, binding in a thread, would hang on a taken port."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise TemplateError(
                f"port {port} is taken (another retention-local serve?); pass {option}"
            ) from error


def release_connections_on_close(server: Any) -> None:
    """Stop without waiting for idle keep-alive connections.

    The functions' boto3 clients keep their connections to moto open until they are garbage
    collected; a server that joined its request threads on close would wait for them.
    """
    if server is not None:
        server.daemon_threads = True
        server.block_on_close = False


@contextmanager
def applied(environment: Mapping[str, str]) -> Iterator[None]:
    """Set ``environment`` for the duration, then put back what was there."""
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _aws_environment(endpoint_url: str) -> dict[str, str | None]:
    """A named profile would win over the fake keys, so it is taken out while the stack runs."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": FAKE_CREDENTIAL,
        "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIAL,
        "AWS_SESSION_TOKEN": FAKE_CREDENTIAL,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
    }


def _pseudo_parameters(stack_name: str) -> dict[str, str]:
    return {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack_name}/local",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }


def _table_fields(properties: dict[str, Any]) -> dict[str, Any]:
    """The table's properties that CreateTable takes, in its own parameter names."""
    fields: dict[str, Any] = {
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    for name in ("TableName", "ProvisionedThroughput"):
        if name in properties:
            fields[name] = properties[name]
    for name in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if properties.get(name):
            fields[name] = [
                {key: index[key] for key in INDEX_FIELDS if key in index}
                for index in properties[name]
            ]
    return fields


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
