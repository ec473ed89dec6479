"""The formal notice as an A4 PDF: fonts embedded, euro sign and accents right, text extractable.

reportlab, because it renders a page in a few milliseconds with no system library (WeasyPrint needs
Pango and Cairo, which Lambda lacks). Output is byte-for-byte reproducible for the same content
(invariant mode), so a retried write of a notice finds the same SHA-256.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from relance.rendering import formatting
from relance.rendering.environment import render_letter

_FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONT, BOLD = "RelanceSans", "RelanceSans-Bold"


@cache
def _register_fonts() -> None:
    # Bitstream Vera ships with reportlab and covers Latin-1, the euro sign and French typography.
    pdfmetrics.registerFont(TTFont(FONT, str(_FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(_FONT_DIR / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _pdf_text(text: str) -> str:
    # Babel's French grouping uses a narrow no-break space that Vera lacks; a no-break space reads the same.
    return text.replace("\u202f", "\u00a0")


@cache
def _styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, spaceAfter=5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "title": ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=15, leading=19, spaceBefore=6, spaceAfter=8
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0),
        "cell_right": ParagraphStyle(
            "cell_right", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=TA_RIGHT
        ),
    }


def _paragraphs(block: str, style: ParagraphStyle) -> list[Flowable]:
    return [
        Paragraph(_pdf_text(part.strip().replace("\n", " ")), style)
        for part in block.split("\n\n")
        if part.strip()
    ]


def _party(lines: list[str], style: ParagraphStyle) -> Paragraph:
    return Paragraph("<br/>".join(_pdf_text(escape(line)) for line in lines if line), style)


def formal_notice_pdf(context: dict[str, Any], templates: Path | None = None) -> bytes:
    """Lays out the letter blocks of `<language>/letter/formal_notice.xml.j2` around the invoice table."""
    styles = _styles()
    blocks = render_letter("formal_notice", context, templates)
    language = context["language"]
    company, customer, summary = context["company"], context["customer"], context["summary"]
    siren = blocks["siren_label"]

    creditor = [
        company["name"],
        *(company["address"]),
        f"{siren} {company['siren']}" if company["siren"] else "",
    ]
    debtor = [
        customer["name"],
        *(customer["address"]),
        f"{siren} {customer['siren']}" if customer.get("siren") else "",
    ]
    heading = Table(
        [[_party(creditor, styles["body"]), _party(debtor, styles["body"])]],
        colWidths=[95 * mm, 75 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )

    def money(amount: Any, unknown: str = "") -> str:
        return (
            unknown if amount is None else _pdf_text(formatting.money(amount, summary["currency"], language))
        )

    def day(value: Any) -> str:
        return formatting.short_date(value, language)

    cell, cell_right = styles["cell"], styles["cell_right"]
    headers = blocks["table_headers"].split("|")
    rows: list[list[Any]] = [
        [Paragraph(f"<b>{h}</b>", cell_right if i >= 3 else cell) for i, h in enumerate(headers)]
    ]
    for line in context["invoices"]:
        rows.append(
            [
                Paragraph(_pdf_text(escape(line["number"])), cell),
                Paragraph(day(line["issue_date"]), cell),
                Paragraph(day(line["due_date"]), cell),
                Paragraph(money(line["total"]), cell_right),
                Paragraph(money(line["paid"]), cell_right),
                Paragraph(money(line["balance"]), cell_right),
                Paragraph(money(line["interest"]), cell_right),
                Paragraph(money(line["indemnity"]), cell_right),
            ]
        )
    rows.append(
        [
            Paragraph(f"<b>{blocks['table_total']}</b>", cell),
            "",
            "",
            "",
            "",
            Paragraph(f"<b>{money(summary['principal'])}</b>", cell_right),
            Paragraph(f"<b>{money(summary['interest'])}</b>", cell_right),
            Paragraph(f"<b>{money(summary['indemnity'])}</b>", cell_right),
        ]
    )
    table = Table(
        rows, colWidths=[30 * mm, 18 * mm, 18 * mm, 22 * mm, 20 * mm, 22 * mm, 20 * mm, 20 * mm], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f4f4f4")]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )

    story: list[Flowable] = [heading, Spacer(1, 6 * mm)]
    story += _paragraphs(blocks["mode"], styles["small"])
    story += _paragraphs(blocks["place_date"], styles["right"])
    story += _paragraphs(blocks["subject"], styles["body"])
    story += _paragraphs(blocks["title"], styles["title"])
    story += _paragraphs(blocks["body"], styles["body"])
    story += [Spacer(1, 2 * mm), table, Spacer(1, 4 * mm)]
    for name in ("breakdown", "deadline", "legal", "consequences", "payment", "signature"):
        story += _paragraphs(blocks[name], styles["small"] if name == "legal" else styles["body"])

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_pdf_text(blocks["title"]),
        author=company["name"],
        subject=context["numbers"],
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()
