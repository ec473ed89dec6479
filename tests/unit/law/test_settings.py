"""The law settings: consumer mediator, postal delay before a notice counts as received, creditor region."""

from __future__ import annotations

import pytest

from relance.config import ConfigError, ConsumerMediator, Settings

BASE = {
    "CUSTOMERS_TABLE": "c",
    "INVOICES_TABLE": "i",
    "EVENTS_TABLE": "e",
    "BUCKET_NAME": "b",
    "SENDER_EMAIL": "relances@example.org",
    "COMPANY_NAME": "Atelier Durand SAS",
}


def test_defaults_name_no_mediator_assume_three_days_in_the_post_and_no_region():
    settings = Settings.from_env(BASE)

    assert settings.consumer_mediator is None
    assert settings.postal_delay_days == 3
    assert settings.creditor_region is None


def test_the_mediator_is_written_name_bar_site():
    settings = Settings.from_env(
        {
            **BASE,
            "CONSUMER_MEDIATOR": " Médiateur de la consommation CM2C | https://www.cm2c.net ",
            "CREDITOR_REGION": "FR-67",
        }
    )

    assert settings.consumer_mediator == ConsumerMediator(
        "Médiateur de la consommation CM2C", "https://www.cm2c.net"
    )
    assert settings.creditor_region == "fr-67"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CONSUMER_MEDIATOR", "CM2C", "must look like"),
        ("CONSUMER_MEDIATOR", "CM2C | www.cm2c.net", "must look like"),
        ("POSTAL_DELAY_DAYS", "three", "is not an integer"),
        ("CREDITOR_REGION", "bretagne", "must be empty or one of"),
    ],
)
def test_a_malformed_law_setting_names_the_variable(name: str, value: str, message: str):
    with pytest.raises(ConfigError, match=message) as caught:
        Settings.from_env({**BASE, name: value})

    assert name in str(caught.value)
