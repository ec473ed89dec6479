"""The Lambda layer as `sam build` makes it (layers/relance/Makefile, built once per session).

/opt is read-only on Lambda: a module without bytecode for the runtime's Python is compiled again on every
cold start. The first build of a machine downloads the wheels for Lambda's platform from PyPI (pip keeps
them in the virtualenv for the next builds); the checks themselves run python3.12 on the built folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.rendering import formatting
from tests.benchmarks.layer import build_layer, lambda_environment, python312
from tests.conftest import built_once

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
DEV_TOOLS = ("relance_tools", "moto", "pytest", "_pytest", "hypothesis", "ruff", "cfnlint", "samtranslator")
AMOUNTS = ["0", "-0.5", "1234.56", "1234567.891", "-98765.4"]
CURRENCIES = ["EUR", "GBP", "USD", "JPY", "CHF"]
DAYS = ["2026-01-01", "2026-11-22", "2027-02-28"]


@pytest.fixture(scope="session")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built layer's python/ folder, /opt/python on Lambda."""
    return built_once(tmp_path_factory, "layer", build_layer) / "python"


@pytest.fixture(scope="session")
def python() -> str:
    return python312()


def run_312(python: str, code: str, layer: Path, *paths: Path, write_bytecode: bool = False) -> object:
    """`code` run by python3.12 on the layer alone (no site-packages); it prints its result as JSON."""
    flags = ["-I", "-S"] if write_bytecode else ["-I", "-S", "-B"]
    done = subprocess.run(  # noqa: S603 - the runtime's interpreter on our own layer
        [python, *flags, "-c", code, str(layer), *map(str, paths)],
        capture_output=True,
        text=True,
        env=lambda_environment("worker") | {"POWERTOOLS_TRACE_DISABLED": "true"},
        cwd=tempfile.gettempdir(),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def bytecode_of(module: Path) -> Path:
    return module.parent / "__pycache__" / f"{module.stem}.cpython-312.pyc"


def test_every_module_has_bytecode_for_the_runtimes_python_used_without_checking_its_source(
    layer: Path, python: str
):
    modules = list(layer.rglob("*.py"))
    magic = run_312(
        python, "import importlib.util, json; print(json.dumps(importlib.util.MAGIC_NUMBER.hex()))", layer
    )

    assert len(modules) > 1000
    assert [str(m.relative_to(layer)) for m in modules if not bytecode_of(m).is_file()] == []
    headers = {bytecode_of(module).read_bytes()[:8] for module in modules}
    # PEP 552: the magic number of 3.12, then flags 0b01, hash-based and never checked against the source.
    assert headers == {bytes.fromhex(magic) + (1).to_bytes(4, "little")}


def test_the_layer_ships_the_relance_package_whole_and_no_operator_or_test_tool(layer: Path):
    source = ROOT / "layers" / "relance" / "python"
    shipped = {path.name.split("-")[0].removesuffix(".py").lower() for path in layer.iterdir()}

    assert shipped.isdisjoint(DEV_TOOLS)
    assert not (layer / "bin").exists()
    assert {p.relative_to(source) for p in (source / "relance").rglob("*.py")} <= {
        p.relative_to(layer) for p in (layer / "relance").rglob("*.py")
    }
    assert (layer / "relance" / "_assets" / "templates").is_dir()
    assert (layer / "relance" / "_assets" / "policies").is_dir()


def test_babel_keeps_the_locale_data_of_the_template_languages_only(layer: Path):
    locales = {path.stem for path in (layer / "babel" / "locale-data").glob("*.dat")}
    languages = {path.name for path in (ROOT / "templates").iterdir() if path.is_dir()}

    assert {"root", *formatting.LOCALES, *formatting.LOCALES.values()} <= locales
    assert {locale.split("_")[0] for locale in locales} == {"root", *languages}


def test_the_trimmed_layer_formats_as_the_whole_of_babel(layer: Path, python: str):
    code = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from datetime import date\n"
        "from decimal import Decimal\n"
        "import babel\n"
        "from relance.rendering import formatting\n"
        "assert babel.__file__.startswith(sys.argv[1]) and formatting.__file__.startswith(sys.argv[1])\n"
        "out = {}\n"
        "for language in sorted(formatting.LOCALES):\n"
        f"    out[language] = [formatting.money(Decimal(a), c, language) for a in {AMOUNTS!r}\n"
        f"                     for c in {CURRENCIES!r}]\n"
        f"    for day in map(date.fromisoformat, {DAYS!r}):\n"
        "        out[language] += [formatting.long_date(day, language)]\n"
        "        out[language] += [formatting.short_date(day, language)]\n"
        f"    out[language] += [formatting.percent(Decimal(a), language) for a in {AMOUNTS!r}]\n"
        "print(json.dumps(out))\n"
    )
    expected = {
        language: [formatting.money(Decimal(a), c, language) for a in AMOUNTS for c in CURRENCIES]
        + [
            text
            for day in map(date.fromisoformat, DAYS)
            for text in (formatting.long_date(day, language), formatting.short_date(day, language))
        ]
        + [formatting.percent(Decimal(a), language) for a in AMOUNTS]
        for language in sorted(formatting.LOCALES)
    }

    assert run_312(python, code, layer) == expected


def test_handlers_import_from_the_layer_with_its_bytecode_as_shipped(layer: Path, python: str):
    """Sources newer than their bytecode change nothing: no module is compiled again, none written."""
    shipped = {pyc: pyc.stat().st_mtime_ns for pyc in layer.rglob("*.pyc")}
    later = time.time() + 3600
    for module in layer.rglob("*.py"):
        os.utime(module, (later, later))
    code = (
        "import json, runpy, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "for app in sys.argv[2:]:\n"
        "    runpy.run_path(app)\n"
        "print(json.dumps(sorted(m for m in ('reportlab', 'babel', 'holidays') if m in sys.modules)))\n"
    )
    apps = [ROOT / "functions" / handler / "app.py" for handler in HANDLERS]

    loaded = run_312(python, code, layer, *apps, write_bytecode=True)

    assert loaded == []
    assert {pyc: pyc.stat().st_mtime_ns for pyc in layer.rglob("*.pyc")} == shipped
