"""Which stack the levers and the preview act on: a deployed one, or the demo's embedded AWS.

`--stack NAME [--region R] [--profile P]` reads the stack's Outputs (tables, bucket, queue, bus) and
Parameters (sender, company, calendar, policies) with CloudFormation's describe_stacks, and builds the
same Settings the functions get from their environment. `--endpoint URL` points every client at the
embedded AWS that `relance demo --serve` keeps running; its stack answers describe_stacks the same way.
"""

from __future__ import annotations

import argparse
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from relance.bootstrap import Clock, Runtime, system_clock
from relance.config import ConfigError, Settings
from relance_tools.cli.errors import CliError
from relance_tools.devstack import SIMULATED_TODAY_TAG

# The functions' environment (template.yaml, Globals) from the stack's Outputs...
FROM_OUTPUTS = {
    "CUSTOMERS_TABLE": "CustomersTableName",
    "INVOICES_TABLE": "InvoicesTableName",
    "EVENTS_TABLE": "EventsTableName",
    "BUCKET_NAME": "DocumentsBucketName",
    "WORK_QUEUE_URL": "WorkQueueUrl",
    "EVENT_BUS_NAME": "EventBusName",
    "SES_CONFIGURATION_SET": "EmailConfigurationSetName",
}
# ... and from its Parameters.
FROM_PARAMETERS = {
    "SENDER_EMAIL": "SenderEmail",
    "REPLY_TO_EMAIL": "ReplyToEmail",
    "COMPANY_NAME": "CompanyName",
    "COMPANY_SIREN": "CompanySiren",
    "COMPANY_ADDRESS": "CompanyAddress",
    "COMPANY_IBAN": "CompanyIban",
    "COMPANY_PHONE": "CompanyPhone",
    "COUNTRY": "Country",
    "TIMEZONE": "Timezone",
    "SEND_WINDOW": "SendWindow",
    "DEFAULT_POLICY": "DefaultPolicy",
    "CONSUMER_POLICY": "ConsumerPolicy",
    "DUE_SHARDS": "DueShards",
    "NOTICE_RETENTION_DAYS": "NoticeRetentionDays",
    "OBJECT_LOCK_MODE": "ObjectLockMode",
    "LOG_PERSONAL_DATA": "LogPersonalData",
    "INTEREST_RATE_MODE": "InterestRateMode",
    "CONSUMER_MEDIATOR": "ConsumerMediator",
    "POSTAL_DELAY_DAYS": "PostalDelayDays",
    "CREDITOR_REGION": "CreditorRegion",
    "SES_SEND_RATE": "SesSendRate",
    "WORKER_CONCURRENCY": "WorkerConcurrency",
    "DIGEST_RECIPIENTS": "DigestRecipients",
}
# The embedded AWS's region and fake credentials (relance_tools.devstack): nothing sent there reaches AWS.
EMBEDDED_REGION = "eu-west-3"
_EMBEDDED_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "embedded",
    "AWS_SECRET_ACCESS_KEY": "embedded",
    "AWS_SESSION_TOKEN": "embedded",
}


@dataclass(frozen=True)
class StackDescription:
    name: str
    region: str
    outputs: dict[str, str]
    parameters: dict[str, str]
    tags: dict[str, str]


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("stack")
    group.add_argument(
        "--stack",
        default=os.environ.get("RELANCE_STACK"),
        help="CloudFormation stack name (default: $RELANCE_STACK); the demo's is relance-demo",
    )
    group.add_argument("--region", help="AWS region of the stack (default: the profile's or $AWS_REGION)")
    group.add_argument("--profile", help="AWS named profile to use")
    group.add_argument(
        "--endpoint", metavar="URL", help="the embedded AWS of `relance demo --serve` (it prints the URL)"
    )


