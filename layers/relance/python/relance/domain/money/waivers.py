"""Decisions not to claim interest and indemnity, kept on the claim so a notice can say what was waived."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WaiverScope(StrEnum):
    CUSTOMER = "customer"
    POLICY = "policy"


@dataclass(frozen=True)
class Waiver:
    """Interest and indemnity are computed, then not claimed: `reason` is shown wherever the claim is."""

    reason: str
    scope: WaiverScope = WaiverScope.CUSTOMER

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("a waiver needs a reason")
