"""Every template renders in both languages with a full and a minimal context, says what a debtor needs
to read (each invoice, the total, how to pay, whom to contact), and fails on a missing variable."""

from __future__ import annotations

import copy
import html.parser
from dataclasses import replace
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from relance.domain.cases import CaseAction
from relance.domain.models import MessageKind
from relance.policies import get_policy
from relance.rendering.environment import escapes, render_email, render_letter
from relance.rendering.pdf import formal_notice_pdf, handoff_summary_pdf
from relance.services import messages

from . import contexts

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
LANGUAGES = ("fr", "en")
# Payment-plan reminders receive the plan's own context (services/plans.py) and are tested with it.
OWN_CONTEXT = ("plan_",)


def email_templates() -> list[str]:
    names = {
        path.name.removesuffix(".txt.j2")
        for path in (TEMPLATES / "fr" / "email").glob("*.txt.j2")
        if not path.name.startswith(("_", *OWN_CONTEXT))
    }
    return sorted(names)


# The call sheet and the morning digest go to the creditor's own people, with contexts of their own
# (tests/unit/services/test_digest.py renders the digest).
STEP_TEMPLATES = [name for name in email_templates() if name not in ("call_task", "digest")]
VARIANTS = ("full", "minimal")


def render_step(name: str, language: str, variant: str):
    return render_email(name, contexts.email_context(name, language, variant == "full"))


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)


def tags(document: str) -> list[str]:
    parser = _Tags()
    parser.feed(document)
    return parser.tags