def settings_from_stack(description: StackDescription) -> Settings:
    """The functions' Settings, rebuilt from what describe_stacks tells of the stack."""
    environment: dict[str, str] = {"AWS_REGION": description.region}
    for variable, output in FROM_OUTPUTS.items():
        if output not in description.outputs:
            raise CliError(
                f"stack {description.name} has no output {output}; is it a Relance stack deployed from the "
                "current template.yaml?"
            )
        environment[variable] = description.outputs[output]
    for variable, parameter in FROM_PARAMETERS.items():
        if parameter in description.parameters:
            environment[variable] = description.parameters[parameter]
    try:
        return Settings.from_env(environment)
    except ConfigError as exc:
        raise CliError(f"stack {description.name}: {exc}") from None


def describe_stack(name: str, region: str | None, profile: str | None) -> StackDescription:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        resolved = session.region_name or EMBEDDED_REGION
        response = session.client("cloudformation", region_name=resolved).describe_stacks(StackName=name)
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        raise CliError(f"stack {name}: {message}") from None
    except BotoCoreError as exc:
        raise CliError(f"cannot reach CloudFormation for stack {name}: {exc}") from None
    [stack] = response["Stacks"]
    return StackDescription(
        name=name,
        region=resolved,
        outputs={item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])},
        parameters={
            item["ParameterKey"]: item.get("ParameterValue", "") for item in stack.get("Parameters", [])
        },
        tags={item["Key"]: item["Value"] for item in stack.get("Tags", [])},
    )


def runtime_from_args(args: argparse.Namespace) -> Runtime:
    """A Runtime bound to the chosen stack; for the embedded AWS, on the demo's simulated day."""
    if not args.stack:
        raise CliError("--stack NAME is required (or set RELANCE_STACK); the demo's stack is relance-demo")
    region = args.region
    if args.endpoint:
        if args.profile:
            raise CliError("--profile and --endpoint do not go together: the embedded AWS takes no profile")
        _use_endpoint(args.endpoint)
        region = region or EMBEDDED_REGION
    elif args.profile:
        # pynamodb builds its own botocore session, which reads the profile from the environment.
        os.environ["AWS_PROFILE"] = args.profile
    description = describe_stack(args.stack, region, None if args.endpoint else args.profile)
    settings = settings_from_stack(description)
    clock = system_clock
    if args.endpoint and SIMULATED_TODAY_TAG in description.tags:
        clock = _simulated_clock(settings, description.tags[SIMULATED_TODAY_TAG])
    return Runtime(settings, clock=clock)


def _use_endpoint(endpoint: str) -> None:
    """Every client of this process (boto3 and pynamodb's botocore) talks to the embedded AWS."""
    if not endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise CliError(
            f"--endpoint {endpoint}: only the local embedded AWS (http://127.0.0.1:PORT) is allowed"
        )
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(_EMBEDDED_CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", EMBEDDED_REGION)


def _simulated_clock(settings: Settings, day: str) -> Clock:
    """The demo's morning of `day`, inside the sending window, in the creditor's timezone."""
    from relance.domain.calendar import BusinessCalendar

    try:
        today = date.fromisoformat(day)
    except ValueError:
        raise CliError(f"the embedded stack's {SIMULATED_TODAY_TAG} tag is not a date: {day!r}") from None
    moment = BusinessCalendar(settings.country, settings.timezone).at_opening(today) + timedelta(minutes=5)

    def clock() -> datetime:
        return moment

    return clock


@contextmanager
def aws_errors(stack: str | None) -> Iterator[None]:
    """An AWS refusal (permissions, throttling, a table gone) is one line naming the stack, no traceback."""
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    try:
        yield
    except (BotoCoreError, ClientError, PynamoDBException) as exc:
        raise CliError(f"stack {stack}: AWS call failed: {exc}") from None


@contextmanager
def quiet_metrics() -> Iterator[None]:
    """The services log each step with an EMF metric line on stdout, which CloudWatch reads in Lambda;
    on a terminal it is noise, so it is dropped (the STATUS event in the log is the record)."""
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Relance")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "relance-cli")
    with redirect_stdout(io.StringIO()):
        yield


def today_of(rt: Runtime) -> date:
    return rt.calendar.local_date(rt.clock())
