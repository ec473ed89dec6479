"""Which open invoices a bank credit pays, decided from what the payer wrote or from a payer already known.

Nothing is guessed: each credit is either applied (allocations to invoices) or left unmatched with the
reason and, where there are some, the invoices a person should look at. In order:

1. invoice numbers in the remittance (structured references, free text, end-to-end id), written loosely:
   spaces, dashes, case, and leading zeros when no other invoice reads the same;
2. the reference every Relance email prints, `<customer_id> <invoice_id>...`: the customer id settles an
   invoice number that two customers share or that reads two ways, and is required for invoice numbers
   too short (under 4 letters and digits) to be trusted alone;
3. an exact amount: the one open invoice whose balance equals the credit, among the invoices of the
   customers the payer's IBAN (else name) is known for, learnt from earlier matches by rule 1 or 2.

A transfer that names several invoices pays the oldest due first; what is left after their balances is an
overpayment, reported. Pure: the caller brings the entries, the open book and the known payers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from relance.domain.amounts import ZERO

# A code shorter than this (in letters and digits) turns up by chance in any text: "17", "A12".
_MIN_TRUSTED = 4
# Separators a payer may put inside a number: spaces, dots, dashes, slashes, underscores. Each is read as
# one space (same length, so positions hold), and a number may hold at most 3 in a row.
_SEPARATORS = re.compile(r"[\s._/\\\-\u2010-\u2015]")
_SEP = " {0,3}"
# Between the fields of one entry: no separator above, so a number cannot straddle two fields.
_FIELD_BREAK = " | "
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_MAX_CANDIDATES = 12


class BankCredit(Protocol):
    """What matching reads of a bank entry (`relance.ingest.bank.BankEntry` has it all)."""

    @property
    def key(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def is_credit(self) -> bool: ...
    @property
    def reversal(self) -> bool: ...
    @property
    def booked(self) -> bool: ...
    @property
    def remittance(self) -> str | None: ...
    @property
    def structured_remittance(self) -> tuple[str, ...]: ...
    @property
    def end_to_end_id(self) -> str | None: ...
    @property
    def payer_name(self) -> str | None: ...
    @property
    def payer_iban(self) -> str | None: ...


E = TypeVar("E", bound=BankCredit)


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice still owed: `balance` is what is left to pay (total less payments and credit notes)."""

    invoice_id: str
    customer_id: str
    currency: str
    balance: Decimal
    due_date: date


@dataclass(frozen=True)
class KnownPayer:
    """An account or a name that has paid this customer's invoices before."""

    customer_id: str
    iban: str | None = None
    name: str | None = None


class MatchRule(StrEnum):
    INVOICE_NUMBER = "invoice_number"
    PAYMENT_REFERENCE = "payment_reference"
    KNOWN_PAYER_AMOUNT = "known_payer_amount"


class Outcome(StrEnum):
    APPLIED = "applied"
    UNMATCHED = "unmatched"  # a credit a person must apply: see reason and candidates
    NOT_A_PAYMENT = "not_a_payment"  # a debit, a return or reversal, a pending or zero entry
    ALREADY_SEEN = "already_seen"  # read before (same bank reference): applying it again would pay twice


@dataclass(frozen=True)
class Allocation:
    invoice_id: str
    customer_id: str
    amount: Decimal
    key: str  # the same entry and invoice always give the same key: a re-upload changes nothing


@dataclass(frozen=True)
class EntryMatch(Generic[E]):
    """What became of one entry. For a credit, allocations plus `unapplied` add up to its amount."""

    entry: E
    outcome: Outcome
    reason: str
    rule: MatchRule | None = None
    allocations: tuple[Allocation, ...] = ()
    unapplied: Decimal = ZERO
    candidates: tuple[str, ...] = ()  # invoice ids a person should look at

    @property
    def overpayment(self) -> Decimal:
        """Money received beyond the balances of the invoices the credit was applied to."""
        return self.unapplied if self.outcome is Outcome.APPLIED else ZERO


@dataclass(frozen=True)
class MatchReport(Generic[E]):
    matches: tuple[EntryMatch[E], ...]  # one per entry, in the entries' order
    payers_to_remember: tuple[KnownPayer, ...]  # new payers seen on rule 1 or 2 matches

    def with_outcome(self, outcome: Outcome) -> tuple[EntryMatch[E], ...]:
        return tuple(match for match in self.matches if match.outcome is outcome)

    @property
    def allocations(self) -> tuple[Allocation, ...]:
        return tuple(allocation for match in self.matches for allocation in match.allocations)


