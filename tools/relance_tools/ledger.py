"""A two-year accounts-receivable book shaped like the public ledger the replay is measured on.

IBM's "WA_Fn-UseC_-Accounts-Receivable" sample (2,466 invoices, 100 customers, two years, 30-day terms,
about one invoice in five disputed, most paid within 60 days, some very late) is the reference, but its
licence is unclear, so it is not shipped: this module writes a book of the same size and shape from a fixed
seed, in Relance's own file formats (customers, invoices, payments and dated decisions), so that every run,
test and benchmark replays the very same book.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

INVOICES = 2466
CUSTOMERS = 100
START = date(2024, 1, 2)
DAYS = 730
TERMS = 30


@dataclass(frozen=True)
class LedgerFiles:
    customers: Path
    invoices: Path
    payments: Path
    actions: Path
    start: date
    days: int


def write_ledger(folder: Path, seed: int = 2466) -> LedgerFiles:
    """Writes customers.csv, invoices.csv, payments.csv and actions.csv into `folder`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    # Each customer has a habit: prompt, a few days late, slow, or a bad payer who sometimes never pays.
    habits = rng.choices(["prompt", "late", "slow", "bad"], weights=[45, 30, 18, 7], k=CUSTOMERS)
    weights = [rng.uniform(0.3, 2.0) for _ in range(CUSTOMERS)]
    customers = io.StringIO()
    writer = csv.writer(customers, delimiter=";", lineterminator="\n")
    writer.writerow(
        ["customer_id", "name", "email", "language", "kind", "address", "postcode", "city", "country"]
    )
    for index in range(CUSTOMERS):
        kind = "consumer" if index % 17 == 0 else "business"
        writer.writerow(
            [
                f"K{index:03d}",
                f"Client {index:03d} {'SARL' if kind == 'business' else ''}".strip(),
                f"compta{index:03d}@client.example",
                "en" if index % 11 == 0 else "fr",
                kind,
                f"{index + 1} rue du Commerce",
                f"{75001 + index % 20:05d}",
                "Paris",
                "FR",
            ]
        )
    invoices = io.StringIO()
    payments = io.StringIO()
    actions = io.StringIO()
    iw = csv.writer(invoices, delimiter=";", lineterminator="\n")
    pw = csv.writer(payments, delimiter=";", lineterminator="\n")
    aw = csv.writer(actions, delimiter=";", lineterminator="\n")
    iw.writerow(["invoice_id", "customer_id", "issue_date", "due_date", "currency", "total"])
    pw.writerow(["invoice_id", "paid_on", "amount", "reference"])
    aw.writerow(["date", "action", "invoice_id", "until", "reason"])
    end = START + timedelta(days=DAYS)
    for number in range(INVOICES):
        owner = rng.choices(range(CUSTOMERS), weights=weights)[0]
        issued = START + timedelta(days=rng.randrange(DAYS - TERMS))
        due = issued + timedelta(days=TERMS)
        total = Decimal(rng.randrange(500, 13000)) / 100
        invoice_id = f"A{issued:%Y}-{number:05d}"
        iw.writerow([invoice_id, f"K{owner:03d}", f"{issued:%d/%m/%Y}", f"{due:%d/%m/%Y}", "EUR", _fr(total)])
        habit = habits[owner]
        late = {
            "prompt": rng.choice([-10, -5, -2, 0, 0, 1]),
            "late": rng.randrange(0, 25),
            "slow": rng.randrange(10, 60),
            "bad": rng.randrange(30, 140),
        }[habit]
        if rng.random() < 0.2:
            # Disputed: a person records the dispute a few days after the first reminder and lifts it later.
            raised = due + timedelta(days=rng.randrange(4, 12))
            if raised < end:
                aw.writerow([raised.isoformat(), "dispute", invoice_id, "", "contestation client"])
                lifted = raised + timedelta(days=rng.randrange(10, 40))
                if lifted < end and rng.random() < 0.5:
                    aw.writerow([lifted.isoformat(), "resume", invoice_id, "", "litige levé"])
                late = max(late, (raised - due).days + rng.randrange(5, 50))
        if habit == "bad" and rng.random() < 0.3:
            continue  # never paid
        paid_on = due + timedelta(days=late)
        if paid_on >= end:
            continue
        if rng.random() < 0.1 and total > 20:
            half = (total / 2).quantize(Decimal("0.01"))
            pw.writerow([invoice_id, f"{paid_on - timedelta(days=10):%d/%m/%Y}", _fr(half), f"VIR-{number}a"])
            pw.writerow([invoice_id, f"{paid_on:%d/%m/%Y}", _fr(total - half), f"VIR-{number}b"])
        else:
            pw.writerow([invoice_id, f"{paid_on:%d/%m/%Y}", _fr(total), f"VIR-{number}"])
    files = LedgerFiles(
        customers=folder / "customers.csv",
        invoices=folder / "invoices.csv",
        payments=folder / "payments.csv",
        actions=folder / "actions.csv",
        start=START - timedelta(days=10),
        days=DAYS + 90,
    )
    files.customers.write_text(customers.getvalue(), encoding="utf-8")
    files.invoices.write_text(invoices.getvalue(), encoding="utf-8")
    files.payments.write_text(payments.getvalue(), encoding="utf-8")
    files.actions.write_text(actions.getvalue(), encoding="utf-8")
    return files


def _fr(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")
