"""The hand-off summary words the route the domain chose: the right court, its form, its caveats."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import pytest
from pypdf import PdfReader

from relance.domain.collection import collection_route
from relance.rendering.pdf import handoff_summary_pdf
from tests.unit.rendering import contexts

LANGUAGES = ("fr", "en")


def summary_text(language: str, **debtor: object) -> str:
    context = contexts.handoff_context(language)
    customer = replace(contexts.customer(language=language), **debtor)
    context["route"] = collection_route("FR", customer, context["claims"], contexts.TODAY)
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(handoff_summary_pdf(context))).pages)
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.mark.parametrize(
    ("debtor", "expected"),
    [
        (
            {"legal_form": "SAS", "address": ("1 place Kléber", "67000 Strasbourg")},
            {
                "fr": "chambre commerciale du tribunal judiciaire",
                "en": "commercial chamber of the judicial court",
            },
        ),
        (
            {"legal_form": "SAS", "address": ("10 quai Rambaud", "69002 Lyon")},
            {"fr": "tribunal des activités économiques de Lyon", "en": "economic activities court"},
        ),
        (
            {"legal_form": "SCI"},
            {"fr": "tribunal judiciaire du siège du débiteur", "en": "judicial court (tribunal judiciaire)"},
        ),
        (
            {"legal_form": "SA", "country": "BE", "address": ("Rue de la Loi 16", "1000 Bruxelles")},
            {"fr": "injonction de payer européenne", "en": "European order for payment"},
        ),
        (
            {"legal_form": "Ltd", "country": "GB", "address": ("10 Downing Street", "London SW1A 2AA")},
            {"fr": "Royaume-Uni depuis le 1er janvier 2021", "en": "United Kingdom since 1 January 2021"},
        ),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_summary_names_the_court_the_route_chose(language: str, debtor: dict, expected: dict):
    text = summary_text(language, **debtor)

    assert expected[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_debtor_abroad_gets_no_french_form(language: str):
    for country, address in (("GB", ("London SW1A 2AA",)), ("BE", ("1000 Bruxelles",))):
        text = summary_text(language, legal_form="SA", country=country, address=address)

        assert "Cerfa 129" not in text
        assert "tribunal de commerce" not in text