def allocation_key(entry_key: str, customer_id: str, invoice_id: str) -> str:
    basis = "\x00".join(("bank", entry_key, customer_id, invoice_id))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def normalise_iban(iban: str | None) -> str | None:
    compact = "".join((iban or "").split()).upper()
    return compact or None


def fold_name(name: str | None) -> str | None:
    """`Société Générale S.A.` → `societe generale s a`: accents, case and punctuation set aside."""
    if not name:
        return None
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split()) or None


# -- finding codes written loosely in free text


def _squeeze(text: str) -> str:
    """Letters and digits only, upper case, without zeros: what a loose match leaves unchanged."""
    return _NOT_ALNUM.sub("", text.upper()).replace("0", "")


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text.upper())


def _loose_pattern(code: str) -> re.Pattern[str]:
    """Any separators between characters, any case, extra or missing leading zeros in each number."""
    pieces = []
    runs = re.findall(r"[^\W\d_]+|\d+", code)
    for run in runs:
        if run.isdigit():
            digits = run.lstrip("0") or "0"
            pieces.append(f"(?:0{_SEP})*" + _SEP.join(digits))
        else:
            pieces.append(_SEP.join(re.escape(char) for char in run))
    body = _SEP.join(pieces)
    # A number must not continue a number, nor a word a word: "F2026-01045" is not F2026-0104.
    before = r"(?<!\d)" if runs[0].isdigit() else r"(?<![^\W\d_])"
    after = r"(?!\d)" if runs[-1].isdigit() else r"(?![^\W\d_])"
    return re.compile(before + body + after, re.IGNORECASE)


def _exact_pattern(code: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])" + re.escape(code) + r"(?![^\W_])", re.IGNORECASE)


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    code: str
    # 0: as written (any case); 1: same letters and digits; 2: leading zeros differ.
    looseness: int


class _CodeFinder:
    """Finds known codes (invoice or customer ids) in text, each span given to the closest code."""

    def __init__(self, codes: Iterable[str]) -> None:
        # Patterns are compiled when a text first may hold the code: a book has thousands of invoices,
        # a statement names a few.
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._by_squeezed: dict[str, list[str]] = {}
        for code in set(codes):
            if _alnum(code):
                self._by_squeezed.setdefault(_squeeze(code), []).append(code)
        self._lengths = sorted({len(squeezed) for squeezed in self._by_squeezed})

    def _pattern(self, code: str) -> re.Pattern[str]:
        if code not in self._patterns:
            short = len(_alnum(code)) < _MIN_TRUSTED
            self._patterns[code] = _exact_pattern(code) if short else _loose_pattern(code)
        return self._patterns[code]

    def _candidates(self, text: str) -> set[str]:
        """Codes whose letters and digits (zeros aside) appear in a row in the text: the only possible."""
        squeezed = _squeeze(text)
        found: set[str] = set()
        for length in self._lengths:
            if length == 0:
                # An all-zero code ("000") squeezes to nothing; its pattern decides alone.
                found.update(self._by_squeezed[""])
                continue
            for start in range(len(squeezed) - length + 1):
                found.update(self._by_squeezed.get(squeezed[start : start + length], ()))
        return found

    def find(self, text: str) -> tuple[set[str], list[set[str]]]:
        """(codes found unambiguously, groups of codes that read the same part of the text)."""
        hits: list[_Found] = []
        spaced = _SEPARATORS.sub(" ", text)
        for code in self._candidates(text):
            for match in self._pattern(code).finditer(spaced):
                written = text[match.start() : match.end()]
                if written.casefold() == code.casefold():
                    looseness = 0
                elif _alnum(written) == _alnum(code):
                    looseness = 1
                else:
                    looseness = 2
                hits.append(_Found(match.start(), match.end(), code, looseness))
        found: set[str] = set()
        ties: list[set[str]] = []
        for cluster in _overlapping(hits):
            # The closest reading wins, then the longest: "F2026-0104" is not the "2026-0104" inside it.
            best = min((hit.looseness, hit.start - hit.end) for hit in cluster)
            winners = {hit.code for hit in cluster if (hit.looseness, hit.start - hit.end) == best}
            if len(winners) == 1:
                found |= winners
            else:
                ties.append(winners)
        return found, ties


