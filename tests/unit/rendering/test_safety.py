"""Names, numbers and addresses come from files: they can never add a header or run in the HTML."""

from __future__ import annotations

import email
from email.header import decode_header, make_header
from email.policy import default
from io import BytesIO

import pytest
from pypdf import PdfReader

from relance.rendering.environment import render_email
from relance.rendering.mime import AddressError, Attachment, build_message, mailbox, stable_message_id
from relance.rendering.pdf import formal_notice_pdf

from . import contexts
from .test_templates import LANGUAGES, STEP_TEMPLATES

HOSTILE = '<script>alert("x")</script>\r\nBcc: victim@evil.example'


def hostile_context(name: str, language: str) -> dict:
    context = contexts.email_context(name, language, debtor=contexts.customer(True, language, name=HOSTILE))
    (context["invoices"] or context["upcoming"])[0]["number"] = '<img src=x onerror="steal()">'
    context["customer"]["address"] = ["<b>1 rue</b>", "75001 Paris"]
    return context


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", STEP_TEMPLATES)
def test_a_hostile_name_or_invoice_number_is_inert_in_the_html(name: str, language: str):
    email_ = render_email(name, hostile_context(name, language))

    assert "<script" not in email_.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in email_.html
    assert "<img" not in email_.html
    assert "&lt;img src=x onerror=&#34;steal()&#34;&gt;" in email_.html
    # The text part is not HTML: it shows the characters as they are.
    assert '<img src=x onerror="steal()">' in email_.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_hostile_name_is_inert_in_the_call_sheet(language: str):
    context = contexts.call_task_context(language)
    context["customer"]["name"] = HOSTILE

    sheet = render_email("call_task", context)

    assert "<script" not in sheet.html
    assert "&lt;script&gt;" in sheet.html


def message(name: str = HOSTILE, subject: str = "Relance\r\nBcc: victim@evil.example", **headers: str):
    return build_message(
        sender=mailbox("Atelier Durand SAS\nX-Injected: yes", "relances@durand.example"),
        reply_to=mailbox("Atelier Durand SAS", "compta@durand.example"),
        to=[mailbox(name, "client@example.org")],
        cc=[mailbox("", "cc@example.org")],
        subject=subject,
        text="texte",
        html="<p>html</p>",
        message_id=stable_message_id("C1#2026-03-02", "relances@durand.example"),
        attachments=(Attachment("notice.pdf", "application/pdf", b"%PDF-1.4"),),
        headers=headers or {"X-Relance-Dispatch": "C1#2026-03-02\r\nBcc: victim@evil.example"},
    )


def test_a_name_with_a_line_break_cannot_add_a_header():
    raw = message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=default)

    assert parsed["Bcc"] is None
    assert parsed["X-Injected"] is None
    assert [address.addr_spec for address in parsed["To"].addresses] == ["client@example.org"]
    assert parsed["To"].addresses[0].display_name == '<script>alert("x")</script> Bcc: victim@evil.example'
    assert parsed["Subject"] == "Relance Bcc: victim@evil.example"
    assert parsed["X-Relance-Dispatch"] == "C1#2026-03-02 Bcc: victim@evil.example"
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in header_block
    assert b"\nX-Injected" not in header_block


@pytest.mark.parametrize("separator", ["\u2028", "\u0085", "\x0b", "\u2029", "\x9b"])
def test_unicode_line_separators_are_flattened_too(separator: str):
    parsed = email.message_from_bytes(
        message(name=f"Client{separator}Bcc: x@evil.example").as_bytes(), policy=default
    )

    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].display_name == "Client Bcc: x@evil.example"


def test_a_name_cannot_add_a_recipient():
    parsed = email.message_from_bytes(
        message(name='Client", other@evil.example, "x').as_bytes(), policy=default
    )

    assert [address.addr_spec for address in parsed["To"].addresses] == ["client@example.org"]


