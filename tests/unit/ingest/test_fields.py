"""Single cells: dates day first, exact money, codes in French or English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.models import CustomerKind, InvoiceStatus
from relance.ingest.errors import FieldError
from relance.ingest.fields import (
    fold,
    parse_customer_kind,
    parse_date,
    parse_email,
    parse_email_list,
    parse_flag,
    parse_language,
    parse_money,
    parse_siren,
    parse_status,
    parse_text,
)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-15",
        "15/03/2026",
        "15-03-2026",
        "15.03.2026",
        "15/3/2026",
        "20260315",
        "2026-03-15T08:00:00+01:00",
    ],
)
def test_dates_are_read_iso_or_day_first(text: str):
    assert parse_date("due_date", text) == date(2026, 3, 15)


def test_a_slash_date_is_day_first_never_american():
    assert parse_date("due_date", "03/04/2026") == date(2026, 4, 3)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2026", "not a date of the calendar"),
        ("15/03/26", "is not a date: write 2026-03-15 or 15/03/2026"),
        ("03/15/2026", "not a date of the calendar"),
        ("mars 2026", "is not a date"),
    ],
)
def test_unreadable_dates_name_the_field_and_the_value(text: str, reason: str):
    with pytest.raises(FieldError, match=reason) as caught:
        parse_date("due_date", text)
    assert str(caught.value).startswith(f"due_date {text!r}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("99,9", "99.90"),
        ("100", "100.00"),
        ("12.500", "12.50"),
    ],
)
def test_money_is_exact_and_carries_the_currencys_decimals(text: str, expected: str):
    value = parse_money("total", text, "EUR")

    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("-12,00", "EUR", "negative"),
        ("0,00", "EUR", "zero"),
        ("12,345", "EUR", "more decimals than EUR allows"),
        ("1.234", "EUR", "more decimals than EUR allows"),  # a thousands dot read as a decimal one
        ("10,5", "JPY", "more decimals than JPY allows"),
        ("douze", "EUR", "not a number"),
    ],
)
def test_bad_amounts_are_refused_with_their_reason(text: str, currency: str, reason: str):
    with pytest.raises(FieldError, match=reason):
        parse_money("total", text, currency)


def test_zero_is_accepted_where_it_means_nothing_paid_yet():
    assert parse_money("amount_paid", "0", "EUR", allow_zero=True) == Decimal("0.00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("Français", "fr"),
        ("fr-FR", "fr"),
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("anglais", "en"),
        ("English", "en"),
        ("", "fr"),
    ],
)
def test_languages_map_to_fr_or_en(text: str, expected: str):
    assert parse_language("language", text) == expected


def test_an_unsupported_language_is_refused():
    with pytest.raises(FieldError, match="'de' is not supported: use fr or en"):
        parse_language("language", "de")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B2B", CustomerKind.BUSINESS),
        ("professionnel", CustomerKind.BUSINESS),
        ("Entreprise", CustomerKind.BUSINESS),
        ("B2C", CustomerKind.CONSUMER),
        ("Particulier", CustomerKind.CONSUMER),
        ("consumer", CustomerKind.CONSUMER),
        ("", CustomerKind.BUSINESS),
    ],
)
def test_customer_kinds_map_from_french_and_english(text: str, expected: CustomerKind):
    assert parse_customer_kind("kind", text) == expected


def test_an_unknown_customer_kind_is_refused():
    with pytest.raises(FieldError, match="neither business"):
        parse_customer_kind("kind", "association")


@pytest.mark.parametrize(
    ("text", "expected"), [("oui", True), ("Non", False), ("x", True), ("", False), ("1", True)]
)
def test_flags_read_yes_and_no_in_both_languages(text: str, expected: bool):
    assert parse_flag("do_not_dun", text) is expected


def test_an_email_may_come_with_a_display_name_but_only_the_address_is_kept():
    assert parse_email("email", "Service Compta <compta@client.example>") == "compta@client.example"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("compta@client", "not a valid email"),
        ("compta at client.example", "not a valid email"),
        ("a@x.example; b@x.example", "several addresses"),
        ("Compta\r\nBcc: victim@x.example <compta@client.example>", "line break"),
        ("compta@client.example\nBcc: x@y.example", "line break"),
    ],
)
def test_invalid_or_injecting_emails_are_refused(text: str, reason: str):
    with pytest.raises(FieldError, match=reason):
        parse_email("email", text)


def test_names_may_hold_any_printable_character_but_no_line_break():
    assert parse_text("name", "  O'Brien & Fils <SARL>  ") == "O'Brien & Fils <SARL>"
    with pytest.raises(FieldError, match="line break"):
        parse_text("name", "Client\r\nBcc: x@y.example")


def test_a_cc_list_is_split_on_semicolons_commas_and_lines():
    assert parse_email_list("cc", "a@x.example; b@x.example,c@x.example\nd@x.example") == (
        "a@x.example",
        "b@x.example",
        "c@x.example",
        "d@x.example",
    )


def test_a_siret_is_reduced_to_its_siren_and_garbage_is_refused():
    assert parse_siren("siren", "917 764 672 00015") == "917764672"
    with pytest.raises(FieldError, match="SIREN"):
        parse_siren("siren", "91776467")


def test_a_file_may_open_cancel_or_dispute_an_invoice_but_not_mark_it_paid():
    assert parse_status("status", "Annulée") is InvoiceStatus.CANCELLED
    assert parse_status("status", "en litige") is InvoiceStatus.DISPUTED
    assert parse_status("status", "") is None
    with pytest.raises(FieldError, match="paid comes from payments"):
        parse_status("status", "payée")


@pytest.mark.parametrize(
    ("header", "folded"),
    [
        ("N° Facture", "n_facture"),
        ("Date d'échéance", "date_d_echeance"),
        ("  Montant TTC ", "montant_ttc"),
        ("CODE_CLIENT", "code_client"),
        ("numéro de facture", "numero_de_facture"),
    ],
)
def test_headers_fold_case_accents_and_punctuation(header: str, folded: str):
    assert fold(header) == folded


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2))
def test_any_amount_written_the_french_way_reads_back_exactly(amount: Decimal):
    whole, cents = f"{amount:.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", "\u00a0")  # 1\u00a0234\u00a0567 as French Excel writes it

    assert parse_money("total", f"{groups},{cents}", "EUR") == amount
