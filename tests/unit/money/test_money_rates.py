"""Rate tables are dated, sourced data; a rate that is missing or unverified is never used silently."""

from __future__ import annotations

import ast
import itertools
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from relance.domain.money import (
    HalfYear,
    Jurisdiction,
    MissingRateError,
    RateTable,
    RateTableError,
    UnverifiedRateError,
    compute_claim,
    load_rate_book,
)

D = Decimal
RATES_DIR = resources.files("relance") / "data" / "rates"


def test_each_french_half_year_rate_is_the_mro_in_force_on_1_january_or_1_july_plus_10_points(book):
    statutory = Jurisdiction.FR.rules.statutory_rate
    half_years = book.periods(RateTable.ECB_MRO)
    assert len(half_years) >= 7

    for period in half_years:
        published = book.rate_for(RateTable.ECB_MRO, period)
        in_force = book.mro_history.in_force_on(period.start)
        assert published.percent == in_force, (
            f"{period}: fr.yaml says {published.percent}, ecb.yaml {in_force}"
        )
        assert statutory.percent(published) == in_force + 10


def test_the_reference_half_year_table_is_what_the_rate_book_holds(book):
    # half-year: (MRO, B2B rate, legal individual, legal other, floor) from the reference file.
    reference = {
        "2023-H1": ("2.50", "12.50", "4.47", "2.06", "6.18"),
        "2023-H2": ("4.00", "14.00", "6.82", "4.22", "12.66"),
        "2024-H1": ("4.50", "14.50", "8.01", "5.07", "15.21"),
        "2024-H2": ("4.25", "14.25", "8.16", "4.92", "14.76"),
        "2025-H1": ("3.15", "13.15", "7.21", "3.71", "11.13"),
        "2025-H2": ("2.15", "12.15", "6.65", "2.76", "8.28"),
        "2026-H1": ("2.15", "12.15", "6.67", "2.62", "7.86"),
    }
    statutory = Jurisdiction.FR.rules.statutory_rate
    for label, (mro, b2b, individual, other, floor) in reference.items():
        period = HalfYear.parse(label)
        published = book.rate_for(RateTable.ECB_MRO, period)
        assert published.percent == D(mro)
        assert statutory.percent(published) == D(b2b)
        assert book.rate_for(RateTable.FR_LEGAL_INDIVIDUAL, period).percent == D(individual)
        legal_other = book.rate_for(RateTable.FR_LEGAL_OTHER, period).percent
        assert legal_other == D(other)
        assert 3 * legal_other == D(floor)


def test_every_table_is_contiguous_and_every_entry_names_its_source(book):
    for table in RateTable:
        periods = book.periods(table)
        assert periods, table
        for earlier, later in itertools.pairwise(periods):
            assert later == earlier.next(), f"{table}: gap after {earlier}"
        for period in periods:
            assert book.rate_for(table, period, allow_unverified=True).source.strip()


def test_only_the_rates_the_reference_marks_unverified_are_flagged(book):
    flagged = {
        (table, str(period))
        for table in RateTable
        for period in book.periods(table)
        if not book.rate_for(table, period, allow_unverified=True).verified
    }

    assert flagged == {(RateTable.DE_BASE, "2026-H2"), (RateTable.UK_REFERENCE, "2026-H2")}


def test_french_2026_h2_is_absent_because_no_value_was_published(book):
    assert HalfYear(2026, 2) not in book.periods(RateTable.ECB_MRO)
    assert HalfYear(2026, 2) not in book.periods(RateTable.FR_LEGAL_OTHER)


def test_a_claim_needing_a_missing_rate_fails_naming_the_table_the_half_year_and_the_file(book):
    with pytest.raises(MissingRateError) as caught:
        compute_claim(
            Jurisdiction.FR,
            amount=D("1000.00"),
            currency="EUR",
            due=date(2026, 6, 15),
            as_of=date(2026, 7, 1),
            rates=book,
        )

    message = str(caught.value)
    assert "no ECB main refinancing rate for 2026-H2 in rates/fr.yaml" in message
    assert "2023-H1 to 2026-H1" in message
    assert (caught.value.table, caught.value.period) == ("ECB main refinancing rate", "2026-H2")


def test_a_rate_before_the_table_starts_is_missing_too(book):
    with pytest.raises(MissingRateError, match="no German base rate for 2022-H2"):
        compute_claim(
            Jurisdiction.DE,
            amount=D("1000.00"),
            currency="EUR",
            due=date(2022, 12, 1),
            as_of=date(2023, 1, 5),
            rates=book,
        )


def test_an_unverified_rate_is_refused_unless_explicitly_allowed(book):
    arguments = {
        "amount": D("36500.00"),
        "currency": "EUR",
        "due": date(2026, 6, 30),
        "as_of": date(2026, 7, 10),
        "rates": book,
    }
    with pytest.raises(
        UnverifiedRateError, match=r"German base rate for 2026-H2 in rates/de\.yaml.*unverified"
    ):
        compute_claim(Jurisdiction.DE, **arguments)

    claim = compute_claim(Jurisdiction.DE, allow_unverified=True, **arguments)

    assert [p.rate for p in claim.periods] == [D("10.52")]
    assert any("unverified" in w and "2026-H2" in w for w in claim.warnings)


