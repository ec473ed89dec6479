"""An embedded AWS for the demo and the tests: moto's server on 127.0.0.1, resources from template.yaml.

The tables, bucket, queues, bus and configuration set are created from their definitions in
template.yaml (no second hand-written definition that could drift), and the functions' environment is
resolved from the template's Globals, as CloudFormation would. Operator tool: not shipped in the layer.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from relance.bootstrap import Runtime
from relance.config import Settings

REGION = "eu-west-3"
ACCOUNT_ID = "123456789012"
_SUPPORTED = {
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::Events::EventBus",
    "AWS::SES::ConfigurationSet",
}


class TemplateError(ValueError):
    """Something in template.yaml the embedded stack cannot resolve."""


# --- template.yaml with CloudFormation's short-form tags -------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short, _long in {
    "Ref": "Ref",
    "Sub": "Fn::Sub",
    "GetAtt": "Fn::GetAtt",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Condition": "Condition",
    "FindInMap": "Fn::FindInMap",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Cidr": "Fn::Cidr",
    "Length": "Fn::Length",
    "ToJsonString": "Fn::ToJsonString",
}.items():
    _CfnLoader.add_constructor(f"!{_short}", _tag(_long))


def load_template(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def repository_root() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / "template.yaml").is_file():
            return parent
    raise TemplateError("no template.yaml above the relance package: the embedded stack runs from a checkout")


def template_path() -> Path:
    return repository_root() / "template.yaml"


# --- intrinsic functions ----------------------------------------------------------------------------

_NO_VALUE = object()


@dataclass
class _Resolver:
    template: dict[str, Any]
    parameters: dict[str, str]
    pseudo: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.urls:
            return self.urls[name]
        if name in self.names:
            return self.names[name]
        raise TemplateError(f"!Ref {name}: neither a parameter nor a resource the embedded stack knows")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.template["Resources"].get(logical_id)
        if resource is None:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: no such resource")
        name = self.names[logical_id]
        kind = resource["Type"]
        service = {
            "AWS::DynamoDB::Table": "dynamodb",
            "AWS::SQS::Queue": "sqs",
            "AWS::S3::Bucket": "s3",
            "AWS::Events::EventBus": "events",
        }.get(kind, "unknown")
        if attribute == "Arn":
            if service == "s3":
                return f"arn:aws:s3:::{name}"
            if service == "sqs":
                return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
            if service == "dynamodb":
                return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
            if service == "events":
                return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"
        if attribute in {"QueueName", "Name"}:
            return name
        if attribute == "QueueUrl":
            return self.urls[logical_id]
        raise TemplateError(f"!GetAtt {logical_id}.{attribute} is not supported by the embedded stack")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                separator, items = argument
                return str(separator).join(str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in argument)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in argument)
            if key == "Condition":
                return self.condition(argument)
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the embedded stack")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {name: self.resolve(item) for name, item in variables.items()}
        out: list[str] = []
        position = 0
        while (start := text.find("${", position)) != -1:
            end = text.index("}", start)
            out.append(text[position:start])
            expression = text[start + 2 : end]
            if expression.startswith("!"):
                out.append("${" + expression[1:] + "}")
            elif expression in local:
                out.append(str(local[expression]))
            elif "." in expression and not expression.startswith("AWS::"):
                logical_id, attribute = expression.split(".", 1)
                out.append(self.get_att(logical_id, attribute))
            else:
                out.append(str(self.ref(expression)))
            position = end + 1
        out.append(text[position:])
        return "".join(out)


# --- the embedded AWS -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class EmbeddedAws:
    """moto's server over HTTP on a free loopback port; every boto3/pynamodb client of the process uses it."""

    endpoint: str
    _server: Any
    _saved_environment: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def start(cls) -> EmbeddedAws:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
        # Fake credentials and an explicit endpoint: nothing this process does can reach a real account.
        embedded = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "embedded",
            "AWS_SECRET_ACCESS_KEY": "embedded",
            "AWS_SESSION_TOKEN": "embedded",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_PROFILE": None,
        }
        saved = {name: os.environ.get(name) for name in embedded}
        for name, value in embedded.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        return cls(endpoint=endpoint, _server=server, _saved_environment=saved)

    def stop(self) -> None:
        self._server.stop()
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(request).close()  # noqa: S310 - loopback URL built above

    def sent_messages(self) -> list[dict[str, Any]]:
        """Every raw message SES accepted, as moto keeps it: id, source, destinations, raw_data."""
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json") as response:  # noqa: S310
            data = json.load(response)
        return list(data.get("ses", {}).get("RawMessage", []))


