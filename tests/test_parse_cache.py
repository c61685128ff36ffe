"""The parse cache: unchanged files are not read again, and the result is identical."""

import shutil

import polars as pl
from polars.testing import assert_frame_equal

from nazorg.ingest import ingest_source
from nazorg.ingest.cache import wait_for_writes
from nazorg.sources import detentions as det
from tests.conftest import EXAMPLES

calls: list[str] = []


def counting_parser(raw, key):
    calls.append(key)
    return det.parse_justid(raw, key)


def test_second_ingest_comes_from_the_cache_and_is_identical(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES / "justid", raw / "justid")
    cache = tmp_path / "cache"
    calls.clear()
    first = ingest_source(raw, det.JUSTID, counting_parser, "k", cache_dir=cache)
    second = ingest_source(raw, det.JUSTID, counting_parser, "k", cache_dir=cache)
    assert calls == ["k"], "the unchanged file was parsed again"
    assert_frame_equal(first.rows, second.rows)
    assert_frame_equal(first.rejected, second.rejected)
    assert_frame_equal(first.ledger, second.ledger)
    # Another pseudonym key is another result: parsed again, never served from the cache.
    ingest_source(raw, det.JUSTID, counting_parser, "other-key", cache_dir=cache)
    assert calls == ["k", "other-key"]


def test_changed_and_removed_files_leave_the_cache(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES / "justid", raw / "justid")
    cache = tmp_path / "cache"
    ingest_source(raw, det.JUSTID, det.parse_justid, "k", cache_dir=cache)
    path = raw / "justid" / "justid_voorbeeld.csv"
    path.write_text(path.read_text().replace("PI Vught", "PI Vught-Oost"))
    result = ingest_source(raw, det.JUSTID, det.parse_justid, "k", cache_dir=cache)
    assert "PI Vught-Oost" in result.rows["institution"].to_list()
    # the segment of the old bytes is pruned; the new one is the only one left
    wait_for_writes()  # segments are written while the run goes on
    assert len(list((cache / "justid").rglob("*.files.parquet"))) == 1
    path.unlink()
    empty = ingest_source(raw, det.JUSTID, det.parse_justid, "k", cache_dir=cache)
    wait_for_writes()
    assert empty.ledger.height == 0 and not list((cache / "justid").rglob("*.parquet"))
    assert isinstance(empty.rows, pl.DataFrame)


def test_the_cache_holds_no_notification_number_of_the_demo(tmp_path):
    """Meldingnummer and DPAN-nr identify a notification; staging does not store them,
    so neither does the parse cache: only their keyed hash, which still merges the same
    number in overlapping exports."""
    from nazorg.ingest import read_file
    from nazorg.ingest.columns import keyed_numbers
    from tests.conftest import RAW, TEST_KEY

    cache = tmp_path / "cache"
    numbers: set[str] = set()
    for spec, parser, field in (
        (det.JUSTID, det.parse_justid, "notification_id"),
        (det.DPAN, det.parse_dpan, "dpan_id"),
    ):
        result = ingest_source(RAW, spec, parser, TEST_KEY, cache_dir=cache)
        files = sorted((RAW / spec.folder).rglob("*.csv")) + sorted(
            (RAW / spec.folder).rglob("*.xlsx")
        )
        raw_numbers = pl.concat(
            [read_file(path, spec, path.name).frame.get_column(field) for path in files]
        ).drop_nulls()
        assert raw_numbers.len() > 100  # the demo's numbers, as the exports hold them
        numbers |= set(raw_numbers.to_list())
        # the merge still compares them: the keyed hash of each number, equal for equal
        expected = keyed_numbers(raw_numbers.unique(), TEST_KEY, spec.column(field))
        assert set(result.rows.get_column(field).to_list()) <= set(expected.to_list())
    wait_for_writes()
    segments = sorted(cache.rglob("*.parquet"))
    assert segments
    for path in segments:
        frame = pl.read_parquet(path)
        for column in frame.columns:
            if frame.schema[column] == pl.Utf8:
                found = numbers & set(frame.get_column(column).drop_nulls().to_list())
                assert not found, (path.name, column, sorted(found)[:3])
                # nor inside a longer text (a message that quotes one)
                text = "\n".join(frame.get_column(column).drop_nulls().to_list())
                assert not [n for n in list(numbers)[:500] if n in text], (path.name, column)
