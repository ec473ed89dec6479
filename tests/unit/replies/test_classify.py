"""Classifying a customer's words: the classes, their precedence, negations, dates, amounts and evidence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain import replies
from relance.domain.replies import PRECEDENCE, RULES, Evidence, ReplyClass, classify

TUESDAY = date(2026, 3, 10)  # a Tuesday; March has 31 days
REPLY_SUBJECT = "RE: Facture F2026-0001 : paiement en attente"


def read(
    text: str,
    *,
    on: date = TUESDAY,
    subject: str = REPLY_SUBJECT,
    auto: bool = False,
    hint: str | None = None,
):
    return classify(text, subject, on, auto, hint)


def rules_of(result) -> list[str]:
    return [evidence.rule for evidence in result.evidence]


# --- the classes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je vous règle le 15.", ReplyClass.PROMISE),
        ("Nous allons procéder au paiement la semaine prochaine.", ReplyClass.PROMISE),
        ("Le virement sera effectué vendredi.", ReplyClass.PROMISE),
        ("We will pay next Friday.", ReplyClass.PROMISE),
        ("Payment is scheduled for December 15.", ReplyClass.PROMISE),
        ("Facture contestée.", ReplyClass.DISPUTE),
        ("Nous n'avons jamais reçu la marchandise.", ReplyClass.DISPUTE),
        ("Il y a une erreur de facturation sur le taux horaire.", ReplyClass.DISPUTE),
        ("The amount is wrong.", ReplyClass.DISPUTE),
        ("We have not received the goods.", ReplyClass.DISPUTE),
        ("Déjà payé le 3.", ReplyClass.ALREADY_PAID),
        ("Nous avons fait le virement hier.", ReplyClass.ALREADY_PAID),
        ("This was paid on 2 March.", ReplyClass.ALREADY_PAID),
        ("We already settled it, remittance advice attached.", ReplyClass.ALREADY_PAID),
        ("Pourriez-vous nous renvoyer la facture ?", ReplyClass.REQUEST),
        ("Merci de me communiquer votre RIB.", ReplyClass.REQUEST),
        ("Serait-il possible d'avoir un échéancier ?", ReplyClass.REQUEST),
        ("Could you send us your bank details?", ReplyClass.REQUEST),
        ("Je suis absente du bureau jusqu'au 16 mars.", ReplyClass.AUTO_REPLY),
        ("I am currently out of the office.", ReplyClass.AUTO_REPLY),
        ("Merci, je transmets à notre comptable.", ReplyClass.OTHER),
        ("Noted, thanks.", ReplyClass.OTHER),
        ("", ReplyClass.OTHER),
    ],
)
def test_each_class_is_recognised_in_french_and_english(text, expected):
    assert read(text).primary == expected


@pytest.mark.parametrize(
    "text",
    ["Déjà réglé.", "deja regle.", "DÉJÀ RÉGLÉ.", "Deja Réglé.", "déja réglé.", "Déjà  \n réglé."],
)
def test_accents_case_and_spacing_do_not_matter(text):
    assert read(text).primary == ReplyClass.ALREADY_PAID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le paiment partira le 20", ReplyClass.PROMISE),
        ("le virment sera fait demain", ReplyClass.PROMISE),
        ("i payed this invoice yesterday", ReplyClass.ALREADY_PAID),
        ("facture contestee", ReplyClass.DISPUTE),
        ("we are disputing this invoce", ReplyClass.DISPUTE),
    ],
)
def test_common_misspellings_are_read(text, expected):
    assert read(text).primary == expected


def test_the_evidence_quotes_the_customer_as_written_and_names_the_rule():
    result = read("Bonjour,\nDÉJÀ RÉGLÉ le 3 mars.")

    assert result.evidence == (Evidence(ReplyClass.ALREADY_PAID, "paid.fr.deja", "DÉJÀ RÉGLÉ", "text", None),)


# --- negations -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Je ne conteste pas la facture.",
        "Nous ne contestons absolument pas cette facture.",
        "Il n'y a aucun litige.",
        "Pas de litige de notre côté.",
        "Je conteste pas.",
        "We do not dispute the invoice.",
        "No dispute on our side.",
        "I don't dispute it.",
    ],
)
def test_a_negated_dispute_is_not_a_dispute_and_is_kept_as_ignored(text):
    result = read(text)

    assert result.primary == ReplyClass.OTHER
    assert [evidence.kind for evidence in result.ignored] == [ReplyClass.DISPUTE]


@pytest.mark.parametrize(
    "text",
    [
        "Nous n'avons pas encore payé.",
        "Pas encore réglé, désolé.",
        "We have not paid yet.",
        "We haven't paid.",
    ],
)
def test_not_having_paid_is_not_a_payment(text):
    assert read(text).primary != ReplyClass.ALREADY_PAID


def test_a_negation_reaches_only_its_own_clause():
    result = read("Je ne conteste pas le principe, mais le montant est faux.")

    assert result.primary == ReplyClass.DISPUTE
    assert result.dispute_reasons == ("amount",)
    assert [evidence.phrase for evidence in result.ignored] == ["conteste"]


@pytest.mark.parametrize("text", ["Nous ne paierons pas cette facture.", "We will not pay this invoice."])
def test_a_refusal_to_pay_is_a_dispute_not_a_negated_promise(text):
    result = read(text)

    assert (result.primary, result.dispute_reasons) == (ReplyClass.DISPUTE, ("refusal",))


@pytest.mark.parametrize(
    "text",
    [
        "Before we can pay we need your bank details.",
        "Si nous réglons, ce sera par chèque.",
        "So we can pay, send it.",
    ],
)
def test_a_payment_under_a_condition_is_not_a_promise(text):
    assert ReplyClass.PROMISE not in {read(text).primary, *read(text).also}


# --- precedence ------------------------------------------------------------------------------------------


def test_the_auto_reply_headers_beat_whatever_the_text_says():
    result = read("Facture contestée, déjà payée, je règle le 15.", auto=True)

    assert result.primary == ReplyClass.AUTO_REPLY
    assert result.also == (ReplyClass.DISPUTE, ReplyClass.ALREADY_PAID, ReplyClass.PROMISE)


def test_an_absence_notice_mentioning_disputes_or_payments_is_an_auto_reply():
    result = read(
        "Je suis absent jusqu'au 16 mars. Pour les litiges ou une facture déjà payée : compta@x.example"
    )

    assert result.primary == ReplyClass.AUTO_REPLY


def test_a_dispute_beats_a_payment_reported_in_the_same_reply():
    result = read("Nous avons payé la partie non contestée ; le reste est en litige.")

    assert (result.primary, result.also) == (ReplyClass.DISPUTE, (ReplyClass.ALREADY_PAID,))


def test_already_paid_beats_a_promise_and_both_dates_are_kept():
    result = read("Nous avons viré 500 € le 3 ; le solde partira le 20.")

    assert (result.primary, result.also) == (ReplyClass.ALREADY_PAID, (ReplyClass.PROMISE,))
    assert (result.paid_on, result.promised_on) == (date(2026, 3, 3), date(2026, 3, 20))


def test_a_promise_beats_a_request_which_is_kept():
    result = read("Envoyez-moi votre RIB, je règle le 15.")

    assert (result.primary, result.also, result.requests) == (
        ReplyClass.PROMISE,
        (ReplyClass.REQUEST,),
        ("bank_details",),
    )


def test_precedence_is_the_documented_order():
    assert PRECEDENCE == (
        ReplyClass.AUTO_REPLY,
        ReplyClass.DISPUTE,
        ReplyClass.ALREADY_PAID,
        ReplyClass.PROMISE,
        ReplyClass.REQUEST,
    )


# --- the subject -----------------------------------------------------------------------------------------


def test_our_own_subject_in_a_reply_is_not_read_as_the_customers_words():
    # "Échéancier" is in our plan reminder's subject: the customer asked for nothing.
    result = read(
        "Bien noté.", subject="RE: Échéancier de la facture F2026-0001 : échéance du 15/03 non reçue"
    )

    assert result.primary == ReplyClass.OTHER


def test_a_subject_the_customer_wrote_is_read():
    result = read("Voir ci-dessous.", subject="Facture F2026-0001 contestée")

    assert result.primary == ReplyClass.DISPUTE
    assert result.evidence[0].source == "subject"


@pytest.mark.parametrize(
    "subject",
    [
        "Réponse automatique : RE: Facture F1",
        "Automatic reply: Invoice F1",
        "Out of Office: Invoice F1",
        "Absence",
    ],
)
def test_an_autoresponder_subject_makes_an_auto_reply_even_without_headers(subject):
    assert read("Bonjour.", subject=subject).primary == ReplyClass.AUTO_REPLY


# --- dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "received", "promised"),
    [
        ("Je vous règle le 15.", date(2026, 3, 10), date(2026, 3, 15)),
        ("Je vous règle le 15.", date(2026, 3, 15), date(2026, 3, 15)),
        ("Je vous règle le 15.", date(2026, 3, 16), date(2026, 4, 15)),
        ("Je vous règle le 31.", date(2026, 4, 2), date(2026, 4, 30)),
        ("Je vous règle le 5.", date(2026, 12, 20), date(2027, 1, 5)),
        ("Je vous règle fin du mois.", date(2026, 2, 10), date(2026, 2, 28)),
        ("Je vous règle fin de mois.", date(2026, 3, 31), date(2026, 3, 31)),
        ("Je paierai fin avril.", TUESDAY, date(2026, 4, 30)),
        ("Je paierai début avril.", TUESDAY, date(2026, 4, 10)),
        ("Je paierai mi-avril.", TUESDAY, date(2026, 4, 15)),
        ("Je paierai vendredi prochain.", TUESDAY, date(2026, 3, 13)),
        ("Je paierai vendredi.", date(2026, 3, 13), date(2026, 3, 20)),
        ("Je paierai lundi 16 mars.", TUESDAY, date(2026, 3, 16)),
        ("Je paierai la semaine prochaine.", TUESDAY, date(2026, 3, 20)),
        ("Je paierai demain.", TUESDAY, date(2026, 3, 11)),
        ("Je paierai après-demain.", TUESDAY, date(2026, 3, 12)),
        ("Je paierai sous huitaine.", TUESDAY, date(2026, 3, 18)),
        ("Je paierai dans 10 jours.", TUESDAY, date(2026, 3, 20)),
        ("Je paierai sous deux semaines.", TUESDAY, date(2026, 3, 24)),
        ("Je paierai le 15/12.", TUESDAY, date(2026, 12, 15)),
        ("Je paierai le 15/02.", TUESDAY, date(2027, 2, 15)),
        ("Je paierai le 15/12/2026.", TUESDAY, date(2026, 12, 15)),
        ("Je paierai le 15 décembre.", TUESDAY, date(2026, 12, 15)),
        ("Je paierai le 1er avril.", TUESDAY, date(2026, 4, 1)),
        ("We will pay next Friday.", TUESDAY, date(2026, 3, 13)),
        ("We will pay by the 20th.", TUESDAY, date(2026, 3, 20)),
        ("We will pay on December 15.", TUESDAY, date(2026, 12, 15)),
        ("We will pay on 15th December.", TUESDAY, date(2026, 12, 15)),
        ("We will pay at the end of the month.", TUESDAY, date(2026, 3, 31)),
        ("We will pay within 14 days.", TUESDAY, date(2026, 3, 24)),
        ("We will pay tomorrow.", TUESDAY, date(2026, 3, 11)),
        ("We will pay on 2026-04-01.", TUESDAY, date(2026, 4, 1)),
    ],
)
def test_the_promised_date_is_resolved_forward_from_the_day_received(text, received, promised):
    result = read(text, on=received)

    assert (result.primary, result.promised_on) == (ReplyClass.PROMISE, promised)


@pytest.mark.parametrize(
    ("text", "received", "paid"),
    [
        ("Déjà payé le 3.", date(2026, 3, 10), date(2026, 3, 3)),
        ("Déjà payé le 12.", date(2026, 3, 10), date(2026, 2, 12)),
        ("Déjà payé le 28/02.", date(2026, 3, 4), date(2026, 2, 28)),
        ("Déjà payé le 15 décembre.", date(2026, 1, 5), date(2025, 12, 15)),
        ("Nous avons payé hier.", TUESDAY, date(2026, 3, 9)),
        ("Nous avons payé vendredi.", TUESDAY, date(2026, 3, 6)),
        ("We paid 3 days ago.", TUESDAY, date(2026, 3, 7)),
        ("Paid on 27th February.", TUESDAY, date(2026, 2, 27)),
        ("We paid on the 3rd of March.", TUESDAY, date(2026, 3, 3)),
    ],
)
def test_the_payment_date_is_resolved_backward_from_the_day_received(text, received, paid):
    result = read(text, on=received)

    assert (result.primary, result.paid_on) == (ReplyClass.ALREADY_PAID, paid)


def test_a_date_naming_the_invoice_is_not_taken_for_the_promise():
    result = read("La facture du 15/11 sera réglée le 30.")

    assert result.promised_on == date(2026, 3, 30)


def test_text_beyond_the_limit_is_not_read():
    assert read("Merci. " * (replies.MAX_TEXT_CHARS // 7) + "Déjà payé.").primary == ReplyClass.OTHER


def test_a_promise_without_a_date_has_none():
    result = read("Je vous règle dès que possible.")

    assert (result.primary, result.promised_on) == (ReplyClass.PROMISE, None)


@pytest.mark.parametrize(("hint", "promised"), [(None, date(2026, 4, 3)), ("en-US", date(2026, 3, 4))])
def test_numeric_dates_read_day_first_unless_the_hint_says_american(hint, promised):
    result = classify("We will pay on 03/04.", REPLY_SUBJECT, date(2026, 3, 1), False, hint)

    assert result.promised_on == promised


def test_a_numeric_date_that_can_only_be_month_first_is_read_so():
    assert read("We will pay on 12/25.").promised_on == date(2026, 12, 25)


# --- fields ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("Nous avons viré 1 200,50 € hier.", Decimal("1200.50"), "EUR"),
        ("Nous avons viré 1.200,50 EUR hier.", Decimal("1200.50"), "EUR"),
        ("Nous avons viré 860 euros hier.", Decimal("860"), "EUR"),
        ("We paid €1,200.50 yesterday.", Decimal("1200.50"), "EUR"),
        ("We paid $3,250.00 yesterday.", Decimal("3250.00"), "USD"),
        ("We paid £1,800 yesterday.", Decimal("1800"), "GBP"),
    ],
)
def test_the_amount_is_read_exactly_as_a_decimal(text, amount, currency):
    result = read(text)

    assert (result.amount, result.currency) == (amount, currency)
    assert isinstance(result.amount, Decimal)


def test_no_amount_is_none_and_an_amount_outside_the_deciding_sentence_is_not_taken():
    assert read("Déjà payé.").amount is None
    assert read("Notre chiffre d'affaires est de 2 000 €. Déjà payé.").amount is None


def test_invoice_numbers_are_read_from_the_subject_and_the_text():
    result = read("Les factures F2026-0012 et n° 2026-118 sont réglées.", subject="RE: Facture F2026-0011")

    assert result.invoice_refs == ("F2026-0011", "F2026-0012", "2026-118")


def test_dates_and_amounts_are_not_invoice_numbers():
    assert read("Facture du 15/11/2025 de 1 200 € : déjà payée.", subject="").invoice_refs == ()


@pytest.mark.parametrize(
    ("text", "requests"),
    [
        ("Pouvez-vous nous envoyer une copie de la facture ?", ("invoice_copy",)),
        ("Nous n'avons jamais reçu cette facture.", ("invoice_copy",)),
        ("Quel est votre IBAN ?", ("bank_details",)),
        ("Pourrions-nous payer en trois fois ?", ("payment_plan",)),
        ("Pouvez-vous m'envoyer un relevé de compte ?", ("statement",)),
        ("Merci de me rappeler.", ("callback",)),
        ("Please resend the invoice and confirm your bank details.", ("invoice_copy", "bank_details")),
    ],
)
def test_requests_carry_their_subtype(text, requests):
    result = read(text)

    assert (result.primary, result.requests) == (ReplyClass.REQUEST, requests)


def test_a_closing_formula_offering_to_be_called_is_not_a_request():
    assert read("N'hésitez pas à m'appeler si besoin.").primary == ReplyClass.OTHER


def test_a_weak_cue_inside_a_payment_already_made_adds_no_promise():
    # "virement" followed by a date reads as a dated promise on its own; here it is the payment made.
    result = read("Virement effectué le 3 mars.")

    assert (result.primary, result.also, result.promised_on) == (ReplyClass.ALREADY_PAID, (), None)


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("Bonjour, je vous règle le 15.", None, "fr"),
        ("Hi, we will pay on Friday.", None, "en"),
        ("OK", "fr-FR", "fr"),
    ],
)
def test_the_language_comes_from_the_hint_or_the_words(text, hint, language):
    assert read(text, hint=hint).language == language


# --- the tables ------------------------------------------------------------------------------------------


def test_rule_names_are_unique_and_say_their_class():
    names = [rule.name for rule in RULES]
    prefixes = {
        ReplyClass.AUTO_REPLY: "auto.",
        ReplyClass.DISPUTE: "dispute.",
        ReplyClass.ALREADY_PAID: "paid.",
        ReplyClass.PROMISE: "promise.",
        ReplyClass.REQUEST: "request.",
    }

    assert len(names) == len(set(names))
    assert all(rule.name.startswith(prefixes[rule.kind]) for rule in RULES)


def test_a_rule_added_to_the_table_is_used(monkeypatch):
    extra = replies._rule("dispute.fr.test", ReplyClass.DISPUTE, r"pas content\b", detail="general")
    monkeypatch.setattr(replies, "RULES", (*RULES, extra))

    assert read("Nous sommes pas content du tout.").primary == ReplyClass.DISPUTE
