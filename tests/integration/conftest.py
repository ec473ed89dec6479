"""Integration tests run the real handlers against moto's server over HTTP, one fresh stack per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest

from relance.bootstrap import use_runtime
from relance.devstack import EmbeddedAws, deploy_stack, verify_sender
from relance.local_pipeline import LocalPipeline

PARAMETERS = {
    "SenderEmail": "relances@creditor.example",
    "ReplyToEmail": "compta@creditor.example",
    "CompanyName": "Créancier Test SAS",
    "CompanySiren": "917764672",
    "CompanyAddress": "1 rue du Test|75001 Paris|France",
    "CompanyIban": "FR76 3000 6000 0112 3456 7890 189",
}

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def aws() -> Iterator[EmbeddedAws]:
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    embedded = EmbeddedAws.start()
    yield embedded
    embedded.stop()


@pytest.fixture
def stack(aws: EmbeddedAws) -> Iterator[LocalPipeline]:
    """A pipeline on fresh resources created from template.yaml, its clock on Monday 2 March 2026."""
    aws.reset()
    deployed = deploy_stack(PARAMETERS, stack_name="relance-test")
    verify_sender(PARAMETERS["SenderEmail"])
    pipeline = LocalPipeline.start(aws, deployed, date(2026, 3, 2))
    yield pipeline
    use_runtime(None)
