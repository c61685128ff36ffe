"""The obvious alternative, for the benchmark: pandas + openpyxl, no framework.

What a careful analyst would write by hand to get the two Tabel 1 KPIs — outflow per
municipality (``kpi.outflow``) and caseload per municipality (``kpi.caseload``) — from
the same exports, with the same rules as the input contract (``sources.md``) and the
warehouse contract (``warehouse.md``), so that the benchmark compares equal results:

* files: every ``*.csv``/``*.xlsx`` below the source folder (not Excel's ``~$`` lock
  files); the same bytes (SHA-256) under another name are read once; a file that cannot
  be read, or lacks a required column, contributes nothing;
* CSV: ``;``, UTF-8 with or without BOM or Windows-1252 (a file mixing both is decoded
  line by line), header on the first non-empty line, ``Totaal`` rows skipped;
* workbooks (openpyxl, read-only): every sheet that carries the header (within the top
  50 rows, below title rows), empty and ``Totaal`` rows skipped; headers matched
  case- and space-insensitively;
* typing: dates ``dd-mm-jjjj``/``d-m-jjjj`` (also ``/`` or ``.``), ISO, Excel date cells
  and serial numbers, a time of day ignored; BSN with a lost leading zero padded and
  checked with the 11-proef; choice, Ja/Nee and Ja/Nee/Onbekend columns checked;
* rejected rows: a required field empty, a value that cannot be typed, an unknown
  ``Soort melding``/``Reden vertrek``/choice, an ``Einde detentie`` without ``Datum
  ontslag``, a release before admission, a ``Datum vertrek`` without ``Reden vertrek``,
  a birth date before 1900, after 2030 or after the admission; in the case register
  also a ``Casusnummer`` that occurs earlier in the same file;
* overlapping exports: a ``Meldingnummer`` once (the first read), a ``DPAN-nr`` once
  (the row that knows the departure, else the file that sorts last);
* episodes: one person and one admission date, DPAN and JustID together (JustID wins
  where both have the episode); the release is ``Einde detentie``/``Ontslag``
  (DPAN: ``Reden vertrek = Ontslag``); the municipality at release is that of the
  release notification, else the latest non-empty one of the episode;
* municipalities: a code (``GM0402``/``0402``/``402``) or a name (ignoring case,
  punctuation and a ``Gemeente`` prefix, with the reference's variants; ambiguous names
  unknown), resolved at the event date along the mergers of the reference list;
* outflow: distinct persons per year of release, placed at their last release of the
  year, in the region of that municipality; caseload: cases per region folder, year of
  ``Datum aanmelding`` and municipality (``OVERIG`` for empty, ``Overig``, unknown or
  out-of-region), cumulative re-exports resolved by the file whose path sorts last.

It reads ``nazorg/reference/municipalities.csv`` and nothing else of the pipeline: no
Polars, DuckDB or Dagster, no import of the pipeline's modules. Persons are counted as
distinct (normalised) BSNs; the pseudonymisation does not change a count.

Usage: ``python -m bench.baseline RAW_DIR OUT.xlsx``
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import sys
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook

REFERENCE_CSV = (
    Path(__file__).resolve().parent.parent / "nazorg" / "reference" / "municipalities.csv"
)
OVERIG = "OVERIG"

# --------------------------------------------------------------------------- columns
# header -> (field, kind, required). Columns that are not checked are not read.

JUSTID_COLUMNS = {
    "Meldingnummer": ("notification_id", "text", True),
    "Soort melding": ("kind", "choice", True),
    "Datum melding": ("notification_date", "date", True),
    "BSN": ("bsn", "bsn", True),
    "Geboortedatum": ("birth_date", "date", True),
    "Gemeentecode": ("municipality_code", "text", False),
    "Gemeente": ("municipality_name", "text", False),
    "Inrichting": ("institution", "text", True),
    "Datum insluiting": ("admission_date", "date", True),
    "Verwachte datum ontslag": ("expected_release_date", "date", False),
    "Datum ontslag": ("release_date", "date", False),
}
NOTIFICATION_KINDS = (
    "Begin detentie",
    "Einde detentie",
    "Insluiting",
    "Ontslag",
    "Overplaatsing",
    "Verlof",
)
RELEASE_KINDS = ("Einde detentie", "Ontslag")

DPAN_COLUMNS = {
    "DPAN-nr": ("dpan_id", "text", True),
    "BSN": ("bsn", "bsn", True),
    "Geb. datum": ("birth_date", "date", True),
    "Gemeente": ("municipality", "text", False),
    "PI": ("institution", "text", True),
    "Datum binnenkomst": ("admission_date", "date", True),
    "Datum vertrek": ("departure_date", "date", False),
    "Reden vertrek": ("departure_reason", "choice", False),
    "Hulpvraag ID": ("need_id", "yes_no_unknown", False),
    "Hulpvraag huisvesting": ("need_housing", "yes_no_unknown", False),
    "Hulpvraag werk/inkomen": ("need_work_income", "yes_no_unknown", False),
    "Hulpvraag schulden": ("need_debts", "yes_no_unknown", False),
    "Hulpvraag zorg": ("need_care", "yes_no_unknown", False),
    "Toestemming": ("consent", "yes_no_unknown", False),
}
DEPARTURE_REASONS = ("Ontslag", "Overplaatsing", "Schorsing", "Overlijden", "Overig")

CASE_COLUMNS = {
    "Casusnummer": ("case_number", "text", True),
    "BSN": ("bsn", "bsn", True),
    "Gemeente": ("municipality", "text", False),
    "Datum aanmelding": ("registration_date", "date", True),
    "Datum uitstroom": ("outflow_date", "date", False),
    "Profiel": ("has_profile", "yes_no", False),
    "Verrijking": ("enrichment", "choice", False),
    "Inzet ID": ("support_id", "yes_no", False),
    "Inzet huisvesting": ("support_housing", "yes_no", False),
    "Inzet werk/inkomen": ("support_work_income", "yes_no", False),
    "Inzet schulden": ("support_debts", "yes_no", False),
    "Inzet zorg": ("support_care", "yes_no", False),
    "Casusoverleg": ("case_conference", "choice", False),
    "Nazorg-plus": ("nazorg_plus", "choice", False),
    "Startdatum traject": ("trajectory_start_date", "date", False),
    "Einddatum traject": ("trajectory_end_date", "date", False),
    "Intensiteit": ("intensity", "choice", False),
}
CASE_CHOICES = {
    "enrichment": ("Nee", "Bilateraal", "Netwerkronde"),
    "case_conference": (
        "Geen",
        "Veelplegeroverleg",
        "Scenario-overleg huiselijk geweld",
        "Casus op Maat",
    ),
    "nazorg_plus": ("Nee", "Aangemeld", "Gestart"),
    "intensity": ("Intensief", "Regulier", "Weinig verbinding"),
}
# Spellings people type in the register, compared on letters only.
CASE_CHOICE_ALIASES = {
    "case_conference": {
        "veelplegersoverleg": "Veelplegeroverleg",
        "scenariooverleghg": "Scenario-overleg huiselijk geweld",
        "scenariooverleg": "Scenario-overleg huiselijk geweld",
        "huiselijkgeweld": "Scenario-overleg huiselijk geweld",
    },
    "enrichment": {"netwerk": "Netwerkronde", "bilateraalafgestemd": "Bilateraal"},
}
# Gemeente texts in the register that mean "not one of ours" (letters and digits only).
OVERIG_TEXTS = {"", "overig", "overige", "onbekend", "nvt", "buitenregio"}

YES = {"ja", "j", "x", "yes", "y", "1", "true", "waar"}
NO = {"nee", "n", "no", "0", "false", "onwaar"}
UNKNOWN = {"onbekend", "?", "nb", "n.b."}

HEADER_SEARCH_ROWS = 50


# --------------------------------------------------------------------------- files


def input_files(folder: Path) -> list[Path]:
    """Every ``.csv``/``.xlsx`` below ``folder`` in path order, the same bytes once."""
    if not folder.is_dir():
        return []
    seen: set[str] = set()
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() not in {".csv", ".xlsx"} or path.name.startswith("~$"):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            files.append(path)
    return files


def normalise_header(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; a file with both, line by line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if not re.search(rb"[\xc2-\xf4][\x80-\xbf]+", data):
        return data.decode("cp1252", errors="replace")
    lines = []
    for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
    return "\n".join(lines)


class Unreadable(Exception):
    """A file that contributes nothing (not readable, or a required column missing)."""


def _field_positions(header: list[object], columns: dict) -> dict[int, str]:
    wanted = {normalise_header(h): spec[0] for h, spec in columns.items()}
    positions: dict[int, str] = {}
    for i, cell in enumerate(header):
        field = wanted.get(normalise_header(cell))
        if field and field not in positions.values():
            positions[i] = field
    missing = [h for h, (f, _k, req) in columns.items() if req and f not in positions.values()]
    if missing:
        raise Unreadable(f"required column(s) missing: {', '.join(missing)}")
    return positions


def _clean(frame: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """Text trimmed, empty = missing; absent optional columns added as missing."""
    for _header, (field, _kind, _req) in columns.items():
        if field in frame.columns:
            text = frame[field].astype("str").str.strip()
            frame[field] = text.where(text != "")
        else:
            frame[field] = pd.Series(pd.NA, index=frame.index, dtype="str")
    return frame


def read_csv(path: Path, columns: dict) -> pd.DataFrame:
    text = decode(path.read_bytes())
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip(" ;\t")), None)
    if start is None:
        raise Unreadable("empty file")
    header = [c.strip().strip('"') for c in lines[start].split(";")]
    positions = _field_positions(header, columns)
    body = "\n".join(lines[start + 1 :])
    try:
        # Only the columns needed; a row with more cells than the header loses the rest.
        frame = pd.read_csv(
            io.StringIO(body),
            sep=";",
            header=None,
            names=range(len(header)),
            usecols=sorted({0, *positions}),
            dtype=str,
            keep_default_na=False,
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise Unreadable(f"not a readable CSV ({exc})") from exc
    frame = frame[~frame[0].str.strip().str.lower().str.startswith("totaal")]
    frame = frame[list(positions)].rename(columns=positions).reset_index(drop=True)
    frame["sheet"] = None
    frame["row"] = range(len(frame))  # the order in the file
    return _clean(frame, columns)


def cell_text(value: object) -> str | None:
    """A workbook cell as text: a date cell as its ISO date, a whole number without .0."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_workbook(path: Path, columns: dict) -> pd.DataFrame:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - not a workbook (zip, xml, ...): skipped
        raise Unreadable(f"not a workbook ({type(exc).__name__})") from exc
    required = {normalise_header(h) for h, (_f, _k, req) in columns.items() if req}
    frames, problem = [], None
    try:
        for sheet in workbook.worksheets:
            # One pass over the sheet: the header search and then the data rows.
            numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
            header_at, top = None, 0
            for _number, values in numbered:
                if top == 0 and not any(_filled(v) for v in values):
                    continue  # above the first used row
                top += 1
                if len({normalise_header(v) for v in values} & required) * 2 >= len(required):
                    header_at = values
                    break
                if top >= HEADER_SEARCH_ROWS:
                    break
            if header_at is None:
                continue  # a sheet without the header (a legend)
            try:
                positions = _field_positions(list(header_at), columns)
            except Unreadable as exc:
                problem = exc
                continue
            first_field = min(positions)
            records = []
            for number, values in numbered:
                if not values or not any(_filled(v) for v in values):
                    continue
                if _is_total(values[0]) or (
                    len(values) > first_field and _is_total(values[first_field])
                ):
                    continue
                picked = [cell_text(values[i]) if i < len(values) else None for i in positions]
                records.append([*picked, sheet.title, number])
            frames.append(pd.DataFrame(records, columns=[*positions.values(), "sheet", "row"]))
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: the file is skipped
        raise Unreadable(f"damaged workbook ({type(exc).__name__})") from exc
    finally:
        workbook.close()
    if not frames:
        raise problem or Unreadable("no sheet with the header")
    frame = pd.concat(frames, ignore_index=True)
    for field in frame.columns.drop(["sheet", "row"]):
        frame[field] = frame[field].astype("str")
    return _clean(frame, columns)


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _is_total(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith("totaal")


def read_source(raw: Path, folder: str, columns: dict) -> pd.DataFrame:
    """All readable files of one source, in path order, with ``file`` (relative path)."""
    frames = []
    for path in input_files(raw / folder):
        label = path.relative_to(raw).as_posix()
        try:
            reader = read_csv if path.suffix.lower() == ".csv" else read_workbook
            frame = reader(path, columns)
        except (Unreadable, OSError) as exc:
            print(f"skipped {label}: {exc}", file=sys.stderr)
            continue
        frames.append(frame.assign(file=label))
    if not frames:
        fields = [f for f, _k, _r in columns.values()]
        return pd.DataFrame(columns=[*fields, "sheet", "row", "file"], dtype="str")
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- typing

# A date with a time of day (a date-time cell, a timestamp): the date is what counts.
TIME_OF_DAY = (
    r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
)
DUTCH_DATE = r"^(\d{1,2})-(\d{1,2})-(\d{4})$"
ISO_DATE = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
EXCEL_SERIAL = r"^(\d{5})(?:\.0+)?$"  # days since 1899-12-30
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def parse_dates(texts: pd.Series) -> pd.Series:
    """Dates as the exports write them; NaT where a text is not a date.

    Each distinct text is parsed once (an export holds far fewer dates than rows), with
    an explicit format per form.
    """
    distinct = pd.Series(texts.dropna().unique(), dtype="str")
    if distinct.empty:
        return pd.Series(pd.NaT, index=texts.index, dtype="datetime64[us]")
    s = distinct.str.strip().str.replace(TIME_OF_DAY, r"\1", regex=True)
    s = s.str.strip()
    dutch = s.str.replace(r"[/.]", "-", regex=True)
    dutch_parts = dutch.str.extract(DUTCH_DATE)
    iso_parts = s.str.extract(ISO_DATE)
    serial = pd.to_numeric(s.str.extract(EXCEL_SERIAL)[0], errors="coerce")

    def build(parts: pd.DataFrame, year: int, month: int, day: int) -> pd.Series:
        text = parts[year] + "-" + parts[month].str.zfill(2) + "-" + parts[day].str.zfill(2)
        return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")

    parsed = build(dutch_parts, 2, 1, 0).fillna(build(iso_parts, 0, 1, 2))
    in_range = serial.between(20_000, 60_000)
    from_serial = EXCEL_EPOCH + pd.to_timedelta(serial.where(in_range), unit="D")
    parsed = parsed.fillna(from_serial.astype(parsed.dtype))
    mapping = pd.Series(parsed.to_numpy(), index=distinct.to_numpy())
    return texts.map(mapping).astype("datetime64[us]")


def normalise_bsn(value: str) -> str:
    """Trim, drop a ``.0`` (a number cell) and left-pad 8 digits (a lost leading zero)."""
    text = re.sub(r"\.0+$", "", value.strip())
    return "0" + text if re.fullmatch(r"\d{8}", text) else text


def elfproef(bsn: str) -> bool:
    """9 digits, not all zero, weights 9..2 and -1, sum divisible by 11."""
    if not re.fullmatch(r"\d{9}", bsn) or int(bsn) == 0:
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(bsn, weights, strict=True)) % 11 == 0


