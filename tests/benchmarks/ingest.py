"""Ingest throughput and memory (issue 12): a French CSV read and validated as the ingest function does.

Each size runs in a fresh interpreter, so its peak RSS (`resource.getrusage(...).ru_maxrss`) is the
file's and nothing else's. The file is written first and read back as bytes, as the handler gets the
object from S3; the child then reads and validates it row by row without storing, which is the part
the issue's target (>= 5,000 rows/s, peak RSS < 150 MB, flat in the file's size) is about.

`python -m tests.benchmarks.ingest` prints the figures alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = (10_000, 100_000)
HEADER = "N° Facture;Code client;Date;Échéance;Montant TTC;Devise;Bon de commande\r\n"

# Run in the child: read the file, then time read_upload and the validation stream to its end.
_CHILD = """
import json, resource, sys, time
from pathlib import Path
from relance.ingest.reading import read_upload
from relance.ingest.rows import Rejection, RowWarning
from relance.ingest.validation import stream_table

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

before = rss_mb()
body = Path(sys.argv[1]).read_bytes()
loaded = rss_mb()
start = time.perf_counter()
upload = read_upload("incoming/invoices/bench.csv", body)
counts = {"accepted": 0, "rejected": 0, "warnings": 0}
for outcome in stream_table(upload.kind, upload.table, policies=()):
    if isinstance(outcome, Rejection):
        counts["rejected"] += 1
    elif isinstance(outcome, RowWarning):
        counts["warnings"] += 1
    else:
        counts["accepted"] += 1
seconds = time.perf_counter() - start
print(json.dumps({"rows": len(upload.table.rows), "seconds": seconds, "rss_start": before,
                  "rss_loaded": loaded, "rss_peak": rss_mb(), "bytes": len(body), **counts}))
"""


def french_invoices(rows: int, path: Path) -> None:
    """`;`, decimal commas with no-break-space thousands, dd/mm/yyyy; one row in 50 has a bad date."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            day = 1 + n % 28
            issued = f"{day:02d}/0{1 + n % 9}/2026"
            due = f"{day:02d}/{10 + n % 3}/2026" if n % 50 else "31/02/2026"
            euros = 100 + (n * 37) % 98_000
            amount = (
                f"{euros // 1000}\u00a0{euros % 1000:03d},{n % 100:02d}" if euros >= 1000 else f"{euros},50"
            )
            out.write(f"F2026-{n:07d};C{n % 4_000:05d};{issued};{due};{amount};EUR;PO-{n % 977}\r\n")


def measure(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invoices.csv"
        french_invoices(rows, path)
        result = subprocess.run(  # noqa: S603 - our own interpreter on our own code
            [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
        )
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def run() -> list[tuple[str, str]]:
    figures = []
    for rows in SIZES:
        m = measure(rows)
        counted = m["accepted"] + m["rejected"]
        figures.append(
            (
                f"ingest read + validate, French CSV {rows:,} rows",
                f"{m['rows'] / m['seconds']:,.0f} rows/s, peak RSS {m['rss_peak']:.0f} MB "
                f"(file {m['bytes'] / 1e6:.1f} MB, {m['rss_loaded']:.0f} MB once read; "
                f"{counted:,.0f} counted) (target >= 5,000 rows/s, < 150 MB)",
            )
        )
    return figures


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:<58} {figure}")