@contextmanager
def embedded_aws() -> Iterator[EmbeddedAws]:
    aws = EmbeddedAws.start()
    try:
        yield aws
    finally:
        aws.stop()


# The tag that tells the levers and the preview which day the embedded stack's simulated clock shows.
SIMULATED_TODAY_TAG = "relance:simulated-today"


@dataclass(frozen=True)
class EmbeddedStack:
    """The stack's resources on the embedded AWS, and the environment its functions would get."""

    stack_name: str
    resources: dict[str, str]
    environment: dict[str, str]
    # The template's parameters as deployed and its Outputs resolved, as `describe_stacks` would give them.
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def runtime(self) -> Runtime:
        return Runtime(Settings.from_env(self.environment))

    def apply_environment(self) -> None:
        """Sets the functions' environment on this process, so handlers build their runtime from it."""
        os.environ.update(self.environment)


def settings_for_parameters(parameters: Mapping[str, str], stack_name: str = "relance-memory") -> Settings:
    """The settings the functions of a stack deployed with these parameters would read, without deploying
    it: what an in-memory replay runs with, so that it decides exactly as the stack would."""
    document = load_template(template_path())
    resolver = _Resolver(
        document,
        _parameter_values(document, parameters),
        {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::StackName": stack_name,
            # The bucket name takes the last group of the stack id's UUID.
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/"
            f"{uuid.UUID(int=0)}",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
    )
    for logical_id, resource in document.get("Resources", {}).items():
        resolver.names[logical_id] = _physical_name(logical_id, resource, stack_name)
    variables = document.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    environment = {str(key): str(value) for key, value in resolver.resolve(variables).items()}
    return Settings.from_env({**environment, "AWS_REGION": REGION})


def deploy_stack(
    parameters: Mapping[str, str],
    stack_name: str = "relance-embedded",
    template: Path | None = None,
) -> EmbeddedStack:
    """Creates the template's tables, bucket, queues, bus and configuration set on the embedded AWS."""
    document = load_template(template or template_path())
    values = _parameter_values(document, parameters)
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/{uuid.uuid4()}"
    resolver = _Resolver(
        document,
        values,
        {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::StackName": stack_name,
            "AWS::StackId": stack_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
    )
    resources: dict[str, Any] = document.get("Resources", {})
    for logical_id, resource in resources.items():
        resolver.names[logical_id] = _physical_name(logical_id, resource, stack_name)
    for logical_id, resource in resources.items():
        if resource["Type"] in {"AWS::S3::Bucket", "AWS::Events::EventBus", "AWS::SES::ConfigurationSet"}:
            name_key = {
                "AWS::S3::Bucket": "BucketName",
                "AWS::Events::EventBus": "Name",
                "AWS::SES::ConfigurationSet": "Name",
            }[resource["Type"]]
            given = resource.get("Properties", {}).get(name_key)
            if given is not None:
                resolver.names[logical_id] = str(resolver.resolve(given))
    for logical_id in _creation_order(resources):
        resource = resources[logical_id]
        if resource["Type"] not in _SUPPORTED or not _wanted(resolver, resource):
            continue
        properties = resolver.resolve(resource.get("Properties", {}))
        url = _CREATORS[resource["Type"]](resolver.names[logical_id], properties)
        if url:
            resolver.urls[logical_id] = url
    environment = {
        str(key): str(value)
        for key, value in resolver.resolve(
            document.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        ).items()
    }
    return EmbeddedStack(
        stack_name=stack_name,
        resources={
            logical_id: resolver.urls.get(logical_id, name) for logical_id, name in resolver.names.items()
        },
        environment={**environment, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION},
        parameters=values,
        outputs=_outputs(resolver, document),
    )


def _outputs(resolver: _Resolver, document: dict[str, Any]) -> dict[str, str]:
    """The template's Outputs as CloudFormation would resolve them; those naming no resource here are left."""
    outputs: dict[str, str] = {}
    for name, spec in document.get("Outputs", {}).items():
        if not _wanted(resolver, spec):
            continue
        try:
            outputs[name] = str(resolver.resolve(spec["Value"]))
        except (TemplateError, KeyError):
            continue
    return outputs


def register_stack(stack: EmbeddedStack, simulated_today: str | None = None) -> None:
    """Makes the embedded stack answer `describe_stacks` like a deployed one: its parameters and Outputs.

    The levers and the preview then find the tables, bucket and queue the same way on the demo and on a
    real account (`--stack NAME`, plus `--endpoint URL` here). The stack holds one SSM parameter, since
    CloudFormation wants a resource; `simulated_today` goes in a tag, the demo's clock for the levers.
    """
    body = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Relance embedded stack (relance demo --serve): outputs of the resources created by "
        "relance_tools.devstack",
        "Parameters": {name: {"Type": "String"} for name in stack.parameters},
        "Resources": {
            "EmbeddedMarker": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": f"/relance/{stack.stack_name}/embedded",
                    "Type": "String",
                    "Value": "yes",
                },
            }
        },
        "Outputs": {name: {"Value": value} for name, value in stack.outputs.items()},
    }
    client = boto3.client("cloudformation", region_name=REGION)
    client.create_stack(
        StackName=stack.stack_name,
        TemplateBody=json.dumps(body),
        Parameters=[
            {"ParameterKey": key, "ParameterValue": value} for key, value in stack.parameters.items()
        ],
        Tags=[{"Key": SIMULATED_TODAY_TAG, "Value": simulated_today}] if simulated_today else [],
    )


