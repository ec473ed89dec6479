"""`relance replay` on a two-year book of 2,466 invoices, documents off: the target is under 60 s."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = "import sys; from relance_tools.cli import main; sys.exit(main(sys.argv[1:]))"


def run() -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        from relance_tools.ledger import write_ledger

        files = write_ledger(Path(folder) / "book")
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603 - our own interpreter and command
            [
                sys.executable, "-c", COMMAND,
                "replay", "--customers", str(files.customers), "--invoices", str(files.invoices),
                "--payments", str(files.payments), "--actions", str(files.actions),
                "--start", files.start.isoformat(), "--days", str(files.days),
                "--out", str(Path(folder) / "out"), "--no-documents",
            ],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds = time.monotonic() - started
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return [
        (f"replay of 2,466 invoices over {files.days} days, no documents", f"{seconds:.1f} s (target 60 s)"),
        ("replay summary", summary),
    ]
