"""The emails that claim penalties speak the law of their claim's basis, like the notice: rendered for every
basis in every language, they hold no sentence of another jurisdiction; a consumer's put no costs on them
and name the mediator."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relance.domain.cases import CaseAction
from relance.domain.models import CustomerKind, MessageKind
from relance.domain.money import LegalBasis
from relance.domain.policy import Action
from relance.rendering.environment import render_email
from relance.services import messages
from relance.services.penalties import claims_for
from tests.unit.rendering import contexts

from .test_law_partials import FOREIGN, LANGUAGES, MEDIATOR, TODAY

CLAIMING = ("reminder_2", "reminder_3", "formal_notice")
# A consumer is never told that costs fall on them (CPCE L111-8), nor of "penalties" or a fixed sum.
CONSUMER_FORBIDDEN = (
    "resteront à votre charge", "à vos frais", "at your expense", "will be charged to you", "borne by you",
    "indemnité forfaitaire", "fixed sum", "Pénalités", "pénalités", "penalties", "Penalties",
)  # fmt: skip


def email_text(template: str, basis: LegalBasis, language: str) -> str:
    step = contexts.step_for(template)
    currency = "GBP" if basis is LegalBasis.UK_B2B else "EUR"
    kind = CustomerKind.CONSUMER if basis.consumer else CustomerKind.BUSINESS
    debtor = replace(contexts.customer(language=language, kind=kind), country=basis.country)
    bills = [replace(invoice, currency=currency) for invoice in contexts.invoices()]
    case = replace(contexts.case_before(step, bills), currency=currency)
    letter = tuple(bills) if Action.LETTER in step.actions else ()
    action = CaseAction(case, step, MessageKind.STEP, 0, tuple(bills), letter)
    context = messages.message_context(
        company=contexts.company(),
        customer=debtor,
        parts=messages.MessageParts(step=step, actions=(action,)),
        today=TODAY,
        account_manager=None,
        claims=claims_for(basis.country, debtor, bills, TODAY),
        country=basis.country,
        mediator=MEDIATOR,
    )
    rendered = render_email(template, context)
    text = f"{rendered.subject}\n{rendered.text}"
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize("template", CLAIMING)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("basis", list(LegalBasis))
def test_a_penalty_email_holds_no_sentence_of_another_jurisdiction(
    template: str, basis: LegalBasis, language: str
):
    text = email_text(template, basis, language)

    leaks = [marker for marker in FOREIGN[basis.country] if marker in text]
    assert leaks == [], f"{template} {basis}/{language} cites another jurisdiction: {leaks}"


@pytest.mark.parametrize("template", CLAIMING)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("basis", [LegalBasis.FR_B2C, LegalBasis.DE_B2C])
def test_a_consumer_email_puts_no_costs_on_them_and_names_the_mediator(
    template: str, basis: LegalBasis, language: str
):
    text = email_text(template, basis, language)

    wrong = [marker for marker in CONSUMER_FORBIDDEN if marker in text]
    assert wrong == [], f"{template} {basis}/{language} says {wrong}"
    assert "Médiateur CM2C" in text
