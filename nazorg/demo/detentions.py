"""Demo exports of detentions: DPAN workbooks (Gooi en Vechtstreek, 2010–2013) and
JustID notification CSVs (Midden-Limburg, 2019–2022), with the quirks of the real ones.

DPAN quirks: a title row above the header; one workbook per year whose open detentions
reappear, closed, in the next year's export (same DPAN-nr); a transfer as a second row
with the same ``Datum binnenkomst``; names in capitals, with ``Gemeente`` or ``(NH)``;
birth and departure dates sometimes typed as text; BSNs sometimes stored as numbers (the
leading zero lost); a byte-identical copy of one export under another name; a text file
that is not an export.

JustID quirks: quarterly exports overlapping by a month (the same ``Meldingnummer``
twice); the old vocabulary ``Insluiting``/``Ontslag`` in 2019; codes written ``GM0957``,
``0957``, ``957`` or only a name; releases without municipality; encodings UTF-8,
UTF-8 with BOM and Windows-1252; ``\\r\\n`` line ends; a few broken rows that must end
up in ``quality.rejected_rows`` without touching a figure.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook

from nazorg.demo.files import dutch_date, save_workbook, write_csv
from nazorg.demo.population import (
    DPAN_YEARS,
    JUSTID_START,
    LATE_READMISSION,
    Episode,
    Population,
)
from nazorg.municipalities import load_reference

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
    "Hulpvraag ID",
    "Hulpvraag huisvesting",
    "Hulpvraag werk/inkomen",
    "Hulpvraag schulden",
    "Hulpvraag zorg",
    "Toestemming",
]
JUSTID_HEADER = [
    "Meldingnummer",
    "Soort melding",
    "Datum melding",
    "BSN",
    "Achternaam",
    "Voorletters",
    "Geboortedatum",
    "Geslacht",
    "Gemeentecode",
    "Gemeente",
    "Inrichting",
    "Datum insluiting",
    "Verwachte datum ontslag",
    "Datum ontslag",
    "Titel",
]


def _name_variant(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if name == "Laren" and roll < 0.5:
        return "Laren (NH)"
    if roll < 0.08:
        return name.upper()
    if roll < 0.14:
        return f"Gemeente {name}"
    if roll < 0.18:
        return name.lower()
    return name


def _needs(rng: random.Random) -> list[str | None]:
    """Five Hulpvraag answers and consent; about a quarter of detentions unscreened."""
    if rng.random() < 0.25:
        return [None] * 6
    answers = [
        rng.choices(["Ja", "Nee", "Onbekend", None], weights=w)[0]
        for w in ([14, 76, 6, 4], [25, 65, 6, 4], [33, 55, 8, 4], [40, 45, 10, 5], [30, 60, 6, 4])
    ]
    return answers + [rng.choices(["Ja", "Nee", None], weights=[86, 12, 2])[0]]


def _bsn_cell(rng: random.Random, bsn: str):
    # A BSN stored as a number loses its leading zero, as in real registers.
    return int(bsn) if rng.random() < 0.3 else bsn


def _date_cell(rng: random.Random, value: dt.date | None, typed_share: float = 0.1):
    if value is None:
        return None
    return dutch_date(value) if rng.random() < typed_share else value


def _dpan_rows(episodes: list[Episode], rng: random.Random) -> list[dict]:
    """One dict per DPAN row (a transfer makes two rows of one episode)."""
    rows = []
    numbers: dict[int, int] = {}
    for ep in sorted(episodes, key=lambda e: (e.admission, e.person.bsn)):

        def number(year: int = ep.admission.year) -> str:
            numbers[year] = numbers.get(year, 0) + 1
            return f"D{year}-{numbers[year]:05d}"

        needs = _needs(rng)
        place = _name_variant(rng, ep.municipality) if ep.municipality else None
        base = {"person": ep.person, "place": place, "admission": ep.admission, "needs": needs}
        if ep.transfer:
            moved, second = ep.transfer
            rows.append(
                base
                | {
                    "nr": number(),
                    "pi": ep.institution,
                    "departure": moved,
                    "reason": "Overplaatsing",
                }
            )
            rows.append(
                base | {"nr": number(), "pi": second, "departure": ep.end, "reason": ep.end_reason}
            )
        else:
            rows.append(
                base
                | {
                    "nr": number(),
                    "pi": ep.institution,
                    "departure": ep.end,
                    "reason": ep.end_reason,
                }
            )
    return rows


def write_dpan(population: Population, raw_dir: Path, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    rows = _dpan_rows([e for e in population.episodes if e.system == "DPAN"], rng)
    written = []
    for year in DPAN_YEARS:
        year_end = dt.date(year, 12, 31)
        wb = Workbook()
        ws = wb.active
        ws.title = "Export"
        ws.append(
            [f"DPAN export Gooi en Vechtstreek – vertrek in {year} en zittend per 31-12-{year}"]
        )
        ws.append(DPAN_HEADER)
        for row in rows:
            left_this_year = row["departure"] is not None and row["departure"].year == year
            open_at_year_end = row["admission"] <= year_end and (
                row["departure"] is None or row["departure"] > year_end
            )
            if not (left_this_year or open_at_year_end):
                continue
            departed = row["departure"] if left_this_year else None
            p = row["person"]
            ws.append(
                [
                    row["nr"],
                    _bsn_cell(rng, p.bsn),
                    p.full_name,
                    _date_cell(rng, p.birth_date, 0.2),
                    row["place"],
                    row["pi"],
                    _date_cell(rng, row["admission"]),
                    _date_cell(rng, departed),
                    row["reason"] if departed else None,
                    *row["needs"],
                ]
            )
        path = raw_dir / "dpan" / "gooi-en-vechtstreek" / f"dpan_export_{year}.xlsx"
        save_workbook(wb, path)
        written.append(path)
    # The same bytes under another name: loaded once, the copy recorded as duplicate.
    copy = raw_dir / "dpan" / "gooi-en-vechtstreek" / "kopie van dpan_export_2012.xlsx"
    copy.write_bytes(written[2].read_bytes())
    note = raw_dir / "dpan" / "LEESMIJ.txt"
    note.write_text(
        "Exports uit DPAN, aangeleverd door het veiligheidshuis. Geen invoer.\n", encoding="utf-8"
    )
    return [*written, copy]


def _municipality_fields(
    rng: random.Random, name: str | None, codes: dict[str, str]
) -> tuple[str | None, str | None]:
    if name is None:
        return None, None
    code = codes[name]
    roll = rng.random()
    if roll < 0.1:
        return None, f"Gemeente {name}"  # name only
    if roll < 0.2:
        return code[2:], name  # 0957
    if roll < 0.25:
        return str(int(code[2:])), name  # 957
    return code, name


def _notifications(episodes: list[Episode], rng: random.Random) -> list[dict]:
    codes = {row["name"]: row["code"] for row in load_reference().iter_rows(named=True)}
    notes = []
    for ep in episodes:
        code, name = _municipality_fields(rng, ep.municipality, codes)
        expected = (
            ep.end + dt.timedelta(days=rng.choice([0, 0, 7, 30]))
            if ep.end and rng.random() < 0.6
            else None
        )
        common = {"ep": ep, "code": code, "name": name, "expected": expected}
        if ep.admission >= JUSTID_START:
            notes.append(common | {"kind": "begin", "date": ep.admission})
        if ep.transfer:
            notes.append(
                common | {"kind": "transfer", "date": ep.transfer[0], "pi": ep.transfer[1]}
            )
        if ep.leave:
            notes.append(common | {"kind": "leave", "date": ep.leave})
        if ep.end_reason == "Ontslag":
            # The release notification sometimes leaves the municipality empty: the
            # episode's earlier notification (the address before detention) holds it.
            blank = ep.admission >= JUSTID_START and rng.random() < 0.1
            notes.append(common | {"kind": "end", "date": ep.end, "blank_place": blank})
    notes.sort(key=lambda n: (n["date"], n["ep"].person.bsn, n["kind"]))
    # The late re-admissions of the 2019 cohort are numbered apart, so that adding them
    # left every other notification's number as it was.
    late = [n for n in notes if LATE_READMISSION in n["ep"].tags]
    for i, n in enumerate([n for n in notes if LATE_READMISSION not in n["ep"].tags], start=1):
        n["nr"] = f"JV{2000000 + i:07d}"
    for i, n in enumerate(late, start=1):
        n["nr"] = f"JV{2900000 + i:07d}"
    return notes


KIND_LABELS = {
    "new": {
        "begin": "Begin detentie",
        "end": "Einde detentie",
        "transfer": "Overplaatsing",
        "leave": "Verlof",
    },
    "old": {
        "begin": "Insluiting",
        "end": "Ontslag",
        "transfer": "Overplaatsing",
        "leave": "Verlof",
    },
}


def _justid_row(n: dict, vocabulary: str) -> list:
    ep: Episode = n["ep"]
    p = ep.person
    blank = n.get("blank_place", False)
    institution = n.get("pi") or (
        ep.transfer[1] if ep.transfer and n["date"] >= ep.transfer[0] else ep.institution
    )
    return [
        n["nr"],
        KIND_LABELS[vocabulary][n["kind"]],
        dutch_date(n["date"]),
        p.bsn,
        p.surname,
        p.initials,
        dutch_date(p.birth_date),
        p.sex,
        None if blank else n["code"],
        None if blank else n["name"],
        institution,
        dutch_date(ep.admission),
        dutch_date(n["expected"]),
        dutch_date(ep.end) if n["kind"] == "end" else None,
        ep.title,
    ]


def write_justid(population: Population, raw_dir: Path, seed: int = 2) -> list[Path]:
    rng = random.Random(seed)
    notes = _notifications([e for e in population.episodes if e.system == "JustID"], rng)
    written = []
    for year in (2019, 2020, 2021, 2022):
        for quarter in (1, 2, 3, 4):
            start = dt.date(year, 3 * quarter - 2, 1)
            stop = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
            # Each export repeats the last month of the previous one.
            overlap = (
                (start - dt.timedelta(days=1)).replace(day=1)
                if (year, quarter) != (2019, 1)
                else start
            )
            vocabulary = "old" if year == 2019 else "new"
            rows = [_justid_row(n, vocabulary) for n in notes if overlap <= n["date"] <= stop]
            encoding, newline = "utf-8", "\n"
            if year == 2019:
                encoding, newline = "utf-8-sig", "\r\n"
            if (year, quarter) in {(2021, 2), (2022, 3)}:
                encoding = "cp1252"
            if (year, quarter) == (2020, 3):
                rows += _broken_rows()
            path = raw_dir / "justid" / str(year) / f"justid_midden-limburg_{year}-Q{quarter}.csv"
            write_csv(path, JUSTID_HEADER, rows, encoding=encoding, newline=newline)
            written.append(path)
    return written


def _broken_rows() -> list[list]:
    """Rows a real export sometimes carries; each must be rejected with a clear message."""
    return [
        [
            "JV9000001",
            "Verlof",
            "12-08-2020",
            "999990010",
            "Meulenbelt",
            "K.",
            "03-03-1980",
            "M",
            "GM0957",
            "Roermond",
            "PI Roermond",
            "01-08-2020",
            "",
            "",
            "Gevangenisstraf",
        ],  # fails the 11-proef
        [
            "JV9000002",
            "Heroverweging",
            "14-08-2020",
            "999990019",
            "Meulenbelt",
            "K.",
            "03-03-1980",
            "M",
            "GM0957",
            "Roermond",
            "PI Roermond",
            "01-08-2020",
            "",
            "",
            "Gevangenisstraf",
        ],  # unknown Soort melding
        [
            "JV9000003",
            "Einde detentie",
            "15-08-2020",
            "999990032",
            "Stassen",
            "P.",
            "11-11-1971",
            "M",
            "GM0988",
            "Weert",
            "PI Roermond",
            "20-08-2020",
            "",
            "15-08-2020",
            "Overig",
        ],  # release before admission
    ]