@pytest.mark.parametrize(
    "address",
    ["client@example.org\r\nBcc: victim@evil.example", "client@example.org, victim@evil.example", "nobody"],
)
def test_an_address_that_is_not_one_is_refused(address: str):
    with pytest.raises(AddressError):
        mailbox("Client", address)


def test_the_message_id_is_stable_and_the_from_carries_the_company_name():
    first, second = message(), message()

    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].endswith("@durand.example>")
    parsed = email.message_from_bytes(first.as_bytes(), policy=default)
    assert parsed["From"].addresses[0].display_name == "Atelier Durand SAS X-Injected: yes"
    assert parsed["Reply-To"].addresses[0].addr_spec == "compta@durand.example"


def test_a_hostile_name_prints_as_text_in_the_formal_notice():
    context = contexts.letter_context("fr")
    context["customer"]["name"] = 'Bernard & Fils <b>SAS</b> <font size="40">'
    context["invoices"][0]["number"] = "F<1>&2"

    pdf = formal_notice_pdf(context)

    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert 'Bernard & Fils <b>SAS</b> <font size="40">' in " ".join(text.split())
    assert "F<1>&2" in text


# RFC 2047 encoded words: Python's header folder decodes them and, before the CVE-2024-6923 fix, wrote
# the decoded line breaks raw. The headers are now written by mime.py itself.
ENCODED_BCC = "=?utf-8?q?Client=0D=0ABcc:_victim@evil.example=0D=0AReply-To:_x@evil.example?="


def header_block(raw: bytes) -> list[str]:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")


def unfolded(raw: bytes) -> list[str]:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n ", " ").split("\r\n")


def header_names(raw: bytes) -> list[str]:
    return [line.split(":", 1)[0] for line in header_block(raw) if not line.startswith((" ", "\t"))]


@pytest.mark.parametrize("where", ["name", "subject", "dispatch header", "sender name"])
def test_an_encoded_word_hiding_a_line_break_cannot_add_a_header(where: str):
    headers = {"X-Relance-Dispatch": ENCODED_BCC} if where == "dispatch header" else {}
    built = build_message(
        sender=mailbox(ENCODED_BCC if where == "sender name" else "Atelier", "relances@durand.example"),
        reply_to=mailbox("Atelier Durand SAS", "compta@durand.example"),
        to=[mailbox(ENCODED_BCC if where == "name" else "Client", "client@example.org")],
        cc=[],
        subject=ENCODED_BCC if where == "subject" else "Relance",
        text="texte",
        html="<p>html</p>",
        message_id="<1@durand.example>",
        headers=headers,
    )
    raw = built.as_bytes()
    parsed = email.message_from_bytes(raw, policy=default)

    names = header_names(raw)
    assert "Bcc" not in names
    assert names.count("Reply-To") == 1
    assert parsed["Bcc"] is None
    assert [address.addr_spec for address in parsed["Reply-To"].addresses] == ["compta@durand.example"]
    assert [address.addr_spec for address in parsed["To"].addresses] == ["client@example.org"]
    # Whatever a reader decodes, it is one line of text: no encoded word is left for it to decode again.
    for value in (
        str(parsed["To"]),
        str(parsed["From"]),
        str(parsed["Subject"]),
        str(parsed["X-Relance-Dispatch"]),
    ):
        assert "\r" not in value
        assert "\n" not in value
        assert "=?" not in value


def test_a_name_in_any_script_round_trips_and_every_header_line_fits():
    name = "Société Générale d'Électricité et de Télécommunications du Grand Est — Agence 12"
    raw = message(name=name, subject="Relance : facture échue de Société Générale").as_bytes()
    parsed = email.message_from_bytes(raw, policy=default)

    # Read as RFC 2047 says (the space between two encoded words is folding, not text); Python's own
    # address parser keeps that space, mail readers do not.
    to_value = next(line for line in unfolded(raw) if line.startswith("To: "))
    phrase = to_value.removeprefix("To: ").rsplit(" <", 1)[0]
    assert str(make_header(decode_header(phrase))) == name
    assert [address.addr_spec for address in parsed["To"].addresses] == ["client@example.org"]
    assert parsed["Subject"] == "Relance : facture échue de Société Générale"
    assert all(len(line) <= 78 for line in header_block(raw))


