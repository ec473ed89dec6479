"""PDF documents that may end up before a judge: the formal notice and the hand-off summary.

A4, fonts embedded, euro sign and accents right, text extractable, every page numbered "n/N" with the
document's reference (a page shown alone still says what it belongs to). reportlab, because it renders a
page in a few milliseconds with no system library (WeasyPrint needs Pango and Cairo, which Lambda lacks).
Output is byte-for-byte reproducible for the same content (invariant mode), so a retried write of a
document finds the same SHA-256.

Wording lives in `templates/<language>/letter/*.xml.j2` (named blocks, escaped reportlab markup); this
module only lays the blocks out around the tables.

reportlab (and Pillow, which it imports) is loaded by the first document drawn, not by importing this
module: the services that may print a letter import it, and most invocations print none (cold starts).
"""

from __future__ import annotations

import html
import io
import unicodedata
from collections.abc import Sequence
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from relance.rendering import formatting
from relance.rendering.environment import render_letter

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Flowable, Paragraph, Table

# reportlab.lib.units.mm and reportlab.lib.pagesizes.A4, computed as reportlab does (same floats, same
# bytes): the layout below is written with them at module level, where reportlab is not imported.
mm = 72.0 / 2.54 * 0.1
A4 = (210 * mm, 297 * mm)
FONT, BOLD = "RelanceSans", "RelanceSans-Bold"
_MARGIN = 18 * mm
# The text column: the page less its margins and the frame's own padding (6 points a side).
_WIDTH = A4[0] - 2 * _MARGIN - 12


@cache
def _register_fonts() -> None:
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(reportlab.__file__).parent / "fonts"
    # Bitstream Vera ships with reportlab and covers Latin-1, the euro sign, French typography and most
    # Central European letters (ł, č, ş); reportlab embeds the subset a document uses.
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


class _Glyphs(dict[int, Any]):
    """str.translate table: characters the font has stay, the others become the nearest it has.

    Babel's French grouping uses a narrow no-break space that Vera lacks (a no-break space reads the
    same); a letter outside the font would print as an empty box, so it loses its accent instead (ț -> t).
    """

    def __missing__(self, code: int) -> Any:
        from reportlab.pdfbase import pdfmetrics

        _register_fonts()
        font = pdfmetrics.getFont(FONT)
        if code in font.face.charToGlyph:
            value: Any = code
        elif code in (0x202F, 0x2007):
            value = "\u00a0"
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", chr(code)) if ord(c) in font.face.charToGlyph
            )
            value = base or "?"
        self[code] = value
        return value


_GLYPHS = _Glyphs()


def _pdf_text(text: str) -> str:
    return text if text.isascii() else text.translate(_GLYPHS)


def _plain(block: str) -> str:
    """A template block used as plain text (a table header, the footer, the PDF's title): the templates
    escape what they print for reportlab's markup, so "&amp;" is turned back into "&" here."""
    return html.unescape(block)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    _register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, spaceAfter=5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "title": ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=15, leading=19, spaceBefore=6, spaceAfter=8
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5, spaceAfter=0),
    }


def _paragraphs(block: str, style: ParagraphStyle) -> list[Flowable]:
    """A template block's paragraphs (separated by blank lines) as reportlab paragraphs."""
    from reportlab.platypus import Paragraph

    return [
        Paragraph(_pdf_text(part.strip().replace("\n", " ")), style)
        for part in block.split("\n\n")
        if part.strip()
    ]


def _party(lines: Sequence[str], style: ParagraphStyle, heading: str | None = None) -> Paragraph:
    """A name and address block; the lines come from files, so they are escaped here."""
    from reportlab.platypus import Paragraph

    text = "<br/>".join(_pdf_text(escape(line)) for line in lines if line)
    return Paragraph(f"<b>{_pdf_text(escape(heading))}</b><br/>{text}" if heading else text, style)