def _parameter_values(document: dict[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, spec in document.get("Parameters", {}).items():
        if name in given:
            values[name] = str(given[name])
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no default and no value was given")
    unknown = set(given) - set(values)
    if unknown:
        raise TemplateError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    return values


def _physical_name(logical_id: str, resource: dict[str, Any], stack_name: str) -> str:
    properties = resource.get("Properties", {})
    for key in ("TableName", "QueueName"):
        if isinstance(properties.get(key), str):
            return str(properties[key])
    return (
        f"{stack_name}-{logical_id}".lower()
        if resource["Type"] == "AWS::S3::Bucket"
        else f"{stack_name}-{logical_id}"
    )


def _wanted(resolver: _Resolver, resource: dict[str, Any]) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(condition)


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                found.add(argument)
            elif key == "Fn::GetAtt":
                found.add(argument[0] if isinstance(argument, list) else str(argument).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                found.update(part.split("}", 1)[0].split(".", 1)[0] for part in text.split("${")[1:])
                found |= _references(argument)
            else:
                found |= _references(argument)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def _creation_order(resources: dict[str, Any]) -> list[str]:
    """Dependencies first (a dead-letter queue before the queue that redrives to it)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in order:
            return
        if logical_id in visiting:
            raise TemplateError(f"circular dependency through {logical_id}")
        visiting.add(logical_id)
        for dependency in sorted(_references(resources[logical_id].get("Properties", {})) & set(resources)):
            if resources[dependency]["Type"] in _SUPPORTED:
                visit(dependency)
        visiting.discard(logical_id)
        order.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return order


# --- one creator per supported resource type: CloudFormation properties -> API calls --------------


def _create_table(name: str, properties: dict[str, Any]) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
        if key in properties:
            kwargs[key] = properties[key]
    if properties.get("SSESpecification", {}).get("SSEEnabled"):
        kwargs["SSESpecification"] = {"Enabled": True}
    if "StreamSpecification" in properties:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    client.create_table(**kwargs)
    if properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def _create_bucket(name: str, properties: dict[str, Any]) -> None:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=str(properties.get("ObjectLockEnabled", "false")).lower() == "true",
    )
    status = properties.get("VersioningConfiguration", {}).get("Status")
    if status:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    rules = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
    if rules:
        # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault.
        api_rules = [
            {
                (
                    "ApplyServerSideEncryptionByDefault" if key == "ServerSideEncryptionByDefault" else key
                ): value
                for key, value in rule.items()
            }
            for rule in rules
        ]
        client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": api_rules})
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        client.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration={key: bool(value) for key, value in block.items()}
        )
    lock = properties.get("ObjectLockConfiguration")
    if lock and lock.get("Rule"):
        client.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=lock)


def _create_queue(name: str, properties: dict[str, Any]) -> str:
    client = boto3.client("sqs", region_name=REGION)
    attributes: dict[str, str] = {}
    for key in (
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "MaximumMessageSize",
        "SqsManagedSseEnabled",
        "FifoQueue",
        "ContentBasedDeduplication",
    ):
        if key in properties:
            attributes[key] = (
                str(properties[key]).lower() if isinstance(properties[key], bool) else str(properties[key])
            )
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    return str(client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def _create_bus(name: str, properties: dict[str, Any]) -> None:
    boto3.client("events", region_name=REGION).create_event_bus(Name=name)


def _create_configuration_set(name: str, properties: dict[str, Any]) -> None:
    boto3.client("sesv2", region_name=REGION).create_configuration_set(ConfigurationSetName=name)


_CREATORS: dict[str, Any] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::S3::Bucket": _create_bucket,
    "AWS::SQS::Queue": _create_queue,
    "AWS::Events::EventBus": _create_bus,
    "AWS::SES::ConfigurationSet": _create_configuration_set,
}


def verify_sender(address: str) -> None:
    """What the operator does once in the SES console; moto refuses mail from unverified senders too."""
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=address)
