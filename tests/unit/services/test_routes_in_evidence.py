"""A customers file's legal form reaches the hand-off pack: evidence.json names the route the debtor's
country and form give, with its caveat, and the fixed indemnity in the currency the law fixes it in.

Acceptance (issue 9): a French SARL, a French SCI, a Belgian SA and a UK Ltd.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from relance.adapters.memory import MemoryContext
from relance.domain.events import EventKind
from relance.services.bookkeeping import Edit, edit_book

from .driver import case, customer, drop, events, pipeline, run_day

CUSTOMERS = (
    "customer_id;name;email;kind;address;postcode;city;country;legal_form;merchant\n"
    "SARL;Menuiserie Leroy SARL;c1@leroy.example;business;4 rue du Bois;75011;Paris;FR;SARL;\n"
    "SCI;SCI Les Tilleuls;c2@tilleuls.example;business;10 quai Rambaud;69002;Lyon;FR;SCI;\n"
    "BESA;Brasserie Bruxelloise SA;c3@brasserie.example;business;Rue de la Loi 16;1000;Bruxelles;BE;SA;\n"
    "UKLTD;Thames Tools Ltd;c4@thames.example;business;10 Downing Street;SW1A 2AA;London;GB;Ltd;oui\n"
)
DUE = date(2026, 1, 5)
INVOICES = "invoice_id;customer_id;issue_date;due_date;currency;total\n" + "".join(
    f"F-{who};{who};05/12/2025;05/01/2026;{currency};2 400,00\n"
    for who, currency in (("SARL", "EUR"), ("SCI", "EUR"), ("BESA", "EUR"), ("UKLTD", "GBP"))
)


def steps_taken(who: str, currency: str):
    invoice = (f"F-{who}",)
    taken = case(
        ("reminder_1", date(2026, 1, 8), invoice),
        ("reminder_2", date(2026, 1, 20), invoice),
        ("reminder_3", date(2026, 2, 4), invoice),
        ("formal_notice", date(2026, 2, 12), invoice),
        ("suspension", date(2026, 2, 26), invoice),
        customer_id=who,
        opened_on=date(2026, 1, 6),
        noticed=invoice,
    )
    return replace(taken, case_id=f"{who}-{currency}-1", currency=currency)


@pytest.fixture(scope="module")
def packs() -> dict[str, dict]:
    ctx: MemoryContext = pipeline(date(2026, 3, 2))
    assert drop(ctx, "incoming/customers/customers.csv", CUSTOMERS).created == 4
    assert drop(ctx, "incoming/invoices/invoices.csv", INVOICES).created == 4
    for who, currency in (("SARL", "EUR"), ("SCI", "EUR"), ("BESA", "EUR"), ("UKLTD", "GBP")):
        taken = steps_taken(who, currency)
        edit_book(
            ctx,
            who,
            lambda c, invoices, _, taken=taken: Edit(
                replace(c, cases=(taken,), cases_opened=1, last_message_on=date(2026, 2, 26)), invoices
            ),
        )
    day = date(2026, 3, 2)
    while day < date(2026, 4, 15) and not all(
        any(e.step == "handoff" for e in events(ctx, who, EventKind.ESCALATION))
        for who in ("SARL", "SCI", "BESA", "UKLTD")
    ):
        run_day(ctx, day)
        day += timedelta(days=1)
    found = {}
    for who in ("SARL", "SCI", "BESA", "UKLTD"):
        [key] = [k for k in ctx.store.keys(f"handoff/{who}/") if k.endswith("evidence.json")]
        found[who] = json.loads(ctx.store.read(key))
    found["_customers"] = {who: customer(ctx, who) for who in ("SARL", "SCI", "BESA", "UKLTD")}
    return found


def test_the_legal_form_and_merchant_columns_reach_the_customer(packs):
    customers = packs["_customers"]
    assert customers["SCI"].legal_form == "SCI"
    assert customers["SCI"].merchant is None
    assert customers["UKLTD"].merchant is True


def test_a_french_sarl_goes_to_the_commercial_court_or_the_economic_court_replacing_it(packs):
    route = packs["SARL"]["route"]
    assert (route["debtor_country"], route["standing"], route["standing_reason"]) == (
        "FR",
        "merchant",
        "commercial_form",
    )
    # Paris: the tribunal des activités économiques sits instead of the tribunal de commerce (dated file).
    assert route["court"] == "economic"
    assert route["form"] == "Cerfa 12946*02"
    assert "tribunal des activités économiques" in route["caveat_text"]


def test_a_french_sci_goes_to_the_tribunal_judiciaire(packs):
    route = packs["SCI"]["route"]
    assert (route["standing"], route["standing_reason"]) == ("non_merchant", "civil_company")
    assert (route["court"], route["form"]) == ("judicial", "Cerfa 12948*06")


def test_a_belgian_sa_gets_the_european_order_for_payment_with_its_jurisdiction_caveat(packs):
    route = packs["BESA"]["route"]
    assert (route["debtor_country"], route["scope"], route["court"]) == ("BE", "eu", "european")
    assert "1896/2006" in route["form"]
    assert route["small_claims"] is False
    assert [caveat["code"] for caveat in route["caveats"]] == ["eu_jurisdiction"]


def test_a_uk_ltd_is_cross_border_with_no_french_form_and_its_indemnity_stays_in_euros(packs):
    pack = packs["UKLTD"]
    route = pack["route"]
    assert (route["debtor_country"], route["scope"], route["court"], route["form"]) == (
        "GB",
        "cross_border",
        None,
        None,
    )
    assert [caveat["code"] for caveat in route["caveats"]] == ["outside_eu"]
    totals = {item["currency"]: item for item in pack["totals"]}
    assert set(totals) == {"GBP", "EUR"}
    assert (totals["EUR"]["principal"], totals["EUR"]["indemnity"]) == ("0.00", "40.00")
    assert (totals["GBP"]["principal"], totals["GBP"]["indemnity"]) == ("2400.00", "0.00")
    assert totals["GBP"]["interest"] not in (None, "0.00")