def _overlapping(hits: list[_Found]) -> list[list[_Found]]:
    clusters: list[list[_Found]] = []
    end = -1
    for hit in sorted(hits, key=lambda h: (h.start, h.end)):
        if clusters and hit.start < end:
            clusters[-1].append(hit)
            end = max(end, hit.end)
        else:
            clusters.append([hit])
            end = hit.end
    return clusters


# -- matching


def _ids(invoices: Iterable[OpenInvoice]) -> tuple[str, ...]:
    ordered = sorted(invoices, key=lambda invoice: (invoice.due_date, invoice.invoice_id))
    return tuple(dict.fromkeys(invoice.invoice_id for invoice in ordered))[:_MAX_CANDIDATES]


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount} {currency}"


@dataclass
class _Book:
    """The open invoices, their balances as this run consumes them, and the payers known per customer."""

    invoices: list[OpenInvoice]
    payers: list[KnownPayer]
    # (invoice_id, customer_id) of invoices no longer owed (paid, cancelled, written off): a transfer naming
    # one applies to nothing, but its report says so rather than "no invoice number".
    settled: list[tuple[str, str]] = field(default_factory=list)
    remaining: dict[tuple[str, str], Decimal] = field(init=False)
    by_code: dict[str, list[OpenInvoice]] = field(init=False)
    by_customer: dict[str, list[OpenInvoice]] = field(init=False)
    by_iban: dict[str, set[str]] = field(init=False)
    by_name: dict[str, set[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.remaining = {}
        self.by_code = {}
        self.by_customer = {}
        for invoice in self.invoices:
            if invoice.balance <= 0:
                continue
            self.remaining[(invoice.customer_id, invoice.invoice_id)] = invoice.balance
            self.by_code.setdefault(invoice.invoice_id, []).append(invoice)
            self.by_customer.setdefault(invoice.customer_id, []).append(invoice)
        self.by_iban = {}
        self.by_name = {}
        for payer in self.payers:
            if iban := normalise_iban(payer.iban):
                self.by_iban.setdefault(iban, set()).add(payer.customer_id)
            if name := fold_name(payer.name):
                self.by_name.setdefault(name, set()).add(payer.customer_id)
        trusted = [code for code in self.by_code if len(_alnum(code)) >= _MIN_TRUSTED]
        short = [code for code in self.by_code if len(_alnum(code)) < _MIN_TRUSTED]
        self.invoice_finder = _CodeFinder(trusted)
        self.short_invoice_finder = _CodeFinder(short)
        self.customer_finder = _CodeFinder(
            {invoice.customer_id for invoice in self.invoices} | {payer.customer_id for payer in self.payers}
        )
        self.settled_owners: dict[str, list[str]] = {}
        for invoice_id, customer_id in self.settled:
            if invoice_id not in self.by_code and len(_alnum(invoice_id)) >= _MIN_TRUSTED:
                self.settled_owners.setdefault(invoice_id, []).append(customer_id)
        self.settled_finder = _CodeFinder(self.settled_owners)

    def left(self, invoice: OpenInvoice) -> Decimal:
        return self.remaining.get((invoice.customer_id, invoice.invoice_id), ZERO)

    def knows(self, payer: KnownPayer) -> bool:
        iban, name = normalise_iban(payer.iban), fold_name(payer.name)
        return (iban is None or payer.customer_id in self.by_iban.get(iban, ())) and (
            name is None or payer.customer_id in self.by_name.get(name, ())
        )


class _Matcher(Generic[E]):
    def __init__(self, book: _Book) -> None:
        self.book = book
        self.learnt: dict[tuple[str, str | None, str | None], KnownPayer] = {}

    def match(self, entry: E) -> EntryMatch[E]:
        text = _FIELD_BREAK.join(
            part for part in (*entry.structured_remittance, entry.remittance, entry.end_to_end_id) if part
        )
        customers, _ = self.book.customer_finder.find(text)
        codes, ties = self.book.invoice_finder.find(text)
        short_codes, _ = self.book.short_invoice_finder.find(text)
        # Short invoice numbers count only beside their customer's id: the Relance reference.
        codes |= {
            code
            for code in short_codes
            if any(invoice.customer_id in customers for invoice in self.book.by_code[code])
        }
        if codes or ties:
            return self.by_reference(entry, codes, ties, customers)
        settled, _ = self.book.settled_finder.find(text)
        if settled:
            # Most often a second payment of the same invoice (or the wrong number typed): nothing to apply
            # it to, and a person decides whether to refund it or allocate it to another invoice.
            owners = sorted({owner for code in settled for owner in self.book.settled_owners[code]})
            return self.unmatched(
                entry,
                "the remittance names "
                + ", ".join(sorted(settled))
                + ", no longer owed (paid, cancelled or written off): a second payment or a wrong number; "
                "refund it or allocate it by hand",
                [invoice for owner in owners for invoice in self.book.by_customer.get(owner, [])],
            )
        return self.by_known_payer(entry, customers)

    def by_reference(
        self, entry: E, codes: set[str], ties: list[set[str]], customers: set[str]
    ) -> EntryMatch[E]:
        # A number two customers share reads like a tie between their two invoices.
        groups = [self.book.by_code[code] for code in sorted(codes)]
        groups += [[invoice for code in sorted(tie) for invoice in self.book.by_code[code]] for tie in ties]
        chosen: list[OpenInvoice] = []
        used_customer_id = False
        for group in groups:
            if len(group) == 1:
                chosen.append(group[0])
                continue
            named = [invoice for invoice in group if invoice.customer_id in customers]
            if len(named) != 1:
                return self.unmatched(
                    entry,
                    "the remittance reads as more than one open invoice ("
                    + ", ".join(f"{i.invoice_id} of {i.customer_id}" for i in group)
                    + "); none is settled by a customer id beside it",
                    group,
                )
            chosen.append(named[0])
            used_customer_id = True
        owners = sorted({invoice.customer_id for invoice in chosen})
        if len(owners) > 1:
            referenced = [owner for owner in owners if owner in customers]
            if len(referenced) != 1:
                return self.unmatched(
                    entry,
                    "the remittance names invoices of several customers ("
                    + "; ".join(
                        f"{owner}: " + ", ".join(i.invoice_id for i in chosen if i.customer_id == owner)
                        for owner in owners
                    )
                    + ")",
                    chosen,
                )
            chosen = [invoice for invoice in chosen if invoice.customer_id == referenced[0]]
            used_customer_id = True
        rule = MatchRule.PAYMENT_REFERENCE if used_customer_id else MatchRule.INVOICE_NUMBER
        if any(len(_alnum(invoice.invoice_id)) < _MIN_TRUSTED for invoice in chosen):
            rule = MatchRule.PAYMENT_REFERENCE
        return self.apply(entry, chosen, rule, learn=True)

    def by_known_payer(self, entry: E, customers: set[str]) -> EntryMatch[E]:
        iban, name = normalise_iban(entry.payer_iban), fold_name(entry.payer_name)
        payer_customers = (iban and self.book.by_iban.get(iban)) or (name and self.book.by_name.get(name))
        if not payer_customers:
            named = [
                invoice
                for customer in sorted(customers)
                for invoice in self.book.by_customer.get(customer, [])
            ]
            if named:
                return self.unmatched(
                    entry,
                    f"the remittance names customer {', '.join(sorted(customers))} but none of its open "
                    "invoices, and the payer is not yet known for it",
                    named,
                )
            return self.unmatched(
                entry,
                "no invoice number or Relance reference in the remittance, and the payer "
                f"({entry.payer_name or 'no name'}, {entry.payer_iban or 'no IBAN'}) is not known for any "
                "customer",
                [],
            )
        pool = [
            invoice
            for customer in sorted(payer_customers)
            for invoice in self.book.by_customer.get(customer, [])
            if invoice.currency == entry.currency and self.book.left(invoice) > 0
        ]
        exact = [invoice for invoice in pool if self.book.left(invoice) == entry.amount]
        who = ", ".join(sorted(payer_customers))
        if len(exact) == 1:
            return self.apply(entry, exact, MatchRule.KNOWN_PAYER_AMOUNT, learn=False)
        if exact:
            return self.unmatched(
                entry,
                f"the payer is known for {who}, and {len(exact)} of its open invoices are of exactly "
                f"{_money(entry.amount, entry.currency)}",
                exact,
            )
        return self.unmatched(
            entry,
            f"the payer is known for {who}, but no open invoice of it is of exactly "
            f"{_money(entry.amount, entry.currency)}",
            pool,
        )

    def apply(self, entry: E, invoices: list[OpenInvoice], rule: MatchRule, *, learn: bool) -> EntryMatch[E]:
        foreign = [invoice for invoice in invoices if invoice.currency != entry.currency]
        if foreign:
            return self.unmatched(
                entry,
                f"the credit is in {entry.currency} but "
                + ", ".join(f"{i.invoice_id} is in {i.currency}" for i in foreign),
                invoices,
            )
        # A remittance may name one invoice twice ("F2026-0104 … F2026 0104"): it is paid once, with one
        # allocation (its key is the invoice's), never a second one of nothing.
        unique = {(invoice.customer_id, invoice.invoice_id): invoice for invoice in invoices}
        open_ones = sorted(
            (invoice for invoice in unique.values() if self.book.left(invoice) > 0),
            key=lambda invoice: (invoice.due_date, invoice.invoice_id),
        )
        if not open_ones:
            return self.unmatched(
                entry,
                "the invoices it names ("
                + ", ".join(invoice.invoice_id for invoice in invoices)
                + ") were settled by earlier entries of this upload",
                invoices,
            )
        left = entry.amount
        allocations = []
        for invoice in open_ones:
            if left <= 0:
                break
            amount = min(left, self.book.left(invoice))
            self.book.remaining[(invoice.customer_id, invoice.invoice_id)] -= amount
            left -= amount
            allocations.append(
                Allocation(
                    invoice.invoice_id,
                    invoice.customer_id,
                    amount,
                    allocation_key(entry.key, invoice.customer_id, invoice.invoice_id),
                )
            )
        applied_to = ", ".join(f"{a.invoice_id} ({_money(a.amount, entry.currency)})" for a in allocations)
        reason = f"{rule.value.replace('_', ' ')}: applied to {applied_to}"
        if left > 0:
            reason += f"; {_money(left, entry.currency)} more than their balances (overpayment)"
        if learn:
            self.learn(entry, open_ones[0].customer_id)
        return EntryMatch(
            entry,
            Outcome.APPLIED,
            reason,
            rule=rule,
            allocations=tuple(allocations),
            unapplied=left,
            candidates=_ids(invoices),
        )

    def learn(self, entry: E, customer_id: str) -> None:
        payer = KnownPayer(customer_id, normalise_iban(entry.payer_iban), entry.payer_name)
        if (payer.iban or payer.name) and not self.book.knows(payer):
            self.learnt.setdefault((customer_id, payer.iban, fold_name(payer.name)), payer)

    @staticmethod
    def unmatched(entry: E, reason: str, candidates: Iterable[OpenInvoice]) -> EntryMatch[E]:
        return EntryMatch(
            entry, Outcome.UNMATCHED, reason, unapplied=entry.amount, candidates=_ids(candidates)
        )


def _not_a_payment(entry: BankCredit) -> str | None:
    if not entry.is_credit:
        return "a debit: money paid out"
    if entry.reversal:
        return "a return or reversal of an earlier transfer, not a customer's payment"
    if not entry.booked:
        return "not booked by the bank yet (pending or information only)"
    if entry.amount <= 0:
        return "a credit of zero"
    return None


def match_credits(
    entries: Sequence[E],
    invoices: Iterable[OpenInvoice],
    known_payers: Iterable[KnownPayer] = (),
    *,
    seen: Collection[str] = frozenset(),
    settled: Iterable[tuple[str, str]] = (),
) -> MatchReport[E]:
    """Every entry's fate, in order; balances are consumed as entries are applied, so no invoice is paid
    beyond its balance within one upload.

    `seen`: keys (`entry.key`) of entries read from earlier uploads; they are reported ALREADY_SEEN.
    `settled`: (invoice_id, customer_id) of invoices no longer owed, so that a credit naming one is reported
    as such.
    Payers are learnt for later uploads, not within this one: the result does not depend on entry order
    beyond the consumption of balances.
    """
    book = _Book(list(invoices), list(known_payers), list(settled))
    matcher: _Matcher[E] = _Matcher(book)
    keys: set[str] = set()
    matches: list[EntryMatch[E]] = []
    for entry in entries:
        if (reason := _not_a_payment(entry)) is not None:
            matches.append(EntryMatch(entry, Outcome.NOT_A_PAYMENT, reason))
        elif entry.key in seen or entry.key in keys:
            where = "an earlier upload" if entry.key in seen else "this upload, earlier"
            matches.append(
                EntryMatch(entry, Outcome.ALREADY_SEEN, f"the same bank entry was read in {where}")
            )
        else:
            keys.add(entry.key)
            matches.append(matcher.match(entry))
    return MatchReport(tuple(matches), tuple(matcher.learnt.values()))
