"""Attribute types that keep money exact and dates sortable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pynamodb.attributes import Attribute
from pynamodb.constants import NUMBER, STRING


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read back as Decimal; pynamodb's NumberAttribute would go through float."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        if not isinstance(value, Decimal):
            raise TypeError(f"{self.attr_name} holds money and takes a Decimal, not {type(value).__name__}")
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class DateAttribute(Attribute[date]):
    """An ISO date (YYYY-MM-DD), so that string order is date order in key conditions."""

    attr_type = STRING

    def serialize(self, value: date) -> str:
        return value.isoformat()

    def deserialize(self, value: str) -> date:
        return date.fromisoformat(value)
