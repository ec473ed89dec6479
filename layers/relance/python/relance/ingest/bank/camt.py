"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification), versions 001.02 onwards.

The versions differ in namespace and in a few paths (v08 wraps parties in `Pty` and status codes in `Cd`);
both spellings are read. An entry (`Ntry`) that batches several transactions, each with its own amount,
becomes one `BankEntry` per transaction: each may be a different customer paying a different invoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element

from relance.domain.amounts import ZERO
from relance.ingest.bank.entry import (
    BankEntry,
    BankFile,
    BankStatementError,
    Direction,
    ReferenceKind,
    content_reference,
    normalise_iban,
    one_line,
    usable_reference,
)
from relance.ingest.bank.xmlsafe import ParsedXml, parse_bank_xml

_ROOT = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.(05[34])\.001\.(\d{2})\}Document$")
# Message: (format, the element under Document, the repeated statement element).
_MESSAGES = {
    "053": ("camt.053", "BkToCstmrStmt", "Stmt"),
    "054": ("camt.054", "BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,5})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
# ISO bank transaction sub-families that undo an earlier movement (payment return, reversal after a
# cancellation request, direct debit reversed or unpaid): the money is no customer's payment.
_RETURN_SUBFAMILIES = frozenset({"RRTN", "RPCR", "PRDD", "UPDD"})
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)


@dataclass
class _Transaction:
    """What one TxDtls says; every field optional, the entry fills the gaps."""

    line: int | None
    amount: Decimal | None = None
    currency: str | None = None
    direction: Direction | None = None
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    remittance: list[str] = field(default_factory=list)
    structured: list[str] = field(default_factory=list)
    debtor: tuple[str | None, str | None] = (None, None)
    creditor: tuple[str | None, str | None] = (None, None)
    returned: bool = False


class _Camt:
    def __init__(self, parsed: ParsedXml, namespace: str, file: str, format_name: str) -> None:
        self.parsed = parsed
        self.ns = namespace
        self.file = file
        self.format = format_name
        self.position = 0
        self.warnings: list[str] = []

    # -- paths in the document's namespace

    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{step}" for step in path.split("/"))

    def find(self, node: Element, path: str) -> Element | None:
        return node.find(self._path(path))

    def findall(self, node: Element, path: str) -> list[Element]:
        return node.findall(self._path(path))

    def text(self, node: Element, *paths: str) -> str | None:
        """The first of the paths that holds text, as one line."""
        for path in paths:
            found = self.find(node, path)
            if found is not None and (value := one_line(found.text)):
                return value
        return None

    def error(self, reason: str, node: Element | None, element: str) -> BankStatementError:
        return BankStatementError(reason, file=self.file, line=self.parsed.line(node), element=element)

    # -- values

    def amount(self, node: Element, element: str) -> tuple[Decimal, str]:
        raw = one_line(node.text) or ""
        if not _AMOUNT.match(raw):
            raise self.error(f"amount {raw!r} is not a positive decimal amount", node, element)
        currency = node.get("Ccy", "")
        if not _CURRENCY.match(currency):
            raise self.error(f"currency {currency!r} is not an ISO 4217 code", node, element)
        return Decimal(raw), currency

    def direction(self, node: Element, path: str, element: str) -> Direction | None:
        value = self.text(node, path)
        if value is None:
            return None
        if value == "CRDT":
            return Direction.CREDIT
        if value == "DBIT":
            return Direction.DEBIT
        raise self.error(f"CdtDbtInd is {value!r}, expected CRDT or DBIT", self.find(node, path), element)

    def day(self, node: Element, path: str, element: str) -> date | None:
        holder = self.find(node, path)
        if holder is None:
            return None
        value = self.text(holder, "Dt", "DtTm")
        match = _DATE.match(value or "")
        if not match:
            raise self.error(f"date {value!r} is not an ISO date", holder, element)
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            raise self.error(f"date {value!r} does not exist", holder, element) from None

    def party(self, node: Element, role: str) -> tuple[str | None, str | None]:
        """(name, IBAN) of Dbtr or Cdtr; v08 moved the name under Pty; the ultimate party stands in."""
        name = self.text(
            node,
            f"RltdPties/{role}/Nm",
            f"RltdPties/{role}/Pty/Nm",
            f"RltdPties/Ultmt{role}/Nm",
            f"RltdPties/Ultmt{role}/Pty/Nm",
        )
        iban = normalise_iban(self.text(node, f"RltdPties/{role}Acct/Id/IBAN"))
        return name, iban

    def transaction_code(self, entry: Element) -> str | None:
        codes = [
            self.text(entry, "BkTxCd/Domn/Cd"),
            self.text(entry, "BkTxCd/Domn/Fmly/Cd"),
            self.text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd"),
        ]
        if any(codes):
            return "/".join(code or "" for code in codes)
        return self.text(entry, "BkTxCd/Prtry/Cd")

    # -- statement, entry, transaction

    def statement(self, statement: Element, element: str) -> list[BankEntry]:
        statement_id = self.text(statement, "Id")
        if statement_id is None:
            raise self.error("the statement has no Id", statement, f"{element}/Id")
        account = normalise_iban(self.text(statement, "Acct/Id/IBAN")) or self.text(
            statement, "Acct/Id/Othr/Id"
        )
        if account is None:
            raise self.error("the account has neither IBAN nor other id", statement, f"{element}/Acct")
        entries: list[BankEntry] = []
        net: dict[str, Decimal] = {}
        for rank, entry in enumerate(self.findall(statement, "Ntry"), start=1):
            where = f"{element}/Ntry[{rank}]"
            read = self.entry(entry, where, statement_id, account, rank)
            entries += read
            if read and read[0].booked:
                total = sum((e.amount if e.is_credit else -e.amount for e in read), ZERO)
                net[read[0].currency] = net.get(read[0].currency, ZERO) + total
        self.check_balances(statement, statement_id, net)
        return entries

    def entry(
        self, entry: Element, where: str, statement_id: str, account: str, rank: int
    ) -> list[BankEntry]:
        amount_node = self.find(entry, "Amt")
        if amount_node is None:
            raise self.error("the entry has no Amt", entry, where)
        amount, currency = self.amount(amount_node, f"{where}/Amt")
        direction = self.direction(entry, "CdtDbtInd", f"{where}/CdtDbtInd")
        if direction is None:
            raise self.error("the entry has no CdtDbtInd", entry, where)
        status = self.text(entry, "Sts/Cd", "Sts/Prtry", "Sts")
        code = self.transaction_code(entry)
        reversal = (self.text(entry, "RvslInd") or "").lower() in ("true", "1")
        if code and code.split("/")[-1] in _RETURN_SUBFAMILIES:
            reversal = True
        base = {
            "format": self.format,
            "statement_id": statement_id,
            "account": account,
            "line": self.parsed.line(entry),
            "booking_date": self.day(entry, "BookgDt", f"{where}/BookgDt"),
            "value_date": self.day(entry, "ValDt", f"{where}/ValDt"),
            "currency": currency,
            "booked": status in (None, "BOOK"),
            "transaction_code": code,
        }
        transactions = [
            self.transaction(tx, f"{where}/TxDtls[{n}]")
            for n, tx in enumerate(self.findall(entry, "NtryDtls/TxDtls"), start=1)
        ]
        entry_reference = usable_reference(self.text(entry, "AcctSvcrRef"))
        additional = self.text(entry, "AddtlNtryInf")
        if self.splits(transactions, amount, currency):
            read = []
            for n, tx in enumerate(transactions, start=1):
                bank_reference = tx.bank_reference or (entry_reference and f"{entry_reference}/{n}")
                read.append(
                    self.build(
                        base,
                        [tx],
                        amount=tx.amount or ZERO,
                        direction=tx.direction or direction,
                        bank_reference=bank_reference,
                        reversal=reversal or tx.returned,
                        additional=None,
                        rank=f"{rank}.{n}",
                        line=tx.line,
                    )
                )
            return read
        return [
            self.build(
                base,
                transactions,
                amount=amount,
                direction=direction,
                bank_reference=entry_reference,
                reversal=reversal or any(tx.returned for tx in transactions),
                additional=additional,
                rank=str(rank),
            )
        ]

    @staticmethod
    def splits(transactions: list[_Transaction], amount: Decimal, currency: str) -> bool:
        """A batch is split only when its parts carry amounts in the entry's currency that add up to it."""
        if len(transactions) < 2:
            return False
        if any(tx.amount is None or tx.currency != currency for tx in transactions):
            return False
        signed = sum(
            (
                tx.amount if tx.direction is not Direction.DEBIT else -tx.amount
                for tx in transactions
                if tx.amount
            ),
            ZERO,
        )
        return abs(signed) == amount

    def transaction(self, tx: Element, where: str) -> _Transaction:
        read = _Transaction(line=self.parsed.line(tx))
        amount_node = self.find(tx, "Amt")
        if amount_node is None:
            amount_node = self.find(tx, "AmtDtls/TxAmt/Amt")
        if amount_node is not None:
            read.amount, read.currency = self.amount(amount_node, f"{where}/Amt")
        read.direction = self.direction(tx, "CdtDbtInd", f"{where}/CdtDbtInd")
        read.bank_reference = usable_reference(self.text(tx, "Refs/AcctSvcrRef"))
        read.end_to_end_id = usable_reference(self.text(tx, "Refs/EndToEndId"))
        for unstructured in self.findall(tx, "RmtInf/Ustrd"):
            if value := one_line(unstructured.text):
                read.remittance.append(value)
        for structured in self.findall(tx, "RmtInf/Strd"):
            for path in ("CdtrRefInf/Ref", "RfrdDocInf/Nb", "AddtlRmtInf"):
                for node in self.findall(structured, path):
                    if (value := one_line(node.text)) and value not in read.structured:
                        read.structured.append(value)
        read.debtor = self.party(tx, "Dbtr")
        read.creditor = self.party(tx, "Cdtr")
        read.returned = self.find(tx, "RtrInf") is not None
        return read

    def build(
        self,
        base: dict[str, object],
        transactions: list[_Transaction],
        *,
        amount: Decimal,
        direction: Direction,
        bank_reference: str | None,
        reversal: bool,
        additional: str | None,
        rank: str,
        line: int | None = None,
    ) -> BankEntry:
        self.position += 1
        parties = {tx.debtor if direction is Direction.CREDIT else tx.creditor for tx in transactions}
        # Several payers in one unsplit entry: naming one would teach Relance a wrong payer.
        name, iban = parties.pop() if len(parties) == 1 else (None, None)
        ends = {tx.end_to_end_id for tx in transactions if tx.end_to_end_id}
        end_to_end_id = ends.pop() if len(ends) == 1 else None
        pieces = [text for tx in transactions for text in tx.remittance]
        if not pieces and additional:
            # Some banks put the transfer's wording only in the entry's additional information.
            pieces = [additional]
        remittance = one_line(" ".join(pieces))
        structured = tuple(dict.fromkeys(text for tx in transactions for text in tx.structured))
        if bank_reference:
            reference, kind = bank_reference, ReferenceKind.BANK
        elif end_to_end_id:
            reference, kind = end_to_end_id, ReferenceKind.END_TO_END
        else:
            reference = content_reference(
                self.format,
                base["account"],
                base["statement_id"],
                rank,
                base["booking_date"],
                base["value_date"],
                direction.value,
                amount,
                base["currency"],
                remittance,
                structured,
                name,
                iban,
            )
            kind = ReferenceKind.CONTENT
        return BankEntry(
            position=self.position,
            amount=amount,
            direction=direction,
            reference=reference,
            reference_kind=kind,
            end_to_end_id=end_to_end_id,
            remittance=remittance,
            structured_remittance=structured,
            counterparty_name=name,
            counterparty_iban=iban,
            reversal=reversal,
            **{**base, "line": line or base["line"]},  # type: ignore[arg-type]
        )

    def check_balances(self, statement: Element, statement_id: str, net: dict[str, Decimal]) -> None:
        """Opening + entries = closing, when the statement gives both in the entries' currency."""
        balances: dict[str, tuple[Decimal, str]] = {}
        for balance in self.findall(statement, "Bal"):
            code = self.text(balance, "Tp/CdOrPrtry/Cd")
            amount_node = self.find(balance, "Amt")
            if code is None or amount_node is None or code in balances:
                continue
            amount, currency = self.amount(amount_node, "Bal/Amt")
            if self.text(balance, "CdtDbtInd") == "DBIT":
                amount = -amount
            balances[code] = (amount, currency)
        opening = next((balances[code] for code in _OPENING if code in balances), None)
        closing = next((balances[code] for code in _CLOSING if code in balances), None)
        if opening is None or closing is None or opening[1] != closing[1]:
            return
        currency = opening[1]
        if set(net) - {currency}:
            return
        expected = opening[0] + net.get(currency, ZERO)
        if expected != closing[0]:
            self.warnings.append(
                f"statement {statement_id}: opening balance {opening[0]} {currency} and the booked entries "
                f"give {expected}, but the closing balance is {closing[0]}; entries may be missing"
            )


def read_camt(name: str, body: bytes) -> BankFile:
    parsed = parse_bank_xml(body, name)
    match = _ROOT.match(parsed.root.tag)
    if not match:
        raise BankStatementError(
            f"the XML root element {parsed.root.tag} is not a camt.053 or camt.054 Document",
            file=name,
            line=parsed.line(parsed.root),
        )
    message, version = match.groups()
    if int(version) < 2:
        raise BankStatementError(
            f"camt.{message}.001.{version} predates the versions Relance reads (001.02 onwards)",
            file=name,
            line=parsed.line(parsed.root),
        )
    format_name, wrapper, repeated = _MESSAGES[message]
    namespace = parsed.root.tag[1:].split("}")[0]
    reader = _Camt(parsed, namespace, name, format_name)
    container = reader.find(parsed.root, wrapper)
    if container is None:
        raise BankStatementError(
            f"a {format_name} Document must hold {wrapper}", file=name, line=parsed.line(parsed.root)
        )
    entries: list[BankEntry] = []
    for rank, statement in enumerate(reader.findall(container, repeated), start=1):
        entries += reader.statement(statement, f"{wrapper}/{repeated}[{rank}]")
    return BankFile(name=name, format=format_name, entries=tuple(entries), warnings=tuple(reader.warnings))
