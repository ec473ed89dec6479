"""A notice cites the law of its claim's basis and nothing of another: rendered for every basis in every
language, it holds its own law's references and none of the others'."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from relance.domain.models import CustomerKind, Invoice
from relance.domain.money import LegalBasis
from relance.rendering.environment import environment, render_letter
from relance.rendering.pdf import formal_notice_pdf
from relance.services import documents
from relance.services.penalties import claims_for
from tests.unit.rendering import contexts

LANGUAGES = ("fr", "en")
TODAY = date(2026, 4, 7)
MEDIATOR = documents.ConsumerMediator("Médiateur CM2C", "https://www.cm2c.net")

# Sentences only one country's law prints (both languages).
FRANCE = (
    "Code civil", "French Civil Code", "Code de commerce", "Commercial Code", "L441-10", "D441-5", "1344",
    "Banque centrale européenne", "European Central Bank", "BCE", "ECB", "injonction de payer",
    "commissaire de justice", "L616-1", "Code de la consommation", "Consumer Code",
)  # fmt: skip
GERMANY = ("BGB", "§ 28", "section 28", "Basiszins", "Pauschale", "Mahnverfahren", "VSBG", "MAHNUNG")
UNITED_KINGDOM = (
    "Late Payment of Commercial Debts", "1998", "Bank of England", "Banque d'Angleterre", "Bank Rate",
    "fixed sum", "Fixed sum", "somme forfaitaire", "£40",
)  # fmt: skip
# What a consumer notice must never say: a fixed sum, costs put on them, "penalties".
CONSUMER_FORBIDDEN = (
    "indemnité forfaitaire", "fixed recovery indemnity", "forfait", "flat-rate", "frais", "costs",
    "Pénalités", "pénalités", "Penalties", "penalties", "resteront à votre charge",
)  # fmt: skip
BUSINESS_FORBIDDEN = ("médiateur", "mediator", "dispute resolution", "1344-1", "L616-1")

OWN = {
    LegalBasis.FR_B2B: ("L441-10", "D441-5", "1344"),
    LegalBasis.FR_B2C: ("1344-1",),
    LegalBasis.DE_B2B: ("BGB", "288", "Basiszinssatz"),
    LegalBasis.DE_B2C: ("BGB", "286", "Basiszinssatz"),
    LegalBasis.UK_B2B: ("Late Payment of Commercial Debts (Interest) Act 1998",),
}
FOREIGN = {"FR": GERMANY + UNITED_KINGDOM, "DE": FRANCE + UNITED_KINGDOM, "GB": FRANCE + GERMANY}


def notice_text(basis: LegalBasis, language: str) -> str:
    currency = "GBP" if basis is LegalBasis.UK_B2B else "EUR"
    kind = CustomerKind.CONSUMER if basis.consumer else CustomerKind.BUSINESS
    debtor = replace(contexts.customer(language=language, kind=kind), country=basis.country)
    bills = [replace(invoice, currency=currency) for invoice in contexts.invoices()]
    context = documents.letter_context(
        company=contexts.company(),
        customer=debtor,
        invoices=bills,
        claims=claims_for(
            basis.country, debtor, bills, TODAY, notice_dates={b.invoice_id: date(2026, 3, 1) for b in bills}
        ),
        currency=currency,
        today=TODAY,
        deadline_days=8,
        mediator=MEDIATOR,
    )
    assert context["law"]["basis"] == str(basis)
    pdf = formal_notice_pdf(context)
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("basis", list(LegalBasis))
def test_a_notice_cites_its_own_law_and_no_other_jurisdictions(basis: LegalBasis, language: str):
    text = notice_text(basis, language)

    for marker in OWN[basis]:
        assert marker in text, f"{basis}/{language} lacks {marker!r}"
    leaks = [marker for marker in FOREIGN[basis.country] if marker in text]
    assert leaks == [], f"{basis}/{language} cites another jurisdiction: {leaks}"
    forbidden = CONSUMER_FORBIDDEN if basis.consumer else BUSINESS_FORBIDDEN
    wrong = [marker for marker in forbidden if marker in text]
    assert wrong == [], f"{basis}/{language} says {wrong}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("basis", list(LegalBasis))
def test_the_deadline_runs_from_receipt_and_no_date_is_given_for_it(basis: LegalBasis, language: str):
    text = notice_text(basis, language)

    assert {
        "fr": "sous huit jours à compter de la réception de la présente",
        "en": "within eight days of receipt",
    }[language] in text
    assert "au plus tard" not in text
    assert "no later than" not in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("basis", [LegalBasis.FR_B2C, LegalBasis.DE_B2C])
def test_a_consumer_notice_names_the_mediator_and_interest_from_the_notice(basis: LegalBasis, language: str):
    text = notice_text(basis, language)

    assert "Médiateur CM2C, https://www.cm2c.net" in text
    assert {"fr": "à compter de la présente mise en demeure", "en": "from the date of this"}[language] in text


def test_every_law_partial_defines_the_same_macros():
    env = environment()
    expected = {
        "title", "penalties_title", "interest_column", "interest_to_date", "fixed_sum_title",
        "fixed_sum_column", "waived", "rate", "interest_start", "terms", "basis", "method", "vat", "costs",
        "proceedings", "mediator",
    }  # fmt: skip
    for language in LANGUAGES:
        for partial in [basis.partial for basis in LegalBasis] + ["none"]:
            module = env.get_template(f"{language}/law/{partial}.j2").module
            defined = {name for name in dir(module) if not name.startswith("_")}
            assert defined == expected, f"{language}/law/{partial}.j2: {sorted(defined ^ expected)}"


def test_the_email_terms_sentence_is_the_one_of_the_basis():
    env = environment()
    french = env.get_template("fr/law/fr_b2b.j2").module.terms(False)
    german = env.get_template("en/law/de_b2b.j2").module.terms(False)

    assert "L441-10" in french
    assert "D441-5" in french
    assert "BGB" not in french
    assert "section 288(2)" in german
    assert "L441-10" not in german


def gbp_invoice() -> Invoice:
    return Invoice("F-GB-1", "C004", date(2026, 1, 12), date(2026, 2, 11), "GBP", Decimal("10000.00"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_gbp_invoice_under_french_law_claims_interest_in_pounds_and_40_euros(language: str):
    debtor = contexts.customer(language=language)
    context = documents.letter_context(
        company=contexts.company(),
        customer=debtor,
        invoices=[gbp_invoice()],
        claims=claims_for("FR", debtor, [gbp_invoice()], TODAY),
        currency="GBP",
        today=TODAY,
    )
    blocks = render_letter("formal_notice", context)
    text = " ".join(blocks["breakdown"].replace("\u00a0", " ").replace("\u202f", " ").split())

    assert [(t["currency"], t["total"]) for t in context["totals"]] == [
        ("GBP", Decimal("10000.00") + context["summary"]["interest"]),
        ("EUR", Decimal("40.00")),
    ]
    assert context["summary"]["interest"] > 0
    assert context["summary"]["indemnity"] is None  # no "0.00 £" in the table's fixed-sum column
    assert {"fr": "40,00 €", "en": "€40.00"}[language] in text
    assert {"fr": "£GB", "en": "£"}[language] in text
    assert {"fr": "pas encore", "en": "not yet"}[language] not in text  # no false reason


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_rate_is_named_truthfully_with_the_day_interest_stops_being_known(language: str):
    debtor = contexts.customer(language=language)
    bills = [replace(gbp_invoice(), currency="EUR")]
    context = documents.letter_context(
        company=contexts.company(),
        customer=debtor,
        invoices=bills,
        claims=claims_for("FR", debtor, bills, date(2026, 9, 30)),
        currency="EUR",
        today=date(2026, 9, 30),
    )
    breakdown = " ".join(render_letter("formal_notice", context)["breakdown"].split())

    assert context["pending"] == [{"number": "F-GB-1", "reason": "missing_rate", "from": date(2026, 7, 1)}]
    assert {
        "fr": "à compter du 1 juillet 2026 n'étant pas encore enregistré",
        "en": "from 1 July 2026 is not yet recorded",
    }[language] in breakdown.replace("1er", "1")
    assert "publié" not in breakdown
    assert "published" not in breakdown
