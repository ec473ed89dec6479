"""template.yaml, read as CloudFormation reads it after the SAM transform: no cycle, tables shaped like the
pynamodb models, every setting the code reads, least-privilege roles.

Pure: the SAM translator runs offline (no AWS credentials, no socket), as cfn-lint used to run it.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import inspect
import json
import re
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from relance import config
from relance.adapters.dynamo import records
from relance.adapters.memory import memory_context
from relance.adapters.memory.context import ManualClock
from relance.adapters.store import S3Store
from relance.domain.calendar import BusinessCalendar
from relance.services import digest
from relance.services.dunning import process_customer
from relance.services.planner import RunRequest, plan_day, run_request

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

# Which model each table serves; everything else (keys, types, indexes) is read from the models.
TABLE_MODELS = {
    "CustomersTable": records.CustomerRecord,
    "InvoicesTable": records.InvoiceRecord,
    "EventsTable": records.EventRecord,
}
TABLE_SETTINGS = {
    "CustomersTable": "CUSTOMERS_TABLE",
    "InvoicesTable": "INVOICES_TABLE",
    "EventsTable": "EVENTS_TABLE",
}

# AWS-managed policies SAM attaches by itself (logs, X-Ray, SQS polling). None grants DynamoDB or S3;
# anything else attached to a function's role fails the least-privilege test.
ALLOWED_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "AWSLambdaSQSQueueExecutionRole",
}

# Parameters without a default, as `sam deploy --guided` would ask for them.
PARAMETERS = {"SenderEmail": "relances@example.fr", "CompanyName": "Exemple SAS"}


# ---------------------------------------------------------------- loading and translating


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Ref, !Sub, !GetAtt...) as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)  # noqa: S506 (safe loader)


def translate(sam_template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template the SAM transform would produce, without AWS.

    Local CodeUri/ContentUri become S3 locations (what `sam package` does); managed policy names resolve
    from a static map instead of IAM, the way cfn-lint did it.
    """
    template = copy.deepcopy(sam_template)
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://relance-test-artifacts/{logical_id}.zip"
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-3"
    )
    managed = {name: f"arn:aws:iam::aws:policy/{name}" for name in ALLOWED_MANAGED_POLICIES}
    translator = Translator(managed_policy_map=None, sam_parser=Parser(), boto_session=session)
    return translator.translate(
        sam_template=template, parameter_values=dict(PARAMETERS), get_managed_policy_map=lambda: managed
    )


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    return translate(sam)


# ---------------------------------------------------------------- dependency graph


