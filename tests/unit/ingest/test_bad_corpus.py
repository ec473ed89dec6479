"""Every file of the bad-input corpus (tests/fixtures/bad) is refused whole with its reason, or read with
every row counted: rows read = rows accepted + rows rejected, each rejection saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import Upload, read_upload, unknown_kind_reason
from relance.ingest.rows import Rejection, RowWarning
from relance.ingest.validation import check_einvoice, stream_table
from tests.fixtures.bad.corpus import HERE, CorpusCase, corpus_today, load_corpus

POLICIES = ("fr-b2b-standard", "fr-b2c", "gentle", "strict")
CASES = load_corpus()


def test_the_corpus_holds_at_least_sixty_files_each_described_in_the_manifest():
    files = {
        path.name
        for path in HERE.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and path.name not in ("corpus.py", "__init__.py", "MANIFEST.json")
    }
    described = {case.file for case in CASES if case.file}

    assert len(described) >= 60
    assert files == described
    assert all(case.key.startswith("incoming/") for case in CASES)
    assert len({case.name for case in CASES}) == len(CASES)


def opened(case: CorpusCase) -> tuple[Upload | None, str | None]:
    """The upload, or the reason the whole file is refused, as the report's `error` would carry it."""
    try:
        upload = read_upload(case.key, case.body())
    except UnreadableFile as exc:
        return None, str(exc)
    if upload.kind is FileKind.UNKNOWN and upload.table is not None:
        return None, unknown_kind_reason(case.key, upload.table)
    return upload, None


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_file_is_refused_whole_with_its_reason_or_every_row_is_accounted_for(case: CorpusCase):
    upload, refused = opened(case)

    if case.error is not None:
        assert refused is not None, f"{case.name} was read; expected the file refused with {case.error!r}"
        assert case.error in refused
        return
    assert refused is None, f"{case.name} refused whole: {refused}"
    assert upload is not None
    if case.kind:
        assert upload.kind.value == case.kind
    rows, accepted, rejections, warnings = _validate(upload)

    assert (rows, accepted, len(rejections)) == (case.rows, case.accepted, case.rejected)
    assert accepted + len(rejections) == rows
    for rejection in rejections:
        assert rejection.line >= 1
        assert rejection.reason
        assert all(len(value) < 300 for value in rejection.values.values())  # the report stays readable
    for expected in case.reasons:
        assert any(expected in rejection.reason for rejection in rejections), (expected, rejections)
    for expected in case.warnings:
        assert any(expected in warning.message for warning in warnings), (expected, warnings)


def _validate(upload: Upload) -> tuple[int, int, list[Rejection], list[RowWarning]]:
    """Counts the accepted rows without keeping them: the 200,000-row case streams through."""
    if upload.einvoice is not None:
        rows, rejection, warnings = check_einvoice(upload.einvoice)
        return 1, int(rows is not None), [rejection] if rejection else [], warnings
    table = upload.table
    assert table is not None
    accepted = 0
    rejections: list[Rejection] = []
    warnings = []
    for outcome in stream_table(upload.kind, table, policies=POLICIES, today=corpus_today()):
        if isinstance(outcome, Rejection):
            rejections.append(outcome)
        elif isinstance(outcome, RowWarning):
            warnings.append(outcome)
        else:
            accepted += 1
    return len(table.rows), accepted, rejections, warnings


def test_a_case_key_is_given_as_s3_event_notifications_write_it():
    case = next(case for case in CASES if case.name == "enc-utf16be-nobom-invoices.csv")

    assert case.key == "incoming/invoices/factures+avoirs mars.csv"
    assert case.event_key == "incoming/invoices/factures%2Bavoirs+mars.csv"
    assert Path(case.key).suffix == ".csv"
