"""Integration tests run on moto's server over HTTP: the adapters' contract, the handlers' wiring, one day
end to end and the demo. Everything else is specified on the in-memory ports in tests/unit."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from relance.bootstrap import use_runtime
from relance_tools.devstack import EmbeddedAws, EmbeddedStack, deploy_stack, verify_sender
from relance_tools.local_pipeline import LocalPipeline
from tests.conftest import built_once

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


def fresh_stack(aws: EmbeddedAws) -> EmbeddedStack:
    """Every resource of template.yaml, created anew on an emptied moto, its sender verified."""
    aws.reset()
    deployed = deploy_stack(PARAMETERS, stack_name="relance-test")
    verify_sender(PARAMETERS["SenderEmail"])
    return deployed


@pytest.fixture
def stack(aws: EmbeddedAws) -> Iterator[LocalPipeline]:
    """The real handlers on a fresh stack, their clock on Monday 2 March 2026."""
    pipeline = LocalPipeline.start(aws, fresh_stack(aws), date(2026, 3, 2))
    yield pipeline
    use_runtime(None)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `relance demo` run on the shipped sample book, shared by every test that reads its outputs;
    a subprocess, since the demo owns its embedded AWS."""
    return built_once(tmp_path_factory, "demo", run_demo)


def run_demo(out: Path) -> None:
    run = subprocess.run(  # noqa: S603 - our own interpreter and command
        [
            sys.executable,
            "-c",
            "import sys; from relance_tools.cli import main; sys.exit(main(sys.argv[1:]))",
            "demo",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    (out / "stdout.txt").write_text(run.stdout, encoding="utf-8")
    (out / "stderr.txt").write_text(run.stderr, encoding="utf-8")
