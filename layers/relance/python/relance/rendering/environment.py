"""The Jinja2 environment: autoescaped HTML, strict about missing variables, with locale filters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, Undefined, pass_context
from jinja2.runtime import Context

from relance.assets import asset_dir
from relance.ports import RenderedEmail
from relance.rendering import formatting

__all__ = ["RenderedEmail", "environment", "escapes", "render_email", "render_letter"]


def _defined(*values: Any) -> None:
    """A filter given a missing variable fails as the template would, not deep inside Babel."""
    for value in values:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()


@pass_context
def _money(context: Context, amount: Decimal, currency: str) -> str:
    _defined(amount, currency)
    return formatting.money(amount, currency, context["language"])


@pass_context
def _long_date(context: Context, day: date) -> str:
    _defined(day)
    return formatting.long_date(day, context["language"])


@pass_context
def _short_date(context: Context, day: date) -> str:
    _defined(day)
    return formatting.short_date(day, context["language"])


@pass_context
def _percent(context: Context, rate: Decimal) -> str:
    _defined(rate)
    return formatting.percent(rate, context["language"])


def _nowrap(text: str) -> str:
    """An IBAN or a phone number kept on one line: a split one is misread or miscopied."""
    _defined(text)
    return text.replace(" ", "\u00a0")


# Escaped outputs: HTML emails, and letters (.xml.j2), whose markup reportlab reads (a name may hold "<"
# or "&"). Text parts and subjects are not HTML: escaping them would print "&amp;" to the customer.
_ESCAPED = (".html", ".xml")


def escapes(template_name: str | None) -> bool:
    """Whether a template's output is escaped. Jinja's select_autoescape looks at the last extension
    only, which is `.j2` for every file here, so it would escape nothing."""
    if template_name is None:
        return True
    return template_name.lower().removesuffix(".j2").endswith(_ESCAPED)


@cache
def environment(directory: Path | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(directory or asset_dir("templates"))),
        autoescape=escapes,  # noqa: S701 - on for .html.j2 and .xml.j2, tested in tests/unit/rendering
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        money=_money, long_date=_long_date, short_date=_short_date, percent=_percent, nowrap=_nowrap
    )
    return env


def _block(template: Template, name: str, context: dict[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(context))).strip()


def render_email(name: str, context: dict[str, Any], directory: Path | None = None) -> RenderedEmail:
    """Renders `<language>/email/<name>.{txt,html}.j2`; the subject is the text template's subject block."""
    env = environment(directory)
    language = context["language"]
    formatting.locale_for(language)
    text_template = env.get_template(f"{language}/email/{name}.txt.j2")
    subject = " ".join(_block(text_template, "subject", context).split())
    full = {**context, "subject": subject}
    return RenderedEmail(
        subject=subject,
        text=text_template.render(full),
        html=env.get_template(f"{language}/email/{name}.html.j2").render(full),
    )


def render_letter(name: str, context: dict[str, Any], directory: Path | None = None) -> dict[str, str]:
    """Renders `<language>/letter/<name>.xml.j2` into its named blocks (escaped reportlab paragraphs)."""
    env = environment(directory)
    template = env.get_template(f"{context['language']}/letter/{name}.xml.j2")
    return {block: _block(template, block, context) for block in template.blocks}
