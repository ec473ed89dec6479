"""What happens after the formal notice: when its deadline has run, and where the unpaid file goes.

The route depends on the creditor's law (French procedures only for a French creditor), the debtor's
country (domestic, another EU member state, or outside both EU regulations) and, in France, its legal
form and seat: tribunal de commerce (or the tribunal des activités économiques that replaced it in
twelve places, relance/data/courts/tae.yaml), the chambre commerciale of the tribunal judiciaire in
Alsace-Moselle, or the tribunal judiciaire for non-merchants and consumers. Each route carries its
caveats, as codes (the documents word them) and as English text (for logs and the evidence index).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from typing import Any, Protocol

import yaml

from relance.domain.models import Customer, CustomerKind

# Simplified recovery of small claims (CPCE L125-1, R125-1 to R125-8): principal and interest combined.
SMALL_CLAIMS_LIMIT = Decimal("5000.00")
# European small claims (Regulation (EC) 861/2007, art. 2(1) as amended): principal, excluding interest.
EU_SMALL_CLAIMS_LIMIT = Decimal("5000.00")
_POSTCODE_LINE = re.compile(r"^\s*(\d{5})\s+(\S.*)$")

# EU member states (ISO 3166 codes); Denmark is not bound by Regulations 1896/2006 and 861/2007 (art. 2(3)).
EU_MEMBERS = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    }
)
_NOT_BOUND = frozenset({"DK"})


# ---------------------------------------------------------------- the formal notice's deadline


class _Closed(Protocol):
    def is_open(self, day: date) -> bool: ...


def earliest_suspension(
    letter_date: date,
    deadline_days: int,
    *,
    received_on: date | None = None,
    postal_delay_days: int = 3,
    calendar: _Closed | None = None,
) -> date:
    """The first day the creditor may act on a formal notice that gave `deadline_days` from receipt.

    The deadline runs from receipt ("sous huit jours à compter de la réception"): from `received_on` when
    the acknowledgment of receipt is recorded, else from `letter_date` + `postal_delay_days`. The day of
    receipt does not count; the debtor has the whole last day, so the creditor acts the day after. With a
    `calendar`, a last day that falls on a closed day moves to the next open one, as procedural deadlines
    do (Code de procédure civile, art. 642): acting a day later costs nothing, a day early voids the step.
    """
    if deadline_days < 1:
        raise ValueError(f"a deadline of {deadline_days} days gives the debtor no time")
    if received_on is not None and received_on < letter_date:
        raise ValueError(f"receipt on {received_on} is before the letter of {letter_date}")
    start = received_on if received_on is not None else letter_date + timedelta(days=postal_delay_days)
    last_day = start + timedelta(days=deadline_days)
    if calendar is not None:
        while not calendar.is_open(last_day):
            last_day += timedelta(days=1)
    return last_day + timedelta(days=1)


# ---------------------------------------------------------------- who the debtor is


class Standing(StrEnum):
    """What the debtor is for the choice of a French court."""

    MERCHANT = "merchant"
    """Commercial company, merchant or artisan: tribunal de commerce (Code de commerce, L721-3)."""
    NON_MERCHANT = "non_merchant"
    """Civil company, liberal profession, association, farmer: tribunal judiciaire."""
    CONSUMER = "consumer"
    UNKNOWN = "unknown"
    """A business whose form does not say: commercial court if it is a merchant, else judicial."""


_COMMERCIAL = {"SA", "SAS", "SASU", "SARL", "SARLU", "EURL", "SNC", "SCS", "SCA", "SE"}
# Code de commerce L721-5: the tribunal judiciaire alone hears actions against an SEL or an SPFPL.
_LIBERAL = {"SEL", "SELARL", "SELARLU", "SELEURL", "SELAS", "SELASU", "SELAFA", "SELCA", "SCP", "SPFPL"}
_CIVIL = {"SC", "SCI", "SCM", "SCCV", "SCPI", "SOCIETE CIVILE", "SOCIETE CIVILE IMMOBILIERE"}
_NON_PROFIT = {
    "ASSOCIATION",
    "ASSO",
    "ASSOCIATION LOI 1901",
    "FONDATION",
    "SYNDICAT",
    "SYNDICAT DE COPROPRIETE",
}
_FARM = {"GAEC", "EARL", "SCEA", "CUMA", "GFA", "GFV", "EXPLOITANT AGRICOLE", "EXPLOITATION AGRICOLE"}
_INDIVIDUAL = {
    "EI",
    "EIRL",
    "ENTREPRENEUR INDIVIDUEL",
    "ENTREPRISE INDIVIDUELLE",
    "MICRO ENTREPRENEUR",
    "MICRO ENTREPRISE",
    "AUTO ENTREPRENEUR",
}


def _words(text: str) -> str:
    """Capitals without accents, dots, hyphens, apostrophes or repeated spaces: 'S.A.R.L.' is 'SARL'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    plain = plain.replace(".", "")
    return " ".join(re.sub(r"[-_'’/()]", " ", plain).split())


