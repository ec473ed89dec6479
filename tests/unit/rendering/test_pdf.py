"""The formal notice and the hand-off summary as a judge would hold them: A4, every font embedded,
euro sign and accents right, every mention French practice expects, the same bytes every time."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from relance.domain.models import CustomerKind, Invoice
from relance.rendering.pdf import formal_notice_pdf, handoff_summary_pdf
from relance.services import documents
from relance.services.penalties import claims_for

from . import contexts

ROOT = Path(__file__).resolve().parents[3]
A4_POINTS = (595.2756, 841.8898)


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in reader(pdf).pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def test_the_formal_notice_holds_every_mention_french_practice_expects():
    text = text_of(formal_notice_pdf(contexts.letter_context("fr")))

    assert "mise en demeure" in text
    assert "MISE EN DEMEURE" in text
    assert "Lettre recommandée avec demande d'avis de réception" in text
    # both parties: name, SIREN, address
    for party in ("Atelier Durand SAS", "SIREN 917764672", "12 rue des Ateliers", "75011 Paris"):
        assert party in text
    for party in (
        "Transports Bernard SAS",
        "SIREN 914852538",
        "ZA des Prés, 2 rue des Routiers",
        "59000 Lille",
    ):
        assert party in text
    # each invoice: number, date, due date, amount incl. VAT, part payment, balance
    assert "F2026-0104 12/01/2026 11/02/2026 12 000,00 € 1 500,00 € 10 500,00 € 192,24 € 40,00 €" in text
    assert "F2026-0110 02/02/2026 04/03/2026 2 310,40 € 0,00 € 2 310,40 € 26,15 € 40,00 €" in text
    # breakdown: principal, penalties with rate and method, indemnity, total
    assert "Principal restant dû : 12 810,40 €" in text
    assert "Pénalités de retard arrêtées au 7 avril 2026 : 218,39 €" in text
    assert "intérêts simples, jours exacts / 365" in text
    assert "55 jours au taux annuel de 12,15 % sur 10 500,00 € = 192,24 €" in text
    assert "Indemnité forfaitaire pour frais de recouvrement : 80,00 €" in text
    assert "Total réclamé : 13 108,79 €" in text
    # deadline (from receipt of the registered letter, so no date), legal basis, consequences, how to pay
    assert "sous huit jours à compter de la réception de la présente" in text
    assert "15 avril 2026" not in text
    for article in ("1344 du Code civil", "L441-10 du Code de commerce", "D441-5"):
        assert article in text
    assert "injonction de payer" in text
    assert "frais de procédure" in text
    assert "resteront à votre charge" not in text
    assert f"IBAN {contexts.IBAN}" in text
    assert "référence C004 F2026-0104 F2026-0110" in text
    assert "https://pay.example/F2026-0104?token=a&b=c" in text


def test_a_consumer_notice_claims_legal_interest_from_the_notice_and_no_indemnity():
    context = contexts.letter_context("fr", kind=CustomerKind.CONSUMER)
    context["mediator"] = {"name": "Médiateur CM2C", "url": "https://www.cm2c.net"}
    text = text_of(formal_notice_pdf(context))

    assert "Intérêts au taux légal arrêtés au 7 avril 2026" in text
    assert "Indemnité forfaitaire" not in text
    assert "1344-1 du Code civil" in text
    assert "L441-10" not in text
    # Recovery costs without an enforceable title stay with the creditor (CPCE L111-8): none is threatened.
    assert "frais" not in text
    assert "Pénalités" not in text
    assert "médiateur de la consommation : Médiateur CM2C, https://www.cm2c.net" in text
    assert "L616-1" in text


def test_an_agreed_rate_is_named_as_such():
    context = contexts.letter_context("fr")
    debtor = replace(contexts.customer(), contract_rate=Decimal("15.00"))
    bills = contexts.invoices()
    context = documents.letter_context(
        company=contexts.company(),
        customer=debtor,
        invoices=bills,
        claims=claims_for("FR", debtor, bills, contexts.TODAY),
        currency="EUR",
        today=contexts.TODAY,
        deadline=contexts.TODAY + timedelta(days=8),
    )

    text = text_of(formal_notice_pdf(context))

    assert "au taux convenu dans nos conditions de vente" in text
    assert "15,00 %" in text
    assert "majoré de 10 points" not in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_pages_are_a4_and_every_font_is_embedded(language: str):
    for pdf in (
        formal_notice_pdf(contexts.letter_context(language)),
        handoff_summary_pdf(contexts.handoff_context(language)),
    ):
        for page in reader(pdf).pages:
            assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_POINTS)
            fonts = page["/Resources"]["/Font"]
            assert fonts
            for font in fonts.values():
                descriptor = font.get_object()["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor, font.get_object()["/BaseFont"]


def test_euro_sign_accents_and_other_latin_letters_come_out_as_written():
    context = contexts.letter_context("fr")
    context["customer"]["name"] = "Société Œnologie Łukasz & Çà Ñüß"

    text = text_of(formal_notice_pdf(context))

    assert "Société Œnologie Łukasz & Çà Ñüß" in text
    assert "€" in text
    assert "Échéance" in text
    assert "Déjà réglé" in text


def test_a_letter_the_font_cannot_print_loses_its_accent_rather_than_becoming_a_box():
    context = contexts.letter_context("fr")
    context["customer"]["name"] = "Țara SRL"  # T with comma below: not in Bitstream Vera

    assert "Tara SRL" in text_of(formal_notice_pdf(context))


def test_the_same_notice_is_the_same_bytes_in_another_process():
    """A retried write must find the same SHA-256 under the notice's key (S3Store.put_evidence)."""
    first = formal_notice_pdf(contexts.letter_context("fr"))
    assert formal_notice_pdf(contexts.letter_context("fr")) == first
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from tests.unit.rendering import contexts;"
        "from relance.rendering.pdf import formal_notice_pdf;"
        "sys.stdout.buffer.write(formal_notice_pdf(contexts.letter_context('fr')))"
    )
    other = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, check=True
    ).stdout

    assert other == first


