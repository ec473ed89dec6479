"""The ingest package reads and checks files without AWS: it must stay importable and testable alone."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "layers" / "relance" / "python" / "relance" / "ingest"
FORBIDDEN = (
    "boto3",
    "botocore",
    "pynamodb",
    "aws_lambda_powertools",
    "relance.adapters",
    "relance.services",
    "relance.bootstrap",
)


def test_the_ingest_package_imports_nothing_from_aws_or_the_adapters():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.startswith(FORBIDDEN)]

    assert list(PACKAGE.rglob("*.py"))
    assert offenders == []
