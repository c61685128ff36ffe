"""Property tests of the readers (issue 18): exports nobody here wrote.

Hypothesis generates JustID CSV exports (mixed line endings, UTF-8 with and without BOM
and Windows-1252, shuffled columns, quoting, blank lines, Totaal rows in the middle and
at the end, BSNs as text and as numbers that lost their leading zeros, a data row glued
to nothing) and DPAN workbooks (title rows, shuffled columns, number and text cells,
empty and Totaal rows). For every generated file:

* the ledger balances against the true number of data rows, and every valid row loads;
* no generated identifier (BSN in either form, surname, initials, birth date) appears in
  a log line, a ledger or quality column, or a file of the parse cache.

Bounded and seeded so that CI is repeatable and quick: ``derandomize=True``, a few dozen
examples, no deadline (the first example pays for Polars' and DuckDB's warm-up).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from nazorg.ingest import ingest_source
from nazorg.ingest.cache import wait_for_writes
from nazorg.ingest.columns import keyed_numbers
from nazorg.sources import detentions as det
from tests.conftest import TEST_KEY
from tests.test_bad_input import JUSTID_HEADER  # the contract's header, written out once

PROPERTIES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
LETTERS = "abcdefghijklmnopqrstuvwxyzéëïöü"


@st.composite
def bsns(draw) -> str:
    """A valid BSN (11-proef), with at most two leading zeros (as real numbers have)."""
    zeros = draw(st.sampled_from([0, 0, 1, 2]))
    while True:
        body = [0] * zeros + [draw(st.integers(1, 9))]
        body += [draw(st.integers(0, 9)) for _ in range(8 - len(body))]
        total = sum(d * w for d, w in zip(body, WEIGHTS[:8], strict=True))
        last = total % 11
        if last <= 9:
            return "".join(map(str, body)) + str(last)
        body = None  # no check digit for this body: draw another


@dataclass
class Person:
    bsn: str
    surname: str
    initials: str
    birth: dt.date

    def secrets(self) -> set[str]:
        found = {self.bsn, self.surname, self.initials, self.birth.strftime("%d-%m-%Y")}
        found.add(self.birth.isoformat())
        if len(self.bsn.lstrip("0")) >= 7:
            found.add(self.bsn.lstrip("0"))
        return found


@st.composite
def persons(draw) -> Person:
    surname = "Zq" + draw(st.text(LETTERS, min_size=6, max_size=10))
    initials = f"{draw(st.sampled_from('QXZJ'))}.{draw(st.sampled_from('QXZJ'))}."
    birth = draw(st.dates(dt.date(1940, 1, 1), dt.date(1999, 12, 31)))
    return Person(draw(bsns()), surname, initials, birth)


@dataclass
class Export:
    name: str
    data: bytes
    data_rows: int
    valid_ids: list[str]
    secrets: set[str] = field(default_factory=set)


def _cell(value: str, quote: bool) -> str:
    if quote or any(c in value for c in ';"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def justid_exports(draw, name: str, first_id: int) -> Export:
    header = list(draw(st.permutations(JUSTID_HEADER)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    quoting = draw(st.sampled_from(["none", "some", "all"]))
    lines: list[str] = []
    valid: list[str] = []
    secrets: set[str] = set()
    data_rows = 0
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["", ";;;", "  "])))
    lines.append(";".join(_cell(h, quoting == "all") for h in header))
    n = draw(st.integers(0, 8))
    for i in range(n):
        person = draw(persons())
        secrets |= person.secrets()
        number = f"JV{first_id + i:07d}"
        if draw(st.integers(0, 9)) == 0:
            number = "Totaal-" + number  # a Totaal text in a data row: data all the same
        admitted = draw(st.dates(dt.date(2019, 1, 1), dt.date(2022, 6, 30)))
        released = admitted + dt.timedelta(days=draw(st.integers(0, 300)))
        kind = draw(st.sampled_from(["Begin detentie", "Insluiting", "Einde detentie", "Ontslag"]))
        is_release = kind in det.RELEASE_KINDS
        fault = draw(st.sampled_from([None] * 6 + ["bsn", "kind", "date"]))
        bsn_text = person.bsn.lstrip("0") if draw(st.booleans()) else person.bsn
        row = {
            "Meldingnummer": number,
            "Soort melding": "Vrijlating" if fault == "kind" else kind,
            "Datum melding": (released if is_release else admitted).strftime("%d-%m-%Y"),
            "BSN": bsn_text[:-1] + str((int(bsn_text[-1]) + 1) % 10)
            if fault == "bsn"
            else bsn_text,
            "Achternaam": person.surname,
            "Voorletters": person.initials,
            "Geboortedatum": person.birth.strftime(draw(st.sampled_from(["%d-%m-%Y", "%Y-%m-%d"]))),
            "Geslacht": draw(st.sampled_from(["M", "V", "X", ""])),
            "Gemeentecode": draw(st.sampled_from(["GM0957", "0957", "957", ""])),
            "Gemeente": draw(st.sampled_from(["Roermond", "", "Gemeente Venlo"])),
            "Inrichting": draw(st.sampled_from(["PI Roermond", "PI Zuid; afd. 2", 'PI "De Berg"'])),
            "Datum insluiting": "2 jan 2019" if fault == "date" else admitted.strftime("%d-%m-%Y"),
            "Verwachte datum ontslag": "",
            "Datum ontslag": released.strftime("%d-%m-%Y") if is_release else "",
            "Titel": draw(st.sampled_from(["Gevangenisstraf", "Voorlopige hechtenis", ""])),
        }
        # Names with a line break in a quoted cell (a remark typed in Excel).
        if draw(st.integers(0, 9)) == 0:
            row["Achternaam"] = person.surname + "\nvervolg"
        lines.append(
            ";".join(
                _cell(row[h], quoting == "all" or (quoting == "some" and draw(st.booleans())))
                for h in header
            )
        )
        data_rows += 1
        if fault is None:
            valid.append(number)
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", ";;;;", " ; ; "])))
    if draw(st.booleans()):
        lines.append(f"Totaal;{n}")
        lines += draw(st.lists(st.sampled_from(["", ";;"]), max_size=2))
    endings = draw(
        st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=len(lines), max_size=len(lines))
    )
    text = "".join(line + end for line, end in zip(lines, endings, strict=True))
    return Export(name, text.encode(encoding), data_rows, valid, secrets)


@st.composite
def justid_folders(draw) -> list[Export]:
    count = draw(st.integers(1, 3))
    return [draw(justid_exports(f"2019/export-{i}.csv", 1000 * (i + 1))) for i in range(count)]


def _texts(result, cache: Path) -> str:
    parts = list(result.log_lines)
    for frame in (result.ledger, result.rejected, result.warnings):
        for column, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                parts += [v for v in frame.get_column(column).to_list() if v]
    wait_for_writes()
    for path in sorted(cache.rglob("*.parquet")):
        frame = pl.read_parquet(path)
        for column, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                parts += [v for v in frame.get_column(column).to_list() if v]
    return "\n".join(parts)


def _assert_balanced_and_private(result, exports: list[Export], source: str, cache: Path):
    ledger = {r["file"]: r for r in result.ledger.rows(named=True)}
    id_column = "notification_id" if source == "justid" else "dpan_id"
    seen: set[bytes] = set()
    for export in exports:
        entry = ledger[f"{source}/{export.name}"]
        if export.data and export.data in seen:  # the same bytes twice: loaded once
            assert entry["status"] == "duplicate", entry
            continue
        seen.add(export.data)
        assert entry["status"] == "loaded", (entry, export.data)
        assert entry["rows_read"] == export.data_rows, entry
        assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_rejected"], entry
        loaded = result.rows.filter(pl.col("source_file") == f"{source}/{export.name}")
        spec = det.JUSTID if source == "justid" else det.DPAN
        ids = keyed_numbers(
            pl.Series(export.valid_ids, dtype=pl.Utf8), TEST_KEY, spec.column(id_column)
        )
        assert sorted(loaded.get_column(id_column).to_list()) == sorted(ids.to_list())
    everything = _texts(result, cache)
    for export in exports:
        leaked = [s for s in export.secrets if s in everything]
        assert not leaked, leaked


@PROPERTIES
@given(justid_folders())
def test_generated_justid_exports_balance_load_and_leak_nothing(exports):
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw"
        for export in exports:
            path = raw / "justid" / export.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(export.data)
        cache = Path(folder) / "cache"
        try:
            result = ingest_source(raw, det.JUSTID, det.parse_justid, TEST_KEY, cache_dir=cache)
            _assert_balanced_and_private(result, exports, "justid", cache)
            # the same files again, now from the parse cache: the same ledger
            again = ingest_source(raw, det.JUSTID, det.parse_justid, TEST_KEY, cache_dir=cache)
            assert again.ledger.equals(result.ledger)
        finally:
            wait_for_writes()  # the cache is written in a thread of its own


DPAN_HEADER = [
    "DPAN-nr",
    "BSN",
    "Naam",
    "Geb. datum",
    "Gemeente",
    "PI",
    "Datum binnenkomst",
    "Datum vertrek",
    "Reden vertrek",
    "Toestemming",
]


@st.composite
def dpan_workbooks(draw) -> tuple[Export, list[list]]:
    header = list(draw(st.permutations(DPAN_HEADER)))
    sheet: list[list] = [["DPAN export"], []][: draw(st.integers(0, 2))]
    sheet.append(header)
    valid, secrets, data_rows = [], set(), 0
    for i in range(draw(st.integers(0, 8))):
        person = draw(persons())
        secrets |= person.secrets() - {person.initials}
        secrets.add(person.surname)
        number = f"D2013-{i:05d}"
        admitted = draw(st.dates(dt.date(2010, 1, 1), dt.date(2013, 6, 30)))
        left = admitted + dt.timedelta(days=draw(st.integers(0, 200)))
        fault = draw(st.sampled_from([None] * 5 + ["bsn", "reason"]))
        bsn = (
            person.bsn if fault != "bsn" else person.bsn[:-1] + str((int(person.bsn[-1]) + 1) % 10)
        )
        row = {
            "DPAN-nr": number,
            "BSN": int(bsn) if draw(st.booleans()) else bsn,  # a number cell drops its zeros
            "Naam": ("Totaal " if draw(st.integers(0, 5)) == 0 else "")
            + f"{person.initials} {person.surname}",
            "Geb. datum": person.birth
            if draw(st.booleans())
            else person.birth.strftime("%d-%m-%Y"),
            "Gemeente": draw(st.sampled_from(["Hilversum", "gemeente BUSSUM", None])),
            "PI": "PI Almere",
            "Datum binnenkomst": admitted if draw(st.booleans()) else admitted.strftime("%d-%m-%Y"),
            "Datum vertrek": left,
            "Reden vertrek": "Vrijlating" if fault == "reason" else "Ontslag",
            "Toestemming": draw(st.sampled_from(["Ja", "Nee", None])),
        }
        sheet.append([row[h] for h in header])
        data_rows += 1
        if fault is None:
            valid.append(number)
        if draw(st.integers(0, 4)) == 0:
            sheet.append([])
    if draw(st.booleans()):
        sheet += [[], ["Totaal", data_rows]]
    return Export("gooi/export.xlsx", b"", data_rows, valid, secrets), sheet


@settings(PROPERTIES, max_examples=20)
@given(dpan_workbooks())
def test_generated_dpan_workbooks_balance_load_and_leak_nothing(generated):
    export, rows = generated
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw"
        path = raw / "dpan" / export.name
        path.parent.mkdir(parents=True)
        book = Workbook()
        book.active.title = "Export"
        for row in rows:
            book.active.append(row)
        book.save(path)
        cache = Path(folder) / "cache"
        try:
            result = ingest_source(raw, det.DPAN, det.parse_dpan, TEST_KEY, cache_dir=cache)
            _assert_balanced_and_private(result, [export], "dpan", cache)
        finally:
            wait_for_writes()