def standing(customer: Customer) -> tuple[Standing, str]:
    """The debtor's standing and the reason code: commercial_form, liberal_profession, civil_company,
    association, farmer, consumer, declared_merchant, declared_non_merchant, individual_unknown_activity
    or legal_form_unknown."""
    if customer.kind is CustomerKind.CONSUMER:
        return Standing.CONSUMER, "consumer"
    form = _words(customer.legal_form or "")
    for forms, found, reason in (
        (_LIBERAL, Standing.NON_MERCHANT, "liberal_profession"),
        (_CIVIL, Standing.NON_MERCHANT, "civil_company"),
        (_NON_PROFIT, Standing.NON_MERCHANT, "association"),
        (_FARM, Standing.NON_MERCHANT, "farmer"),
        (_COMMERCIAL, Standing.MERCHANT, "commercial_form"),
    ):
        if form in forms:
            return found, reason
    if customer.merchant is not None:
        return (
            (Standing.MERCHANT, "declared_merchant")
            if customer.merchant
            else (Standing.NON_MERCHANT, "declared_non_merchant")
        )
    if form in _INDIVIDUAL:
        return Standing.UNKNOWN, "individual_unknown_activity"
    return Standing.UNKNOWN, "legal_form_unknown"


def names_a_person(customer: Customer) -> bool:
    """Whether the customer's name is a natural person's: a consumer's, or an entrepreneur individuel's
    (whose trade name is usually their own). Data protection covers those names, not a company's."""
    return customer.kind is CustomerKind.CONSUMER or _words(customer.legal_form or "") in _INDIVIDUAL


# ---------------------------------------------------------------- where the debtor is


@dataclass(frozen=True)
class FrenchPlace:
    postcode: str
    commune: str
    line: str

    @property
    def department(self) -> str:
        return self.postcode[:3] if self.postcode.startswith("97") else self.postcode[:2]


def french_place(customer: Customer) -> FrenchPlace | None:
    """The address line that starts with a French postcode ('67000 Strasbourg Cedex'), if any."""
    for line in customer.address:
        match = _POSTCODE_LINE.match(line)
        if match:
            commune = re.sub(r"\bCEDEX\b.*$", "", _words(match.group(2))).strip()
            return FrenchPlace(match.group(1), commune, line.strip())
    return None


ALSACE_MOSELLE = frozenset({"57", "67", "68"})


@dataclass(frozen=True)
class EconomicCourt:
    """A tribunal des activités économiques, the tribunal de commerce it replaced while the test lasts."""

    seat: str
    ressort: str
    departments: frozenset[str]
    partly: frozenset[str]
    communes: frozenset[str]


@dataclass(frozen=True)
class EconomicCourts:
    courts: tuple[EconomicCourt, ...]
    valid_from: date
    valid_until: date
    source: str

    def sitting(self, on: date | None) -> tuple[EconomicCourt, ...]:
        return self.courts if on is None or self.valid_from <= on <= self.valid_until else ()


@functools.cache
def economic_courts() -> EconomicCourts:
    """relance/data/courts/tae.yaml, the dated list of the twelve TAE and their ressorts."""
    text = (resources.files("relance") / "data" / "courts" / "tae.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    courts = tuple(
        EconomicCourt(
            seat=entry["seat"],
            ressort=entry["ressort"],
            departments=frozenset(entry.get("departments", ())),
            partly=frozenset(entry.get("partly", ())),
            communes=frozenset(_words(commune) for commune in entry.get("communes", ())),
        )
        for entry in document["courts"]
    )
    return EconomicCourts(
        courts=courts,
        valid_from=document["valid_from"],
        valid_until=document["valid_until"],
        source=" ".join(document["source"].split()),
    )


