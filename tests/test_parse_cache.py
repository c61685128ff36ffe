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