def test_a_long_notice_numbers_every_page_and_names_the_document_on_each():
    debtor = contexts.customer()
    bills = [
        Invoice(f"F2026-{n:04d}", "C004", date(2026, 1, 2), date(2026, 2, 2), "EUR", Decimal("100.00") + n)
        for n in range(70)
    ]
    context = documents.letter_context(
        company=contexts.company(),
        customer=debtor,
        invoices=bills,
        claims=claims_for("FR", debtor, bills, contexts.TODAY),
        currency="EUR",
        today=contexts.TODAY,
        deadline=contexts.TODAY + timedelta(days=8),
    )

    pages = reader(formal_notice_pdf(context)).pages

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"{number}/{len(pages)}" in text
        assert "Mise en demeure du 07/04/2026 – Transports Bernard SAS (C004)" in text
    assert "F2026-0069" in pages[-1].extract_text() or "F2026-0069" in pages[-2].extract_text()


def test_the_handoff_summary_holds_parties_claim_route_history_and_evidence():
    text = text_of(handoff_summary_pdf(contexts.handoff_context("fr")))

    for expected in (
        "Dossier de recouvrement – Transports Bernard SAS",
        "SIREN 917764672",
        "SIREN 914852538",
        "ZA des Prés, 2 rue des Routiers",
        "F2026-0104 12/01/2026 11/02/2026 12 000,00 € 1 500,00 € 10 500,00 € 192,24 € 40,00 € 10 732,24 €",
        "13 108,79 €",
        "Non éligible à la procédure simplifiée de recouvrement des petites créances",
        "injonction de payer",
        "tribunal de commerce",
        "59000 Lille",
        "Cerfa 12946*02",
        "0102-msg-1",
        "délivré",
        "rejeté (définitif)",
        "Promesse de paiement",
        "notices/C004/2026/03/2026-03-23-formal_notice-EUR.pdf",
        "ab" * 32,
        "Paiements reçus : 02/03/2026, 1 500,00 € sur F2026-0104.",
    ):
        assert expected in text, expected


def test_a_small_claim_is_flagged_for_the_simplified_procedure():
    context = contexts.handoff_context("fr", full=False)  # one invoice of 12,000 EUR
    context["route"] = {**context["route"], "small_claims": True, "small_claims_amount": Decimal("1234.00")}

    text = text_of(handoff_summary_pdf(context))

    assert "Éligible à la procédure simplifiée de recouvrement des petites créances" in text
    assert "L125-1" in text
    assert "1 234,00 €" in text
    assert "5 000,00 €" in text
    assert "À défaut d'accord : injonction de payer" in text


def test_a_consumer_file_points_to_the_judicial_court_and_its_form():
    text = text_of(handoff_summary_pdf(contexts.handoff_context("en", kind=CustomerKind.CONSUMER)))

    assert "judicial court of the debtor's domicile" in text
    assert "Cerfa 12948*06" in text
    assert "2 years (Consumer Code article L218-2)" in text