def economic_court_for(place: FrenchPlace, on: date | None = None) -> tuple[EconomicCourt | None, bool]:
    """The TAE whose ressort holds `place`, and whether the match is certain; (None, True) when none.

    A commune outside the seat, in a department the TAE covers only in part, gives (that TAE, False).
    """
    partial = None
    for court in economic_courts().sitting(on):
        if place.department in court.departments or (
            place.department in court.partly and place.commune in court.communes
        ):
            return court, True
        if place.department in court.partly:
            partial = court
    return (partial, False) if partial else (None, True)


# ---------------------------------------------------------------- the route


_CAVEATS = {
    "legal_form_unknown": (
        "The debtor's legal form is not recorded: the commercial court hears the claim only if the debtor "
        "is a commercial company, merchant or artisan; otherwise the tribunal judiciaire, on Cerfa 12948*06."
    ),
    "individual_unknown_activity": (
        "An entrepreneur individuel goes to the commercial court only as a merchant or artisan; as a "
        "liberal profession or farmer, to the tribunal judiciaire on Cerfa 12948*06."
    ),
    "economic_court": (
        "The tribunal des activités économiques of {seat} replaced the tribunal de commerce for the "
        "ressort of the {ressort} (experiment from 1 January 2025); Cerfa 12946*02 is the commercial "
        "court's form: confirm it with the court's registry."
    ),
    "economic_court_check": (
        "Part of this department is in the ressort of the tribunal des activités économiques of {seat} "
        "({ressort}): if the debtor's commune is, the claim goes there instead of the tribunal de commerce."
    ),
    "alsace_moselle": (
        "In the Moselle, Bas-Rhin and Haut-Rhin, commercial cases go to the chambre commerciale of the "
        "tribunal judiciaire; confirm the form with its registry."
    ),
    "postcode_unknown": "No French postcode in the debtor's address: the court's seat cannot be placed.",
    "eu_jurisdiction": (
        "Courts of the debtor's member state, or of the place where the goods were delivered or the "
        "services provided (Regulation (EU) 1215/2012, art. 4 and 7(1))."
    ),
    "eu_small_claims_currency": (
        "The European small claims limit (5,000 EUR, interest excluded) is in euros: convert the claim to "
        "check it."
    ),
    "denmark": (
        "Denmark applies neither Regulation 1896/2006 nor 861/2007: no European procedure; a French "
        "judgment is recognised there under Regulation 1215/2012."
    ),
    "outside_eu": (
        "The debtor is outside the EU order-for-payment and small-claims regulations (the United Kingdom "
        "since 1 January 2021): no French form applies; instruct a lawyer or collection agency in the "
        "debtor's country."
    ),
}


def _caveat(code: str, **values: str) -> dict[str, Any]:
    return {"code": code, "text": _CAVEATS[code].format(**values), **values}