_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def references(value: Any) -> Iterator[str]:
    """Logical ids (or parameters) a property refers to through Ref, Fn::GetAtt and Fn::Sub."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            yield value["Ref"]
            return
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            yield (target.split(".", 1)[0] if isinstance(target, str) else target[0])
            return
        if set(value) == {"Fn::Sub"}:
            argument = value["Fn::Sub"]
            text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            for match in _SUB_VARIABLE.finditer(text):
                name = match.group(1).split(".", 1)[0]
                if name not in variables:
                    yield name
            yield from references(variables)
            return
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def dependency_graph(template: dict[str, Any]) -> dict[str, set[str]]:
    resources = template["Resources"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        edges = set(references(resource.get("Properties", {})))
        edges |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[logical_id] = {target for target in edges if target in resources}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A dependency cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_translated_template_has_no_circular_dependency(cfn: dict[str, Any]) -> None:
    cycle = find_cycle(dependency_graph(cfn))
    assert cycle is None, "circular dependency: " + " -> ".join(cycle or [])


def test_cycle_finder_catches_the_bucket_trap(sam: dict[str, Any]) -> None:
    """The pitfall this template avoids: a function that names the bucket with !Ref closes a circle
    (bucket -> S3 trigger permission -> function -> bucket)."""
    broken = copy.deepcopy(sam)
    broken["Globals"]["Function"]["Environment"]["Variables"]["BUCKET_NAME"] = {"Ref": "DocumentsBucket"}
    cycle = find_cycle(dependency_graph(translate(broken)))
    assert cycle is not None
    assert "DocumentsBucket" in cycle
    assert "IngestFunction" in cycle


def test_functions_rebuild_the_bucket_name_the_way_the_bucket_does(sam: dict[str, Any]) -> None:
    bucket_name = sam["Resources"]["DocumentsBucket"]["Properties"]["BucketName"]
    assert sam["Globals"]["Function"]["Environment"]["Variables"]["BUCKET_NAME"] == bucket_name
    name, variables = bucket_name["Fn::Sub"]
    checked = 0
    for logical_id, resource in sam["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        policies = resource["Properties"].get("Policies", [])
        assert "DocumentsBucket" not in set(references(policies)), logical_id
        for arn in _sub_strings(policies):
            text = arn if isinstance(arn, str) else arn[0]
            if ":s3:::" in text:
                assert isinstance(arn, list), (logical_id, text)
                bucket = f"arn:${{AWS::Partition}}:s3:::{name}"
                # The bucket itself for s3:ListBucket (the digest's), its objects for everything else.
                assert text == bucket or text.startswith(f"{bucket}/"), (logical_id, text)
                assert arn[1] == variables, logical_id
                checked += 1
    assert checked >= 4  # ingest: incoming/ and reports/; worker: notices/ and tasks/


def _sub_strings(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        if "Fn::Sub" in value:
            yield value["Fn::Sub"]
        for item in value.values():
            yield from _sub_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sub_strings(item)


# ---------------------------------------------------------------- tables


def _keys(key_schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((key["AttributeName"], key["KeyType"]) for key in key_schema)


def _projection(projection: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return projection["ProjectionType"], tuple(sorted(projection.get("NonKeyAttributes", [])))


@pytest.mark.parametrize("logical_id", sorted(TABLE_MODELS))
def test_table_matches_its_pynamodb_model(sam: dict[str, Any], logical_id: str) -> None:
    schema = TABLE_MODELS[logical_id]._get_schema()
    table = sam["Resources"][logical_id]["Properties"]

    assert _keys(table["KeySchema"]) == _keys(schema["key_schema"])
    declared = {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]}
    expected = {(a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]}
    for index in schema["global_secondary_indexes"]:
        expected |= {(a["AttributeName"], a["AttributeType"]) for a in index["attribute_definitions"]}
    assert declared == expected

    indexes = {
        index["IndexName"]: (_keys(index["KeySchema"]), _projection(index["Projection"]))
        for index in table.get("GlobalSecondaryIndexes", [])
    }
    assert indexes == {
        index["index_name"]: (_keys(index["key_schema"]), _projection(index["projection"]))
        for index in schema["global_secondary_indexes"]
    }
    assert not schema["local_secondary_indexes"]
    assert not table.get("LocalSecondaryIndexes")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


@pytest.mark.parametrize("logical_id", sorted(TABLE_MODELS))
def test_each_table_is_the_one_its_setting_names(sam: dict[str, Any], logical_id: str) -> None:
    variables = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert variables[TABLE_SETTINGS[logical_id]] == {"Ref": logical_id}


# ---------------------------------------------------------------- settings


def settings_read_by_the_code() -> set[str]:
    """The environment variables Settings.from_env reads, found in its source rather than listed twice."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(config.Settings.from_env)))
    names: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        function = node.func
        reader = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
        if reader in {"need", "optional", "integer", "get"} and isinstance(node.args[0].value, str):
            names.add(node.args[0].value)
    # Lambda itself sets AWS_REGION; a template may not.
    return {name for name in names if not name.startswith("AWS_")}


def test_the_settings_parser_is_found() -> None:
    assert {"CUSTOMERS_TABLE", "SENDER_EMAIL", "DUE_SHARDS", "SEND_WINDOW"} <= settings_read_by_the_code()