def bsn_column(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(normalised BSN, bad value) per row; checked once per distinct text."""
    distinct = texts.dropna().unique()
    normal = {t: normalise_bsn(t) for t in distinct}
    valid = {t: elfproef(n) for t, n in normal.items()}
    return texts.map(normal), texts.notna() & ~texts.map(valid).fillna(True).astype(bool)


def choice_column(texts: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    """The choice as the spec spells it (case and repeated spaces do not matter); NaN
    where the text is none of them."""
    lookup = {re.sub(r"\s+", " ", c.lower()): c for c in choices}
    spelled = {
        t: lookup.get(re.sub(r"\s+", " ", t.strip().lower())) for t in texts.dropna().unique()
    }
    return texts.map(spelled).astype("str")


def canonical_case_choice(texts: pd.Series, field: str) -> pd.Series:
    """The register's own spellings of a choice (``Veelpleger-overleg``) as the spec's;
    a cell without letters (``-``) is empty; anything else stays as typed."""
    letters = lambda t: re.sub(r"[^a-zà-ÿ]", "", t.lower())  # noqa: E731
    mapping = {letters(c): c for c in CASE_CHOICES[field]} | CASE_CHOICE_ALIASES.get(field, {})
    canonical = {}
    for text in texts.dropna().unique():
        key = letters(text)
        canonical[text] = None if key == "" else mapping.get(key, text)
    return texts.map(canonical).astype("str")


def yes_no_bad(texts: pd.Series, allowed: set[str]) -> pd.Series:
    return texts.notna() & ~texts.str.strip().str.lower().isin(allowed)


def typed(rows: pd.DataFrame, columns: dict, choices: dict) -> tuple[pd.DataFrame, pd.Series]:
    """Type every checked column; return the typed rows and the rows to reject."""
    bad = pd.Series(False, index=rows.index)
    out = rows.copy()
    for _header, (field, kind, required) in columns.items():
        text = rows[field]
        if required:
            bad |= text.isna()
        if kind == "date":
            out[field] = parse_dates(text)
            bad |= text.notna() & out[field].isna()
        elif kind == "bsn":
            out[field], wrong = bsn_column(text)
            bad |= wrong
        elif kind == "choice":
            out[field] = choice_column(text, choices[field])
            bad |= text.notna() & out[field].isna()
        elif kind == "yes_no":
            bad |= yes_no_bad(text, YES | NO)
        elif kind == "yes_no_unknown":
            bad |= yes_no_bad(text, YES | NO | UNKNOWN)
    return out, bad


def birth_date_impossible(rows: pd.DataFrame) -> pd.Series:
    birth = rows["birth_date"]
    return (
        (birth < pd.Timestamp("1900-01-01"))
        | (birth > rows["admission_date"])
        | (birth > pd.Timestamp("2030-12-31"))
    )


# --------------------------------------------------------------------------- municipalities


def load_reference(path: Path = REFERENCE_CSV) -> pd.DataFrame:
    ref = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    ref["valid_to"] = pd.to_datetime(ref["valid_to"], format="%Y-%m-%d")
    return ref.set_index("code")


def normalise_code(text: str) -> str | None:
    """``GM0402`` / ``0402`` / ``402`` → ``GM0402``; None when it is not a code."""
    match = re.fullmatch(r"\s*(?:GM)?\s*(\d{1,4})(?:\.0+)?\s*", text, flags=re.IGNORECASE)
    return f"GM{int(match.group(1)):04d}" if match else None


def normalise_name(name: str) -> str:
    text = re.sub(r"^gemeente\s+", "", name.strip().lower())
    return re.sub(r"[^0-9a-zà-ÿ]", "", text)


def name_index(ref: pd.DataFrame) -> dict[str, str | None]:
    """Normalised name or variant → code; None for a name that denotes more than one."""
    index: dict[str, str | None] = {}
    for code, name, variants in zip(ref.index, ref["name"], ref["variants"], strict=True):
        for spelling in [name, *(variants.split("|") if pd.notna(variants) else [])]:
            key = normalise_name(spelling)
            index[key] = code if index.get(key, code) == code else None
    index["bergen"] = None  # Bergen (L.) or Bergen (NH.)
    return index


def resolve(texts: pd.Series, dates: pd.Series, ref: pd.DataFrame) -> pd.DataFrame:
    """Code, name and region of each municipality text at its event date.

    A code or name that is unknown or ambiguous, or a municipality that had already
    been merged away without a single successor, has no code (unknown).
    """
    index = name_index(ref)
    base = {}
    for text in texts.dropna().unique():
        code = normalise_code(text)
        base[text] = code if code else index.get(normalise_name(text))
    code = texts.map(base)
    for _ in range(3):  # no municipality of the list merged more than twice
        ended = dates > code.map(ref["valid_to"])
        code = code.where(~ended, code.map(ref["successor_code"]))
    return pd.DataFrame(
        {
            "municipality_code": code,
            "municipality_name": code.map(ref["name"]),
            "region": code.map(ref["region"]),
        },
        index=texts.index,
    )


# --------------------------------------------------------------------------- outflow


def justid_episodes(raw: Path) -> pd.DataFrame:
    rows = read_source(raw, "justid", JUSTID_COLUMNS)
    rows, bad = typed(rows, JUSTID_COLUMNS, {"kind": NOTIFICATION_KINDS})
    is_release = rows["kind"].isin(RELEASE_KINDS)
    bad |= is_release & rows["release_date"].isna()
    bad |= rows["release_date"] < rows["admission_date"]
    bad |= birth_date_impossible(rows)
    n = rows[~bad].drop_duplicates("notification_id", keep="first")
    n = n.assign(
        order=range(len(n)),
        place=n["municipality_code"].fillna(n["municipality_name"]),
        is_release=n["kind"].isin(RELEASE_KINDS),
    )
    n = n.sort_values(["bsn", "admission_date", "notification_date", "order"])
    key = ["bsn", "admission_date"]
    episodes = n.groupby(key).size().rename("notifications").to_frame()
    releases = n[n["is_release"]].groupby(key)
    episodes["release_date"] = releases["release_date"].max()
    latest = n.groupby(key)["place"].last()
    # last() skips empty cells: the last non-empty municipality.
    release_place = releases["place"].last().reindex(episodes.index)
    episodes["municipality_raw"] = release_place.fillna(latest)
    return episodes.drop(columns="notifications").reset_index()


def dpan_episodes(raw: Path) -> pd.DataFrame:
    rows = read_source(raw, "dpan", DPAN_COLUMNS)
    rows, bad = typed(rows, DPAN_COLUMNS, {"departure_reason": DEPARTURE_REASONS})
    bad |= rows["departure_date"].notna() & rows["departure_reason"].isna()
    bad |= rows["departure_date"] < rows["admission_date"]
    bad |= birth_date_impossible(rows)
    r = rows[~bad].assign(departed=lambda f: f["departure_date"].notna())
    # Overlapping exports: one row per DPAN-nr, the one that knows the departure, else
    # the file that sorts last.
    r = r.sort_values(["dpan_id", "departed", "file", "row"], kind="stable")
    r = r.drop_duplicates("dpan_id", keep="last")
    r = r.assign(until=r["departure_date"].fillna(pd.Timestamp("9999-12-31")))
    r = r.sort_values(["bsn", "admission_date", "until", "file", "row"], kind="stable")
    key = ["bsn", "admission_date"]
    released = r[r["departure_reason"] == "Ontslag"].groupby(key)
    episodes = r.groupby(key).size().rename("rows").to_frame()
    episodes["release_date"] = released["departure_date"].max()
    latest = r.groupby(key)["municipality"].last()  # last non-empty
    episodes["municipality_raw"] = (
        released["municipality"].last().reindex(episodes.index).fillna(latest)
    )
    return episodes.drop(columns="rows").reset_index()


def outflow(raw: Path, ref: pd.DataFrame) -> pd.DataFrame:
    justid, dpan = justid_episodes(raw), dpan_episodes(raw)
    # An episode in both systems (admitted under DPAN, released under JustID) is one
    # episode: the release a system knows (JustID's when both do), with that system's
    # place, else the other system's place.
    episodes = justid.merge(dpan, on=["bsn", "admission_date"], how="outer", suffixes=("", "_d"))
    from_justid = episodes["release_date"].notna()
    place_j, place_d = episodes["municipality_raw"], episodes["municipality_raw_d"]
    episodes["municipality_raw"] = place_j.fillna(place_d).where(
        from_justid | episodes["release_date_d"].isna(), place_d.fillna(place_j)
    )
    episodes["release_date"] = episodes["release_date"].fillna(episodes["release_date_d"])
    releases = episodes[episodes["release_date"].notna()].copy()
    releases["year"] = releases["release_date"].dt.year
    # The person's last release of the year decides the municipality.
    last = releases.sort_values(["bsn", "year", "release_date", "admission_date"])
    last = last.groupby(["bsn", "year"]).tail(1)
    last = last.join(resolve(last["municipality_raw"], last["release_date"], ref))
    last = last[last["region"].notna()]
    table = (
        last.groupby(["region", "year", "municipality_code", "municipality_name"])
        .size()
        .rename("persons")
        .reset_index()
    )
    total = table.groupby(["region", "year"])["persons"].transform("sum")
    table["share"] = table["persons"] / total
    return table.sort_values(
        ["region", "year", "persons", "municipality_name"], ascending=[True, True, False, True]
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- caseload


def region_slug(region: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", region.lower()).strip("-")


def case_rows(raw: Path, ref: pd.DataFrame) -> pd.DataFrame:
    """The loaded rows of every register file, with their region (the folder)."""
    regions = {region_slug(r): r for r in ref["region"].dropna().unique()}
    frames = []
    for path in input_files(raw / "caseload"):
        label = path.relative_to(raw).as_posix()
        parts = path.relative_to(raw / "caseload").parts
        if len(parts) < 2 or parts[0] not in regions:
            print(f"skipped {label}: not in a region folder", file=sys.stderr)
            continue
        try:
            reader = read_csv if path.suffix.lower() == ".csv" else read_workbook
            rows = reader(path, CASE_COLUMNS)
        except (Unreadable, OSError) as exc:
            print(f"skipped {label}: {exc}", file=sys.stderr)
            continue
        number = rows["case_number"].str.strip()
        rows["case_number"] = number.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
        for field in CASE_CHOICES:
            rows[field] = canonical_case_choice(rows[field], field)
        rows, bad = typed(rows, CASE_COLUMNS, CASE_CHOICES)
        rows = rows[~bad].copy()
        # Twice in one file: the second row is rejected.
        rows["case_key"] = rows["case_number"].str.upper().str.replace(r"\s", "", regex=True)
        rows = rows.drop_duplicates("case_key", keep="first")
        frames.append(rows.assign(file=label, region=regions[parts[0]]))
    if not frames:
        empty = pd.DataFrame({"registration_date": pd.Series(dtype="datetime64[us]")})
        return empty.assign(region="", case_key="", file="", bsn="", municipality="")
    return pd.concat(frames, ignore_index=True)


def caseload(raw: Path, ref: pd.DataFrame) -> pd.DataFrame:
    cases = case_rows(raw, ref)
    # Cumulative re-exports: the row from the file whose path sorts last wins.
    cases = cases.sort_values(["region", "case_key", "file"], kind="stable")
    cases = cases.drop_duplicates(["region", "case_key"], keep="last").copy()
    text = cases["municipality"]
    on_purpose = text.isna() | text.str.lower().str.replace(r"[^a-z0-9à-ÿ]", "", regex=True).isin(
        OVERIG_TEXTS
    )
    place = resolve(text.where(~on_purpose), cases["registration_date"], ref)
    overig = on_purpose | place["municipality_code"].isna() | (place["region"] != cases["region"])
    cases["municipality_code"] = place["municipality_code"].where(~overig, OVERIG)
    cases["municipality_name"] = place["municipality_name"].where(~overig, "Overig")
    cases["year"] = cases["registration_date"].dt.year
    table = (
        cases.groupby(["region", "year", "municipality_code", "municipality_name"])
        .agg(cases=("bsn", "size"), persons=("bsn", "nunique"))
        .reset_index()
    )
    total = table.groupby(["region", "year"])["cases"].transform("sum")
    table["share"] = table["cases"] / total
    table["_overig"] = table["municipality_code"] == OVERIG
    table = table.sort_values(
        ["region", "year", "_overig", "cases", "municipality_name"],
        ascending=[True, True, True, False, True],
    )
    return table.drop(columns="_overig").reset_index(drop=True)


# --------------------------------------------------------------------------- output


def write(tables: dict[str, pd.DataFrame], out: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, table in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False):
            sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    workbook.save(out)


def compute(raw: Path) -> dict[str, pd.DataFrame]:
    ref = load_reference()
    return {"uitstroom": outflow(raw, ref), "caseload": caseload(raw, ref)}


def main(argv: list[str]) -> None:
    raw, out = Path(argv[1]), Path(argv[2])
    tables = compute(raw)
    write(tables, out)
    print({name: len(t) for name, t in tables.items()})


if __name__ == "__main__":
    main(sys.argv)
