"""Reading a raw reply: headers, machine signals, the text part or the HTML, and only the customer's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.ingest import inbound
from relance.ingest.inbound import InboundMailError, html_to_text, parse_inbound, reply_text


def raw(
    body: str = "Je vous règle le 15.", *, headers: dict[str, str] | None = None, charset: str = "utf-8"
) -> bytes:
    fields = {
        "From": "Sophie Lemaire <S.Lemaire@Transports-Bernard.fr>",
        "To": "Relances <relances@durand.example>",
        "Subject": "RE: Facture F2026-0001 : paiement en attente",
        "Date": "Tue, 10 Mar 2026 10:24:00 +0100",
        "Message-ID": "<reply-1@transports-bernard.fr>",
        "In-Reply-To": "<0102019c-0001@eu-west-1.amazonses.com>",
        "References": "<0102019c-0000@eu-west-1.amazonses.com>\r\n <0102019c-0001@eu-west-1.amazonses.com>",
        "MIME-Version": "1.0",
        "Content-Type": f"text/plain; charset={charset}",
        "Content-Transfer-Encoding": "8bit",
    }
    for name, value in (headers or {}).items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return head.encode("utf-8") + b"\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n").encode(charset)


# --- headers ---------------------------------------------------------------------------------------------


def test_threading_headers_lose_their_brackets_and_the_answered_message_comes_first():
    mail = parse_inbound(raw())

    assert mail.message_id == "reply-1@transports-bernard.fr"
    assert mail.in_reply_to == "0102019c-0001@eu-west-1.amazonses.com"
    assert mail.references == (
        "0102019c-0000@eu-west-1.amazonses.com",
        "0102019c-0001@eu-west-1.amazonses.com",
    )
    assert mail.thread_ids == (
        "0102019c-0001@eu-west-1.amazonses.com",
        "0102019c-0000@eu-west-1.amazonses.com",
    )


def test_the_sender_address_is_lower_cased_and_its_name_kept():
    mail = parse_inbound(raw())

    assert (mail.from_address, mail.from_name) == ("s.lemaire@transports-bernard.fr", "Sophie Lemaire")
    assert mail.to == ("relances@durand.example",)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?iso-8859-1?q?J=E9r=F4me_Dupont?= <jd@example.fr>", "Jérôme Dupont"),
        ("=?utf-8?b?SsOpcsO0bWUgRHVwb250?= <jd@example.fr>", "Jérôme Dupont"),
        ('"Dupont, Jérôme" <jd@example.fr>', "Dupont, Jérôme"),  # raw UTF-8 bytes in the header
    ],
)
def test_encoded_and_raw_8bit_display_names_are_decoded(header, expected):
    assert parse_inbound(raw(headers={"From": header})).from_name == expected


def test_a_raw_latin1_subject_is_read_as_windows_1252_rather_than_lost():
    message = raw(headers={"Subject": "X"}).replace(b"Subject: X", "Subject: Réglé".encode("latin-1"))

    assert parse_inbound(message).subject == "Réglé"


def test_an_encoded_subject_is_decoded():
    subject = "=?utf-8?q?R=C3=A9ponse_automatique_:_Facture?="

    assert parse_inbound(raw(headers={"Subject": subject})).subject == "Réponse automatique : Facture"


def test_the_date_is_tz_aware_and_an_unknown_zone_is_read_as_utc():
    assert parse_inbound(raw()).date == datetime(2026, 3, 10, 10, 24, tzinfo=timezone(timedelta(hours=1)))
    unknown_zone = parse_inbound(raw(headers={"Date": "Tue, 10 Mar 2026 10:24:00 -0000"}))
    assert unknown_zone.date == datetime(2026, 3, 10, 10, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    "date_header", [None, "", "yesterday around noon", "Tue, 99 Foo 2026 99:99:99 +0100"]
)
def test_a_missing_or_unreadable_date_is_none_not_an_error(date_header):
    assert parse_inbound(raw(headers={"Date": date_header})).date is None


@pytest.mark.parametrize(
    ("headers", "signal"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
        ({"X-Autoreply": "yes"}, "X-Autoreply: yes"),
        ({"X-Autorespond": "on"}, "X-Autorespond: on"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"Precedence": "junk"}, "Precedence: junk"),
        ({"Return-Path": "<>"}, "Return-Path: <>"),
        ({"From": "MAILER-DAEMON@mx.example.fr"}, "From: mailer-daemon@mx.example.fr"),
        ({"From": "no-reply@client.example"}, "From: no-reply@client.example"),
    ],
)
def test_each_autoresponder_header_alone_marks_an_auto_reply(headers, signal):
    mail = parse_inbound(raw(headers=headers))

    assert mail.is_auto_reply
    assert signal in mail.auto_reply_signals


@pytest.mark.parametrize(
    ("headers", "signal"),
    [
        ({"List-Id": "<compta.client.example>"}, "List-Id: <compta.client.example>"),
        ({"Precedence": "list"}, "Precedence: list"),
        ({"X-Auto-Response-Suppress": "All"}, "X-Auto-Response-Suppress: All"),
    ],
)
def test_list_and_helpdesk_headers_are_recorded_but_do_not_make_an_auto_reply(headers, signal):
    # A shared mailbox run as a group, or a helpdesk, puts these on what people write too.
    mail = parse_inbound(raw(headers=headers))

    assert not mail.is_auto_reply
    assert mail.weak_signals == (signal,)


def test_a_person_writing_is_not_an_auto_reply():
    mail = parse_inbound(
        raw(headers={"Auto-Submitted": "no", "Return-Path": "<s.lemaire@transports-bernard.fr>"})
    )

    assert (mail.auto_reply_signals, mail.weak_signals, mail.is_auto_reply) == ((), (), False)


# --- body ------------------------------------------------------------------------------------------------


def multipart(*parts: tuple[str, str], subtype: str = "alternative") -> bytes:
    boundary = "b0undary"
    body = "".join(
        f"--{boundary}\r\nContent-Type: {content_type}; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{content}\r\n"
        for content_type, content in parts
    )
    return raw(
        f"{body}--{boundary}--",
        headers={
            "Content-Type": f'multipart/{subtype}; boundary="{boundary}"',
            "Content-Transfer-Encoding": None,
        },
    )


def test_the_text_part_is_preferred_to_the_html_part():
    mail = parse_inbound(multipart(("text/plain", "Texte brut."), ("text/html", "<p>Version HTML.</p>")))

    assert (mail.text, mail.body_format) == ("Texte brut.", "plain")


def test_an_empty_text_part_falls_back_to_the_html_part():
    mail = parse_inbound(multipart(("text/plain", "  "), ("text/html", "<p>Déjà payé le 3.</p>")))

    assert (mail.text, mail.body_format) == ("Déjà payé le 3.", "html")


def test_html_becomes_text_without_scripts_styles_or_entities():
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body><script>var x='payé';</script>"
        "<div>Bonjour,</div><div><br></div><div>Je vous r&egrave;gle le 15&nbsp;€ &amp; merci.</div>"
        "<ul><li>F2026-0001</li><li>F2026-0002</li></ul></body></html>"
    )

    assert html_to_text(html) == "Bonjour,\n\nJe vous règle le 15 € & merci.\n- F2026-0001\n- F2026-0002"


def test_html_blockquotes_are_quoted_and_dropped_from_the_reply():
    attribution = "Le mar. 10 mars 2026 à 09:12, Compta a écrit&nbsp;:"
    quoted = "<blockquote>Si vous avez déjà payé, ignorez ce message.</blockquote>"
    html = f"<div>Facture contestée.</div><div class='gmail_quote'>{attribution}{quoted}</div>"

    assert html_to_text(html).splitlines()[-1] == "> Si vous avez déjà payé, ignorez ce message."
    assert reply_text(html_to_text(html)) == "Facture contestée."


def test_attachments_are_listed_and_an_attached_message_is_not_read_as_the_reply():
    boundary = "mix"
    body = (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoir le transfert.\r\n"
        f'--{boundary}\r\nContent-Type: application/pdf; name="avis.pdf"\r\n'
        f'Content-Disposition: attachment; filename="avis.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"JVBERi0xLjQ=\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\nSubject: x\r\n\r\n"
        f"Litige sur la facture.\r\n--{boundary}--"
    )
    mail = parse_inbound(raw(body, headers={"Content-Type": f'multipart/mixed; boundary="{boundary}"'}))

    assert mail.text == "Voir le transfert."
    assert mail.attachments == ("avis.pdf", "message.eml")


@pytest.mark.parametrize(
    ("charset", "encoded", "expected"),
    [
        ("x-unknown", "Déjà payé".encode(), "Déjà payé"),  # an unknown name: UTF-8 tried
        ("us-ascii", "Déjà réglé".encode("cp1252"), "Déjà réglé"),  # declared ASCII, really Windows-1252
        ("utf-8", "Réglé".encode("cp1252"), "Réglé"),  # declared UTF-8 but not
        ("iso-8859-15", "1 200 €".encode("iso-8859-15"), "1 200 €"),
    ],
)
def test_a_wrong_or_unknown_charset_still_gives_readable_text(charset, encoded, expected):
    message = raw("PLACEHOLDER", charset="utf-8").replace(b"charset=utf-8", f"charset={charset}".encode())

    assert parse_inbound(message.replace(b"PLACEHOLDER", encoded)).text == expected


def test_quoted_printable_and_base64_bodies_are_decoded():
    qp = raw("Je vous r=C3=A8gle le 15.", headers={"Content-Transfer-Encoding": "quoted-printable"})
    b64 = raw("SmUgdm91cyByw6hnbGUgbGUgMTUu", headers={"Content-Transfer-Encoding": "base64"})

    assert parse_inbound(qp).text == parse_inbound(b64).text == "Je vous règle le 15."


# --- the customer's words --------------------------------------------------------------------------------

OUR_REMINDER = "Si vous avez déjà payé ou en cas de contestation, répondez à ce message."


@pytest.mark.parametrize(
    "history",
    [
        f"Le mar. 10 mars 2026 à 09:12, Atelier Durand <relances@durand.example> a écrit :\n\n"
        f"> {OUR_REMINDER}",
        # Gmail wraps a long attribution line
        f"Le mar. 10 mars 2026 à 09:12, Atelier Durand - Comptabilité\n<relances@durand.example> a écrit :\n>"
        f" {OUR_REMINDER}",
        f"On Tue, 10 Mar 2026 at 09:12, Atelier Durand <relances@durand.example> wrote:\n> {OUR_REMINDER}",
        f"Le 10/03/2026 à 09:12, Atelier Durand a écrit :\n{OUR_REMINDER}",  # quoted without marks
        f"-----Original Message-----\nFrom: Atelier Durand\nSent: Tuesday\n\n{OUR_REMINDER}",
        f"-----Message d'origine-----\n{OUR_REMINDER}",
        f"________________________________\nDe : Atelier Durand <relances@durand.example>\n"
        f"Envoyé : mardi 10 mars\nÀ : compta@client.example\nObjet : Facture\n\n{OUR_REMINDER}",
        f"De : Atelier Durand <relances@durand.example>\nEnvoyé : mardi 10 mars 2026 09:12\n\n{OUR_REMINDER}",
        f"---------- Forwarded message ---------\nFrom: Atelier Durand\n\n{OUR_REMINDER}",
        f"-------- Message transféré --------\nSujet : Facture\n\n{OUR_REMINDER}",
        f"Début du message réexpédié :\n\n{OUR_REMINDER}",
        f"> {OUR_REMINDER}",
    ],
)
def test_the_quoted_reminder_is_not_part_of_the_reply(history):
    assert reply_text(f"Je vous règle le 15.\n\n{history}") == "Je vous règle le 15."


def test_a_reply_written_below_or_between_the_quoted_lines_is_kept():
    body = (
        "Le mar. 10 mars 2026 à 09:12, Atelier Durand a écrit :\n"
        "> Total dû : 1 234,56 €\n"
        "Déjà payé le 3 mars.\n"
        "> Comment régler : virement\n"
        "Par virement, oui."
    )

    assert reply_text(body) == "Déjà payé le 3 mars.\nPar virement, oui."


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nJean Dupont\nResponsable litiges",
        "--\nJean Dupont",
        "Envoyé de mon iPhone",
        "Sent from my Samsung Galaxy",
        "Get Outlook for Android",
    ],
)
def test_signatures_are_cut(signature):
    assert reply_text(f"Je vous règle le 15.\n\n{signature}") == "Je vous règle le 15."


def test_a_short_block_after_the_closing_words_is_a_signature_and_is_cut():
    body = "Déjà réglé.\n\nCordialement,\nNathalie Roux\nComptabilité – Service litiges\nTél. 04 72 00 00 00"

    assert reply_text(body) == "Déjà réglé.\n\nCordialement,"


def test_prose_after_the_closing_words_is_not_taken_for_a_signature():
    body = "Bonjour,\nMerci.\nJe vous règle le 15 comme convenu avec votre collègue hier.\nPaul"

    assert reply_text(body) == body
    assert reply_text("Merci.\nJe paie demain.") == "Merci.\nJe paie demain."


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n  ", "empty"),
        ("From: a@b.example\n\ntext", "bytes"),
        (b"Subject: no sender\r\n\r\nhello", "no From header"),
        (b"From: Jean Dupont\r\n\r\nhello", "holds no email address"),
        (b"just some text, not an email", "no From header"),
    ],
)
def test_what_is_not_a_readable_email_raises_a_clear_inbound_mail_error(message, reason):
    with pytest.raises(InboundMailError, match=reason):
        parse_inbound(message)  # type: ignore[arg-type]


def test_a_message_larger_than_ses_delivers_is_refused(monkeypatch):
    monkeypatch.setattr(inbound, "MAX_MESSAGE_BYTES", 100)

    with pytest.raises(InboundMailError, match="more than SES ever delivers"):
        parse_inbound(raw("x" * 200))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_mail_or_an_inbound_mail_error_and_nothing_else(data):
    try:
        mail = parse_inbound(data)
    except InboundMailError:
        return
    assert isinstance(mail.text, str)


_HEADER_NAMES = st.sampled_from(
    ["From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Content-Type",
     "Content-Transfer-Encoding", "Auto-Submitted", "Return-Path", "Content-Disposition"]
)  # fmt: skip
_HEADER_VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "=?utf-8?b?!!!?=",
            "=?x-bogus?q?abc?=",
            "multipart/mixed; boundary=",
            "multipart/alternative",
            "text/plain; charset=\"utf-8''",
            "base64",
            "quoted-printable",
            "<>",
            "<@>",
            "a@b.example <",
            "\x00",
        ]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUES), max_size=8), st.binary(max_size=300))
def test_hostile_headers_and_bodies_give_a_mail_or_an_inbound_mail_error_and_nothing_else(headers, body):
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8", "surrogatepass")
    try:
        mail = parse_inbound(b"From: a@b.example\r\n" + head + b"\r\n" + body)
    except InboundMailError:
        return
    assert isinstance(mail.text, str)
    assert "@" in mail.from_address
