"""`relance interest`: late-payment interest and recovery indemnity on one invoice, as a table or JSON.

Rates come from the packaged tables merged with the rate store (`relance rates`): a half-year the tables
do not hold yet is priced on a fetched or verified stored row, and the output says which it used.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from relance.domain.amounts import AmountError, check_currency, parse_amount, round_money
from relance.domain.money import (
    ClaimError,
    HalfYear,
    Jurisdiction,
    LateClaim,
    LegalBasis,
    MissingRateError,
    Payment,
    RateBook,
    RateMode,
    RateTableError,
    Waiver,
    WaiverScope,
    compute_claim,
)
from relance.ports import StorageError
from relance.rates import RateStoreError, current_rate_book
from relance_tools.cli.errors import CliError
from relance_tools.cli.rates import add_store_argument, base_book, store_from

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_JURISDICTIONS = ", ".join(j.value for j in Jurisdiction)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "interest",
        help="late-payment interest and recovery indemnity on one invoice",
        description=__doc__,
    )
    # Values are read by the handler, not by argparse types, so bad input gets one specific line.
    parser.add_argument("--jurisdiction", required=True, metavar="|".join(j.value for j in Jurisdiction))
    parser.add_argument("--amount", required=True, help="invoice amount including VAT, e.g. 12000.00")
    parser.add_argument("--currency", help="ISO 4217 code (default GBP for UK, EUR otherwise)")
    parser.add_argument("--due", required=True, metavar="DATE", help="due date printed on the invoice")
    parser.add_argument("--paid", metavar="DATE", help="day the balance left was paid in full")
    parser.add_argument(
        "--as-of", metavar="DATE", help="still unpaid: interest through this day (default today, UTC)"
    )
    parser.add_argument(
        "--payment",
        action="append",
        default=[],
        metavar="DATE:AMOUNT",
        help="part payment or credit note; repeat for several",
    )
    parser.add_argument("--notice-date", metavar="DATE", help="formal notice (mise en demeure) date")
    parser.add_argument(
        "--rate-mode", metavar="split|fixed", help="FR only: rate per half-year (split, default) or fixed"
    )
    parser.add_argument("--contract-rate", metavar="PCT", help="FR only: contractual rate, percent a year")
    parser.add_argument("--waive", metavar="REASON", help="compute, then waive interest and indemnity")
    parser.add_argument(
        "--rates-dir", metavar="DIR", help="directory of rate tables overriding the packaged ones"
    )
    add_store_argument(parser)
    parser.add_argument("--allow-unverified", action="store_true", help="use rates marked verified: false")
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        book = current_rate_book(store_from(args), base_book(args))
    except (RateStoreError, StorageError) as exc:
        raise CliError(str(exc)) from exc
    claim = _claim(args, book)
    used = rates_used(claim, book)
    if args.json:
        print(json.dumps({**claim.as_dict(), "rates_used": used}, indent=2, ensure_ascii=False))
    else:
        print(render(claim, used))
    return 0


def rates_used(claim: LateClaim, book: RateBook) -> list[dict[str, str]]:
    """The published rows the claim's periods were priced on: value, status (verified or fetched) and
    where they were read, so a fetched rate is never mistaken for a checked one."""
    if claim.contract_rate is not None or not claim.periods:
        return []
    table = claim.jurisdiction.rules.statutory_rate.table
    if claim.rate_mode is RateMode.FIXED:
        halves = {HalfYear.of(claim.due + timedelta(days=1))}
    else:
        halves = {HalfYear.of(period.start) for period in claim.periods}
    used = []
    for half in sorted(halves):
        entry = book.entry(table, half)
        if entry is not None:
            used.append(
                {
                    "table": table.name,
                    "half": str(half),
                    "percent": f"{entry.percent:f}",
                    "status": str(entry.status),
                    "where": entry.file,
                    "source": entry.source,
                }
            )
    return used


def _claim(args: argparse.Namespace, book: RateBook) -> LateClaim:
    jurisdiction = _jurisdiction(args.jurisdiction)
    currency = _currency(args.currency or ("GBP" if jurisdiction is Jurisdiction.UK else "EUR"))
    amount = _amount(args.amount, "--amount")
    due = _date(args.due, "--due")
    if args.paid and args.as_of:
        raise CliError("give either --paid (paid in full that day) or --as-of (still unpaid), not both")
    payments = [_payment(text) for text in args.payment]
    if args.paid:
        as_of = _date(args.paid, "--paid")
        payments = _settle(amount, payments, as_of, currency)
    elif args.as_of:
        as_of = _date(args.as_of, "--as-of")
    else:
        as_of = datetime.now(UTC).date()
    try:
        return compute_claim(
            jurisdiction,
            amount=amount,
            currency=currency,
            due=due,
            as_of=as_of,
            payments=payments,
            notice_date=_date(args.notice_date, "--notice-date") if args.notice_date else None,
            rate_mode=_rate_mode(args.rate_mode) if args.rate_mode else None,
            contract_rate=_amount(args.contract_rate.rstrip("% "), "--contract-rate")
            if args.contract_rate is not None
            else None,
            waiver=_waiver(args.waive) if args.waive is not None else None,
            rates=book,
            allow_unverified=args.allow_unverified,
        )
    except MissingRateError as exc:
        hint = "; fetch it with `relance rates --fetch`, or enter it with `relance rates --set`"
        raise CliError(f"{exc}{hint}") from exc
    except (ClaimError, RateTableError) as exc:
        raise CliError(str(exc)) from exc


def _settle(amount: Decimal, payments: list[Payment], paid: date, currency: str) -> list[Payment]:
    """Part payments plus the final one that clears what is left on the --paid day."""
    later = [p.on.isoformat() for p in payments if p.on > paid]
    if later:
        raise CliError(f"--payment dated {', '.join(later)} is after --paid {paid.isoformat()}")
    left = round_money(amount - sum((p.amount for p in payments), Decimal(0)), currency)
    return [*payments, Payment(paid, left)] if left > 0 else payments


def _waiver(reason: str) -> Waiver:
    if not reason.strip():
        raise CliError("--waive needs a reason, e.g. --waive 'good payer'")
    return Waiver(reason.strip(), WaiverScope.CUSTOMER)


def _jurisdiction(text: str) -> Jurisdiction:
    """FR, FR-B2C, DE, DE-B2C, UK, or a legal basis' name (FR_B2B, UK_B2B ...)."""
    name = text.strip().upper()
    if name in LegalBasis.__members__:
        return LegalBasis[name].jurisdiction
    try:
        return Jurisdiction(name)
    except ValueError:
        raise CliError(f"--jurisdiction {text!r} is not one of {_JURISDICTIONS}") from None