def test_every_setting_the_code_reads_is_set_for_every_function(cfn: dict[str, Any]) -> None:
    wanted = settings_read_by_the_code()
    functions = {k: r for k, r in cfn["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert set(functions) >= {"IngestFunction", "PlannerFunction", "WorkerFunction", "FeedbackFunction"}
    for logical_id, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert not wanted - set(variables), f"{logical_id} lacks {sorted(wanted - set(variables))}"


def test_no_stray_setting_in_globals(sam: dict[str, Any]) -> None:
    """A misspelt variable (COMPANY_SIRET) would be silently ignored by the code."""
    variables = set(sam["Globals"]["Function"]["Environment"]["Variables"])
    stray = {name for name in variables - settings_read_by_the_code() if not name.startswith("POWERTOOLS_")}
    assert not stray


def test_default_policies_exist(sam: dict[str, Any]) -> None:
    for parameter in ("DefaultPolicy", "ConsumerPolicy"):
        name = sam["Parameters"][parameter]["Default"]
        assert (ROOT / "policies" / f"{name}.yaml").is_file(), name


# ---------------------------------------------------------------- least privilege


def _function_roles(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = cfn["Resources"]
    roles = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function":
            role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
            roles[logical_id] = resources[role]["Properties"]
    return roles


def _allowed_statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role.get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement["Effect"] == "Allow":
                yield statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return True  # an Allow with NotAction grants nearly everything
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(statement["Action"]))


def _touches(statement: dict[str, Any], logical_id: str) -> bool:
    """Whether a statement's resources include the given table (directly or through a wildcard)."""
    for resource in _as_list(statement.get("Resource", "*")):
        if isinstance(resource, str) and ("*" in resource.split(":")[-1] or resource == "*"):
            return True
        if logical_id in set(references(resource)):
            return True
    return False


def test_no_crud_or_full_access_policies(sam: dict[str, Any]) -> None:
    for logical_id, resource in sam["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for policy in _as_list(resource["Properties"].get("Policies", [])):
            names = list(policy) if isinstance(policy, dict) else [policy]
            for name in names:
                assert not str(name).endswith("CrudPolicy"), f"{logical_id} uses {name}"
                assert "FullAccess" not in str(name), f"{logical_id} uses {name}"


def test_only_known_managed_policies_are_attached(cfn: dict[str, Any]) -> None:
    for logical_id, role in _function_roles(cfn).items():
        for arn in role.get("ManagedPolicyArns", []):
            text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
            assert text.rsplit("/", 1)[-1] in ALLOWED_MANAGED_POLICIES, f"{logical_id}: {text}"


def test_planner_cannot_scan_and_only_queries_the_due_index(cfn: dict[str, Any]) -> None:
    statements = list(_allowed_statements(_function_roles(cfn)["PlannerFunction"]))
    assert not [s for s in statements if _allows(s, "dynamodb:Scan")]
    for statement in statements:
        if any(_allows(statement, action) for action in ("dynamodb:Query", "dynamodb:GetItem")):
            for resource in _as_list(statement["Resource"]):
                assert resource in (
                    {"Fn::Sub": "${CustomersTable.Arn}/index/customer-due-index"},
                    # Books of versions before cases, until the worker has adopted them all.
                    {"Fn::Sub": "${InvoicesTable.Arn}/index/due-index"},
                ), resource


def test_escalation_log_is_append_only(cfn: dict[str, Any]) -> None:
    for logical_id, role in _function_roles(cfn).items():
        for statement in _allowed_statements(role):
            if not _touches(statement, "EventsTable"):
                continue
            for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
                assert not _allows(statement, action), f"{logical_id} may {action} on the escalation log"


def test_function_roles_have_no_wildcard_data_access(cfn: dict[str, Any]) -> None:
    for logical_id, role in _function_roles(cfn).items():
        for statement in _allowed_statements(role):
            for action in _as_list(statement.get("Action", [])):
                assert not str(action).endswith(":*"), f"{logical_id}: {action}"
            if any(str(a).split(":")[0] in {"dynamodb", "s3", "ses"} for a in _as_list(statement["Action"])):
                assert "*" not in _as_list(statement["Resource"]), f"{logical_id}: {statement}"


# ---------------------------------------------------------------- wiring


def _schedule_of(cfn: dict[str, Any], function: str) -> dict[str, Any]:
    (schedule,) = [
        r
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
        and r["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    ]
    return schedule


def test_schedule_input_keeps_the_scheduled_day(cfn: dict[str, Any]) -> None:
    schedule = _schedule_of(cfn, "PlannerFunction")
    target = schedule["Properties"]["Target"]
    assert json.loads(target["Input"]) == {
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "execution_id": "<aws.scheduler.execution-id>",
        "attempt": "<aws.scheduler.attempt-number>",
    }
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == {"Ref": "Timezone"}
    # The second dead-letter path: the function's own asynchronous failures.
    (invoke_config,) = [
        r
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
        and r["Properties"]["FunctionName"] == {"Ref": "PlannerFunction"}
    ]
    failure = invoke_config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert failure == {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}


def test_the_planner_reads_the_scheduled_day_from_the_input(sam: dict[str, Any], cfn: dict[str, Any]) -> None:
    """What the scheduler delivers, placeholders filled in, names the day it was meant for, even when a
    retry runs after midnight."""
    schedule = _schedule_of(cfn, "PlannerFunction")
    delivered = (
        schedule["Properties"]["Target"]["Input"]
        .replace("<aws.scheduler.scheduled-time>", "2026-03-02T07:00:00Z")
        .replace("<aws.scheduler.execution-id>", "d32c5kddcf5bb8c3")
        .replace("<aws.scheduler.attempt-number>", "3")
    )
    parameters = sam["Parameters"]
    calendar = BusinessCalendar(parameters["Country"]["Default"], parameters["Timezone"]["Default"])
    late_retry = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    assert run_request(json.loads(delivered), calendar, late_retry).run_date == date(2026, 3, 2)


def test_dashboard_body_is_json(sam: dict[str, Any]) -> None:
    body = sam["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(_SUB_VARIABLE.sub("resolved", body))["widgets"]
    assert {widget["type"] for widget in widgets} == {"metric", "log"}


def test_only_incoming_files_trigger_ingestion_and_only_inbound_mail_the_replies(cfn: dict[str, Any]) -> None:
    bucket = cfn["Resources"]["DocumentsBucket"]["Properties"]
    triggers = {
        notification["Function"]["Fn::GetAtt"][0]: notification["Filter"]["S3Key"]["Rules"]
        for notification in bucket["NotificationConfiguration"]["LambdaConfigurations"]
    }
    assert triggers == {
        "IngestFunction": [{"Name": "prefix", "Value": "incoming/"}],
        # Never replies/, where the replies function keeps its copy: that would trigger it again.
        "RepliesFunction": [{"Name": "prefix", "Value": "inbound/"}],
    }
    assert bucket["ObjectLockEnabled"] is True
    assert "ObjectLockConfiguration" not in bucket  # retention is set per notice by the worker


def test_work_queue_outlasts_the_worker(cfn: dict[str, Any]) -> None:
    worker = cfn["Resources"]["WorkerFunction"]["Properties"]
    queue = cfn["Resources"]["WorkQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WorkDeadLetterQueue", "Arn"]}
    (mapping,) = [
        r
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "WorkerFunction"}
    ]
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumConcurrency" in mapping["Properties"]["ScalingConfig"]


def test_every_makefile_build_has_its_target(sam: dict[str, Any]) -> None:
    for logical_id, resource in sam["Resources"].items():
        metadata = resource.get("Metadata", {})
        if metadata.get("BuildMethod") != "makefile":
            continue
        properties = resource["Properties"]
        folder = metadata.get("ContextPath") or properties.get("CodeUri") or properties["ContentUri"]
        makefile = (ROOT / folder / "Makefile").read_text(encoding="utf-8")
        assert re.search(rf"^(build-\S+ )*build-{logical_id}\b.*:", makefile, re.MULTILINE), logical_id
        source = properties.get("CodeUri") or properties["ContentUri"]
        assert (ROOT / source).is_dir(), f"{logical_id}: {source} is missing"


def test_the_runtime_package_never_reaches_for_an_operator_tool() -> None:
    """The layer ships layers/relance/python/relance whole; the tools live in tools/relance_tools, so nothing
    shipped may import them, nor the embedded AWS (moto) they run on."""
    package = ROOT / "layers" / "relance" / "python"
    assert not (package / "relance" / "cli").exists()
    assert (ROOT / "tools" / "relance_tools" / "devstack.py").is_file()
    for path in (package / "relance").rglob("*.py"):
        name = ".".join(path.relative_to(package).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            imported = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for module in imported:
                assert not module.startswith(("relance_tools", "moto")), f"{name} imports {module}"


def _allowed_actions(role: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource logical id or ARN text) pairs a role allows, for exact least-privilege checks."""
    pairs = set()
    for statement in _allowed_statements(role):
        for action in _as_list(statement["Action"]):
            for resource in _as_list(statement.get("Resource", "*")):
                targets = sorted(set(references(resource))) or [json.dumps(resource, sort_keys=True)]
                pairs |= {(str(action), target) for target in targets}
    return pairs


def test_feedback_reads_customers_and_appends_to_the_log_and_nothing_else(cfn: dict[str, Any]) -> None:
    """SES feedback can mark a customer's address and log what happened; it cannot touch invoices,
    documents or mail, nor rewrite the escalation log."""
    allowed = _allowed_actions(_function_roles(cfn)["FeedbackFunction"])
    data = {
        (action, target) for action, target in allowed if action.split(":")[0] in {"dynamodb", "s3", "ses"}
    }

    assert data == {
        ("dynamodb:GetItem", "CustomersTable"),
        ("dynamodb:UpdateItem", "CustomersTable"),
        ("dynamodb:Query", "EventsTable"),
        ("dynamodb:GetItem", "EventsTable"),
        ("dynamodb:PutItem", "EventsTable"),
    }


def test_ses_events_of_the_configuration_set_reach_the_feedback_function(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    (destination,) = [
        r for r in resources.values() if r["Type"] == "AWS::SES::ConfigurationSetEventDestination"
    ]
    properties = destination["Properties"]
    assert properties["ConfigurationSetName"] == {"Ref": "EmailConfigurationSet"}
    assert {"delivery", "bounce", "complaint"} <= set(properties["EventDestination"]["MatchingEventTypes"])
    assert properties["EventDestination"]["Enabled"] is True
    topic = properties["EventDestination"]["SnsDestination"]["TopicARN"]
    assert topic == {"Ref": "FeedbackTopic"}

    subscriptions = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["TopicArn"] == topic
    ]
    assert [s["Endpoint"] for s in subscriptions] == [{"Fn::GetAtt": ["FeedbackFunction", "Arn"]}]
    assert [s["Protocol"] for s in subscriptions] == ["lambda"]
    # The worker sends through the configuration set these events come from.
    variables = cfn["Resources"]["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SES_CONFIGURATION_SET"] == {"Ref": "EmailConfigurationSet"}


def test_only_ses_may_publish_feedback(cfn: dict[str, Any]) -> None:
    (policy,) = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"]
    assert policy["Properties"]["Topics"] == [{"Ref": "FeedbackTopic"}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_failed_feedback_is_kept_and_watched(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    (invoke_config,) = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
        and r["Properties"]["FunctionName"] == {"Ref": "FeedbackFunction"}
    ]
    failure = invoke_config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert failure == {"Fn::GetAtt": ["FeedbackDeadLetterQueue", "Arn"]}
    watched = [
        r["Properties"]["Dimensions"][0]["Value"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Dimensions")
    ]
    assert {"Fn::GetAtt": ["FeedbackDeadLetterQueue", "QueueName"]} in watched
    assert {"Ref": "FeedbackFunction"} in watched
    function = resources["FeedbackFunction"]["Properties"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "FeedbackLogGroup"}


# Where the worker keeps evidence under Object Lock (emails/ is the sent-mail archive).
EVIDENCE_PREFIXES = ("notices/", "handoff/", "emails/", "replies/")

# Whoever holds these can remove or rewrite evidence before its retention date.
EVIDENCE_BREAKERS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutObjectLegalHold",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
)


def test_no_function_can_delete_or_unlock_stored_evidence(cfn: dict[str, Any]) -> None:
    for logical_id, role in _function_roles(cfn).items():
        for statement in _allowed_statements(role):
            for action in EVIDENCE_BREAKERS:
                assert not _allows(statement, action), f"{logical_id} may {action}"


def test_evidence_is_written_under_object_lock_and_no_lifecycle_rule_expires_it(sam: dict[str, Any]) -> None:
    bucket = sam["Resources"]["DocumentsBucket"]["Properties"]
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    for rule in bucket["LifecycleConfiguration"]["Rules"]:
        expires = {"ExpirationInDays", "ExpirationDate", "NoncurrentVersionExpiration", "Transitions"} & set(
            rule
        )
        if expires:
            prefix = rule.get("Prefix", "")
            assert prefix, rule["Id"]
            assert not prefix.startswith(EVIDENCE_PREFIXES), rule["Id"]
    retention = sam["Parameters"]["NoticeRetentionDays"]
    assert retention["Default"] >= 5 * 365  # B2B limitation period (Code de commerce L110-4)
    variables = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["NOTICE_RETENTION_DAYS"] == {"Ref": "NoticeRetentionDays"}


# ---------------------------------------------------------------- security (issue 13)


def _policy_statements(template: dict[str, Any], bucket: str) -> list[dict[str, Any]]:
    """The statements of the bucket policies attached to `bucket`."""
    found = []
    for resource in template["Resources"].values():
        properties = resource["Properties"]
        if resource["Type"] == "AWS::S3::BucketPolicy" and properties["Bucket"] == {"Ref": bucket}:
            found += _as_list(properties["PolicyDocument"]["Statement"])
    return found


def _unconditional_denies(statements: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Deny statements that hold for every principal, with no condition to step around."""
    for statement in statements:
        everyone = statement.get("Principal") == "*"
        if statement["Effect"] == "Deny" and everyone and "Condition" not in statement:
            yield statement


def _buckets(template: dict[str, Any]) -> list[str]:
    return [k for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"]


def test_every_bucket_refuses_plain_http(cfn: dict[str, Any]) -> None:
    assert set(_buckets(cfn)) == {"DocumentsBucket", "AccessLogBucket"}
    for bucket in _buckets(cfn):
        denies = [
            s
            for s in _policy_statements(cfn, bucket)
            if s["Effect"] == "Deny"
            and s.get("Principal") == "*"
            and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert len(denies) == 1, bucket
        assert denies[0]["Action"] == "s3:*"
        assert denies[0]["Resource"] == [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}]


def test_data_at_rest_is_encrypted(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    queues = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SQS::Queue"]
    tables = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    # Every queue and table, whatever their number: a new one cannot slip in unencrypted.
    assert len(queues) >= 5
    assert len(tables) == 3
    for queue in queues:
        assert queue.get("SqsManagedSseEnabled") is True or queue.get("KmsMasterKeyId"), queue
    for table in tables:
        assert table["SSESpecification"]["SSEEnabled"] is True
    for bucket in _buckets(cfn):
        (rule,) = resources[bucket]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", bucket


def _covers(resource: Any, prefix: str) -> bool:
    return resource == {"Fn::Sub": f"${{DocumentsBucket.Arn}}/{prefix}*"}


@pytest.mark.parametrize("prefix", EVIDENCE_PREFIXES)
@pytest.mark.parametrize(
    "action", ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"]
)
def test_nobody_may_delete_evidence_or_lift_its_lock(sam: dict[str, Any], prefix: str, action: str) -> None:
    """In GOVERNANCE mode a lock is lifted (or its retention shortened) only with BypassGovernanceRetention;
    the bucket policy refuses it to every principal, the account's own included, with no exception. Lifting
    it takes a change of the policy first, which CloudTrail records; COMPLIANCE allows not even that."""
    denies = list(_unconditional_denies(_policy_statements(sam, "DocumentsBucket")))
    assert any(
        action in _as_list(s["Action"]) and any(_covers(r, prefix) for r in _as_list(s["Resource"]))
        for s in denies
    )


def test_the_buckets_keep_their_policies_when_the_stack_is_deleted(sam: dict[str, Any]) -> None:
    """The buckets are retained; a policy deleted with the stack would leave their evidence unguarded."""
    for bucket in _buckets(sam):
        policies = [
            resource
            for resource in sam["Resources"].values()
            if resource["Type"] == "AWS::S3::BucketPolicy"
            and resource["Properties"]["Bucket"] == {"Ref": bucket}
        ]
        assert len(policies) == 1, bucket
        assert sam["Resources"][bucket]["DeletionPolicy"] == "Retain"
        assert policies[0]["DeletionPolicy"] == "Retain", bucket
        assert policies[0]["UpdateReplacePolicy"] == "Retain", bucket


def test_object_lock_mode_is_one_setting_from_the_template_to_the_writes(sam: dict[str, Any]) -> None:
    assert sam["Parameters"]["ObjectLockMode"]["AllowedValues"] == ["GOVERNANCE", "COMPLIANCE"]
    variables = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["OBJECT_LOCK_MODE"] == {"Ref": "ObjectLockMode"}
    for mode in ("GOVERNANCE", "COMPLIANCE"):
        sent = _evidence_write(mode)
        assert sent["ObjectLockMode"] == mode
        assert sent["ObjectLockRetainUntilDate"] == datetime(2031, 3, 2, tzinfo=UTC)


class _RecordingS3:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_object(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"VersionId": "v1"}


def _evidence_write(mode: str) -> dict[str, Any]:
    client = _RecordingS3()
    S3Store(client, "relance-bucket", mode).put_evidence(
        "notices/C1/2026/03/notice.pdf", b"%PDF", "application/pdf", datetime(2031, 3, 2, tzinfo=UTC), {}
    )
    (call,) = client.calls
    return call


@pytest.mark.parametrize("prefix", EVIDENCE_PREFIXES)
def test_evidence_is_never_overwritten_and_the_code_never_tries(sam: dict[str, Any], prefix: str) -> None:
    """A PUT over a stored notice would make a forged version the current one: the bucket refuses every
    write without If-None-Match on evidence, and S3Store.put_evidence always sends it."""
    (deny,) = [
        s
        for s in _policy_statements(sam, "DocumentsBucket")
        if s["Effect"] == "Deny" and s.get("Condition") == {"Null": {"s3:if-none-match": "true"}}
    ]
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:PutObject"
    assert any(_covers(r, prefix) for r in _as_list(deny["Resource"]))
    assert _evidence_write("GOVERNANCE")["IfNoneMatch"] == "*"


def test_whatever_the_worker_locks_is_protected_evidence(cfn: dict[str, Any]) -> None:
    """A prefix the worker writes under Object Lock but the bucket policy does not protect would be
    deletable by any principal of the account holding s3:DeleteObject."""
    locked = [
        resource
        for statement in _allowed_statements(_function_roles(cfn)["WorkerFunction"])
        if _allows(statement, "s3:PutObjectRetention")
        for resource in _as_list(statement["Resource"])
    ]
    assert locked
    for resource in locked:
        text = resource["Fn::Sub"][0]
        assert text.endswith(tuple(f"/{prefix}*" for prefix in EVIDENCE_PREFIXES)), text


def test_documents_bucket_access_is_logged_to_a_bucket_of_its_own(
    sam: dict[str, Any], cfn: dict[str, Any]
) -> None:
    documents = sam["Resources"]["DocumentsBucket"]
    logging_config = documents["Properties"]["LoggingConfiguration"]
    assert logging_config["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    prefix = logging_config["LogFilePrefix"]
    assert prefix == "documents/"

    logs = sam["Resources"]["AccessLogBucket"]
    assert logs["DeletionPolicy"] == "Retain"
    properties = logs["Properties"]
    # S3 refuses to deliver access logs to a bucket with a default Object Lock retention.
    assert "ObjectLockConfiguration" not in properties
    assert properties["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(properties["PublicAccessBlockConfiguration"].values())
    assert properties["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == {"Ref": "LogRetentionDays"}

    statements = _policy_statements(sam, "AccessLogBucket")
    (delivery,) = [s for s in statements if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == {"Fn::Sub": f"${{AccessLogBucket.Arn}}/{prefix}*"}
    # Only the documents bucket of this account delivers here; its ARN is rebuilt from the same name.
    name, variables = documents["Properties"]["BucketName"]["Fn::Sub"]
    source = delivery["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source == [f"arn:${{AWS::Partition}}:s3:::{name}", variables]
    assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    removals = {a for s in _unconditional_denies(statements) for a in _as_list(s["Action"])}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= removals

    # Logging starts once the log bucket admits the deliveries; the translated template still has no cycle.
    assert "AccessLogBucketPolicy" in _as_list(cfn["Resources"]["DocumentsBucket"]["DependsOn"])
    assert "DocumentsBucket" not in set(references(sam["Resources"]["AccessLogBucketPolicy"]["Properties"]))


def _emitted_metrics(output: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Metric name -> (namespace, dimensions) of the EMF lines Powertools printed."""
    found = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: document[name] for group in directive["Dimensions"] for name in group}
            for metric in directive["Metrics"]:
                found[metric["Name"]] = (directive["Namespace"], dimensions)
    return found


def _run_outside_the_window(which: str) -> None:
    too_early = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)  # 06:30 in Paris, before the 08:00 opening
    ctx = memory_context(clock=ManualClock(too_early))
    if which == "planner":
        plan_day(ctx, RunRequest(date(2026, 3, 2), "daily-2026-03-02", too_early))
    else:
        assert process_customer(ctx, "C1", "daily-2026-03-02").outcome == "deferred"


@pytest.mark.parametrize(
    ("alarm", "metric", "which"),
    [
        ("ScheduleOutsideWindowAlarm", "ScheduleOutsideWindow", "planner"),
        ("DispatchDeferredAlarm", "DispatchDeferred", "worker"),
    ],
)
def test_silent_stops_raise_an_alarm_on_the_metric_the_code_emits(
    sam: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    alarm: str,
    metric: str,
    which: str,
) -> None:
    variables = sam["Globals"]["Function"]["Environment"]["Variables"]
    for name in ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"):
        monkeypatch.setenv(name, variables[name])
    capsys.readouterr()

    _run_outside_the_window(which)

    namespace, dimensions = _emitted_metrics(capsys.readouterr().out)[metric]
    watched = sam["Resources"][alarm]["Properties"]
    assert watched["Namespace"] == namespace
    assert watched["MetricName"] == metric
    assert {d["Name"]: d["Value"] for d in watched["Dimensions"]} == dimensions
    assert watched["Statistic"] == "Sum"
    assert (watched["ComparisonOperator"], watched["Threshold"]) == ("GreaterThanThreshold", 0)
    assert watched["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def _skip_holds(check: str, logical_id: str, template: dict[str, Any]) -> bool:
    """Whether what a suppression claims is true of the resource (checks not listed claim nothing)."""
    properties = template["Resources"][logical_id]["Properties"]
    # An encryption check may be skipped only where the resource is encrypted by other means.
    if check == "CKV_AWS_27":
        return properties.get("SqsManagedSseEnabled") is True
    if check == "CKV_AWS_119":
        return properties["SSESpecification"]["SSEEnabled"] is True
    # Access logging may be skipped only on the bucket that receives the others' logs.
    if check == "CKV_AWS_18":
        return any(
            other["Properties"].get("LoggingConfiguration", {}).get("DestinationBucketName")
            == {"Ref": logical_id}
            for other in template["Resources"].values()
            if other["Type"] == "AWS::S3::Bucket"
        )
    return True


def test_every_checkov_suppression_says_why_and_holds(sam: dict[str, Any]) -> None:
    skips = 0
    for logical_id, resource in sam["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            skips += 1
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (logical_id, skip)
            assert len(skip.get("comment", "").split()) >= 15, (logical_id, skip["id"], "give the reason")
            assert _skip_holds(skip["id"], logical_id, sam), (logical_id, skip["id"])
    assert skips >= 1


def test_make_lint_runs_checkov_on_the_template_offline_and_pinned() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert lint is not None
    assert re.search(r"\bcheckov\b", lint.group(1))  # lint makes the checkov target
    checkov = re.search(r"^checkov:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert checkov is not None
    recipe = checkov.group(1).replace("\\\n", " ")
    command = next(line for line in recipe.splitlines() if "checkov" in line)
    # No Prisma Cloud mappings and no downloaded checks: no network, and the same checks every run.
    assert "BC_SKIP_MAPPING=TRUE" in command
    assert "--skip-download" in command
    assert "--file template.yaml" in command
    assert "--framework cloudformation" in command
    assert "--soft-fail" not in command
    assert re.search(r"^test: lint\b", makefile, re.MULTILINE)
    pins = [
        line
        for line in (ROOT / "requirements-checkov.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(line.startswith("checkov==") for line in pins)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", line) for line in pins), pins


def test_the_due_shards_bound_is_the_planner_s(sam: dict[str, Any]) -> None:
    parameter = sam["Parameters"]["DueShards"]
    assert parameter["MaxValue"] == config.MAX_DUE_SHARDS
    assert parameter["MinValue"] == 1
    variables = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["DUE_SHARDS"] == {"Ref": "DueShards"}


def test_personal_data_is_masked_in_logs_and_kept_out_of_traces_by_default(
    sam: dict[str, Any], cfn: dict[str, Any]
) -> None:
    parameter = sam["Parameters"]["LogPersonalData"]
    assert parameter["Default"] == "false"
    assert parameter["AllowedValues"] == ["false", "true"]
    functions = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) >= 5
    for function in functions:
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["LOG_PERSONAL_DATA"] == {"Ref": "LogPersonalData"}
        assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
        assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"


# ---------------------------------------------------------------- the journal


def test_every_entry_of_the_escalation_log_reaches_the_journal(cfn: dict[str, Any]) -> None:
    """Whoever writes to the log (a function, or a lever run from a laptop), its stream carries the item to
    the journal function; a batch that keeps failing is bisected, then kept in a DLQ that is watched."""
    resources = cfn["Resources"]
    assert resources["EventsTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    (mapping,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "JournalFunction"}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["EventsTable", "StreamArn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    assert mapping["MaximumRecordAgeInSeconds"] <= 86400  # a stream keeps its records 24 hours
    assert 1 <= mapping["BatchSize"] <= 1000
    failure = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    assert failure == {"Fn::GetAtt": ["JournalDeadLetterQueue", "Arn"]}
    watched = {
        json.dumps(r["Properties"]["Dimensions"][0]["Value"], sort_keys=True)
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Dimensions")
    }
    assert json.dumps({"Fn::GetAtt": ["JournalDeadLetterQueue", "QueueName"]}) in watched
    function = resources["JournalFunction"]["Properties"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "JournalLogGroup"}
    group = resources["JournalLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_journal_reads_the_logs_stream_and_customers_names_and_nothing_else(cfn: dict[str, Any]) -> None:
    role = _function_roles(cfn)["JournalFunction"]
    allowed = {
        (action, target)
        for action, target in _allowed_actions(role)
        if action.split(":")[0] in {"dynamodb", "s3", "ses", "sqs", "events"}
    }

    assert allowed == {
        ("dynamodb:DescribeStream", "EventsTable"),
        ("dynamodb:GetRecords", "EventsTable"),
        ("dynamodb:GetShardIterator", "EventsTable"),
        ("dynamodb:ListStreams", "EventsTable"),
        ("dynamodb:BatchGetItem", "CustomersTable"),
        ("sqs:SendMessage", "JournalDeadLetterQueue"),
    }
    # The stream, not the table: the journal cannot read the log's items any other way.
    [stream] = {
        json.dumps(statement["Resource"], sort_keys=True)
        for statement in _allowed_statements(role)
        if "dynamodb:GetRecords" in _as_list(statement["Action"])
    }
    assert stream == json.dumps({"Fn::Sub": "${EventsTable.Arn}/stream/*"})


def _dashboard(sam: dict[str, Any]) -> str:
    return str(sam["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])


def test_every_dead_letter_queue_is_on_the_dashboard_and_alarmed(sam: dict[str, Any]) -> None:
    resources = sam["Resources"]
    queues = [
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::SQS::Queue" and "DeadLetter" in logical_id
    ]
    alarmed = [
        r["Properties"]["Dimensions"][0]["Value"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Dimensions")
    ]
    assert "JournalDeadLetterQueue" in queues
    for queue in queues:
        assert f"${{{queue}.QueueName}}" in _dashboard(sam), queue
        assert {"Fn::GetAtt": [queue, "QueueName"]} in alarmed, queue


def test_the_dashboard_reads_the_journal_and_the_digests_aging(sam: dict[str, Any]) -> None:
    body = _dashboard(sam)
    widgets = json.loads(_SUB_VARIABLE.sub("resolved", body))["widgets"]
    titles = [widget["properties"]["title"] for widget in widgets]

    assert body.count("SOURCE '${JournalLogGroup}'") >= 4
    for wanted in ("Sends per step", "Amount under escalation", "Amount by age", "Held customers"):
        assert any(title.startswith(wanted) for title in titles), wanted
    # The morning digest's metric, as services.digest emits it: ReceivablesAging by bucket and currency.
    assert (
        'SELECT MAX(ReceivablesAging) FROM SCHEMA(\\"Relance\\", bucket, currency, service) '
        "GROUP BY currency, bucket" in body
    )
    assert re.search(
        r'gauge_metric\(\s*"ReceivablesAging", [^)]*currency=[^)]*bucket=', inspect.getsource(digest)
    )
    # Widgets do not overlap on the 24-column grid.
    cells = set()
    for widget in widgets:
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells, widget["properties"]["title"]
                cells.add((x, y))
        assert widget["x"] + widget["width"] <= 24
