"""Every row is accepted as typed fields or rejected with a reason that names what to fix."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.domain.models import CustomerKind
from relance.ingest.reading import read_upload
from relance.ingest.rows import Table
from relance.ingest.validation import check_customers, check_invoices, check_payments

POLICIES = ("fr-b2b-standard", "fr-b2c", "gentle", "strict")


def table(key: str, text: str) -> Table:
    upload = read_upload(key, text.encode("utf-8"))
    assert upload.table is not None
    return upload.table


def invoices(*rows: str, header: str = "invoice_id;customer_id;issue_date;due_date;total;currency") -> Table:
    return table("incoming/invoices/f.csv", "\n".join([header, *rows]) + "\n")


def reasons(checked: object) -> dict[int, str]:
    return {rejection.line: rejection.reason for rejection in checked.rejected}  # type: ignore[attr-defined]


# Customers

CUSTOMER_HEADER = (
    "Code client;Raison sociale;Email;CC;Langue;Type;Adresse;Code postal;Ville;Pays;SIREN;Politique"
)


def test_a_complete_french_customer_row_becomes_typed_fields():
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            f"{CUSTOMER_HEADER}\n"
            "C1;Dupont & Fils;compta@dupont.example;a@dupont.example, b@dupont.example;Français;Particulier;"
            "12 rue des Lilas;69001;Lyon;France;917 764 672;gentle\n",
        ),
        POLICIES,
    )

    [customer] = checked.accepted
    assert checked.rejected == []
    assert customer.customer_id == "C1"
    assert customer.name == "Dupont & Fils"
    assert customer.cc == ("a@dupont.example", "b@dupont.example")
    assert customer.language == "fr"
    assert customer.kind is CustomerKind.CONSUMER
    assert customer.address == ("12 rue des Lilas", "69001 Lyon")
    assert customer.country == "FR"
    assert customer.siren == "917764672"
    assert customer.policy == "gentle"
    assert "do_not_dun" not in customer.given  # no column: the stored value is left alone
    assert {"address", "cc", "policy"} <= customer.given


def test_each_bad_customer_field_is_named_in_one_reason():
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            "customer_id;name;email;language;kind;policy;account_manager_email;do_not_dun\n"
            "C1;;not-an-email;de;association;aggressive;am@;peut-être\n",
        ),
        POLICIES,
    )

    [rejection] = checked.rejected
    assert rejection.line == 2
    for expected in (
        "missing name",
        "email 'not-an-email' is not a valid email address",
        "language 'de' is not supported",
        "kind 'association' is neither business",
        "policy 'aggressive' is not a known policy; known: fr-b2b-standard, fr-b2c, gentle, strict",
        "account_manager_email 'am@' is not a valid email address",
        "do_not_dun 'peut-être' is not yes/no",
    ):
        assert expected in rejection.reason
    assert rejection.values["email"] == "not-an-email"  # the row as the file wrote it


def test_a_line_break_in_a_name_is_refused_so_it_can_never_reach_an_email_header():
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            'customer_id;name;email\nC1;"ACME\r\nBcc: x@evil.example";a@acme.example\n',
        ),
        POLICIES,
    )

    assert "name" in reasons(checked)[2]
    assert "line break" in reasons(checked)[2]


def test_a_later_row_with_the_same_customer_id_is_a_duplicate_of_the_first():
    checked = check_customers(
        table(
            "incoming/customers/c.csv",
            "customer_id;name;email\nC1;A;a@a.example\nC2;B;b@b.example\nC1;A bis;a2@a.example\n",
        ),
        POLICIES,
    )

    assert [customer.customer_id for customer in checked.accepted] == ["C1", "C2"]
    assert reasons(checked) == {4: "duplicate of line 2"}


def test_a_missing_required_column_is_named_with_the_headers_that_would_do():
    checked = check_customers(table("incoming/customers/c.csv", "customer_id;name\nC1;A\n"), POLICIES)

    assert reasons(checked)[2].startswith("missing email: the file has no column for it (name one email,")


def test_unknown_columns_are_reported_as_a_warning_not_an_error():
    checked = check_customers(
        table("incoming/customers/c.csv", "customer_id;name;email;Note interne\nC1;A;a@a.example;VIP\n"),
        POLICIES,
    )

    assert len(checked.accepted) == 1
    assert [warning.message for warning in checked.warnings] == [
        "columns not read (unknown names): Note interne"
    ]


# Invoices


def test_a_french_invoice_row_becomes_exact_typed_fields():
    checked = check_invoices(
        table(
            "incoming/invoices/f.csv",
            "N° facture;Client;Date;Échéance;Montant TTC;Réglé;Statut;Bon de commande\n"
            "F-001;C1;15/03/2026;14.04.2026;1 234,56;200;litige;PO-9\n",
        )
    )

    [invoice] = checked.accepted
    assert (invoice.invoice_id, invoice.customer_id) == ("F-001", "C1")
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 15), date(2026, 4, 14))
    assert (invoice.currency, invoice.total, invoice.amount_paid) == (
        "EUR",
        Decimal("1234.56"),
        Decimal("200.00"),
    )
    assert invoice.status is not None
    assert invoice.status.value == "disputed"
    assert invoice.purchase_order == "PO-9"


def test_invoice_rejections_say_exactly_what_is_wrong():
    checked = check_invoices(
        invoices(
            "F-1;C1;15/03/2026;14/04/2026;-10,00;EUR",
            "F-2;C1;15/03/2026;14/04/2026;0;EUR",
            "F-3;C1;15/03/2026;14/04/2026;10,555;EUR",
            "F-4;C1;15/03/2026;14/04/2026;10,00;EURO",
            "F-5;C1;15/03/2026;01/03/2026;10,00;EUR",
            "F-6;C1;32/03/2026;14/04/2026;10,00;EUR",
            "F-7;;15/03/2026;14/04/2026;dix;EUR",
            "F-1;C1;15/03/2026;14/04/2026;10,00;EUR",
        )
    )

    assert reasons(checked) == {
        2: "total '-10,00' is negative; amounts must be positive",
        3: "total '0' is zero",
        4: "total '10,555' has more decimals than EUR allows (2); "
        "if the dot groups thousands, write 1 234,56 or 1234.56",
        5: "currency 'EURO' is not an ISO 4217 currency code such as EUR or GBP",
        6: "due_date 2026-03-01 is before issue_date 2026-03-15",
        7: "issue_date '32/03/2026' is not a date of the calendar (day is out of range for month)",
        8: "missing customer_id; total: amount 'dix' is not a number",
        9: "duplicate of line 2",
    }
    assert checked.accepted == []


def test_an_unquoted_decimal_comma_in_a_comma_separated_file_is_explained():
    checked = check_invoices(
        table(
            "incoming/invoices/f.csv",
            "invoice_id,customer_id,issue_date,due_date,total\nF-1,C1,2026-03-01,2026-03-31,12,50\n",
        )
    )

    assert "more cells than the header has columns (an unquoted decimal comma" in reasons(checked)[2]


def test_the_currency_defaults_to_euro_and_sets_the_decimals_allowed():
    checked = check_invoices(
        invoices(
            "F-1;C1;2026-03-01;2026-03-31;1500;JPY",
            "F-2;C1;2026-03-01;2026-03-31;10,5;JPY",
            "F-3;C1;2026-03-01;2026-03-31;10,5;",
        )
    )

    assert [(invoice.invoice_id, invoice.currency, invoice.total) for invoice in checked.accepted] == [
        ("F-1", "JPY", Decimal("1500")),
        ("F-3", "EUR", Decimal("10.50")),
    ]
    assert "more decimals than JPY allows (0)" in reasons(checked)[3]


def test_an_invoice_status_a_file_may_not_set_is_refused():
    checked = check_invoices(
        invoices(
            "F-1;C1;2026-03-01;2026-03-31;10;EUR;payée",
            header="invoice_id;customer_id;issue_date;due_date;total;currency;status",
        )
    )

    assert "status 'payée' is not one a file may set" in reasons(checked)[2]


def test_amount_paid_is_given_only_when_the_file_has_it():
    without = check_invoices(invoices("F-1;C1;2026-03-01;2026-03-31;10;EUR")).accepted[0]
    blank = check_invoices(
        invoices(
            "F-1;C1;2026-03-01;2026-03-31;10;EUR;",
            header="invoice_id;customer_id;issue_date;due_date;total;currency;paid",
        )
    ).accepted[0]

    assert without.amount_paid is None
    assert "amount_paid" not in without.given
    assert blank.amount_paid is None
    assert "amount_paid" not in blank.given  # an empty cell never lowers what payments recorded


def test_a_json_item_that_is_not_an_object_is_rejected_with_its_position():
    upload = read_upload(
        "incoming/invoices/f.json",
        b'[{"invoice_id": "F-1", "customer_id": "C1", "issue_date": "2026-03-01", "due_date": "2026-03-31",'
        b' "total": 10}, 42]',
    )
    assert upload.table is not None

    checked = check_invoices(upload.table)

    assert len(checked.accepted) == 1
    assert reasons(checked) == {2: "this item is not an object with named fields"}


# Payments


def test_payments_are_read_with_french_headers_and_no_currency():
    checked = check_payments(
        table(
            "incoming/payments/p.csv",
            "Facture;Date de règlement;Montant;Référence\n"
            "F-1;02/03/2026;1 234,56;VIR-1\n"
            "F-2;02/03/2026;10;\n",
        )
    )

    first, second = checked.accepted
    assert (first.invoice_id, first.paid_on, first.amount, first.payment_id) == (
        "F-1",
        date(2026, 3, 2),
        Decimal("1234.56"),
        "VIR-1",
    )
    assert second.payment_id is None


def test_identical_payments_without_reference_are_told_apart_by_their_rank():
    checked = check_payments(
        table(
            "incoming/payments/p.csv",
            "facture;date;montant\nF-1;02/03/2026;100\nF-1;02/03/2026;100\nF-1;03/03/2026;100\n",
        )
    )

    assert [payment.occurrence for payment in checked.accepted] == [1, 2, 1]
    assert checked.rejected == []


def test_a_reference_repeated_for_the_same_invoice_is_a_duplicate_but_not_for_another_invoice():
    checked = check_payments(
        table(
            "incoming/payments/p.csv",
            "facture;date;montant;reference\nF-1;02/03/2026;100;VIR-1\nF-2;02/03/2026;50;VIR-1\nF-1;02/03/2026;100;VIR-1\n",
        )
    )

    assert [payment.invoice_id for payment in checked.accepted] == ["F-1", "F-2"]
    assert reasons(checked) == {4: "duplicate of line 2"}


def test_payment_rejections_name_the_field():
    checked = check_payments(
        table(
            "incoming/payments/p.csv",
            "facture;date;montant;devise\n;02/03/2026;100;EUR\nF-2;hier;100;EUR\nF-3;02/03/2026;-5;EUR\nF-4;02/03/2026;0;EUR\nF-5;02/03/2026;5;euros\n",
        )
    )

    assert reasons(checked) == {
        2: "missing invoice_id",
        3: "paid_on 'hier' is not a date: write 2026-03-15 or 15/03/2026 (day first)",
        4: "amount '-5' is negative; amounts must be positive",
        5: "amount '0' is zero",
        6: "currency 'euros' is not an ISO 4217 currency code such as EUR or GBP",
    }


def test_a_contractual_late_payment_rate_is_read_from_customers_and_invoices():
    customers = check_customers(
        table("incoming/customers/c.csv", "Code client;Nom;Email;Taux pénalités\nC1;A;a@a.example;12,5 %\n"),
        POLICIES,
    )
    invoices_checked = check_invoices(
        invoices(
            "F-1;C1;15/03/2026;14/04/2026;100,00;EUR;15",
            header=("invoice_id;customer_id;issue_date;due_date;total;currency;late_interest_rate"),
        )
    )

    assert customers.accepted[0].contract_rate == Decimal("12.5")
    assert invoices_checked.accepted[0].contract_rate == Decimal("15")


def test_a_rate_that_is_not_a_yearly_percentage_is_refused():
    checked = check_invoices(
        invoices(
            "F-1;C1;15/03/2026;14/04/2026;100,00;EUR;0",
            "F-2;C1;15/03/2026;14/04/2026;100,00;EUR;dix",
            header="invoice_id;customer_id;issue_date;due_date;total;currency;contract_rate",
        )
    )

    assert set(reasons(checked)) == {2, 3}
    assert all("contract_rate" in reason for reason in reasons(checked).values())
