"""The national-scale generator (``python -m nazorg.demo --national``): deterministic,
synthetic BSNs only, and the quirks of the real exports present in its files.

The files are read here with the standard library and openpyxl only (not with the
pipeline's readers), and the expectations are written out by hand: a generator that
lost a quirk, or a pipeline that shares a bug with it, still fails these tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nazorg.demo.__main__ import main
from nazorg.demo.national import generate_national

SIZE = 0.01
SEED = 2024

JUSTID_HEADER = [
    "meldingnummer", "soort melding", "datum melding", "bsn", "achternaam", "voorletters",
    "geboortedatum", "geslacht", "gemeentecode", "gemeente", "inrichting", "datum insluiting",
    "verwachte datum ontslag", "datum ontslag", "titel",
]  # fmt: skip
# Merged into Peel en Maas, Horst aan de Maas and Venlo in 2010.
OLD_LIMBURG_NAMES = ("helden", "kessel", "maasbree", "meijel", "sevenum", "arcen en velden")
DMY = re.compile(r"^\d{2}-\d{2}-\d{4}$")
D_M = re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def elfproef(number: str) -> bool:
    """Written out again here, independent of nazorg.bsn."""
    if not re.fullmatch(r"\d{9}", number) or number == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0


def synthetic(number: str) -> bool:
    """In the test range 999990000-999999999, or in the documented sequence from
    010000000 upwards (at these sizes it does not get past 019999999)."""
    return 999_990_000 <= int(number) <= 999_999_999 or 10_000_000 <= int(number) < 20_000_000


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("national") / "raw"
    written = generate_national(folder, size=SIZE, seed=SEED)
    assert written and all(p.exists() for p in written)
    return folder


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]], str, bytes]:
    """(normalised header, rows keyed by normalised header, encoding, raw bytes)."""
    data = path.read_bytes()
    text, encoding = decode(data)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header = [re.sub(r"\s+", " ", h).strip().lower() for h in records[0]]
    return header, [dict(zip(header, r, strict=True)) for r in records[1:]], encoding, data


def csv_files(raw: Path, source: str) -> list[Path]:
    return sorted((raw / source).rglob("*.csv"))


def data_rows(ws):
    """(sheet row number, row) below the header of a worksheet, skipping empty rows and
    the Totaal row."""
    header_at = None
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if header_at is None:
            if row and row[0] in {"Casusnummer", "DPAN-nr"}:
                header_at = i
            continue
        if not row or all(v is None for v in row) or str(row[0]).startswith("Totaal"):
            continue
        yield i, row


# ------------------------------------------------------------------ determinism, CLI


def test_same_size_and_seed_give_the_same_bytes(raw, tmp_path):
    again = tmp_path / "raw"
    generate_national(again, size=SIZE, seed=SEED)

    def digests(folder: Path) -> dict[str, str]:
        return {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    first, second = digests(raw), digests(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    # A workbook carries no time stamp of the moment it was written.
    with_stamp = [n for n in first if n.endswith(".xlsx")]
    assert with_stamp


def test_another_seed_gives_other_data(raw, tmp_path):
    other = tmp_path / "raw"
    generate_national(other, size=0.002, seed=SEED + 1)
    a = (raw / "justid" / "2016" / "justid_2016-05.csv").read_text(encoding="utf-8-sig")
    b = (other / "justid" / "2016" / "justid_2016-05.csv").read_text(encoding="utf-8-sig")
    header_a, *rows_a = a.splitlines()
    header_b, *rows_b = b.splitlines()
    assert header_a == header_b  # the same export format
    assert rows_a and rows_b
    # other notifications, not the same ones reordered or renumbered
    assert len(set(rows_a) & set(rows_b)) == 0
    bsn = header_a.split(";").index("BSN")
    assert {r.split(";")[bsn] for r in rows_a} != {r.split(";")[bsn] for r in rows_b}


def test_command_line_writes_national_exports_with_a_size(tmp_path, capsys):
    target = tmp_path / "bench-raw"
    main(["nazorg.demo", "--national", "--size", "0.002", "--seed", "7", str(target)])
    assert "size 0.002, seed 7" in capsys.readouterr().out
    assert len(csv_files(target, "justid")) > 100
    assert list((target / "caseload").rglob("*.xlsx"))


def test_command_line_needs_a_folder_for_national_and_national_for_a_size(tmp_path):
    with pytest.raises(SystemExit):
        main(["nazorg.demo", "--national"])  # never over raw/ by accident
    with pytest.raises(SystemExit):
        main(["nazorg.demo", "--size", "0.5", str(tmp_path)])
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------ volumes


def test_volumes_scale_with_size(raw):
    notifications = sum(len(read_csv(p)[1]) for p in csv_files(raw, "justid"))
    assert 0.9 * SIZE * 1_000_000 < notifications < 1.1 * SIZE * 1_000_000
    forms = sum(len(read_csv(p)[1]) for p in csv_files(raw, "screening"))
    assert 0.95 * SIZE * 400_000 < forms < 1.05 * SIZE * 400_000
    cases = 0
    for path in (raw / "caseload").rglob("registratie_??.xlsx"):
        wb = load_workbook(path, read_only=True)
        cases += sum(1 for ws in wb.worksheets for _ in data_rows(ws))
    assert 0.95 * SIZE * 250_000 < cases < 1.05 * SIZE * 250_000
    assert len(list((raw / "cohort").rglob("*.xlsx"))) == 30  # 3 regions x 10 years


# ------------------------------------------------------------------ BSNs


def all_bsns(raw: Path) -> list[str]:
    found = []
    for source in ("justid", "screening"):
        for path in csv_files(raw, source):
            found += [r["bsn"] for r in read_csv(path)[1]]
    for path in [*(raw / "dpan").rglob("*.xlsx"), *(raw / "caseload").rglob("*.xlsx")]:
        for ws in load_workbook(path, read_only=True).worksheets:
            found += [row[1] for _, row in data_rows(ws)]
    return [str(b) for b in found]


def test_every_bsn_is_synthetic(raw):
    bsns = all_bsns(raw)
    assert len(bsns) > 10_000
    invalid = []
    for value in bsns:
        assert re.fullmatch(r"\d{8,9}", value), value
        number = value.zfill(9)
        assert synthetic(number), number
        if not elfproef(number):
            invalid.append(number)
    # The rejected rows' BSNs are synthetic ones with the last digit changed.
    assert invalid
    for number in invalid:
        fixed = [number[:8] + d for d in "0123456789" if elfproef(number[:8] + d)]
        assert fixed and synthetic(fixed[0])
    assert len(invalid) < 0.01 * len(bsns)


# ------------------------------------------------------------------ JustID


def test_justid_files_carry_the_quirks_of_the_real_exports(raw):
    encodings, kinds, codes, names, formats = Counter(), Counter(), Counter(), Counter(), Counter()
    crlf = headers_shuffled = headers_respelled = extra = 0
    numbers: dict[str, set[str]] = defaultdict(set)
    accented_cp1252 = eight_digits = 0
    for path in csv_files(raw, "justid"):
        header, rows, encoding, data = read_csv(path)
        encodings[encoding] += 1
        crlf += b"\r\n" in data
        first_line = decode(data)[0].splitlines()[0]
        headers_respelled += first_line.split(";")[0] not in ("Meldingnummer",) and (
            "meldingnummer" in header
        )
        headers_shuffled += [h for h in header if h in JUSTID_HEADER] != JUSTID_HEADER
        extra += any(h not in JUSTID_HEADER for h in header)
        assert set(JUSTID_HEADER) <= set(header), path
        if encoding == "cp1252":
            accented_cp1252 += bool(re.search(rb"[\xe9\xeb\xf6\xe7]", data))
        for r in rows:
            kinds[r["soort melding"]] += 1
            numbers[r["meldingnummer"]].add(path.name)
            code = r["gemeentecode"]
            codes[
                "GM"
                if code.startswith("GM")
                else ("4" if len(code) == 4 else "3" if code else "empty")
            ] += 1
            if not code and r["gemeente"]:
                names["Gemeente " if r["gemeente"].startswith("Gemeente ") else "name"] += 1
            if not code and not r["gemeente"]:
                names["none"] += 1
            d = r["datum melding"]
            formats[
                "dmy" if DMY.match(d) else "iso" if ISO.match(d) else "d-m" if D_M.match(d) else d
            ] += 1
            eight_digits += len(r["bsn"]) == 8
    # Encodings, line endings and headers, per file.
    assert encodings["cp1252"] >= 3 and encodings["utf-8-sig"] >= 5 and encodings["utf-8"] > 50
    assert accented_cp1252 >= 1  # Windows-1252 matters: é, ë, ö or ç in those files
    assert crlf >= 10
    assert headers_respelled >= 2 and headers_shuffled >= 2 and extra >= 2
    # Both vocabularies, and every notification kind.
    assert {"Insluiting", "Ontslag", "Begin detentie", "Einde detentie"} <= set(kinds)
    assert {"Overplaatsing", "Verlof"} <= set(kinds)
    unknown_kinds = set(kinds) - {
        "Insluiting", "Ontslag", "Begin detentie", "Einde detentie", "Overplaatsing", "Verlof",
    }  # fmt: skip
    assert unknown_kinds and sum(kinds[k] for k in unknown_kinds) < 0.005 * sum(kinds.values())
    # Municipality codes in three spellings, a name only, or nothing.
    assert all(codes[k] > 0 for k in ("GM", "4", "3", "empty"))
    assert codes["GM"] > 0.5 * sum(codes.values())
    assert names["Gemeente "] > 0 and names["name"] > 0 and names["none"] > 0
    # Dates in three forms, dd-mm-jjjj the most.
    assert formats["dmy"] > 0.7 * sum(formats.values()) and formats["iso"] and formats["d-m"]
    assert set(formats) == {"dmy", "iso", "d-m"}
    assert eight_digits > 0  # re-saved through Excel: leading zeros lost
    # Overlapping exports repeat a notification under the same Meldingnummer.
    repeated = [n for n, files in numbers.items() if len(files) > 1]
    assert repeated and all(n.startswith("JN") for n in repeated)


def test_exactly_one_justid_file_is_a_copy_and_the_last_month_is_plain(raw):
    digests = Counter(hashlib.sha256(p.read_bytes()).hexdigest() for p in csv_files(raw, "justid"))
    assert sorted(digests.values())[-2:] == [1, 2]
    copies = [p for p in csv_files(raw, "justid") if p.name.startswith("kopie van ")]
    assert len(copies) == 1
    assert copies[0].read_bytes() == copies[0].with_name(copies[0].name[10:]).read_bytes()
    # The benchmark's daily export copies the last month as UTF-8 text.
    last = raw / "justid" / "2022" / "justid_2022-12.csv"
    assert last.read_bytes().decode("utf-8").startswith("Meldingnummer;Soort melding;")
    assert (raw / "justid" / "LEESMIJ.txt").exists()  # not an input: ignored


def test_justid_rejected_rows_break_one_rule_each(raw):
    broken = Counter()
    for path in csv_files(raw, "justid"):
        for r in read_csv(path)[1]:
            if not r["meldingnummer"].startswith("JR"):
                continue
            if not elfproef(r["bsn"].zfill(9)):
                broken["bsn"] += 1
            elif not r["inrichting"] or not r["geboortedatum"]:
                broken["required"] += 1
            elif r["soort melding"] in ("Ontslag", "Einde detentie") and not r["datum ontslag"]:
                broken["required"] += 1
            elif r["datum melding"].startswith("31-04-"):
                broken["date"] += 1
            elif r["datum ontslag"] and r["soort melding"] in ("Ontslag", "Einde detentie"):
                broken["before"] += 1
            else:
                broken["kind"] += 1
    assert set(broken) == {"bsn", "required", "date", "before", "kind"}


# ------------------------------------------------------------------ DPAN


def test_dpan_workbooks_have_title_rows_numbers_transfers_and_old_names(raw):
    paths = sorted((raw / "dpan").glob("*.xlsx"))
    assert [p.name for p in paths] == ["dpan_2013.xlsx", "dpan_2014.xlsx"]
    numbers_per_file, places, episodes = [], Counter(), defaultdict(set)
    number_cells = text_dates = date_cells = 0
    for path in paths:
        ws = load_workbook(path, read_only=True).worksheets[0]
        first = next(ws.iter_rows(values_only=True))
        assert str(first[0]).startswith("DPAN export")  # a title row above the header
        numbers = set()
        for _, row in data_rows(ws):
            numbers.add(row[0])
            number_cells += isinstance(row[1], int) and row[1] < 100_000_000
            places[str(row[4]).lower()] += 1
            text_dates += isinstance(row[6], str)
            date_cells += isinstance(row[6], dt.datetime)
            episodes[(str(row[1]).zfill(9), str(row[6]))].add(row[0])
        numbers_per_file.append(numbers)
    assert number_cells > 0  # BSN as a number: the leading zero lost, 8 digits
    assert text_dates > 0 and date_cells > text_dates
    assert any(len(nrs) == 2 for nrs in episodes.values())  # a transfer: two DPAN-nrs
    assert numbers_per_file[0] & numbers_per_file[1]  # open at the end of 2013, in 2014 again
    assert {"bussum", "naarden"} <= set(places)  # before the 2016 merger


# ------------------------------------------------------------------ case registration


def test_case_registration_carries_the_quirks_of_hand_kept_registers(raw):
    marks, places, kinds = Counter(), Counter(), Counter()
    bad_bsn = no_date = empty_rows = totals = stale = 0
    for path in sorted((raw / "caseload").rglob("*.xlsx")):
        wb = load_workbook(path, read_only=True)
        year_sheets = [s for s in wb.sheetnames if s.isdigit()]
        assert year_sheets == [str(y) for y in range(2013, 2023)]
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            totals += any(r and str(r[0]).startswith("Totaal") for r in rows)
            header = next((i for i, r in enumerate(rows) if r and r[0] == "Casusnummer"), None)
            if header is None:
                assert ws.title == "Toelichting"
                continue
            assert header >= 1  # title rows above the header
            empty_rows += sum(
                1 for r in rows[header + 1 : -1] if not r or all(v is None for v in r)
            )
            for _, row in data_rows(ws):
                kinds[type(row[1]).__name__] += 1
                bad_bsn += not elfproef(str(row[1]).zfill(9))
                no_date += row[4] is None
                kinds["text date" if isinstance(row[4], str) else "date cell"] += 1
                marks.update(str(v) for v in row[9:14] if v is not None)
                places[
                    "Overig" if row[3] == "Overig" else "empty" if row[3] is None else "name"
                ] += 1
                stale += str(row[3]).lower().endswith(OLD_LIMBURG_NAMES)
    assert set(marks) == {"x", "X", "Ja"}
    assert kinds["int"] > 0 and kinds["str"] > kinds["int"]  # BSN as a number in some rows
    assert kinds["text date"] > 0 and kinds["date cell"] > kinds["text date"]
    assert places["Overig"] > 0 and places["empty"] > 0
    assert bad_bsn > 0 and no_date > 0 and empty_rows > 0 and totals >= 30
    assert stale > 0  # a Limburg municipality under its name from before 2010


def test_one_cumulative_reexport_repeats_cases_and_sorts_last(raw):
    folders = sorted(p for p in (raw / "caseload").iterdir())
    assert [p.name for p in folders] == ["gooi-en-vechtstreek", "midden-limburg", "noord-limburg"]
    reexports = sorted((raw / "caseload").rglob("registratie_??_*.xlsx"))
    assert len(reexports) == 1
    later = reexports[0]
    earlier = later.with_name(later.name[: len("registratie_00")] + ".xlsx")
    assert sorted(later.parent.glob("*.xlsx"))[-1] == later  # the later path wins

    def numbers(path: Path) -> set[str]:
        wb = load_workbook(path, read_only=True)
        return {row[0] for ws in wb.worksheets for _, row in data_rows(ws)}

    assert len(numbers(later)) > 10 and numbers(later) <= numbers(earlier)


# ------------------------------------------------------------------ screening


def test_screening_files_vary_in_encoding_and_layout(raw):
    paths = csv_files(raw, "screening")
    assert len(paths) >= 10
    encodings, answers, consent = Counter(), Counter(), Counter()
    for path in paths:
        header, rows, encoding, _ = read_csv(path)
        encodings[encoding] += 1
        for r in rows:
            consent[r["toestemming gegevensuitwisseling"]] += 1
            answers.update(v for k, v in r.items() if k.startswith("ondersteuningswens"))
    assert encodings["utf-8-sig"] >= 1 and encodings["cp1252"] >= 1
    assert {"Ja", "Nee", "Onbekend", "", "ja"} <= set(answers)
    assert {"Ja", "Nee", "J", "N", ""} <= set(consent)


# ------------------------------------------------------------------ cohort follow-up


def registered_cases(raw: Path) -> dict[tuple[str, str], tuple]:
    """(region folder, Casusnummer) → (Nazorg-plus, registration year, valid BSN), from
    the file that sorts last (it wins)."""
    cases = {}
    for path in sorted((raw / "caseload").rglob("*.xlsx")):
        for ws in load_workbook(path, read_only=True).worksheets:
            for _, row in data_rows(ws):
                day = row[4]
                if isinstance(day, str):
                    day = dt.datetime.strptime(day, "%d-%m-%Y")
                year = day.year if day is not None else None
                cases[(path.parent.name, row[0])] = (row[15], year, str(row[1]).zfill(9))
    return cases


def test_cohort_rows_are_consistent_and_belong_to_started_cases(raw):
    cases = registered_cases(raw)
    unknown = 0
    for path in sorted((raw / "cohort").rglob("*.xlsx")):
        ws = load_workbook(path, read_only=True)["Steekproef"]
        rows = list(ws.iter_rows(values_only=True))
        header = next(i for i, r in enumerate(rows) if r and r[0] == "Casusnummer")
        sample = [r for r in rows[header + 1 :] if r and r[0]]
        assert 3 <= len(sample) <= 21
        interviewed = [r for r in sample if str(r[2]).startswith("Ge")]
        assert interviewed, f"{path.name}: nobody interviewed, no MKBA"
        persons = set()
        for r in sample:
            number, cohort, status, recidive, offences = r[:5]
            key = (path.parent.name, number)
            if key not in cases:
                unknown += 1
                continue
            plus, year, bsn = cases[key]
            assert (plus, year) == ("Gestart", cohort), (path.name, number)
            assert elfproef(bsn)
            persons.add(bsn)
            if status in ("Geïnterviewd", "Geinterviewd"):
                assert recidive == ("Ja" if offences > 0 else "Nee"), (path.name, number)
            else:
                assert status in ("Onbereikbaar", "Weigering", "Afgezegd")
                assert recidive is None and offences is None
        assert len(persons) == len([r for r in sample if (path.parent.name, r[0]) in cases])
    assert unknown == 1  # one sampled Casusnummer the registration does not know


def as_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if ISO.match(value):
        return dt.date.fromisoformat(value)
    day, month, year = (int(x) for x in value.split("-"))
    return dt.date(year, month, day)


def test_most_dpan_episodes_are_in_dpan_only_some_in_both_systems(raw):
    justid = set()
    for path in csv_files(raw, "justid"):
        for r in read_csv(path)[1]:
            if r["datum insluiting"] and not r["datum insluiting"].startswith("31-04"):
                justid.add((r["bsn"].zfill(9), as_date(r["datum insluiting"])))
    dpan = set()
    for path in sorted((raw / "dpan").glob("*.xlsx")):
        for _, row in data_rows(load_workbook(path, read_only=True).worksheets[0]):
            dpan.add((str(row[1]).zfill(9), as_date(row[6])))
    both = dpan & justid
    assert both and len(both) < 0.5 * len(dpan)
