"""What validation accepts is safe to store: one bad cell is one rejected row, never a lost file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.ingest.errors import UnreadableFile
from relance.ingest.reading import read_upload
from relance.ingest.rows import Table
from relance.ingest.validation import check_customers, check_invoices, check_payments

POLICIES = ("fr-b2b-standard",)
INVOICES = "invoice_id;customer_id;issue_date;due_date;total;currency"


def table(key: str, text: str) -> Table:
    upload = read_upload(key, text.encode("utf-8"))
    assert upload.table is not None
    return upload.table


def reasons(checked: object) -> dict[int, str]:
    return {rejection.line: rejection.reason for rejection in checked.rejected}  # type: ignore[attr-defined]


def warnings(checked: object) -> dict[int | None, str]:
    return {warning.line: warning.message for warning in checked.warnings}  # type: ignore[attr-defined]


# Duplicates are told on the key as it is stored


@pytest.mark.parametrize("variant", ["C\u00a01", "C  1", "C\u202f1", " C 1 "])
def test_two_ids_that_differ_only_by_their_spaces_are_one_customer_and_the_second_a_duplicate(variant: str):
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            f"customer_id;name;email\nC 1;A;a@a.example\n{variant};B;b@b.example\n",
        ),
        POLICIES,
    )

    assert [customer.customer_id for customer in checked.accepted] == ["C 1"]
    assert reasons(checked)[3].startswith("duplicate of line 2")


def test_an_id_in_decomposed_unicode_is_the_same_id_as_its_composed_form():
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            "customer_id;name;email\nCLIENT-\u00c9;A;a@a.example\nCLIENT-E\u0301;B;b@b.example\n",
        ),
        POLICIES,
    )

    assert [customer.customer_id for customer in checked.accepted] == ["CLIENT-\u00c9"]
    assert "duplicate of line 2" in reasons(checked)[3]


def test_an_invisible_character_in_an_id_is_refused_rather_than_making_a_second_customer():
    checked = check_customers(
        table("incoming/customers/c.csv", "customer_id;name;email\nC1\u200b;A;a@a.example\n"), POLICIES
    )

    assert reasons(checked)[2] == (
        "customer_id 'C1\\u200b' holds an invisible character (U+200B ZERO WIDTH SPACE): retype it"
    )


def test_an_id_longer_than_the_store_allows_is_refused():
    checked = check_customers(
        table("incoming/customers/c.csv", f"customer_id;name;email\n{'C' * 141};A;a@a.example\n"), POLICIES
    )

    assert "is 141 characters long; an id has at most 140" in reasons(checked)[2]


# Amounts and dates within bounds


@pytest.mark.parametrize(
    ("total", "reason"),
    [
        ("1e26", "total '1e26' is too large: amounts must stay below 1 000 000 000 000"),
        ("1 000 000 000 000,00", "is too large"),
        ("-12,00", "total '-12,00' is negative"),
        ("0,00", "total '0,00' is zero"),
        ("12,345", "has more decimals than EUR allows (2)"),
        ("NaN", "is not a finite number"),
    ],
)
def test_an_amount_out_of_bounds_is_one_rejected_row_and_the_next_row_is_kept(total: str, reason: str):
    checked = check_invoices(
        table(
            "incoming/invoices/f.csv",
            f"{INVOICES}\nF-1;C1;01/03/2026;31/03/2026;{total};EUR\n"
            "F-2;C1;01/03/2026;31/03/2026;999 999 999 999,99;EUR\n",
        )
    )

    assert reason in reasons(checked)[2]
    assert [(invoice.invoice_id, invoice.total) for invoice in checked.accepted] == [
        ("F-2", Decimal("999999999999.99"))
    ]


@pytest.mark.parametrize(
    ("issued", "reason"),
    [
        ("01/01/0001", "issue_date '01/01/0001' is in the year 1, outside 1990 to 2100: check the year"),
        ("1989-12-31", "outside 1990 to 2100"),
        ("01/01/2101", "outside 1990 to 2100"),
        ("03/15/2026", "dates are read day first, so this is month 15; 15/03/2026 means it"),
        ("31/02/2026", "is not a date of the calendar (day is out of range for month)"),
        ("15/03/26", "is not a date: write 2026-03-15 or 15/03/2026 (day first)"),
    ],
)
def test_a_date_with_a_typo_in_it_is_refused_with_what_was_probably_meant(issued: str, reason: str):
    checked = check_invoices(
        table("incoming/invoices/f.csv", f"{INVOICES}\nF-1;C1;{issued};31/03/2100;10;EUR\n")
    )

    assert reason in reasons(checked)[2]


def test_a_payment_dated_in_the_future_is_stored_with_a_warning():
    checked = check_payments(
        table(
            "incoming/payments/p.csv", "facture;date;montant\nF-1;01/01/2099;10,00\nF-2;01/03/2026;10,00\n"
        ),
        today=date(2026, 3, 2),
    )

    assert [payment.invoice_id for payment in checked.accepted] == ["F-1", "F-2"]
    assert warnings(checked) == {2: "paid_on 2099-01-01 is after today (2026-03-02): stored as given"}


def test_payment_amounts_have_the_same_bounds():
    checked = check_payments(
        table("incoming/payments/p.csv", "facture;date;montant\nF-1;01/03/2026;1e26\nF-2;01/01/0001;10\n")
    )

    assert "too large" in reasons(checked)[2]
    assert "outside 1990 to 2100" in reasons(checked)[3]


# Cells and rows small enough for one DynamoDB item


def test_a_ten_megabyte_cell_is_one_rejected_row_and_the_other_rows_are_stored():
    big = "x" * (10 * 1024 * 1024)
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            f"customer_id;name;email\nC1;A;a@a.example\nC2;{big};b@b.example\nC3;C;c@c.example\n",
        ),
        POLICIES,
    )

    assert [customer.customer_id for customer in checked.accepted] == ["C1", "C3"]
    assert reasons(checked) == {3: "the cell 'name' holds 10 485 760 characters; a cell holds at most 4 000"}
    [rejection] = checked.rejected
    assert rejection.values["name"].endswith("… (10 485 760 characters)")
    assert len(rejection.values["name"]) < 300


def test_a_row_too_large_in_total_is_rejected_even_when_each_cell_fits():
    notes = ";".join("y" * 3_500 for _ in range(10))
    header = "customer_id;name;email;" + ";".join(f"note{n}" for n in range(10))
    checked = check_customers(
        table("incoming/customers/c.csv", f"{header}\nC1;A;a@a.example;{notes}\n"), POLICIES
    )

    assert reasons(checked) == {2: "the row holds 35 014 characters; a row holds at most 32 000"}


# Names that reach email headers


def test_a_name_holding_an_encoded_word_is_refused_with_the_reason():
    name = "=?utf-8?q?Client=0D=0ABcc:_victim@evil.example?="
    checked = check_customers(
        table("incoming/customers/c.csv", f"customer_id;name;email\nC1;{name};a@a.example\n"), POLICIES
    )

    assert checked.accepted == []
    assert "holds an email encoded word (=?charset?Q?...?=)" in reasons(checked)[2]


@pytest.mark.parametrize(
    ("name", "hidden"),
    [
        ("Dupont\u202eSARL", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Dup\u200bont SARL", "U+200B ZERO WIDTH SPACE"),
        ("\u2066Dupont SARL\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE"),
    ],
)
def test_bidi_and_zero_width_characters_are_removed_from_names_with_a_warning(name: str, hidden: str):
    checked = check_customers(
        table("incoming/customers/c.csv", f"customer_id;name;email\nC1;{name};a@a.example\n"), POLICIES
    )

    [customer] = checked.accepted
    assert "\u202e" not in customer.name
    assert "\u200b" not in customer.name
    assert customer.name.replace(" ", "") == "DupontSARL"
    assert hidden in warnings(checked)[2]


def test_an_email_with_an_encoded_word_or_an_invisible_character_is_refused():
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            "customer_id;name;email\nC1;A;=?utf-8?q?x=0D=0ABcc:_v?=@evil.example\nC2;B;a\u200b@b.example\n",
        ),
        POLICIES,
    )

    assert "is not a valid email address" in reasons(checked)[2]
    assert "invisible character (U+200B ZERO WIDTH SPACE)" in reasons(checked)[3]


# Formula cells


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example","Click")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-1+1"]
)
def test_a_formula_in_a_text_cell_is_stored_as_text_with_a_warning(name: str):
    text = f'customer_id;name;email\nC1;"{name.replace(chr(34), chr(34) * 2)}";a@a.example\n'
    checked = check_customers(table("incoming/customers/c.csv", text), POLICIES)

    [customer] = checked.accepted
    assert customer.name == name
    assert "which a spreadsheet runs as a formula: stored as text" in warnings(checked)[2]


# Phone


@pytest.mark.parametrize(
    ("header", "cell", "phone"),
    [
        ("Téléphone", "01.84.00.00.00", "01 84 00 00 00"),
        ("telephone", "+33 (0)1 84 00 00 00", "+33 1 84 00 00 00"),
        ("tel", "+44 20-7946-0958", "+44 20 7946 0958"),
        ("Mobile", "06 12 34 56 78", "06 12 34 56 78"),
        ("phone", "", None),
    ],
)
def test_an_optional_phone_column_is_read_lightly(header: str, cell: str, phone: str | None):
    checked = check_customers(
        table("incoming/customers/c.csv", f"customer_id;name;email;{header}\nC1;A;a@a.example;{cell}\n"),
        POLICIES,
    )

    [customer] = checked.accepted
    assert customer.phone == phone


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("appeler le matin", "is not a phone number"), ("01 23 45 67 89 / 06 12 34 56 78", "has 20 digits")],
)
def test_a_phone_that_is_not_one_is_refused(cell: str, reason: str):
    checked = check_customers(
        table("incoming/customers/c.csv", f"customer_id;name;email;phone\nC1;A;a@a.example;{cell}\n"),
        POLICIES,
    )

    assert reason in reasons(checked)[2]


# Odd JSON


def test_a_json_integer_of_thousands_of_digits_is_a_rejected_row_not_a_crash():
    item = (
        '{"invoice_id": "F-%d", "customer_id": "C1", "issue_date": "2026-03-01", "due_date": "2026-03-31", '
        '"total": %s}'
    )
    body = f"[{item % (1, '9' * 5000)}, {item % (2, '9' * 30)}, {item % (3, '12')}]"
    checked = check_invoices(table("incoming/invoices/f.json", body))

    assert reasons(checked)[1] == "the cell 'total' holds 5 000 characters; a cell holds at most 4 000"
    assert "is too large" in reasons(checked)[2]
    assert [invoice.invoice_id for invoice in checked.accepted] == ["F-3"]


def test_json_nested_deeper_than_a_table_is_unreadable_not_a_crash():
    with pytest.raises(UnreadableFile, match="nests lists or objects too deeply"):
        read_upload("incoming/invoices/f.json", b"[" * 100_000 + b"]" * 100_000)


def test_json_exponents_are_exact_and_floats_never_round():
    item = '{"invoice_id": "%s", "customer_id": "C1", "issue_date": "2026-03-01", "due_date": "2026-03-31", '
    body = f'[{item % "F-1"}"total": 1.2e3}}, {item % "F-2"}"total": 0.1}}]'

    checked = check_invoices(table("incoming/invoices/f.json", body))

    assert [invoice.total for invoice in checked.accepted] == [Decimal("1200.00"), Decimal("0.10")]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-1+1", "'-1+1"),
        ("-12,50", "-12,50"),
        ("Dupont = Fils", "Dupont = Fils"),
    ],
)
def test_a_csv_written_for_people_quotes_formulas_and_leaves_numbers_and_text_alone(value: str, written: str):
    from relance.ingest.report import spreadsheet_cell

    assert spreadsheet_cell(value) == written