def test_the_shipped_step_templates_are_all_found():
    assert set(STEP_TEMPLATES) >= {
        "courtesy",
        "reminder_1",
        "reminder_2",
        "reminder_3",
        "formal_notice",
        "suspension",
        "handoff",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_template_has_a_text_and_an_html_part_in_each_language(language: str):
    folder = TEMPLATES / language / "email"
    for name in [*email_templates(), "_layout", "_macros"]:
        assert (folder / f"{name}.txt.j2").is_file(), f"{language}/{name}.txt.j2"
        assert (folder / f"{name}.html.j2").is_file(), f"{language}/{name}.html.j2"
    for letter in ("formal_notice", "handoff_summary"):
        assert (TEMPLATES / language / "letter" / f"{letter}.xml.j2").is_file()


@pytest.mark.parametrize("policy", ["fr-b2b-standard", "fr-b2c", "gentle", "strict"])
def test_every_step_of_every_shipped_policy_has_its_template_in_both_languages(policy: str):
    for step in get_policy(policy).steps:
        for language in LANGUAGES:
            assert (TEMPLATES / language / "email" / f"{step.template}.txt.j2").is_file(), (
                policy,
                step.id,
                language,
            )


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", STEP_TEMPLATES)
def test_a_step_email_lists_every_invoice_the_total_how_to_pay_and_whom_to_contact(
    name: str, language: str, variant: str
):
    context = contexts.email_context(name, language, variant == "full")

    email = render_email(name, context)

    assert email.subject.strip()
    assert email.subject not in email.text
    assert "\n" not in email.subject
    for part in (email.text, email.html):
        for line in context["invoices"]:
            assert line["number"] in part
        for total in context["totals"]:
            assert total["display"].replace("\u202f", " ") in part.replace("\u202f", " ")
        assert context["payment"]["reference"] in part
        assert context["company"]["reply_to"] in part
        assert context["customer"]["id"] in part
        assert "None" not in part
        assert "{{" not in part
        assert "{%" not in part
    if variant == "full":
        assert contexts.IBAN in email.text
        assert contexts.IBAN in email.html
        assert contexts.LINK in email.text
        assert 'href="https://pay.example/F2026-0104?token=a&amp;b=c"' in email.html
        assert "+33 1 84 00 00 00" in email.text
    else:
        assert "IBAN" not in email.text
    assert tags(email.html)[:3] == ["html", "head", "meta"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_invoice_dates_due_dates_amounts_and_balances_are_in_the_customers_format(language: str):
    email = render_step("reminder_1", language, "full")
    text = email.text.replace("\u202f", " ").replace("\u00a0", " ")

    if language == "fr":
        assert "Facture F2026-0104 du 12/01/2026, échéance 11/02/2026" in text
        assert "12 000,00 € TTC, reste dû 10 500,00 €" in text
        assert "Total dû : 12 810,40 €" in text
    else:
        assert "Invoice F2026-0104 of 12/01/2026, due 11/02/2026" in text
        assert "€12,000.00, balance €10,500.00" in text
        assert "Total due: €12,810.40" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_wording_escalates_from_courtesy_to_hand_off(language: str):
    words = {
        "fr": [
            "prochainement à échéance",
            "simple oubli",
            "sous huit jours",
            "mise en demeure",
            "mettons en demeure",
            "suspendons",
            "recouvrement contentieux",
        ],
        "en": [
            "due soon",
            "overlooked",
            "within eight days",
            "formal notice",
            "formal notice to pay",
            "suspending",
            "collection service",
        ],
    }[language]
    steps = ["courtesy", "reminder_1", "reminder_2", "reminder_3", "formal_notice", "suspension", "handoff"]
    for step, expected in zip(steps, words, strict=True):
        text = render_step(step, language, "minimal").text
        assert expected in text.replace("ci-joint notre mise en demeure", "mettons en demeure"), step


@pytest.mark.parametrize("language", LANGUAGES)
def test_penalties_are_claimed_only_from_the_step_that_claims_them(language: str):
    word = {"fr": "Pénalités de retard arrêtées au", "en": "Late-payment penalties to"}[language]

    assert word not in render_step("reminder_1", language, "full").text
    assert word in render_step("reminder_2", language, "full").text
    assert "L441-10" in render_step("reminder_2", language, "full").text


def _case_message(template: str, language: str, noticed: tuple[str, ...], letter: tuple[str, ...]) -> str:
    """The email of `template` for the two invoices of C004's case, F2026-0104 named since the first
    reminder and F2026-0110 only since the second; `noticed` were put on notice before, `letter` today."""
    policy = get_policy("fr-b2b-standard")
    step = {item.id: item for item in policy.steps}[template]
    bills = contexts.invoices()
    case = replace(contexts.case_before(step, bills), noticed=noticed)
    action = CaseAction(
        case, step, MessageKind.STEP, 0, tuple(bills), tuple(b for b in bills if b.invoice_id in letter)
    )
    context = contexts.email_context(template, language)
    context.update(
        messages.message_context(
            company=contexts.company(),
            customer=contexts.customer(True, language),
            parts=messages.MessageParts(step=step, actions=(action,)),
            today=contexts.TODAY,
            account_manager=None,
            claims={},
        )
    )
    return " ".join(render_email(template, context).text.split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_suspension_names_the_invoices_of_the_notice_and_those_overdue_since(language: str):
    text = _case_message("suspension", language, noticed=("F2026-0104",), letter=())

    if language == "fr":
        assert "sans que la facture F2026-0104 ait été réglée" in text
        assert "La facture F2026-0110, échue depuis cette mise en demeure, reste également due." in text
        assert "objet de notre mise en demeure du 23/03/2026" in text
    else:
        assert "without payment of invoice F2026-0104." in text
        assert "Invoice F2026-0110, which fell due after that notice, also remains due." in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_formal_notice_email_says_which_listed_invoices_its_notice_does_not_cover(language: str):
    # The notice covers the invoice reminded before; the other is listed as due, not put on notice.
    text = _case_message("formal_notice", language, noticed=(), letter=("F2026-0104",))

    assert {"fr": "au titre de la facture F2026-0104.", "en": "under invoice F2026-0104."}[language] in text
    assert {
        "fr": "sous huit jours à compter de la réception de la présente",
        "en": "within eight days of its receipt",
    }[language] in text
    assert {
        "fr": "Les autres factures listées ci-dessous, non visées par cette mise en demeure, "
        "restent également dues.",
        "en": "The other invoices listed below, which this formal notice does not cover, also remain due.",
    }[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_opening_words_speak_of_the_reminders_that_went_and_of_the_invoices_joining(language: str):
    text = _case_message("reminder_2", language, noticed=(), letter=())

    if language == "fr":
        assert "Malgré notre rappel du 16/02/2026, la facture F2026-0104 reste impayée." in text
        assert "La facture F2026-0110, échue depuis, s'y ajoute." in text
    else:
        assert "Despite our reminder of 16/02/2026, invoice F2026-0104 remains unpaid." in text
        assert "Invoice F2026-0110, overdue since, is now added." in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_first_reminder_never_says_despite_our_reminders(language: str):
    text = render_email("reminder_1", contexts.email_context("reminder_1", language)).text

    assert "Malgré" not in text
    assert "Despite" not in text


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_call_sheet_holds_the_customers_whole_file(language: str, variant: str):
    context = contexts.call_task_context(language, variant == "full")

    sheet = render_email("call_task", context)

    assert context["customer"]["name"] in sheet.subject
    assert sheet.subject not in sheet.text  # the subject block is the header, not a line of the body
    for part in (sheet.text, sheet.html):
        assert "None" not in part
        for line in context["invoices"]:
            assert line["number"] in part
    if variant == "full":
        for message_id in ("0102-msg-1", "0102-msg-2", "0102-msg-3"):
            assert message_id in sheet.html
            assert message_id in sheet.text
        assert "notices/C004/2026/03/2026-03-23-formal_notice-EUR.pdf" in sheet.html
        assert "pays on the 30th" in sheet.html
        assert {"fr": "rejeté (définitif)", "en": "bounced (permanent)"}[language] in sheet.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_call_script_fits_the_stage(language: str):
    before = render_email("call_task", contexts.call_task_context(language, stage_notices=False)).text
    after = render_email("call_task", contexts.call_task_context(language, stage_notices=True)).text

    if language == "fr":
        assert "jusqu'à la mise en demeure par lettre recommandée" in before
        assert "(prochaine étape : mise en demeure)" in before
        assert "Rappelez la mise en demeure du 23 mars 2026" in after
        assert "expiré depuis le 3 avril 2026" in after  # 8 days from receipt, assumed 3 days after posting
        assert "mise en demeure du 23 mars" not in before
    else:
        assert "up to a formal notice by registered letter" in before
        assert "Recall the formal notice of 23 March 2026" in after
        assert "which expired on 3 April 2026" in after


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_call_sheet_warns_when_the_customers_address_bounced(language: str):
    context = contexts.call_task_context(language)
    context["customer"]["contact_status"] = "bounced"

    sheet = render_email("call_task", context)

    assert {"fr": "Adresse e-mail inutilisable", "en": "Email address unusable"}[language] in sheet.html


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_letters_render_in_both_languages(language: str, variant: str):
    full = variant == "full"
    notice = render_letter("formal_notice", contexts.letter_context(language, full))
    summary = render_letter("handoff_summary", contexts.handoff_context(language, full))

    assert {"deadline", "legal", "consequences", "payment", "breakdown", "footer"} <= set(notice)
    assert {"route", "claim_notes", "labels", "evidence_intro", "footer"} <= set(summary)
    assert formal_notice_pdf(contexts.letter_context(language, full)).startswith(b"%PDF-")
    assert handoff_summary_pdf(contexts.handoff_context(language, full)).startswith(b"%PDF-")


def _without(context: dict, path: str) -> dict:
    broken = copy.deepcopy(context)
    *parents, leaf = path.split(".")
    target = broken
    for key in parents:
        target = target[key]
    del target[leaf]
    return broken


@pytest.mark.parametrize(
    "missing", ["company", "customer", "invoices", "payment", "company.reply_to", "totals"]
)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", STEP_TEMPLATES)
def test_a_missing_variable_fails_the_render_instead_of_leaving_a_blank(
    name: str, language: str, missing: str
):
    if name == "courtesy" and missing == "totals":
        missing = "upcoming_totals"  # a courtesy notice lists what falls due, not what is overdue
    context = _without(contexts.email_context(name, language), missing)

    with pytest.raises(UndefinedError):
        render_email(name, context)


@pytest.mark.parametrize("missing", ["customer", "invoices", "company.name", "reminders", "notices"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_variable_fails_the_call_sheet(language: str, missing: str):
    with pytest.raises(UndefinedError):
        render_email("call_task", _without(contexts.call_task_context(language), missing))


@pytest.mark.parametrize("missing", ["deadline", "summary", "customer.name", "payment"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_variable_fails_the_formal_notice(language: str, missing: str):
    with pytest.raises((UndefinedError, KeyError)):
        formal_notice_pdf(_without(contexts.letter_context(language), missing))


@pytest.mark.parametrize("missing", ["route", "claims", "customer.email"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_variable_fails_the_handoff_summary(language: str, missing: str):
    # The layout code reads some values itself (a KeyError there), the template the others.
    with pytest.raises((UndefinedError, KeyError)):
        handoff_summary_pdf(_without(contexts.handoff_context(language), missing))


def test_html_and_letters_are_escaped_text_parts_are_not():
    assert escapes("fr/email/reminder_1.html.j2")
    assert escapes("en/letter/formal_notice.xml.j2")
    assert not escapes("fr/email/reminder_1.txt.j2")
    assert not escapes("fr/_labels.j2")