def collection_route(
    country: str, customer: Customer, claimed: Sequence[dict[str, Any]], on: date | None = None
) -> dict[str, Any]:
    """Where the file goes if the debtor still does not pay, under French law (late-payment-law.md).

    `claimed` holds the totals per currency (principal, interest, incomplete) of the hand-off pack. For a
    debtor in France: the simplified small-claims procedure when principal and interest are at most
    5,000 EUR (it needs the debtor's agreement), else or failing it the injonction de payer, before the
    court its standing and seat give. For a debtor in another member state: the European order for
    payment, or European small claims up to 5,000 EUR of principal. Elsewhere (the UK): cross-border, no
    French form. `on` dates the list of economic courts (today); None takes the list as it stands.
    """
    if country != "FR":
        return {"applicable": False, "country": country}
    who, why = standing(customer)
    debtor_country = _country(customer.country)
    in_euros = all(item["currency"] == "EUR" for item in claimed)
    complete = not any(item["incomplete"] for item in claimed)
    amount = sum(
        (item["principal"] + item["interest"] for item in claimed if item["currency"] == "EUR"), Decimal(0)
    )
    principal = sum((item["principal"] for item in claimed if item["currency"] == "EUR"), Decimal(0))
    place = french_place(customer) if debtor_country == "FR" else None
    route: dict[str, Any] = {
        "applicable": True,
        "country": country,
        "debtor_country": debtor_country,
        "standing": str(who),
        "standing_reason": why,
        "small_claims_amount": amount,
        "small_claims_limit": SMALL_CLAIMS_LIMIT,
        "debtor_place": place.line if place else _postcode_line(customer),
        "limitation_years": 2 if who is Standing.CONSUMER else 5,
        "economic_court": None,
        "eu_small_claims": False,
        "caveats": [],
    }
    if debtor_country != "FR":
        route.update(_abroad(debtor_country, in_euros, principal))
        route["small_claims"] = False
        route["small_claims_why_not"] = "abroad"
    else:
        route.update(_domestic(who, why, place, on))
        route["small_claims_why_not"] = _small_claims_why_not(in_euros, complete, amount)
        route["small_claims"] = route["small_claims_why_not"] is None
    route["caveat_text"] = " ".join(caveat["text"] for caveat in route["caveats"])
    return route


def _domestic(who: Standing, why: str, place: FrenchPlace | None, on: date | None) -> dict[str, Any]:
    caveats: list[dict[str, Any]] = []
    if who in (Standing.CONSUMER, Standing.NON_MERCHANT):
        return {
            "scope": "domestic",
            "court": "judicial",
            "form": "Cerfa 12948*06",
            "court_certain": True,
            "caveats": caveats,
        }
    if who is Standing.UNKNOWN:
        caveats.append(_caveat(why))
    court, economic, certain = "commercial", None, who is Standing.MERCHANT
    if place is None:
        caveats.append(_caveat("postcode_unknown"))
    elif place.department in ALSACE_MOSELLE:
        court = "alsace_moselle_commercial"
        caveats.append(_caveat("alsace_moselle"))
    else:
        tae, sure = economic_court_for(place, on)
        if tae is not None and sure:
            court, economic = "economic", {"seat": tae.seat, "ressort": tae.ressort}
            caveats.append(_caveat("economic_court", seat=tae.seat, ressort=tae.ressort))
        elif tae is not None:
            certain = False
            caveats.append(_caveat("economic_court_check", seat=tae.seat, ressort=tae.ressort))
    return {
        "scope": "domestic",
        "court": court,
        "form": "Cerfa 12946*02",
        "economic_court": economic,
        "court_certain": certain,
        "caveats": caveats,
    }


def _abroad(debtor_country: str, in_euros: bool, principal: Decimal) -> dict[str, Any]:
    if debtor_country in EU_MEMBERS and debtor_country not in _NOT_BOUND:
        caveats = [_caveat("eu_jurisdiction")]
        if not in_euros:
            caveats.append(_caveat("eu_small_claims_currency"))
        return {
            "scope": "eu",
            "court": "european",
            "form": "Form A, Regulation (EC) 1896/2006, Annex I",
            "eu_small_claims": in_euros and principal <= EU_SMALL_CLAIMS_LIMIT,
            "eu_small_claims_limit": EU_SMALL_CLAIMS_LIMIT,
            "court_certain": False,
            "caveats": caveats,
        }
    return {
        "scope": "cross_border",
        "court": None,
        "form": None,
        "court_certain": False,
        "caveats": [_caveat("denmark" if debtor_country in _NOT_BOUND else "outside_eu")],
    }


def _small_claims_why_not(in_euros: bool, complete: bool, amount: Decimal) -> str | None:
    if not in_euros:
        return "currency"
    if not complete:
        return "incomplete"
    if amount > SMALL_CLAIMS_LIMIT:
        return "over_limit"
    return None


def _country(code: str) -> str:
    code = (code or "FR").strip().upper()
    return "GB" if code == "UK" else code


def _postcode_line(customer: Customer) -> str | None:
    """An address line starting with any postcode, for a debtor abroad (a UK postcode is not French)."""
    return next((line for line in customer.address if re.match(r"^\s*\d{4,5}\s+\S", line)), None)