def _parties(
    creditor: Sequence[str], debtor: Sequence[str], headings: tuple[str, str] | None = None
) -> Table:
    from reportlab.platypus import Table, TableStyle

    style = _styles()["body"]
    first, second = headings or (None, None)
    return Table(
        [[_party(creditor, style, first), _party(debtor, style, second)]],
        colWidths=[_WIDTH * 0.55, _WIDTH * 0.45],
        style=TableStyle(
            [
                # Cells are paragraphs, but the table sets its cell font first: ours, not Helvetica.
                ("FONT", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _grid(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    right_from: int,
    total: Sequence[Any] | None = None,
) -> Table:
    """A table of plain strings: one font command for all cells instead of a paragraph per cell.

    Plain cells do not wrap: callers pass a Paragraph (see `_wrapping`) where a value may be long.
    Columns from `right_from` on are amounts, aligned right.
    """
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    data: list[list[Any]] = [[_pdf_text(_plain(h)) for h in headers]]
    data += [[_pdf_text(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 7.5, 9.5),
        ("FONT", (0, 0), (-1, 0), BOLD, 7.5, 9.5),
        ("ALIGN", (right_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
    ]
    if total is not None:
        data.append([_pdf_text(cell) if isinstance(cell, str) else cell for cell in total])
        commands += [
            ("FONT", (0, -1), (-1, -1), BOLD, 7.5, 9.5),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
        ]
    body_end = -2 if total is not None else -1
    if rows:
        commands.append(
            ("ROWBACKGROUNDS", (0, 1), (-1, body_end), [colors.white, colors.HexColor("#f4f4f4")])
        )
    # Widths are proportions of the text column, so that tables line up with the paragraphs.
    scale = _WIDTH / sum(widths)
    return Table(
        data, colWidths=[width * scale for width in widths], repeatRows=1, style=TableStyle(commands)
    )


def _fit(text: str, limit: int) -> str | Paragraph:
    """A plain cell when the value is short enough for its column, else a wrapping one."""
    return text if len(text) <= limit else _wrapping(text)


def _wrapping(*lines: str) -> Paragraph:
    """A cell whose value may not fit its column (an invoice number, a storage key, a SHA-256)."""
    from reportlab.platypus import Paragraph

    return Paragraph("<br/>".join(_pdf_text(escape(line)) for line in lines), _styles()["cell"])


@cache
def _paged_canvas() -> type:
    """The canvas class: a reportlab Canvas, so it is defined when the first document is drawn."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    class PagedCanvas(Canvas):
        """Writes the document's reference and "n/N" at the foot of every page once N is known."""

        def __init__(self, *args: Any, footer: str = "", **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._footer = footer
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(_MARGIN, 9 * mm, self._footer)
                self.drawRightString(A4[0] - _MARGIN, 9 * mm, f"{number}/{total}")
                super().showPage()
            super().save()

    return PagedCanvas


def _build(story: list[Flowable], *, title: str, author: str, subject: str, footer: str, lang: str) -> bytes:
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_pdf_text(_plain(title)),
        author=_pdf_text(author),
        subject=_pdf_text(subject),
        creator="Relance",
        # The canvas starts in this font, not Helvetica: a viewer-supplied font would break "all embedded".
        initialFontName=FONT,
        lang=_plain(lang),
        # Fixed dates and ids in the file: the same content always gives the same bytes (and SHA-256).
        invariant=1,
    )
    document.build(story, canvasmaker=partial(_paged_canvas(), footer=_pdf_text(_plain(footer))))
    return buffer.getvalue()


def _labels(block: str) -> dict[str, str]:
    """`kind.id=words` lines of a template block: the words a table prints for the log's ids."""
    pairs = (line.split("=", 1) for line in _plain(block).splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _formatters(language: str, currency: str) -> tuple[Any, Any]:
    def money(amount: Any, unknown: str = "") -> str:
        return unknown if amount is None else formatting.money(amount, currency, language)

    def day(value: Any) -> str:
        return formatting.short_date(value, language) if value is not None else ""

    return money, day


def _identity(party: dict[str, Any], siren_label: str) -> list[str]:
    return [
        party["name"],
        *party["address"],
        f"{siren_label} {party['siren']}" if party.get("siren") else "",
    ]


def formal_notice_pdf(context: dict[str, Any], templates: Path | None = None) -> bytes:
    """Lays out the letter blocks of `<language>/letter/formal_notice.xml.j2` around the invoice table."""
    from reportlab.platypus import KeepTogether, Spacer

    styles = _styles()
    blocks = render_letter("formal_notice", context, templates)
    language = context["language"]
    company, customer, summary = context["company"], context["customer"], context["summary"]
    money, day = _formatters(language, summary["currency"])
    unknown = _plain(blocks["unknown_interest"])

    rows = [
        [
            _fit(line["number"], 18),
            day(line["issue_date"]),
            day(line["due_date"]),
            money(line["total"]),
            money(line["paid"]),
            money(line["balance"]),
            money(line["interest"], unknown) if line["claim"] else "",
            money(line["indemnity"]) if line["claim"] else "",
        ]
        for line in context["invoices"]
    ]
    total = [
        _plain(blocks["table_total"]),
        "",
        "",
        "",
        "",
        money(summary["principal"]),
        money(summary["interest"]),
        money(summary["indemnity"]),
    ]
    table = _grid(
        blocks["table_headers"].split("|"),
        rows,
        [30 * mm, 17 * mm, 17 * mm, 22 * mm, 20 * mm, 22 * mm, 23 * mm, 23 * mm],
        right_from=3,
        total=total,
    )

    story: list[Flowable] = [
        _parties(_identity(company, blocks["siren_label"]), _identity(customer, blocks["siren_label"])),
        Spacer(1, 6 * mm),
    ]
    story += _paragraphs(blocks["mode"], styles["small"])
    story += _paragraphs(blocks["place_date"], styles["right"])
    story += _paragraphs(blocks["subject"], styles["body"])
    story += _paragraphs(blocks["title"], styles["title"])
    story += _paragraphs(blocks["body"], styles["body"])
    story += [Spacer(1, 2 * mm), table, Spacer(1, 4 * mm)]
    for name in ("breakdown", "deadline", "legal", "consequences", "payment"):
        story += _paragraphs(blocks[name], styles["small"] if name == "legal" else styles["body"])
    # The signature stays with the last paragraph: a page holding only a signature proves nothing.
    story.append(KeepTogether(_paragraphs(blocks["signature"], styles["body"])))
    return _build(
        story,
        title=blocks["title"],
        author=company["name"],
        subject=context["numbers"],
        footer=blocks["footer"],
        lang=blocks["lang"],
    )


def handoff_summary_pdf(context: dict[str, Any], templates: Path | None = None) -> bytes:
    """The collection file's summary: parties, claim per invoice, route to court, history, evidence."""
    from reportlab.platypus import Spacer

    styles = _styles()
    blocks = render_letter("handoff_summary", context, templates)
    language = context["language"]
    company, customer = context["company"], context["customer"]
    siren = blocks["siren_label"]

    story: list[Flowable] = []
    story += _paragraphs(blocks["title"], styles["title"])
    story += _paragraphs(blocks["intro"], styles["body"])
    story += [
        _parties(
            [*_identity(company, siren), company["reply_to"]],
            [*_identity(customer, siren), customer["email"]],
            (blocks["creditor_label"], blocks["debtor_label"]),
        ),
        Spacer(1, 3 * mm),
    ]

    story += _paragraphs(blocks["claim_heading"], styles["heading"])
    for claimed in context["claims"]:
        money, day = _formatters(language, claimed["currency"])
        rows = [
            [
                _fit(line["number"], 15),
                day(line["issue_date"]),
                day(line["due_date"]),
                money(line["total"]),
                money(line["paid"]),
                money(line["balance"]),
                money(line["interest"], _plain(blocks["unknown_interest"])),
                money(line["indemnity"]),
                money(line["claim_total"]),
            ]
            for line in claimed["lines"]
        ]
        total = [
            _plain(blocks["table_total"]),
            "",
            "",
            "",
            "",
            money(claimed["principal"]),
            money(claimed["interest"]),
            money(claimed["indemnity"]),
            money(claimed["total"]),
        ]
        story.append(
            _grid(
                blocks["claim_headers"].split("|"),
                rows,
                [24 * mm, 17 * mm, 17 * mm, 21 * mm, 19 * mm, 20 * mm, 18 * mm, 17 * mm, 21 * mm],
                right_from=3,
                total=total,
            )
        )
        story.append(Spacer(1, 2 * mm))
    story += _paragraphs(blocks["claim_notes"], styles["small"])

    story += _paragraphs(blocks["route_heading"], styles["heading"])
    story += _paragraphs(blocks["route"], styles["body"])

    story += _paragraphs(blocks["history_heading"], styles["heading"])
    labels = _labels(blocks["labels"])

    def label(kind: str, value: str | None) -> str:
        return labels.get(f"{kind}.{value}", value or "")

    history = [
        [
            formatting.short_date(entry["on"], language),
            label("step", entry["step"] or entry["kind"]),
            # Several channels ("courriel, suspension") outgrow the column: let them wrap.
            _fit(", ".join(label("channel", channel) for channel in entry["channels"]), 16),
            label("outcome", entry["outcome"]),
            _wrapping(entry["message_id"] or "-"),
            _wrapping(
                ", ".join(label("delivery", status) for status in entry["delivery"])
                or label("delivery", "none" if entry["message_id"] else None)
            ),
        ]
        for entry in context["history"]
    ]
    story.append(
        _grid(
            blocks["history_headers"].split("|"),
            history,
            [17 * mm, 32 * mm, 24 * mm, 17 * mm, 56 * mm, 28 * mm],
            right_from=6,
        )
    )
    story.append(Spacer(1, 2 * mm))
    story += _paragraphs(blocks["payments"], styles["small"])

    story += _paragraphs(blocks["evidence_heading"], styles["heading"])
    story += _paragraphs(blocks["evidence_intro"], styles["small"])
    evidence = [
        [
            formatting.short_date(notice["on"], language),
            _wrapping(", ".join(notice["invoice_ids"])),
            _wrapping(notice["key"], notice["sha256"]),
        ]
        for notice in context["notices"]
    ]
    story.append(
        _grid(blocks["evidence_headers"].split("|"), evidence, [17 * mm, 35 * mm, 122 * mm], right_from=3)
    )
    story += _paragraphs(blocks["signature"], styles["small"])
    return _build(
        story,
        title=blocks["title"],
        author=company["name"],
        subject=f"{customer['name']} ({customer['id']})",
        footer=blocks["footer"],
        lang=blocks["lang"],
    )
