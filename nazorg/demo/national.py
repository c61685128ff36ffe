"""National-scale exports for the benchmark, with the quirks of the real exports.

Command: ``python -m nazorg.demo --national [--size 1.0] [--seed 2024] DIR`` (``make bench``
calls :func:`generate_national` itself). ``DIR`` gets the five source folders; earlier
contents of those folders are removed first.

Volume and shape matter here, not published figures: ten years (2013-2022) of JustID
notifications (about a million rows in monthly exports), two DPAN workbooks, 250 000
case-registration rows in 25 workbooks with a sheet per year, 400 000 screening forms
and a cohort follow-up per region and year. The three regions of the reference list
carry all of it. ``size`` scales every volume (1.0 = national; the tests use 0.002-0.01).
The same ``size`` and ``seed`` give the same bytes in every file: workbooks carry fixed
time stamps (:class:`FastWorkbook`, and :func:`nazorg.demo.files.save_workbook` for the
small cohort workbooks).

A benchmark on clean data would hide the slow paths, so the exports carry the quirks the
input contract (``sources.md``) names, at small rates (the constants below):

JustID (``justid/<year>/justid_<yyyy-mm>.csv``, one file per month)
    ``Insluiting``/``Ontslag`` before April 2020, ``Begin detentie``/``Einde detentie``
    after. Gemeentecode written ``GM0402`` (70 %), ``0402`` (10 %), ``402`` (5 %), only
    the code (5 %), or empty with the name in ``Gemeente`` (10 %: as is, ``Gemeente X``,
    capitals, lower case, a listed variant such as ``Laren (NH)``; of those 1 % a typo,
    and a bare ``Bergen`` for 30 % of Bergen (L.): unknown or ambiguous, a warning); 3 %
    of episodes without an address, 8 % of releases without a municipality (the admission
    has it); Bussum/Naarden/Muiden before 2016, Weesp (Amsterdam after 24-3-2022); 1.5 %
    of persons living outside the regions (a code only). Per file: 5 re-saved through
    Excel (Windows-1252, ``\\r\\n``, dates ``d-m-jjjj``, BSN and code without leading zero:
    8-digit BSNs); 6 from another export program (ISO dates, header names in other case
    or spacing); 12 with a UTF-8 BOM; 12 with ``\\r\\n``; 8 more with other header
    spelling; 6 with shuffled columns; 6 with an unknown extra column; 30 % repeat the last
    three days of the previous month (same Meldingnummer); one file twice (same bytes,
    ``kopie van …``); a ``LEESMIJ.txt`` that is no input. Accented names (``Öztürk``,
    ``Justitiële Jeugdinrichting …``) make the encodings differ. 0.25 % extra rejected
    rows: a BSN failing the 11-proef, an empty required field (Inrichting, Geboortedatum,
    Datum ontslag for an ``Einde detentie``), an unknown Soort melding, Datum ontslag
    before Datum insluiting, a date that does not exist (``31-04``).
DPAN (``dpan/dpan_<year>.xlsx``, 2013 and 2014, 2 % of the episodes each)
    90 % of its episodes released by the end of 2014 are in DPAN only; the others, and
    those still open then, are in JustID too (one episode in two systems). Title row(s)
    above the header; names only, historical ones included (Bussum, Naarden,
    Muiden; 8 % of Peel en Maas, Horst aan de Maas and Venlo under a pre-2010 name such as
    Helden or Sevenum; 0.3 % of Venray/Horst as ``Meerlo-Wanssum``, which has no single
    successor: a warning); 20 % name variants, 3 % empty; BSN as a number cell in 30 % of
    rows (8 digits where the leading zero is lost); real date cells and text dates (10 %;
    20 % for the birth date); a transfer as a second row with a new DPAN-nr and the same
    Datum binnenkomst; detentions open at the end of 2013 repeated, closed, in 2014 (same
    DPAN-nr); 4 % other departure reasons; 25 % unscreened; 0.5 % extra rejected rows (Datum
    vertrek without Reden vertrek, a bad BSN, Datum vertrek before Datum binnenkomst).
Screening (``screening/informatiebladen_<year>.csv``)
    per file a BOM, ``\\r\\n``, Windows-1252, ISO or ``d-m-jjjj`` dates, other header case,
    shuffled columns or extra columns (``Opmerkingen``, ``Afdeling``); answers ``Ja``/``Nee``/
    ``Onbekend``/empty (3 % in lower case), consent also ``J``/``N``; 2 % of the forms with
    a Datum insluiting 1-3 days off (linked by the 14-day fallback); 1 % for persons
    never detained (unlinked); 0.15 % extra rejected rows (empty consent, bad BSN, a date
    that does not exist).
Case registration (``caseload/<region>/registratie_<nn>.xlsx``)
    a sheet per year, one to three title rows (sometimes an empty first row), an empty row
    here and there (0.3 %), a ``Totaal`` row, a ``Toelichting`` sheet without header in
    every fifth workbook; marks ``x``/``X``/``Ja``; dates typed as text (10 %, ``dd-mm-jjjj``
    and ``d-m-jjjj``) next to real date cells; BSN as a number in 30 % (8 digits where
    the leading zero is lost); Gemeente empty (3 %), ``Overig`` (2 %), outside the region
    (2 %), a pre-merger or variant spelling, 0.1 % a typo (a warning); rejected: 0.2 % a
    bad BSN, 0.2 % no Datum aanmelding, 0.05 % a row pasted twice (the copy). One
    cumulative re-export (``registratie_00_2022_stand_2023-03.xlsx``) repeats the 2022
    sheet of ``registratie_00`` with later outflow dates: it sorts last and wins.
Cohort (``cohort/<region>/steekproef_cohort_<year>.xlsx``)
    up to 20 distinct persons per region and year, drawn from the loaded ``Gestart``
    cases registered that year; statuses Geïnterviewd/Onbereikbaar/Weigering/Afgezegd
    (at least one interviewed; now and then ``Geinterviewd``); Recidive ``Ja`` exactly
    when Aantal delicten > 0; Toerekening ``0,5``, ``0,4``, 0.5 or empty; Eenmalige kosten
    ``2.500``, ``€ 1.250,00`` or a number; one row of the first file has a Casusnummer
    the registration does not know (rejected).

BSNs are synthetic only (:func:`valid_bsns`): the 909 valid numbers of the test range
999990000-999999999 first, then every 11-proef-valid number from 010000000 upwards, in
order. A rejected row's BSN is one of those with its last digit changed.

Why one module of over 500 lines: a generator of synthetic exports for the benchmark,
outside the nightly product (the product never imports it); every source's writer shares
the one generated population, so they stay together.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from nazorg.demo.caseload import HEADER as CASE_HEADER
from nazorg.demo.cohort import HEADER as COHORT_HEADER
from nazorg.demo.detentions import DPAN_HEADER, JUSTID_HEADER
from nazorg.demo.files import FIXED_STAMP, FIXED_ZIP_TIME, save_workbook
from nazorg.demo.population import TITLES
from nazorg.demo.screening import HEADER as SCREENING_HEADER
from nazorg.ingest import region_slug
from nazorg.municipalities import load_reference

YEARS = list(range(2013, 2023))
EPOCH = dt.date(1970, 1, 1)
WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])
SOURCE_FOLDERS = ("justid", "dpan", "screening", "caseload", "cohort")

# --- rates of the quirks (see the module docstring) ------------------------------------
NO_ADDRESS_SHARE = 0.03  # episodes without a municipality (no fixed address)
OUTSIDE_SHARE = 0.015  # persons registered outside the three regions
BLANK_RELEASE_SHARE = 0.08  # release notifications without a municipality
CODE_STYLES = (0.70, 0.10, 0.05, 0.10, 0.05)  # GM0402, 0402, 402, name only, code only
NAME_STYLES = (0.45, 0.25, 0.15, 0.10, 0.05)  # as is, Gemeente X, UPPER, lower, variant
NAME_TYPO_SHARE = 0.01  # of the name-only notifications
BARE_BERGEN_SHARE = 0.3  # of the name-only notifications of Bergen (L.)
JUSTID_REJECT_SHARE = 0.0025
JUSTID_FILE_QUIRKS = {  # files per quirk (of 120); the last month always stays plain
    "excel": 5,  # re-saved through Excel: cp1252, \r\n, d-m-jjjj, zeros lost
    "iso": 6,  # another export program: ISO dates, its own header spelling
    "bom": 12,
    "crlf": 12,
    "header": 8,
    "order": 6,
    "extra": 6,
}
JUSTID_OVERLAP_SHARE = 0.3  # files that repeat the last days of the previous month
OVERLAP_DAYS = 3
DPAN_SHARE = 0.02  # of the episodes, in each of the two DPAN exports
DPAN_ALSO_JUSTID_SHARE = 0.1  # of the DPAN episodes released by 2014: in JustID too
DPAN_STALE_SHARE = 0.08
DPAN_MEERLO_SHARE = 0.003
DPAN_REJECT_SHARE = 0.005
DPAN_OTHER_REASON_SHARE = 0.04
UNSCREENED_SHARE = 0.25
NUMBER_BSN_SHARE = 0.3  # BSN stored as a number cell in a workbook
TEXT_DATE_SHARE = 0.10  # date typed as text in a workbook
SCREENING_OFF_SHARE = 0.02
SCREENING_UNKNOWN_SHARE = 0.01
SCREENING_REJECT_SHARE = 0.0015
CASE_EMPTY_ROW_SHARE = 0.003
CASE_BAD_BSN_SHARE = 0.002
CASE_NO_DATE_SHARE = 0.002
CASE_PASTED_TWICE_SHARE = 0.0005
CASE_PLACE = (0.03, 0.02, 0.02, 0.001)  # empty, Overig, outside the region, typo
COHORT_SAMPLE = 20

# --- fixed vocabularies ----------------------------------------------------------------
SURNAMES = [
    "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
    "Brouwer", "de Wit", "Dijkstra", "Janssen", "Peeters", "Willems", "Claessens", "Gerards",
    "Öztürk", "Çelik", "Yildiz", "El Idrissi", "Boukhari", "Kaya", "Hernández", "Müller",
    "Loë", "Gökçe", "Verhoeven", "Schreurs",
]  # fmt: skip
INITIALS = ["J.", "M.", "A.", "R.", "P.", "K.", "S.", "H.", "D.", "T.", "M.A.", "J.P.", "E."]
INSTITUTIONS = [
    "PI Roermond", "PI Sittard", "PI Venlo", "PI Vught", "PI Nieuwegein", "PI Zwaag",
    "JC Zaanstad", "PI Almere", "PI Arnhem", "PI Haaglanden",
    "Justitiële Jeugdinrichting Den Hey-Acker",
]  # fmt: skip
INSTITUTION_WEIGHTS = [18, 14, 12, 14, 9, 6, 8, 6, 5, 5, 3]
TITLE_WEIGHTS = [35, 45, 12, 5, 3]
SEXES = ["M", "V", "X"]
KIND_LABELS = (
    ("Insluiting", "Overplaatsing", "Verlof", "Ontslag"),  # before April 2020
    ("Begin detentie", "Overplaatsing", "Verlof", "Einde detentie"),
)
ADMISSION, TRANSFER, LEAVE, RELEASE = range(4)
NEW_VOCABULARY_FROM = dt.date(2020, 4, 1)  # the Berichtenbox Re-integratie (31-3-2020)
UNKNOWN_KINDS = ["Heroverweging", "Schorsing", "Onttrekking"]
# Persons registered elsewhere in the country: codes not in the reference list.
OUTSIDE = [("GM0344", "Utrecht"), ("GM0599", "Rotterdam"), ("GM0518", "'s-Gravenhage")]
# Names of municipalities merged away before the event, still typed in old registers
# (DPAN, the case registration): the pipeline maps them to their successor.
STALE_NAMES = {
    "Peel en Maas": ["Helden", "Kessel", "Maasbree", "Meijel"],
    "Horst aan de Maas": ["Sevenum"],
    "Venlo": ["Arcen en Velden"],
    "Gooise Meren": ["Bussum", "Naarden"],
}
GOOISE_MEREN_BEFORE_2016 = (("Bussum", 0.55), ("Naarden", 0.35), ("Muiden", 0.10))
ANSWERS = np.array(["Ja", "Nee", "Onbekend", None], dtype=object)
REMARKS = [
    "Afspraak gemist, opnieuw ingepland",
    "Woont tijdelijk bij familie",
    "Schuldhulp loopt via de gemeente",
    "Cliënt wil hulp bij ID-kaart",
    None,
]
EXTRA_COLUMN = ("Verzonden aan", "Veiligheidshuis")


@dataclass(frozen=True)
class Volumes:
    notifications: int = 1_000_000
    case_rows: int = 250_000
    case_workbooks: int = 25
    screening_forms: int = 400_000
    cohort_rows_per_region_year: int = COHORT_SAMPLE

    def scaled(self, size: float) -> Volumes:
        return Volumes(
            notifications=max(200, int(self.notifications * size)),
            case_rows=max(100, int(self.case_rows * size)),
            case_workbooks=max(3, min(self.case_workbooks, int(self.case_workbooks * size) or 3)),
            screening_forms=max(100, int(self.screening_forms * size)),
            cohort_rows_per_region_year=self.cohort_rows_per_region_year,
        )


def valid_bsns(n: int) -> np.ndarray:
    """``n`` distinct 11-proef-valid BSNs: the test range first, then 0xxxxxxxx upward."""

    def valid(block: np.ndarray) -> np.ndarray:
        digits = (block[:, None] // 10 ** np.arange(8, -1, -1)) % 10
        return block[((digits * WEIGHTS).sum(axis=1) % 11 == 0) & (block > 0)]

    found = [valid(np.arange(999_990_000, 1_000_000_000))]
    start = 10_000_000
    while sum(len(f) for f in found) < n:
        found.append(valid(np.arange(start, start + 1_000_000)))
        start += 1_000_000
    return np.concatenate(found)[:n]


def corrupt_bsns(bsns: pl.Series, rng: np.random.Generator) -> pl.Series:
    """The same BSNs with the last digit changed: each fails the 11-proef (the weight of
    the last digit is -1, so any change moves the sum off a multiple of 11)."""
    numbers = bsns.cast(pl.Int64).to_numpy()
    last = numbers % 10
    changed = numbers - last + (last + rng.integers(1, 10, len(numbers))) % 10
    return pl.Series(changed).cast(pl.Utf8).str.zfill(9)


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


MISSING = -1_000_000  # a day number that stands for "no date"
W0, W1 = _days(dt.date(YEARS[0], 1, 1)), _days(dt.date(YEARS[-1], 12, 31))

# --- dates as the exports write them ---------------------------------------------------

DMY, D_M, ISO = 0, 1, 2  # dd-mm-jjjj, d-m-jjjj, jjjj-mm-dd
FORMATS = ("%d-%m-%Y", "%-d-%-m-%Y", "%Y-%m-%d")
DAY0 = _days(dt.date(1930, 1, 1))
NDAYS = _days(dt.date(2026, 1, 1)) - DAY0


@cache
def _date_texts() -> pl.Series:
    """Every day 1930-2025 in every format, and a NULL at the end (for MISSING)."""
    days = pl.Series(np.arange(DAY0, DAY0 + NDAYS, dtype=np.int32)).cast(pl.Date)
    return pl.concat([days.dt.strftime(f) for f in FORMATS] + [pl.Series([None], dtype=pl.Utf8)])


@cache
def _date_arrays() -> tuple[np.ndarray, np.ndarray]:
    texts = _date_texts().to_numpy()
    dates = np.array(
        [EPOCH + dt.timedelta(days=d) for d in range(DAY0, DAY0 + NDAYS)] + [None], dtype=object
    )
    return texts, dates


def _date_index(days: np.ndarray, fmt: np.ndarray | int) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    index = np.asarray(fmt, dtype=np.int64) * NDAYS + (days - DAY0)
    return np.where(days == MISSING, len(FORMATS) * NDAYS, index)


def date_text(days: np.ndarray, fmt: np.ndarray | int = DMY) -> pl.Series:
    """Day numbers → text in the format(s) given; NULL where MISSING."""
    return _date_texts().gather(_date_index(days, fmt))


def date_cells(days: np.ndarray, rng: np.random.Generator, typed: float = TEXT_DATE_SHARE) -> list:
    """Workbook cells: real date cells, a share typed as text (``dd-mm-jjjj`` 60 %,
    ``d-m-jjjj`` 40 %); None where MISSING."""
    texts, dates = _date_arrays()
    days = np.asarray(days, dtype=np.int64)
    roll = rng.random(len(days))
    cells = dates[np.where(days == MISSING, NDAYS, days - DAY0)]
    as_text = roll < typed
    fmt = np.where(roll < typed * 0.6, DMY, D_M)
    cells[as_text] = texts[_date_index(days, fmt)][as_text]
    return cells.tolist()


def _year_of(days: np.ndarray) -> np.ndarray:
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date).dt.year().to_numpy()


def _pick(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _spell(names: pl.Series, style: np.ndarray, variants: pl.Series | None = None) -> pl.Series:
    """A municipality name as people type it: 0 as is, 1 ``Gemeente X``, 2 capitals,
    3 lower case, 4 a listed variant (``Laren (NH)``), else as is."""
    frame = pl.DataFrame(
        {
            "n": names,
            "s": pl.Series(style, dtype=pl.Int8),
            "v": variants
            if variants is not None
            else pl.Series([None] * len(names), dtype=pl.Utf8),
        }
    )
    s, n = pl.col("s"), pl.col("n")
    return frame.select(
        pl.when(s == 1)
        .then(pl.lit("Gemeente ") + n)
        .when(s == 2)
        .then(n.str.to_uppercase())
        .when(s == 3)
        .then(n.str.to_lowercase())
        .when((s == 4) & pl.col("v").is_not_null())
        .then(pl.col("v"))
        .otherwise(n)
    ).to_series()


def _csv_bytes(frame: pl.DataFrame, encoding: str, newline: str) -> bytes:
    text = frame.write_csv(separator=";", line_terminator=newline)
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def _header_variant(name: str, how: int) -> str:
    """Header names as other exports spell them (matched after trimming, any case)."""
    if how == 0:
        return name.lower()
    if how == 1:
        return name.upper()
    return " " + name.replace(" ", "  ") + " "


@dataclass
class FileStyle:
    encoding: str = "utf-8"
    newline: str = "\n"
    date_format: int = DMY
    header: int | None = None  # _header_variant
    shuffled: bool = False
    extra: bool = False
    zeros_lost: bool = False  # re-saved through Excel: leading zeros of numbers gone


# --- a fast, reproducible .xlsx writer -------------------------------------------------
#
# openpyxl spends ~10 µs per cell; the case registration has three million. The big
# workbooks are written here instead, as Excel writes them (shared strings, dates as
# serial numbers with a date format), with fixed zip times so the bytes only change
# when the data do. Small workbooks (the cohort follow-up) still go through openpyxl.

EXCEL_EPOCH = dt.date(1899, 12, 30)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Standaard" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_COLUMNS = [get_column_letter(i) for i in range(1, 101)]


def _xml_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text != text.strip():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


class FastWorkbook:
    """Sheets of rows (lists of str, int, float, date or None; ``[]`` is an empty row)."""

    def __init__(self) -> None:
        self.sheets: list[tuple[str, list[str], int, int]] = []
        self.strings: dict[str, int] = {}
        self.string_refs = 0

    def add_sheet(self, name: str, rows) -> None:
        strings = self.strings
        out: list[str] = []
        width = 0
        r = 0
        refs = 0
        for row in rows:
            r += 1
            if not row:
                continue  # Excel does not write an empty row
            cells = []
            for col, v in zip(_COLUMNS, row, strict=False):
                if v is None:
                    continue
                kind = type(v)
                if kind is str:
                    i = strings.get(v)
                    if i is None:
                        i = strings[v] = len(strings)
                    refs += 1
                    cells.append(f'<c r="{col}{r}" t="s"><v>{i}</v></c>')
                elif kind is dt.date:
                    cells.append(f'<c r="{col}{r}" s="1"><v>{(v - EXCEL_EPOCH).days}</v></c>')
                elif kind is bool:
                    cells.append(f'<c r="{col}{r}" t="b"><v>{int(v)}</v></c>')
                else:
                    cells.append(f'<c r="{col}{r}"><v>{v}</v></c>')
            width = max(width, len(row))
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
        self.string_refs += refs
        self.sheets.append((name, out, r, width))

    def save(self, path: Path) -> None:
        n = len(self.sheets)
        sheets = "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, *_) in enumerate(self.sheets, start=1)
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        rels += (
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        parts = {
            "[Content_Types].xml": f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}"
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml"/>'
            "</Types>",
            "_rels/.rels": f'{_HEAD}<Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>",
            "docProps/app.xml": f'{_HEAD}<Properties xmlns="{_CT}.extended-properties">'
            "<Application>Microsoft Excel</Application></Properties>",
            "docProps/core.xml": f"{_HEAD}<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_STAMP}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_STAMP}</dcterms:modified>'
            "</cp:coreProperties>",
            "xl/workbook.xml": f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f"<sheets>{sheets}</sheets></workbook>",
            "xl/_rels/workbook.xml.rels": f'{_HEAD}<Relationships xmlns="{_PKG}">{rels}</Relationships>',
            "xl/styles.xml": _STYLES,
        }
        for i, (_, rows, height, width) in enumerate(self.sheets, start=1):
            dimension = f"A1:{_COLUMNS[max(width, 1) - 1]}{max(height, 1)}"
            parts[f"xl/worksheets/sheet{i}.xml"] = (
                f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{dimension}"/>'
                f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
            )
        shared = "".join(f"<si>{_xml_text(t)}</si>" for t in self.strings)
        parts["xl/sharedStrings.xml"] = (
            f'{_HEAD}<sst xmlns="{_MAIN}" count="{self.string_refs}" '
            f'uniqueCount="{len(self.strings)}">{shared}</sst>'
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in parts.items():
                info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, text.encode("utf-8"))


# --- places ----------------------------------------------------------------------------


class Places:
    """Lookup of the municipalities the generator writes, by index; the last entry is
    "no municipality"."""

    def __init__(self) -> None:
        ref = load_reference()
        by_name = {r["name"]: r for r in ref.iter_rows(named=True)}
        current = ref.filter(
            pl.col("region").is_not_null()
            & (pl.col("valid_to").is_null() | (pl.col("name") == "Weesp"))
        )
        rows = [
            (r["code"], r["name"], r["region"], (r["variants"] or "").split("|")[0] or None, True)
            for r in current.iter_rows(named=True)
        ]
        self.n_current = len(rows)
        historical = ["Bussum", "Naarden", "Muiden", "Amsterdam"]
        historical += [s for names in STALE_NAMES.values() for s in names]
        historical.append("Meerlo-Wanssum")
        for name in dict.fromkeys(historical):
            r = by_name[name]
            rows.append((r["code"], r["name"], r["region"], None, True))
        rows += [(code, name, None, None, False) for code, name in OUTSIDE]
        rows.append((None, None, None, None, False))
        self.rows = rows
        self.index = {}
        for i, row in enumerate(rows):
            self.index.setdefault(row[1], i)
        self.none = len(rows) - 1
        self.code = pl.Series([r[0] for r in rows], dtype=pl.Utf8)
        self.name = pl.Series([r[1] for r in rows], dtype=pl.Utf8)
        self.region = pl.Series([r[2] for r in rows], dtype=pl.Utf8)
        self.variant = pl.Series([r[3] for r in rows], dtype=pl.Utf8)
        self.in_reference = np.array([r[4] for r in rows])
        self.outside = np.array([self.index[name] for _, name in OUTSIDE])
        self.regions = sorted({r[2] for r in rows[: self.n_current]})

    def at_date(self, place: np.ndarray, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The municipality of the address on that day: Gooise Meren was Bussum, Naarden
        or Muiden before 2016; Weesp is Amsterdam from 24-3-2022."""
        place = place.copy()
        before = (place == self.index["Gooise Meren"]) & (day < _days(dt.date(2016, 1, 1)))
        names = [self.index[n] for n, _ in GOOISE_MEREN_BEFORE_2016]
        weights = [w for _, w in GOOISE_MEREN_BEFORE_2016]
        place[before] = np.array(names)[_pick(rng, int(before.sum()), weights)]
        weesp = (place == self.index["Weesp"]) & (day > _days(dt.date(2022, 3, 23)))
        place[weesp] = self.index["Amsterdam"]
        return place

    def stale(self, place: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
        """A share of the places under a name merged away before the event (old registers)."""
        place = place.copy()
        roll = rng.random(len(place))
        for current, names in STALE_NAMES.items():
            hit = (place == self.index[current]) & (roll < share)
            options = np.array([self.index[n] for n in names])
            place[hit] = options[rng.integers(0, len(options), int(hit.sum()))]
        return place


# --- the generator ---------------------------------------------------------------------


class NationalGenerator:
    def __init__(self, raw_dir: Path, size: float = 1.0, seed: int = 2024) -> None:
        if size <= 0:
            raise ValueError("size must be positive")
        self.raw = raw_dir
        self.volumes = Volumes().scaled(size)
        self.rng = np.random.default_rng(seed)
        self.places = Places()
        self.region_names = self.places.regions
        self.surnames = pl.Series(SURNAMES)
        self.initials = pl.Series(INITIALS)
        self.institutions = pl.Series(INSTITUTIONS)
        self.titles = pl.Series(TITLES)
        self.sexes = pl.Series(SEXES)

    # ------------------------------------------------------------------ persons, episodes

    def episodes(self) -> pl.DataFrame:
        """About 2.2 notifications per episode: admission, release, some transfers and
        leaves. Integer columns only (day numbers, indices into the lookups)."""
        rng = self.rng
        # About 2.2 notifications per JustID episode; the DPAN-only ones come on top.
        n = int(
            self.volumes.notifications / 2.3 / (1 - 2 * DPAN_SHARE * (1 - DPAN_ALSO_JUSTID_SHARE))
        )
        persons = max(50, n // 3)
        never_detained = max(10, int(self.volumes.screening_forms * SCREENING_UNKNOWN_SHARE) + 10)
        self.n_persons = persons
        self.n_never_detained = never_detained
        self.bsn = pl.Series(valid_bsns(persons + never_detained)).cast(pl.Utf8).str.zfill(9)
        self.birth = rng.integers(_days(dt.date(1950, 1, 1)), _days(dt.date(2004, 1, 1)), persons)
        self.sex = _pick(rng, persons, [91, 8, 1])
        self.surname = rng.integers(0, len(SURNAMES), persons)
        self.initial = rng.integers(0, len(INITIALS), persons)
        home = rng.integers(0, self.places.n_current, persons)
        outside = rng.random(persons) < OUTSIDE_SHARE
        home[outside] = self.places.outside[rng.integers(0, len(OUTSIDE), int(outside.sum()))]

        person = rng.integers(0, persons, n)
        admission = rng.integers(W0 - 60, W1, n)
        stay = rng.choice([3, 9, 20, 45, 60, 90, 120, 180, 270, 400], n)
        release = admission + stay
        released = release <= W1
        transfer = np.where(rng.random(n) < 0.2, admission + stay // 2, MISSING)
        leave = np.where((rng.random(n) < 0.1) & (stay > 30), admission + 10, MISSING)
        expected = np.where(rng.random(n) < 0.6, release + rng.choice([0, 0, 7, 30], n), MISSING)
        event = np.where(released, release, admission)
        place = self.places.at_date(home[person], event, rng)
        place[rng.random(n) < NO_ADDRESS_SHARE] = self.places.none
        frame = pl.DataFrame(
            {
                "person": person,
                "admission": admission,
                "release": np.where(released, release, MISSING),
                "transfer": np.where(transfer <= W1, transfer, MISSING),
                "leave": np.where(leave <= W1, leave, MISSING),
                "expected": expected,
                "place": place,
                "pi1": _pick(rng, n, INSTITUTION_WEIGHTS),
                "pi2": _pick(rng, n, INSTITUTION_WEIGHTS),
                "title": _pick(rng, n, TITLE_WEIGHTS),
                "blank_release": rng.random(n) < BLANK_RELEASE_SHARE,
            }
        )
        # An episode with no notification in the window (admitted and released before
        # 2013) is in no export.
        frame = frame.filter((pl.col("release") == MISSING) | (pl.col("release") >= W0))
        return frame.with_row_index("ep").with_columns(
            region=self.places.region.gather(frame["place"].to_numpy())
        )

    # ------------------------------------------------------------------ JustID

    def _justid_styles(self, months: int) -> list[FileStyle]:
        rng = self.rng
        styles = [FileStyle() for _ in range(months)]
        candidates = rng.permutation(months - 1)  # never the last month (the bench copies it)
        used = 0
        for quirk, count in JUSTID_FILE_QUIRKS.items():
            # Quirks that change the same property go to different files.
            if quirk in {"excel", "iso", "bom"}:
                chosen = candidates[used : used + count]
                used += count
            else:
                chosen = rng.choice(months - 1, size=min(count, months - 1), replace=False)
            for m in chosen:
                s = styles[m]
                if quirk == "excel":
                    s.encoding, s.newline, s.date_format, s.zeros_lost = "cp1252", "\r\n", D_M, True
                elif quirk == "iso":
                    s.date_format, s.header = ISO, int(rng.integers(0, 3))
                elif quirk == "bom":
                    s.encoding = "utf-8-sig"
                elif quirk == "crlf":
                    s.newline = "\r\n"
                elif quirk == "header":
                    s.header = int(rng.integers(0, 3))
                elif quirk == "order":
                    s.shuffled = True
                elif quirk == "extra":
                    s.extra = True
        return styles

    def write_justid(self, episodes: pl.DataFrame) -> list[Path]:
        rng = self.rng
        ep = {c: episodes[c].to_numpy() for c in episodes.columns if c != "region"}
        # Notifications: one per event in the window, in date order.
        idx, kind, date = [], [], []
        for k, column in (
            (ADMISSION, "admission"),
            (TRANSFER, "transfer"),
            (LEAVE, "leave"),
            (RELEASE, "release"),
        ):
            day = ep[column]
            hit = np.flatnonzero((day != MISSING) & (day >= W0) & (day <= W1))
            idx.append(hit)
            kind.append(np.full(len(hit), k))
            date.append(day[hit])
        e, kind, date = (np.concatenate(a) for a in (idx, kind, date))
        order = np.lexsort((kind, e, date))
        e, kind, date = e[order], kind[order], date[order]
        n = len(e)
        number = pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(8)
        number = ("JN" + number).to_numpy()
        month_of = _month_index(date)
        months = 12 * len(YEARS)
        styles = self._justid_styles(months)

        # Rows of the files: every notification in its month, the last days of the
        # previous month repeated in some files, and the rejected rows.
        src, file, reject = [np.arange(n)], [month_of], [np.zeros(n, dtype=np.int64)]
        overlapping = np.flatnonzero(rng.random(months) < JUSTID_OVERLAP_SHARE)
        overlapping = overlapping[overlapping > 0]
        day_of_month = pl.Series(date.astype(np.int32)).cast(pl.Date).dt.day().to_numpy()
        month_end_day = _days_in_month(month_of)
        tail = day_of_month > month_end_day - OVERLAP_DAYS
        for m in overlapping:
            hit = np.flatnonzero(tail & (month_of == m - 1))
            src.append(hit)
            file.append(np.full(len(hit), m))
            reject.append(np.zeros(len(hit), dtype=np.int64))
        bad = np.flatnonzero((rng.random(n) < JUSTID_REJECT_SHARE) & (month_of < months - 1))
        if len(bad) == 0:
            bad = np.array([n // 2])
        src.append(bad)
        file.append(month_of[bad])
        reject.append(1 + _pick(rng, len(bad), [40, 20, 15, 15, 10]))
        src, file, reject = (np.concatenate(a) for a in (src, file, reject))
        order = np.lexsort((reject, src, file))
        src, file, reject = src[order], file[order], reject[order]
        numbers = number[src]
        rejected = np.flatnonzero(reject > 0)
        numbers[rejected] = [f"JR{i:07d}" for i in range(1, len(rejected) + 1)]

        # Per notification (identical in every file that repeats it) ...
        code_style = _pick(rng, n, CODE_STYLES)
        name_style = _pick(rng, n, NAME_STYLES)
        typo = rng.random(n)
        sample_e = e[src]
        k = kind[src]
        d = date[src]
        p = ep["person"][sample_e]
        place = ep["place"][sample_e].copy()
        place[(k == RELEASE) & ep["blank_release"][sample_e]] = self.places.none
        cs = code_style[src].copy()
        cs[(cs == 3) & ~self.places.in_reference[place]] = 0  # elsewhere: always a code
        # ... and per file.
        fmt = np.array([s.date_format for s in styles])[file]
        vocab = (
            np.array([_month_start(m) for m in range(months)]) >= _days(NEW_VOCABULARY_FROM)
        ).astype(int)
        zeros_lost = np.array([s.zeros_lost for s in styles])[file]

        code = self.places.code.gather(place)
        name = self.places.name.gather(place)
        frame = pl.DataFrame({"code": code, "name": name, "cs": cs, "lost": zeros_lost})
        digits = pl.col("code").str.slice(2)
        code_text = frame.select(
            pl.when(pl.col("cs") == 1)
            .then(pl.when(pl.col("lost")).then(digits.str.strip_chars_start("0")).otherwise(digits))
            .when(pl.col("cs") == 2)
            .then(digits.str.strip_chars_start("0"))
            .when(pl.col("cs") == 3)
            .then(None)
            .otherwise(pl.col("code"))
        ).to_series()
        spelled = _spell(name, name_style[src], self.places.variant.gather(place))
        name_only = cs == 3
        tp = typo[src]
        bergen = name_only & (place == self.places.index["Bergen (L.)"]) & (tp < BARE_BERGEN_SHARE)
        typo_rows = name_only & ~bergen & (tp < NAME_TYPO_SHARE)
        name_text = (
            pl.DataFrame({"s": spelled, "n": name, "b": bergen, "t": typo_rows, "cs": cs})
            .select(
                pl.when(pl.col("cs") == 4)
                .then(None)
                .when(pl.col("b"))
                .then(pl.lit("Bergen"))
                .when(pl.col("t"))
                .then(pl.col("s").str.slice(0, pl.col("s").str.len_chars() - 1))
                .when(pl.col("cs") == 3)
                .then(pl.col("s"))
                .otherwise(pl.col("n"))
            )
            .to_series()
        )

        institution = np.where(
            (ep["transfer"][sample_e] != MISSING) & (d >= ep["transfer"][sample_e]),
            ep["pi2"][sample_e],
            ep["pi1"][sample_e],
        )
        labels = pl.Series([label for v in KIND_LABELS for label in v])
        bsn = self.bsn.gather(p)
        bsn = (
            pl.DataFrame({"b": bsn, "lost": zeros_lost})
            .select(
                pl.when(pl.col("lost")).then(pl.col("b").str.strip_chars_start("0")).otherwise("b")
            )
            .to_series()
        )
        release_day = np.where(k == RELEASE, d, MISSING)
        columns = {
            "Meldingnummer": pl.Series(numbers, dtype=pl.Utf8),
            "Soort melding": labels.gather(vocab[file] * 4 + k),
            "Datum melding": date_text(d, fmt),
            "BSN": bsn,
            "Achternaam": self.surnames.gather(self.surname[p]),
            "Voorletters": self.initials.gather(self.initial[p]),
            "Geboortedatum": date_text(self.birth[p], fmt),
            "Geslacht": self.sexes.gather(self.sex[p]),
            "Gemeentecode": code_text,
            "Gemeente": name_text,
            "Inrichting": self.institutions.gather(institution),
            "Datum insluiting": date_text(ep["admission"][sample_e], fmt),
            "Verwachte datum ontslag": date_text(ep["expected"][sample_e], fmt),
            "Datum ontslag": date_text(release_day, fmt),
            "Titel": self.titles.gather(ep["title"][sample_e]),
        }
        assert list(columns) == JUSTID_HEADER
        rows_frame = pl.DataFrame(columns).with_columns(
            _file=pl.Series(file), _reject=pl.Series(reject)
        )
        rows_frame = self._break_justid_rows(rows_frame, ep["admission"][sample_e], fmt, rng)

        written = []
        parts = rows_frame.partition_by("_file", as_dict=True, include_key=False)
        for (m,), part in sorted(parts.items()):
            style = styles[m]
            part = part.drop("_reject")
            if style.extra:
                part = part.with_columns(pl.lit(EXTRA_COLUMN[1]).alias(EXTRA_COLUMN[0]))
            if style.shuffled:
                part = part.select([part.columns[i] for i in rng.permutation(part.width)])
            if style.header is not None:
                part = part.rename({c: _header_variant(c, style.header) for c in part.columns})
            year, month = YEARS[0] + m // 12, m % 12 + 1
            path = self.raw / "justid" / str(year) / f"justid_{year}-{month:02d}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_csv_bytes(part, style.encoding, style.newline))
            written.append(path)
        # The same export saved twice under another name: loaded once.
        plain = [
            p for p, m in zip(written, sorted(parts), strict=True) if styles[m[0]] == FileStyle()
        ]
        original = plain[len(plain) // 2]
        copy = original.with_name(f"kopie van {original.name}")
        copy.write_bytes(original.read_bytes())
        written.append(copy)
        (self.raw / "justid" / "LEESMIJ.txt").write_text(
            "Maandexports uit de Berichtenbox Re-integratie (JustID). Geen invoer.\n",
            encoding="utf-8",
        )
        return written

    @staticmethod
    def _break_justid_rows(
        frame: pl.DataFrame, admission: np.ndarray, fmt: np.ndarray, rng: np.random.Generator
    ) -> pl.DataFrame:
        """The rejected rows: 1 BSN fails the 11-proef, 2 a required field is empty,
        3 an unknown Soort melding, 4 Datum ontslag before Datum insluiting, 5 a date
        that does not exist."""
        r = pl.col("_reject")
        bad = frame["_reject"].to_numpy() > 0
        broken_bsn = frame["BSN"].clone()
        broken_bsn = broken_bsn.scatter(
            np.flatnonzero(bad), corrupt_bsns(frame["BSN"].filter(pl.Series(bad)), rng)
        )
        empty_field = rng.integers(0, 3, frame.height)  # Inrichting, Geboortedatum, Datum ontslag
        unknown = pl.Series(UNKNOWN_KINDS).gather(rng.integers(0, len(UNKNOWN_KINDS), frame.height))
        before = date_text(
            np.where(bad, admission - rng.integers(1, 30, frame.height), MISSING), fmt
        )
        end_label = frame["Soort melding"].replace(
            {
                "Insluiting": "Ontslag",
                "Overplaatsing": "Ontslag",
                "Verlof": "Ontslag",
                "Begin detentie": "Einde detentie",
            }
        )
        year = frame["Datum insluiting"].str.extract(r"(\d{4})", 1)
        return frame.with_columns(
            BSN=pl.when(r == 1).then(broken_bsn).otherwise("BSN"),
            Inrichting=pl.when((r == 2) & (pl.Series(empty_field) == 0))
            .then(None)
            .otherwise("Inrichting"),
            Geboortedatum=pl.when((r == 2) & (pl.Series(empty_field) == 1))
            .then(None)
            .otherwise("Geboortedatum"),
            **{
                "Soort melding": pl.when(r == 3)
                .then(unknown)
                .when((r == 4) | ((r == 2) & (pl.Series(empty_field) == 2)))
                .then(end_label)
                .otherwise("Soort melding"),
                "Datum ontslag": pl.when(r == 4)
                .then(before)
                .when((r == 2) & (pl.Series(empty_field) == 2))
                .then(None)
                .otherwise("Datum ontslag"),
                "Datum melding": pl.when(r == 5)
                .then(pl.lit("31-04-") + year)
                .otherwise("Datum melding"),
            },
        )

    # ------------------------------------------------------------------ DPAN

    def dpan_exports(self, episodes: pl.DataFrame) -> dict[int, pl.DataFrame]:
        """The episodes of the two legacy DPAN exports (2013, 2014): those that left in the
        year and those still open at its end (again in the next year's export)."""
        per_year = max(50, int(episodes.height * DPAN_SHARE))
        exports = {}
        carried = episodes.clear()
        for year in YEARS[:2]:
            y0, y1 = _days(dt.date(year, 1, 1)), _days(dt.date(year, 12, 31))
            left = episodes.filter(pl.col("release").is_between(y0, y1)).head(per_year)
            still_open = episodes.filter(
                pl.col("admission").is_between(y0, y1)
                & ((pl.col("release") > y1) | (pl.col("release") == MISSING))
            ).head(max(3, per_year // 25))
            exports[year] = pl.concat([carried, left, still_open]).unique(
                "ep", keep="first", maintain_order=True
            )
            carried = still_open
        return exports

    def only_in_dpan(self, episodes: pl.DataFrame, exports: dict[int, pl.DataFrame]) -> pl.Series:
        """The DPAN episodes that JustID does not know: released by the end of the last
        DPAN export, except a share that is in both systems. An episode still open then
        is released under JustID (one episode, two systems)."""
        ids = pl.concat(list(exports.values())).get_column("ep").unique()
        last = _days(dt.date(max(exports), 12, 31))
        both = pl.Series(self.rng.random(episodes.height) < DPAN_ALSO_JUSTID_SHARE)
        return (
            episodes.get_column("ep").is_in(ids.implode())
            & (episodes.get_column("release") != MISSING)
            & (episodes.get_column("release") <= last)
            & ~both
        )

    def write_dpan(self, exports: dict[int, pl.DataFrame]) -> list[Path]:
        """Two legacy DPAN workbooks; a transfer is a second row."""
        written = []
        for year, chosen in sorted(exports.items()):
            path = self.raw / "dpan" / f"dpan_{year}.xlsx"
            self._dpan_workbook(chosen, year, _days(dt.date(year, 12, 31)), path, self.rng)
            written.append(path)
        return written

    def _dpan_workbook(
        self, chosen: pl.DataFrame, year: int, y1: int, path: Path, rng: np.random.Generator
    ) -> None:
        e = {c: chosen[c].to_numpy() for c in chosen.columns if c != "region"}
        n = chosen.height
        left = (e["release"] != MISSING) & (e["release"] <= y1)
        moved = (e["transfer"] != MISSING) & (e["transfer"] <= y1)
        reasons = np.array(["Ontslag", "Schorsing", "Overlijden", "Overig"], dtype=object)
        reason = np.where(rng.random(n) < DPAN_OTHER_REASON_SHARE, rng.integers(1, 4, n), 0)
        final_reason = np.where(left, reasons[reason], None)
        # Row A: the first (or only) institution; after a transfer, row B: the second one.
        pos = np.concatenate([np.arange(n), np.flatnonzero(moved)])
        second = np.concatenate([np.zeros(n, bool), np.ones(int(moved.sum()), bool)])
        order = np.lexsort((second, pos))
        pos, second = pos[order], second[order]
        release = np.where(left, e["release"], MISSING)[pos]
        departure = np.where(second | ~moved[pos], release, e["transfer"][pos])
        why = np.where(second | ~moved[pos], final_reason[pos], "Overplaatsing").astype(object)
        pi = np.where(second, e["pi2"][pos], e["pi1"][pos])
        # Broken copies of some rows, right below them: 0 Datum vertrek without Reden
        # vertrek, 1 a BSN failing the 11-proef, 2 Datum vertrek before Datum binnenkomst.
        m = len(pos)
        bad = np.flatnonzero(rng.random(m) < DPAN_REJECT_SHARE)
        if len(bad) < 2:
            bad = np.array([0, m - 1])
        src = np.concatenate([np.arange(m), bad])
        broken = np.concatenate([np.full(m, -1), rng.integers(0, 3, len(bad))])
        order = np.lexsort((broken, src))
        src, broken = src[order], broken[order]
        pos, second, departure, why, pi = (a[src] for a in (pos, second, departure, why, pi))
        admission = e["admission"][pos]
        departure = np.where(
            broken == 0,
            np.where(departure == MISSING, admission + 5, departure),
            np.where(broken == 2, admission - 5, departure),
        )
        why[broken == 0] = None
        why[broken == 2] = "Ontslag"

        p = e["person"][pos]
        numbers = np.where(
            broken >= 0,
            90_000_000 + (year - 2000) * 100_000 + np.cumsum(broken >= 0),
            10_000_000 + 2 * e["ep"][pos] + second,
        )
        bsn = self.bsn.gather(p)
        bad_rows = np.flatnonzero(broken == 1)
        bsn = bsn.scatter(bad_rows, corrupt_bsns(bsn.gather(bad_rows), rng)).to_list()
        as_number = (rng.random(len(bsn)) < NUMBER_BSN_SHARE) & (broken != 1)
        bsn = [int(b) if num else b for b, num in zip(bsn, as_number.tolist(), strict=True)]
        place = self.places.stale(e["place"][pos], DPAN_STALE_SHARE, rng)
        place[np.isin(place, self.places.outside)] = self.places.index["Amsterdam"]
        meerlo = np.isin(
            place, [self.places.index["Venray"], self.places.index["Horst aan de Maas"]]
        )
        place[meerlo & (rng.random(len(place)) < DPAN_MEERLO_SHARE)] = self.places.index[
            "Meerlo-Wanssum"
        ]
        style = np.where(rng.random(len(place)) < 0.2, rng.integers(1, 5, len(place)), 0)
        gemeente = _spell(self.places.name.gather(place), style, self.places.variant.gather(place))
        gemeente = gemeente.scatter(np.flatnonzero(rng.random(len(place)) < 0.03), None)
        needs = ANSWERS[_pick(rng, n * 5, [30, 60, 6, 4])].reshape(n, 5)
        consent = np.array(["Ja", "Nee", None], dtype=object)[_pick(rng, n, [86, 12, 2])]
        answers = np.column_stack([needs, consent])
        answers[rng.random(n) < UNSCREENED_SHARE] = None
        names = self.initials.gather(self.initial[p]) + " " + self.surnames.gather(self.surname[p])
        columns = [
            [f"{x:08d}" for x in numbers.tolist()],
            bsn,
            names.to_list(),
            date_cells(self.birth[p], rng, 0.2),
            gemeente.to_list(),
            self.institutions.gather(pi).to_list(),
            date_cells(admission, rng),
            date_cells(departure, rng),
            why.tolist(),
            *answers[pos].T.tolist(),
        ]
        top = [[f"DPAN export: vertrek in {year} en zittend per 31-12-{year}"]]
        if year % 2 == 0:
            top.append([])
        wb = FastWorkbook()
        wb.add_sheet("Export", [*top, DPAN_HEADER, *zip(*columns, strict=True)])
        wb.save(path)

    # ------------------------------------------------------------------ screening

    def write_screening(self, episodes: pl.DataFrame) -> list[Path]:
        rng = self.rng
        eligible = episodes.filter(pl.col("admission") <= W1 - 10)
        n = min(self.volumes.screening_forms, eligible.height)
        chosen = eligible.sample(n, seed=int(rng.integers(1 << 30)))
        admission = chosen["admission"].to_numpy()
        person = chosen["person"].to_numpy().copy()
        form = admission + rng.integers(1, 11, n)
        typed = admission.copy()
        off = rng.random(n) < SCREENING_OFF_SHARE
        typed[off] += rng.choice([-3, -2, -1, 1, 2, 3], int(off.sum()))
        unknown = rng.random(n) < SCREENING_UNKNOWN_SHARE
        person[unknown] = self.n_persons + rng.integers(
            0, self.n_never_detained, int(unknown.sum())
        )
        institution = chosen["pi1"].to_numpy()
        consent = np.array(["Ja", "Nee", "J", "N"], dtype=object)[_pick(rng, n, [85, 12, 2, 1])]
        answers = ANSWERS[_pick(rng, n * 6, [30, 55, 10, 5])].reshape(n, 6)
        lower = rng.random((n, 6)) < 0.03
        answers[lower & (answers != None)] = np.char.lower(  # noqa: E711 - object array
            answers[lower & (answers != None)].astype(str)  # noqa: E711
        ).astype(object)
        # Broken copies of some forms: rejected (0 empty consent, 1 bad BSN, 2 no such date).
        bad = np.flatnonzero(rng.random(n) < SCREENING_REJECT_SHARE)
        if len(bad) == 0:
            bad = np.array([0])
        src = np.concatenate([np.arange(n), bad])
        broken = np.concatenate([np.full(n, -1), rng.integers(0, 3, len(bad))])
        order = np.lexsort((broken, src))
        src, broken = src[order], broken[order]
        year = _year_of(form)[src]
        years = sorted(set(year.tolist()))
        styles = self._screening_styles(years)
        fmt = np.array([styles[y].date_format for y in year.tolist()]) if len(years) else DMY

        bsn = self.bsn.gather(person[src])
        bad_bsn = np.flatnonzero(broken == 1)
        bsn = bsn.scatter(bad_bsn, corrupt_bsns(bsn.gather(bad_bsn), rng))
        consent_col = consent[src].copy()
        consent_col[broken == 0] = None
        form_text = date_text(form[src], fmt)
        form_text = form_text.scatter(
            np.flatnonzero(broken == 2),
            pl.Series([f"30-02-{y}" for y in year[broken == 2].tolist()], dtype=pl.Utf8),
        )
        columns = {
            "BSN": bsn,
            "Inrichting": self.institutions.gather(institution[src]),
            "Datum insluiting": date_text(typed[src], fmt),
            "Datum formulier": form_text,
            "Toestemming gegevensuitwisseling": pl.Series(consent_col.tolist(), dtype=pl.Utf8),
        }
        for j, header in enumerate(SCREENING_HEADER[5:]):
            columns[header] = pl.Series(answers[src, j].tolist(), dtype=pl.Utf8)
        assert list(columns) == SCREENING_HEADER
        frame = pl.DataFrame(columns).with_columns(_year=pl.Series(year))
        written = []
        parts = frame.partition_by("_year", as_dict=True, include_key=False)
        for (y,), part in sorted(parts.items()):
            style = styles[y]
            if style.extra:
                remarks = pl.Series(REMARKS).gather(rng.integers(0, len(REMARKS), part.height))
                part = part.insert_column(5, remarks.alias("Opmerkingen")).with_columns(
                    pl.lit("MMD").alias("Afdeling")
                )
            if style.shuffled:
                part = part.select([part.columns[i] for i in rng.permutation(part.width)])
            if style.header is not None:
                part = part.rename({c: _header_variant(c, style.header) for c in part.columns})
            path = self.raw / "screening" / f"informatiebladen_{y}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_csv_bytes(part, style.encoding, style.newline))
            written.append(path)
        return written

    def _screening_styles(self, years: list[int]) -> dict[int, FileStyle]:
        """One or two quirks per file, spread over the years."""
        styles = {y: FileStyle() for y in years}
        quirks = ["bom", "crlf", "cp1252", "iso", "d-m", "header", "order", "extra", "bom", "crlf"]
        order = [years[i] for i in self.rng.permutation(len(years))] if years else []
        for i, quirk in enumerate(quirks):
            if not order:
                break
            s = styles[order[i % len(order)]]
            if quirk == "bom" and s.encoding == "utf-8":
                s.encoding = "utf-8-sig"
            elif quirk == "cp1252" and s.encoding == "utf-8":
                s.encoding = "cp1252"
            elif quirk == "crlf":
                s.newline = "\r\n"
            elif quirk == "iso" and s.date_format == DMY:
                s.date_format = ISO
            elif quirk == "d-m" and s.date_format == DMY:
                s.date_format = D_M
            elif quirk == "header":
                s.header = 0
            elif quirk == "order":
                s.shuffled = True
            elif quirk == "extra":
                s.extra = True
        return styles

    # ------------------------------------------------------------------ case registration

    def write_cases(self, episodes: pl.DataFrame) -> tuple[list[Path], dict[str, list[str]]]:
        """Workbooks spread over the regions, a sheet per year; returns the case numbers
        of the loaded ``Gestart`` cases per region-year, one per person (for the cohort
        follow-up)."""
        rng = self.rng
        released = episodes.filter((pl.col("release") != MISSING) & (pl.col("release") >= W0))
        per_book = self.volumes.case_rows // self.volumes.case_workbooks
        written: list[Path] = []
        started: dict[str, list[str]] = {}
        seen: dict[str, set[int]] = {}
        reexport = None
        for book in range(self.volumes.case_workbooks):
            region = self.region_names[book % len(self.region_names)]
            pool = released.filter(pl.col("region") == region)
            if pool.height == 0:
                pool = released
            sample = pool.sample(per_book, seed=int(rng.integers(1 << 30)), with_replacement=True)
            cases = self._cases(sample, region, book, rng)
            path = self.raw / "caseload" / region_slug(region) / f"registratie_{book:02d}.xlsx"
            self._case_workbook(cases, region, path, rng, legend=book % 5 == 0)
            written.append(path)
            if book == 0:
                reexport = (cases, region)
            loaded = cases.filter(
                (pl.col("plus") == "Gestart") & (pl.col("broken") < 0) & ~pl.col("copy")
            )
            for number, person, year in loaded.select("number", "person", "year").iter_rows():
                key = f"{region}|{year}"
                persons = seen.setdefault(key, set())
                if person not in persons:
                    persons.add(person)
                    started.setdefault(key, []).append(number)
        if reexport is not None:
            cases, region = reexport
            last = cases.filter(
                (pl.col("year") == YEARS[-1]) & (pl.col("broken") < 0) & ~pl.col("copy")
            )
            later = last.with_columns(
                outflow=pl.when(
                    (pl.col("outflow") == MISSING) & pl.Series(rng.random(last.height) < 0.3)
                )
                .then(pl.col("registered") + 60)
                .otherwise("outflow")
            )
            path = (
                self.raw
                / "caseload"
                / region_slug(region)
                / f"registratie_00_{YEARS[-1]}_stand_{YEARS[-1] + 1}-03.xlsx"
            )
            self._case_workbook(later, region, path, rng, legend=False)
            written.append(path)
        return written, started

    def _cases(
        self, sample: pl.DataFrame, region: str, book: int, rng: np.random.Generator
    ) -> pl.DataFrame:
        n = sample.height
        release = sample["release"].to_numpy()
        registered = np.maximum(release - rng.integers(0, 31, n), W0)
        plus = np.array(["Nee", "Aangemeld", "Gestart"], dtype=object)[_pick(rng, n, [60, 20, 20])]
        gestart = plus == "Gestart"
        start = np.where(gestart, registered + rng.integers(0, 31, n), MISSING)
        end = np.where(gestart & (rng.random(n) < 0.6), start + rng.integers(60, 366, n), MISSING)
        outflow = np.where(rng.random(n) < 0.4, registered + rng.integers(30, 400, n), MISSING)
        broken = np.full(n, -1)
        roll = rng.random(n)
        broken[roll < CASE_BAD_BSN_SHARE] = 0
        broken[(roll >= CASE_BAD_BSN_SHARE) & (roll < CASE_BAD_BSN_SHARE + CASE_NO_DATE_SHARE)] = 1
        frame = pl.DataFrame(
            {
                "person": sample["person"],
                "place": sample["place"],
                "registered": registered,
                "year": _year_of(registered),
                "plus": pl.Series(plus.tolist(), dtype=pl.Utf8),
                "start": start,
                "end": end,
                "outflow": outflow,
                "broken": broken,
                "copy": np.zeros(n, dtype=bool),
                "pasted_twice": rng.random(n) < CASE_PASTED_TWICE_SHARE,
                "empty_before": rng.random(n) < CASE_EMPTY_ROW_SHARE,
            }
        ).sort("year", "registered", maintain_order=True)
        prefix = region_slug(region)[:2].upper()
        return frame.with_columns(
            number=pl.format(
                "{}{}-{}-{}",
                pl.lit(prefix),
                pl.lit(f"{book:02d}"),
                pl.col("year"),
                (pl.int_range(pl.len()).over("year") + 1).cast(pl.Utf8).str.zfill(5),
            )
        )

    def _gemeente(self, place: np.ndarray, region: str, rng: np.random.Generator) -> list:
        """Gemeente as the coordinators type it (see CASE_PLACE)."""
        n = len(place)
        place = self.places.stale(place, 0.05, rng)
        style = np.where(rng.random(n) < 0.15, rng.integers(1, 5, n), 0)
        text = _spell(self.places.name.gather(place), style, self.places.variant.gather(place))
        roll = rng.random(n)
        empty, overig, outside, typo = np.cumsum(CASE_PLACE)
        others = [r[1] for r in self.places.rows[: self.places.n_current] if r[2] != region]
        others.append("Amsterdam")
        other = pl.Series(others).gather(rng.integers(0, len(others), n))
        return (
            pl.DataFrame({"t": text, "o": other, "r": roll})
            .select(
                pl.when(pl.col("r") < empty)
                .then(None)
                .when(pl.col("r") < overig)
                .then(pl.lit("Overig"))
                .when(pl.col("r") < outside)
                .then(pl.col("o"))
                .when(pl.col("r") < typo)
                .then(pl.col("t").str.slice(0, pl.col("t").str.len_chars() - 1) + "x")
                .otherwise(pl.col("t"))
            )
            .to_series()
            .to_list()
        )

    def _case_workbook(
        self, cases: pl.DataFrame, region: str, path: Path, rng: np.random.Generator, legend: bool
    ) -> None:
        c = {
            col: cases[col].to_numpy()
            for col in ("person", "place", "registered", "start", "end", "outflow", "broken")
        }
        n = cases.height
        p = c["person"]
        bsn = self.bsn.gather(p)
        bad = np.flatnonzero(c["broken"] == 0)
        bsn = bsn.scatter(bad, corrupt_bsns(bsn.gather(bad), rng)).to_list()
        as_number = (rng.random(n) < NUMBER_BSN_SHARE) & (c["broken"] != 0)
        bsn = [int(b) if num else b for b, num in zip(bsn, as_number.tolist(), strict=True)]
        registered = np.where(c["broken"] == 1, MISSING, c["registered"])
        plus = cases["plus"].to_numpy()
        gestart = plus == "Gestart"

        def marks(share: float) -> list:
            on = rng.random(n) < share
            mark = np.array(["x", "X", "Ja"], dtype=object)[_pick(rng, n, [60, 25, 15])]
            return np.where(on, mark, None).tolist()

        def choice(values: list, weights: list) -> list:
            return np.array(values, dtype=object)[_pick(rng, n, weights)].tolist()

        intensity = np.array(["Intensief", "Regulier", "Weinig verbinding"], dtype=object)[
            _pick(rng, n, [45, 35, 20])
        ]
        names = (
            self.initials.gather(self.initial[p]) + " " + self.surnames.gather(self.surname[p])
        ).to_list()
        columns = [
            cases["number"].to_list(),
            bsn,
            names,
            self._gemeente(c["place"], region, rng),
            date_cells(registered, rng),
            date_cells(c["outflow"], rng),
            choice(
                ["JustID", "DPAN", "Ketenpartner", "Reclassering", "Gemeente"], [60, 20, 10, 8, 2]
            ),
            choice(["Ja", "Nee", None], [55, 35, 10]),
            choice(["Nee", "Bilateraal", "Netwerkronde", None], [50, 25, 20, 5]),
            marks(0.15),
            marks(0.30),
            marks(0.25),
            marks(0.30),
            marks(0.20),
            choice(
                [
                    "Geen",
                    "Veelplegeroverleg",
                    "Scenario-overleg huiselijk geweld",
                    "Casus op Maat",
                    None,
                ],
                [70, 15, 8, 5, 2],
            ),
            plus.tolist(),
            date_cells(c["start"], rng, 0.25),
            date_cells(c["end"], rng, 0.25),
            np.where(gestart, intensity, None).tolist(),
            choice(REMARKS, [3, 3, 2, 2, 90]),
        ]
        rows = list(zip(*columns, strict=True))
        years = cases["year"].to_list()
        twice = cases["pasted_twice"].to_list()
        empty = cases["empty_before"].to_list()
        slices: dict[int, list[int]] = {}
        for i, y in enumerate(years):
            slices.setdefault(y, []).append(i)
        wb = FastWorkbook()
        for year in YEARS:
            look = int(rng.integers(0, 4))
            sheet: list = [[]] if look == 3 else []
            sheet.append([f"Registratie nazorg ex-gedetineerden {region} {year}"])
            if look >= 1:
                sheet.append([f"Stand {dt.date(YEARS[-1] + 1, 1, 15):%d-%m-%Y}"])
            if look >= 2:
                sheet.append([])
            sheet.append(CASE_HEADER)
            for i in slices.get(year, []):
                if empty[i]:
                    sheet.append([])
                sheet.append(rows[i])
                if twice[i]:
                    sheet.append(rows[i])
            sheet.append(["Totaal", len(slices.get(year, []))])
            wb.add_sheet(str(year), sheet)
        if legend:
            wb.add_sheet(
                "Toelichting",
                [
                    ["Toelichting bij de registratie nazorg"],
                    [],
                    [
                        "Inzet-kolommen",
                        "kruisje (x) als de coördinator op dat leefgebied heeft ingezet",
                    ],
                    ["Eén tabblad per jaar van aanmelding; nieuwe casussen onderaan toevoegen."],
                ],
            )
        wb.save(path)

    # ------------------------------------------------------------------ cohort follow-up

    def write_cohorts(self, started: dict[str, list[str]]) -> list[Path]:
        """A follow-up per region-year with at least three started trajectories: up to
        20 of them (distinct persons), at least one interviewed."""
        rng = self.rng
        written = []
        first = True
        for key, numbers in sorted(started.items()):
            region, year = key.split("|")
            if len(numbers) < 3:
                continue
            k = min(self.volumes.cohort_rows_per_region_year, len(numbers))
            sample = sorted(rng.choice(np.array(numbers, dtype=object), k, replace=False).tolist())
            status = np.array(
                ["Geïnterviewd", "Onbereikbaar", "Weigering", "Afgezegd"], dtype=object
            )[_pick(rng, k, [65, 20, 10, 5])]
            status[int(rng.integers(0, k))] = "Geïnterviewd"
            if rng.random() < 0.2:
                status[np.flatnonzero(status == "Geïnterviewd")[0]] = "Geinterviewd"
            rows = [
                self._cohort_row(number, int(year), str(s), rng)
                for number, s in zip(sample, status, strict=True)
            ]
            if first:
                rows.append(self._cohort_row(f"XX99-{year}-99999", int(year), "Geïnterviewd", rng))
                first = False
            wb = Workbook()
            ws = wb.active
            ws.title = "Steekproef"
            ws.append([f"Vervolgmeting nazorg-plus {region}, cohort {year}"])
            ws.append(COHORT_HEADER)
            for row in rows:
                ws.append(row)
            path = self.raw / "cohort" / region_slug(region) / f"steekproef_cohort_{year}.xlsx"
            save_workbook(wb, path)
            written.append(path)
        return written

    @staticmethod
    def _cohort_row(number: str, year: int, status: str, rng: np.random.Generator) -> list:
        outcomes = ["Positief", "Neutraal tot positief", "Neutraal", "Negatief", "Onbekend"]
        if not status.startswith("Ge"):
            return [number, year, status] + [None] * (len(COHORT_HEADER) - 3)
        offences = int(rng.choice([0, 0, 0, 0, 0, 0, 1, 1, 2, 3]))
        recidive = "Ja" if offences > 0 else "Nee"
        police = int(rng.integers(1, 21)) if rng.random() < 0.3 else None
        lasting = int(rng.choice([6, 12])) if rng.random() < 0.15 else None
        once = int(rng.integers(2, 7)) if lasting is None and rng.random() < 0.1 else None
        attribution = None
        if lasting or once:
            attribution = [None, "0,5", "0,5", "0,4", 0.5][int(rng.integers(0, 5))]
        costs = None
        if rng.random() < 0.4:
            costs = [250, 500, "2.500", "€ 1.250,00", "750"][int(rng.integers(0, 5))]
        intensity = ["Intensief", "Regulier", "Weinig verbinding"][int(rng.integers(0, 3))]
        return [
            number,
            year,
            status,
            recidive,
            offences,
            police,
            lasting,
            once,
            attribution,
            costs,
            intensity,
            *[outcomes[int(i)] for i in rng.integers(0, len(outcomes), 4)],
        ]

    def generate(self) -> list[Path]:
        for folder in SOURCE_FOLDERS:
            shutil.rmtree(self.raw / folder, ignore_errors=True)
        episodes = self.episodes()
        exports = self.dpan_exports(episodes)
        written = self.write_justid(episodes.filter(~self.only_in_dpan(episodes, exports)))
        written += self.write_dpan(exports)
        written += self.write_screening(episodes)
        cases, started = self.write_cases(episodes)
        written += cases
        written += self.write_cohorts(started)
        return written


def _month_index(days: np.ndarray) -> np.ndarray:
    dates = pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)
    return ((dates.dt.year() - YEARS[0]) * 12 + dates.dt.month() - 1).to_numpy().astype(np.int64)


def _month_start(m: int) -> int:
    return _days(dt.date(YEARS[0] + m // 12, m % 12 + 1, 1))


def _days_in_month(month: np.ndarray) -> np.ndarray:
    starts = np.array([_month_start(m) for m in range(12 * len(YEARS) + 1)])
    return (starts[1:] - starts[:-1])[month]


def generate_national(raw_dir: Path, size: float = 1.0, seed: int = 2024) -> list[Path]:
    """Write the national-scale exports under ``raw_dir``; returns the written paths."""
    return NationalGenerator(raw_dir, size=size, seed=seed).generate()