def test_an_unverified_rate_error_is_also_a_missing_rate_error():
    assert issubclass(UnverifiedRateError, MissingRateError)


def test_the_mro_history_does_not_extend_past_what_was_confirmed(book):
    assert book.mro_history.in_force_on(date(2025, 6, 11)) == D("2.15")
    assert book.mro_history.in_force_on(date(2025, 6, 10)) == D("2.40")
    with pytest.raises(MissingRateError, match="2026-07-01"):
        book.mro_history.in_force_on(date(2026, 7, 1))


def test_uk_rows_are_keyed_by_the_half_year_a_debt_became_late_in(book):
    # Bank Rate was 4.75 on 31 Dec 2024 and 4.25 on 30 June 2025 (the loader checks `in_force_on`).
    assert book.rate_for(RateTable.UK_REFERENCE, HalfYear(2025, 1)).percent == D("4.75")
    assert book.rate_for(RateTable.UK_REFERENCE, HalfYear(2025, 2)).percent == D("4.25")


# Override directory and malformed tables


def copy_packaged(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    target.write_text((RATES_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_an_override_directory_supplies_next_half_year_without_a_code_change(tmp_path):
    fr = copy_packaged(tmp_path, "fr.yaml")
    fr.write_text(
        fr.read_text(encoding="utf-8")
        + "  - half: 2026-H2\n"
        + '    ecb_mro: "2.00"\n'
        + '    legal_rate_individual: "6.00"\n'
        + '    legal_rate_other: "2.50"\n'
        + "    source: test fixture\n",
        encoding="utf-8",
    )
    book = load_rate_book(tmp_path)

    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("36500.00"),
        currency="EUR",
        due=date(2026, 6, 30),
        as_of=date(2026, 7, 10),
        rates=book,
    )

    assert [(p.rate, p.interest) for p in claim.periods] == [(D("12.00"), D("120.00"))]
    # Files the directory does not hold still come from the package.
    assert book.periods(RateTable.DE_BASE)[0] == HalfYear(2023, 1)


def test_errors_from_an_override_name_the_file_actually_read(tmp_path):
    fr = copy_packaged(tmp_path, "fr.yaml")
    fr.write_text(fr.read_text(encoding="utf-8").split("  - half: 2025-H2")[0], encoding="utf-8")

    with pytest.raises(MissingRateError, match=f"for 2025-H2 in {tmp_path / 'fr.yaml'}"):
        compute_claim(
            Jurisdiction.FR,
            amount=D("1000.00"),
            currency="EUR",
            due=date(2025, 6, 1),
            as_of=date(2025, 7, 2),
            rates=load_rate_book(tmp_path),
        )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - {half: 2027-H1, base_rate: 1.5, source: x}\n", 'write the rate quoted, like "1.5"'),
        ('  - {half: 2027-H1, base_rate: "1.50"}\n', "has no `source`"),
        ('  - {half: 2027-1, base_rate: "1.50", source: x}\n', "written like 2025-H2"),
        ('  - {half: 2023-H1, base_rate: "1.62", source: x}\n', "2023-H1 appears twice"),
        ('  - {half: 2027-H1, base_rate: "1.50", source: x, verified: "no"}\n', "must be true or false"),
    ],
)
def test_a_malformed_entry_is_refused_when_the_tables_are_loaded(tmp_path, entry, message):
    de = copy_packaged(tmp_path, "de.yaml")
    de.write_text(de.read_text(encoding="utf-8") + entry, encoding="utf-8")

    with pytest.raises(RateTableError, match=message):
        load_rate_book(tmp_path)


def test_a_uk_entry_read_on_the_wrong_day_is_refused(tmp_path):
    uk = copy_packaged(tmp_path, "uk.yaml")
    uk.write_text(
        uk.read_text(encoding="utf-8")
        + '  - {half: 2027-H1, reference_rate: "3.50", in_force_on: 2026-06-30, source: x}\n',
        encoding="utf-8",
    )

    with pytest.raises(RateTableError, match="debts late in 2027-H1 take Bank Rate in force on 2026-12-31"):
        load_rate_book(tmp_path)


def test_a_missing_override_directory_is_an_error_not_a_silent_fallback(tmp_path):
    with pytest.raises(RateTableError, match="does not exist"):
        load_rate_book(tmp_path / "nowhere")


def test_the_money_domain_imports_nothing_from_aws_or_templating():
    forbidden = {"boto3", "botocore", "pynamodb", "jinja2"}
    package = Path(resources.files("relance") / "domain" / "money")
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {name.split(".")[0] for name in names} & forbidden, f"{module.name} imports {names}"
