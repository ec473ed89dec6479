"""The house rules that keep the core pure and the handlers thin, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "relance" / "python" / "relance"
FORBIDDEN_IN_DOMAIN = (
    "boto3",
    "botocore",
    "pynamodb",
    "jinja2",
    "aws_lambda_powertools",
    "reportlab",
    "babel",
    "relance.adapters",
    "relance.services",
    "relance.rendering",
    "relance.bootstrap",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_domain_imports_nothing_from_aws_storage_or_rendering():
    offenders = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in (PACKAGE / "domain").rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(FORBIDDEN_IN_DOMAIN)
    }

    assert offenders == set()


def test_handlers_are_thin_and_call_only_the_composition_root_and_services():
    for path in sorted((ROOT / "functions").glob("*/app.py")):
        relance_imports = {module for module in imported_modules(path) if module.startswith("relance")}
        assert relance_imports <= {"relance.bootstrap"} | {
            m for m in relance_imports if m.startswith("relance.services")
        }
        assert "relance.domain" not in " ".join(relance_imports), path
        code_lines = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        assert len(code_lines) < 45, f"{path} holds {len(code_lines)} lines: business rules belong in relance"


def test_no_adapter_is_built_at_import_time():
    """Clients are made by bootstrap on first use, never at module level (cold start, tests, other stacks)."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
                call = ast.unparse(node.value.func)
                assert not call.startswith(("boto3.", "Settings.from_env")), f"{path}: {ast.unparse(node)}"


FORBIDDEN_IN_SERVICES = ("pynamodb", "botocore", "boto3", "relance.bootstrap", "relance.adapters")


def test_services_speak_to_ports_and_never_to_an_adapter_or_the_composition_root():
    """Services receive their dependencies (relance.ports.Context); the adapters and bootstrap build them.

    The in-memory fakes (relance.adapters.memory) are adapters too: a service never reaches for them.
    """
    offenders = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in (PACKAGE / "services").rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(FORBIDDEN_IN_SERVICES)
    }

    assert offenders == set()


def test_the_ports_are_protocols_and_import_nothing_that_talks_to_aws():
    modules = imported_modules(PACKAGE / "ports.py")

    assert not {module for module in modules if module.startswith(FORBIDDEN_IN_SERVICES)}
    source = (PACKAGE / "ports.py").read_text(encoding="utf-8")
    for port in ("Book", "EventLog", "Mailer", "DocumentStore", "EventPublisher", "WorkQueue", "Renderer"):
        assert f"class {port}(Protocol):" in source, port