@pytest.mark.parametrize(
    "hidden", ["\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"]
)
def test_bidi_overrides_and_zero_width_characters_never_reach_a_header(hidden: str):
    raw = message(name=f"Cli{hidden}ent SAS", subject=f"Relance{hidden} F-1").as_bytes()
    parsed = email.message_from_bytes(raw, policy=default)

    assert parsed["To"].addresses[0].display_name == "Client SAS"
    assert parsed["Subject"] == "Relance F-1"


def test_an_address_holding_an_encoded_word_is_refused():
    with pytest.raises(AddressError):
        mailbox("Client", "=?utf-8?q?a=0D=0ABcc:_x?=@example.org")


def test_a_header_block_with_a_line_mime_py_did_not_write_is_refused():
    from email.message import EmailMessage

    from relance.rendering.mime import HeaderInjection, check_header_block

    forged = EmailMessage(policy=default.clone(linesep="\r\n"))
    forged.set_raw("To", "client@example.org\r\nBcc: victim@evil.example")
    forged.set_content("x")

    with pytest.raises(HeaderInjection, match="Bcc"):
        check_header_block(forged, ["To"])


def test_a_blank_line_injected_in_a_header_cannot_hide_the_headers_after_it():
    from email.message import EmailMessage

    from relance.rendering.mime import HeaderInjection, check_header_block

    forged = EmailMessage(policy=default.clone(linesep="\r\n"))
    forged.set_raw("To", "client@example.org")
    forged.set_raw("Subject", "Relance\r\n\r\nBcc: victim@evil.example")
    forged.set_content("x")

    with pytest.raises(HeaderInjection, match="unexpected line"):
        check_header_block(forged, ["To", "Subject"])


def test_a_message_id_is_written_as_is_and_never_encoded_or_broken():
    long_domain = "relances." + "tres-long-sous-domaine." * 4 + "example"
    message_id = stable_message_id("C1#2026-03-02", f"relances@{long_domain}")
    built = build_message(
        sender=mailbox("Atelier", "relances@durand.example"),
        reply_to=mailbox("Atelier", "compta@durand.example"),
        to=[mailbox("Client", "client@example.org")],
        cc=[],
        subject="Relance",
        text="t",
        html="<p>h</p>",
        message_id=message_id,
    )

    assert f"Message-ID: {message_id}" in unfolded(built.as_bytes())
    with pytest.raises(ValueError, match="is not a Message-ID"):
        build_message(
            sender=mailbox("A", "a@durand.example"),
            reply_to=mailbox("A", "a@durand.example"),
            to=[mailbox("C", "c@example.org")],
            cc=[],
            subject="s",
            text="t",
            html="h",
            message_id="<a@b>\r\nBcc: victim@evil.example",
        )


def test_the_policy_makes_each_header_class_once_and_they_parse_as_the_standard_ones():
    from email.headerregistry import HeaderRegistry

    from relance.rendering.mime import _POLICY

    ours, standard = _POLICY.header_factory, HeaderRegistry()

    assert ours["Subject"] is ours["subject"]
    for name, value in [
        ("Subject", "=?utf-8?q?Rappel_=C3=A9chu?="),
        ("To", '"Client, SARL" <compta@client.example>'),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Disposition", 'attachment; filename="mise-en-demeure.pdf"'),
    ]:
        header, expected = ours(name, value), standard(name, value)
        assert (str(header), type(header).__mro__[1:]) == (str(expected), type(expected).__mro__[1:])
        assert header.defects == expected.defects