def _rate_mode(text: str) -> RateMode:
    try:
        return RateMode(text.strip().lower())
    except ValueError:
        raise CliError(f"--rate-mode {text!r} is not split or fixed") from None


def _currency(text: str) -> str:
    try:
        return check_currency(text)
    except AmountError as exc:
        raise CliError(f"--currency: {exc}") from exc


def _amount(text: str, option: str) -> Decimal:
    try:
        value = parse_amount(text)
    except AmountError as exc:
        raise CliError(f"{option}: {exc}") from exc
    if value < 0:
        raise CliError(f"{option} must not be negative, got {text}")
    return value


def _date(text: str, option: str) -> date:
    text = text.strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{option} {text!r} is not a date written YYYY-MM-DD") from None


def _payment(text: str) -> Payment:
    day, sep, amount = text.partition(":")
    if not sep:
        raise CliError(f"--payment {text!r} must be written DATE:AMOUNT, e.g. 2025-05-01:2000.00")
    value = _amount(amount, f"--payment {day}")
    if value == 0:
        raise CliError(f"--payment {text!r} has a zero amount")
    return Payment(_date(day, "--payment"), value)


def render(claim: LateClaim, used: list[dict[str, str]] | None = None) -> str:
    """The claim as an aligned, human-readable table; totals per currency when the law fixes the
    indemnity in another one than the invoice's."""
    cur = claim.currency
    rules = claim.jurisdiction.rules
    lines = [
        f"{rules.title} ({claim.jurisdiction}, {claim.legal_basis}): {claim.principal} {cur} due "
        f"{claim.due.isoformat()}, interest through {claim.as_of.isoformat()}, {_rate_method(claim)}",
        "",
    ]
    rows = [("From", "To", "Days", "Rate %", "Balance", "Interest")] + [
        (
            p.start.isoformat(),
            p.end.isoformat(),
            str(p.days),
            f"{p.rate:f}",
            f"{p.balance:f}",
            f"{p.interest:f}",
        )
        for p in claim.periods
    ]
    if claim.periods:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            left = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:2]))
            right = "  ".join(cell.rjust(widths[i + 2]) for i, cell in enumerate(row[2:]))
            lines.append(f"{left}  {right}")
    else:
        lines.append("No interest-bearing period.")
    lines.append("")
    totals: list[tuple[str, Decimal, str, Decimal | None]] = [
        ("Interest", claim.interest, cur, claim.waived_interest),
        ("Recovery indemnity", claim.indemnity, claim.indemnity_currency, claim.waived_indemnity),
        ("Principal due", claim.principal_due, cur, None),
    ]
    totals += [("Total claim", amount, currency, None) for currency, amount in claim.totals.items()]
    label_width = max(len(label) for label, _, _, _ in totals)
    amount_width = max(len(f"{value:f}") for _, value, _, _ in totals)
    for label, value, currency, waived in totals:
        line = f"{label.ljust(label_width)}  {f'{value:f}'.rjust(amount_width)} {currency}"
        if claim.waiver is not None and waived is not None:
            line += f"  (waived {waived:f})"
        lines.append(line)
    lines.append("")
    if claim.waiver is not None:
        lines.append(f"Waived ({claim.waiver.scope}): {claim.waiver.reason}")
    notes = list(dict.fromkeys(p.rate_note for p in claim.periods))
    if notes:
        lines.append("Rates: " + "; ".join(notes))
    for row in used or ():
        lines.append(
            f"Rate used: {row['table']} {row['half']} {row['percent']} ({row['status']}, {row['where']}): "
            f"{row['source']}"
        )
    lines.append("Basis: " + "; ".join(claim.basis))
    if claim.needs_person is not None:
        lines.append(f"Needs a person: {claim.needs_person.reason}")
    lines.extend(f"Warning: {warning}" for warning in claim.warnings)
    return "\n".join(lines)


def _rate_method(claim: LateClaim) -> str:
    if claim.contract_rate is not None:
        return f"contractual rate {claim.contract_rate}%"
    if claim.rate_mode is RateMode.FIXED:
        return "rate fixed for the whole delay"
    return "rate set per half-year"
