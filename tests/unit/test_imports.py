"""Cold starts: a handler's import loads what every invocation needs; the heavy rest waits for first use.

Each check runs in a fresh interpreter: the test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import reportlab.lib.pagesizes
import reportlab.lib.units

from relance.rendering import pdf

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
# Loaded where they are used: reportlab (and Pillow, which it imports) to draw a PDF, Babel to format an
# amount or a date, holidays to build the creditor's calendar.
ON_FIRST_USE = ("reportlab", "PIL", "babel", "holidays")


def fresh(code: str) -> object:
    """Runs `code` in a new interpreter; it prints its result as JSON."""
    output = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"},
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_there_are_handlers_to_check():
    assert {"ingest", "planner", "feedback", "worker"} <= set(HANDLERS)


@pytest.mark.parametrize("handler", HANDLERS)
def test_importing_a_handler_loads_no_pdf_locale_or_holiday_library(handler: str):
    code = (
        "import importlib.util, json, sys\n"
        f"path = sys.argv[1] + '/functions/{handler}/app.py'\n"
        "spec = importlib.util.spec_from_file_location('app', path)\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        f"print(json.dumps(sorted(m for m in {ON_FIRST_USE!r} if m in sys.modules)))\n"
    )

    assert fresh(code) == []


def test_reportlab_is_loaded_by_the_first_document_drawn():
    code = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from tests.unit.rendering import contexts\n"
        "from relance.rendering.pdf import formal_notice_pdf\n"
        "before = 'reportlab' in sys.modules\n"
        "document = formal_notice_pdf(contexts.letter_context('fr'))\n"
        "print(json.dumps([before, 'reportlab' in sys.modules, document[:5].decode()]))\n"
    )

    assert fresh(code) == [False, True, "%PDF-"]


def test_the_page_units_written_without_reportlab_are_reportlabs_own():
    assert pdf.mm == reportlab.lib.units.mm
    assert pdf.A4 == reportlab.lib.pagesizes.A4


def test_babel_loads_each_language_once_and_only_the_languages_formatted():
    code = (
        "import json, sys\n"
        "from datetime import date\n"
        "from decimal import Decimal\n"
        "from relance.rendering import formatting\n"
        "imported = 'babel' in sys.modules\n"
        "import babel.localedata\n"
        "loaded = []\n"
        "real_load = babel.localedata.load\n"
        "def load(name, merge_inherited=True):\n"
        "    loaded.append(name)\n"
        "    return real_load(name, merge_inherited)\n"
        "babel.localedata.load = load\n"
        "def french():\n"
        "    formatting.money(Decimal('1234.56'), 'EUR', 'fr')\n"
        "    formatting.long_date(date(2026, 11, 22), 'fr')\n"
        "    formatting.short_date(date(2026, 11, 22), 'fr')\n"
        "    formatting.percent(Decimal('12.15'), 'fr')\n"
        "french()\n"
        "first = sorted(set(loaded))\n"
        "french()\n"
        "print(json.dumps([imported, first, len(loaded) == len(set(loaded))]))\n"
    )

    imported, first, each_once = fresh(code)

    assert imported is False
    assert "fr_FR" in first
    assert not [name for name in first if name.startswith("en")]
    assert each_once
