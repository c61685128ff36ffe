"""Updating instead of rebuilding: when exports were only added, which persons change.

The end-to-end proof (an update equals a build from scratch, table by table) is in
test_operations.py; these tests pin the rule that decides who is rebuilt.
"""

import polars as pl

from nazorg.ingest import LEDGER_SCHEMA, QUALITY_SCHEMA, SourceResult
from nazorg.sources.detentions import persons_to_update


def _result(rows: list[dict], ledger: list[tuple[str, str, str]]) -> SourceResult:
    return SourceResult(
        rows=pl.DataFrame(rows) if rows else pl.DataFrame(),
        ledger=pl.DataFrame(
            [
                {c: None for c in LEDGER_SCHEMA} | {"file": f, "sha256": sha, "status": status}
                for f, sha, status in ledger
            ],
            schema=LEDGER_SCHEMA,
        ),
        rejected=pl.DataFrame(schema=QUALITY_SCHEMA),
        warnings=pl.DataFrame(schema=QUALITY_SCHEMA),
        log_lines=[],
    )


def _note(number: str, person: str, file: str) -> dict:
    return {"notification_id": number, "person_key": person, "source_file": file}


OLD = [("justid/a.csv", "sha-a", "loaded"), ("justid/b.csv", "sha-b", "loaded")]
PREVIOUS = pl.DataFrame(OLD, schema=["file", "sha256", "status"], orient="row")
NO_DPAN = _result([], [])


def test_the_persons_of_an_added_export_are_rebuilt():
    justid = _result(
        [
            _note("1", "p1", "justid/a.csv"),
            _note("2", "p2", "justid/b.csv"),
            _note("3", "p3", "justid/c.csv"),
            _note("4", "p1", "justid/c.csv"),
        ],
        [*OLD, ("justid/c.csv", "sha-c", "loaded")],
    )
    assert persons_to_update(PREVIOUS, justid, NO_DPAN).to_list() == ["p1", "p3"]


def test_someone_sharing_a_meldingnummer_with_the_new_rows_is_rebuilt_too():
    # Notification 2 of p2 (old file) reappears in the new export under p3: which copy
    # counts decides both persons' episodes, and via p2's other number, p4's as well.
    justid = _result(
        [
            _note("1", "p1", "justid/a.csv"),
            _note("2", "p2", "justid/b.csv"),
            _note("5", "p2", "justid/b.csv"),
            _note("5", "p4", "justid/a.csv"),
            _note("2", "p3", "justid/c.csv"),
        ],
        [*OLD, ("justid/c.csv", "sha-c", "loaded")],
    )
    assert persons_to_update(PREVIOUS, justid, NO_DPAN).to_list() == ["p2", "p3", "p4"]


def test_nothing_added_means_nobody_to_rebuild():
    justid = _result([_note("1", "p1", "justid/a.csv")], OLD)
    assert persons_to_update(PREVIOUS, justid, NO_DPAN).to_list() == []


def test_a_changed_removed_or_relabelled_export_needs_a_full_rebuild():
    rows = [_note("1", "p1", "justid/a.csv")]
    changed = _result(rows, [("justid/a.csv", "sha-a2", "loaded"), OLD[1]])
    removed = _result(rows, [OLD[0]])
    duplicate_now = _result(rows, [OLD[0], ("justid/b.csv", "sha-b", "duplicate")])
    for justid in (changed, removed, duplicate_now):
        assert persons_to_update(PREVIOUS, justid, NO_DPAN) is None


def test_dpan_rows_count_with_their_own_number():
    previous = pl.DataFrame(
        [("dpan/2012.xlsx", "sha-d", "loaded")], schema=["file", "sha256", "status"], orient="row"
    )
    dpan = _result(
        [
            {"dpan_id": "D1", "person_key": "p1", "source_file": "dpan/2012.xlsx"},
            {"dpan_id": "D1", "person_key": "p1", "source_file": "dpan/2013.xlsx"},
            {"dpan_id": "D2", "person_key": "p2", "source_file": "dpan/2012.xlsx"},
        ],
        [("dpan/2012.xlsx", "sha-d", "loaded"), ("dpan/2013.xlsx", "sha-e", "loaded")],
    )
    assert persons_to_update(previous, _result([], []), dpan).to_list() == ["p1"]
