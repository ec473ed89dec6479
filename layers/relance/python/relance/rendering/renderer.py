"""The documents as people receive them: Jinja2 emails and reportlab PDFs (reportlab loads on first PDF)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relance.ports import RenderedEmail
from relance.rendering.environment import render_email


class TemplateRenderer:
    def email(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        return render_email(template, dict(context))

    def formal_notice(self, context: Mapping[str, Any]) -> bytes:
        from relance.rendering.pdf import formal_notice_pdf

        return formal_notice_pdf(dict(context))

    def handoff_summary(self, context: Mapping[str, Any]) -> bytes:
        from relance.rendering.pdf import handoff_summary_pdf

        return handoff_summary_pdf(dict(context))
