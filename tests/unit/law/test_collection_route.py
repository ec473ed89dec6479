"""Where a French creditor's unpaid file goes: the court the debtor's standing and seat give in France,
the European procedures for a debtor in another member state, none for a debtor outside them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.collection import collection_route, economic_courts, standing
from relance.domain.models import Customer, CustomerKind

TODAY = date(2026, 11, 28)


def debtor(
    legal_form: str | None = None,
    address: tuple[str, ...] = ("2 rue des Routiers", "59000 Lille"),
    country: str = "FR",
    kind: CustomerKind = CustomerKind.BUSINESS,
    merchant: bool | None = None,
) -> Customer:
    return Customer(
        "C1", "Débiteur", "d@example.org", kind=kind, address=address, country=country, legal_form=legal_form,
        merchant=merchant,
    )  # fmt: skip


def claimed(principal: str, interest: str = "10.00", currency: str = "EUR") -> list[dict]:
    return [
        {
            "currency": currency,
            "principal": Decimal(principal),
            "interest": Decimal(interest),
            "incomplete": False,
        }
    ]


def route(customer: Customer, amount: str = "9000.00", currency: str = "EUR", on: date = TODAY) -> dict:
    return collection_route("FR", customer, claimed(amount, currency=currency), on)


def test_a_french_sarl_goes_to_the_commercial_court_of_its_seat_on_cerfa_12946():
    found = route(debtor("S.A.R.L."))

    assert (found["scope"], found["court"], found["form"]) == ("domestic", "commercial", "Cerfa 12946*02")
    assert found["court_certain"] is True
    assert found["caveats"] == []
    assert found["debtor_place"] == "59000 Lille"


@pytest.mark.parametrize(
    ("legal_form", "reason"),
    [
        ("SCI", "civil_company"),
        ("Société civile immobilière", "civil_company"),
        ("SELARL", "liberal_profession"),
        ("SCP", "liberal_profession"),
        ("Association loi 1901", "association"),
        ("GAEC", "farmer"),
        ("EARL", "farmer"),
    ],
)
def test_a_non_merchant_goes_to_the_tribunal_judiciaire_on_cerfa_12948(legal_form: str, reason: str):
    found = route(debtor(legal_form))

    assert (found["court"], found["form"]) == ("judicial", "Cerfa 12948*06")
    assert found["standing_reason"] == reason


def test_an_sci_in_a_tae_city_still_goes_to_the_tribunal_judiciaire():
    found = route(debtor("SCI", address=("10 quai Rambaud", "69002 Lyon")))

    assert found["court"] == "judicial"
    assert found["economic_court"] is None


def test_a_consumer_goes_to_the_judicial_court_with_a_two_year_limitation():
    found = route(debtor(kind=CustomerKind.CONSUMER))

    assert (found["court"], found["limitation_years"], found["standing"]) == ("judicial", 2, "consumer")


def test_a_company_in_strasbourg_goes_to_the_commercial_chamber_of_the_tribunal_judiciaire():
    found = route(debtor("SAS", address=("1 place Kléber", "67000 STRASBOURG CEDEX")))

    assert found["court"] == "alsace_moselle_commercial"
    assert [caveat["code"] for caveat in found["caveats"]] == ["alsace_moselle"]


def test_a_company_in_lyon_goes_to_the_tribunal_des_activites_economiques_replacing_the_commercial_court():
    found = route(debtor("SAS", address=("10 quai Rambaud", "69002 Lyon")))

    assert found["court"] == "economic"
    assert found["economic_court"] == {"seat": "Lyon", "ressort": "tribunal judiciaire de Lyon"}
    assert found["court_certain"] is True
    assert "Lyon" in found["caveat_text"]


@pytest.mark.parametrize(
    ("address", "seat"),
    [
        (("12 rue des Ateliers", "75011 Paris"), "Paris"),
        (("3 avenue Pablo Picasso", "92000 Nanterre"), "Nanterre"),
        (("5 rue de la République", "84000 Avignon"), "Avignon"),
        (("1 rue Saint-Guillaume", "22000 Saint-Brieuc"), "Saint-Brieuc"),
    ],
)
def test_each_tae_is_found_from_the_debtors_postcode_line(address: tuple[str, ...], seat: str):
    assert route(debtor("SA", address=address))["economic_court"]["seat"] == seat


def test_a_commune_near_a_tae_seat_is_routed_to_the_commercial_court_with_a_check_to_make():
    found = route(debtor("SARL", address=("1 cours Émile Zola", "69100 Villeurbanne")))

    assert found["court"] == "commercial"
    assert found["court_certain"] is False
    assert [caveat["code"] for caveat in found["caveats"]] == ["economic_court_check"]


def test_after_the_experiment_no_tae_is_named():
    ended = economic_courts().valid_until.replace(year=economic_courts().valid_until.year + 1)

    assert route(debtor("SAS", address=("10 quai Rambaud", "69002 Lyon")), on=ended)["court"] == "commercial"


def test_an_entrepreneur_individuel_of_unknown_activity_is_routed_with_a_caveat_unless_declared():
    unknown = route(debtor("EI"))
    declared = route(debtor("EI", merchant=True))
    liberal = route(debtor("EI", merchant=False))

    assert (unknown["court"], unknown["court_certain"]) == ("commercial", False)
    assert unknown["caveats"][0]["code"] == "individual_unknown_activity"
    assert (declared["court"], declared["court_certain"]) == ("commercial", True)
    assert liberal["court"] == "judicial"


def test_a_belgian_sa_gets_the_european_order_for_payment_and_no_french_court():
    found = route(debtor("SA", address=("Rue de la Loi 16", "1000 Bruxelles"), country="BE"))

    assert (found["scope"], found["court"]) == ("eu", "european")
    assert "1896/2006" in found["form"]
    assert found["eu_small_claims"] is False  # 9,000 EUR of principal
    assert found["small_claims"] is False
    assert "Cerfa" not in str(found)


def test_a_small_claim_on_a_belgian_debtor_may_use_european_small_claims():
    found = route(
        debtor("SA", address=("Rue de la Loi 16", "1000 Bruxelles"), country="BE"), amount="4990.00"
    )

    assert found["eu_small_claims"] is True


def test_a_uk_limited_company_is_cross_border_with_no_french_form():
    found = route(
        debtor("Ltd", address=("10 Downing Street", "London SW1A 2AA"), country="GB"), currency="GBP"
    )

    assert (found["scope"], found["court"], found["form"]) == ("cross_border", None, None)
    assert [caveat["code"] for caveat in found["caveats"]] == ["outside_eu"]
    assert "United Kingdom" in found["caveat_text"]
    assert route(debtor("Ltd", country="UK"))["scope"] == "cross_border"


def test_a_danish_debtor_has_no_european_procedure():
    found = route(debtor("ApS", address=("Vesterbrogade 1", "1620 København"), country="DK"))

    assert found["scope"] == "cross_border"
    assert found["caveats"][0]["code"] == "denmark"


def test_the_legal_form_is_read_whatever_its_spelling():
    assert standing(debtor("s.a.s."))[1] == "commercial_form"
    assert standing(debtor("Selarl"))[1] == "liberal_profession"
    assert standing(debtor("société civile"))[1] == "civil_company"
    assert standing(debtor("Micro-entrepreneur"))[1] == "individual_unknown_activity"
