"""National-scale demo exports for the benchmark: ``python -m nazorg.demo --scale national DIR``.

Volume and shape matter here, not published figures: ten years of JustID notifications
(about a million rows in monthly exports), DPAN workbooks for the first years, 250 000
case-registration rows in 25 workbooks with a sheet per year, 400 000 screening forms and
a cohort follow-up per region and year. The three regions of the reference list carry
all of it. Generation is vectorised (numpy) and deterministic for a seed; ``size``
scales every volume (1.0 = national, 0.01 for the smoke test).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from openpyxl import Workbook

from nazorg.demo.caseload import HEADER as CASE_HEADER
from nazorg.demo.cohort import HEADER as COHORT_HEADER
from nazorg.demo.detentions import DPAN_HEADER
from nazorg.demo.files import save_workbook
from nazorg.ingest import region_slug
from nazorg.municipalities import load_reference

YEARS = list(range(2013, 2023))
EPOCH = dt.date(1970, 1, 1)
WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])


@dataclass(frozen=True)
class Volumes:
    notifications: int = 1_000_000
    case_rows: int = 250_000
    case_workbooks: int = 25
    screening_forms: int = 400_000
    cohort_rows_per_region_year: int = 20

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


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


MISSING = -1_000_000  # a day number that stands for "no date"


def _fmt(days: np.ndarray) -> pl.Series:
    """Days since 1970 → ``dd-mm-jjjj`` text; NULL (an empty cell) where MISSING."""
    dates = pl.Series(days.astype("int32")).cast(pl.Date)
    return dates.dt.strftime("%d-%m-%Y").scatter(np.flatnonzero(days == MISSING), None)


class NationalGenerator:
    def __init__(self, raw_dir: Path, size: float = 1.0, seed: int = 2024) -> None:
        self.raw = raw_dir
        self.volumes = Volumes().scaled(size)
        self.rng = np.random.default_rng(seed)
        reference = load_reference().filter(
            pl.col("region").is_not_null() & pl.col("valid_to").is_null()
        )
        self.codes = reference["code"].to_numpy()
        self.names = reference["name"].to_numpy()
        self.regions = reference["region"].to_numpy()
        self.region_names = sorted(set(self.regions))

    # ------------------------------------------------------------------ detentions

    def episodes(self) -> pl.DataFrame:
        """About 2.3 notifications per episode: admission, release, some transfers and leaves."""
        rng = self.rng
        n = int(self.volumes.notifications / 2.3)
        persons = max(50, n // 3)
        bsn = valid_bsns(persons)
        person = rng.integers(0, persons, n)
        start, stop = _days(dt.date(YEARS[0], 1, 1)), _days(dt.date(YEARS[-1], 12, 31))
        admission = rng.integers(start - 60, stop, n)
        stay = rng.choice([3, 9, 20, 45, 60, 90, 120, 180, 270, 400], n)
        release = admission + stay
        released = release <= stop
        place = rng.integers(0, len(self.codes), n)
        no_address = rng.random(n) < 0.05
        return pl.DataFrame(
            {
                "bsn": bsn[person].astype(str),
                "birth": rng.integers(
                    _days(dt.date(1950, 1, 1)), _days(dt.date(2004, 1, 1)), persons
                )[person],
                "admission": admission,
                "release": np.where(released, release, MISSING),
                "transfer": np.where(rng.random(n) < 0.2, admission + stay // 2, MISSING),
                "leave": np.where((rng.random(n) < 0.1) & (stay > 30), admission + 10, MISSING),
                "code": pl.Series(self.codes[place]).scatter(np.flatnonzero(no_address), None),
                "name": pl.Series(self.names[place]).scatter(np.flatnonzero(no_address), None),
            }
        ).with_columns(pl.col("bsn").str.zfill(9))

    def write_justid(self, episodes: pl.DataFrame) -> list[Path]:
        kinds = []
        for kind, column in (
            ("Begin detentie", "admission"),
            ("Overplaatsing", "transfer"),
            ("Verlof", "leave"),
            ("Einde detentie", "release"),
        ):
            part = episodes.filter(pl.col(column) != MISSING).with_columns(
                kind=pl.lit(kind), date=pl.col(column), start=pl.col("admission")
            )
            kinds.append(part)
        notes = pl.concat(kinds).sort("date")
        notes = notes.filter(pl.col("date") >= _days(dt.date(YEARS[0], 1, 1)))
        n = notes.height
        rows = pl.DataFrame(
            {
                "Meldingnummer": [f"JN{i:08d}" for i in range(1, n + 1)],
                "Soort melding": notes["kind"],
                "Datum melding": _fmt(notes["date"].to_numpy()),
                "BSN": notes["bsn"],
                "Achternaam": "Jansen",
                "Voorletters": "J.",
                "Geboortedatum": _fmt(notes["birth"].to_numpy()),
                "Geslacht": "M",
                "Gemeentecode": notes["code"],
                "Gemeente": notes["name"],
                "Inrichting": "PI Vught",
                "Datum insluiting": _fmt(notes["start"].to_numpy()),
                "Verwachte datum ontslag": None,
                "Datum ontslag": _fmt(
                    np.where(
                        notes["kind"].to_numpy() == "Einde detentie", notes["date"].to_numpy(), MISSING
                    )
                ),
                "Titel": "Gevangenisstraf",
            }
        )
        month = (
            pl.Series(notes["date"].to_numpy().astype("int32")).cast(pl.Date).dt.strftime("%Y-%m")
        )
        written = []
        for (key,), part in (
            rows.with_columns(_month=month).partition_by("_month", as_dict=True).items()
        ):
            path = self.raw / "justid" / key[:4] / f"justid_{key}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            part.drop("_month").write_csv(path, separator=";")
            written.append(path)
        return written

    # ------------------------------------------------------------------ screening

    def write_screening(self, episodes: pl.DataFrame) -> list[Path]:
        rng = self.rng
        n = min(self.volumes.screening_forms, episodes.height)
        chosen = episodes.sample(n, seed=int(rng.integers(1 << 30)))
        answers = np.array(["Ja", "Nee", "Onbekend", ""])
        forms = {
            "BSN": chosen["bsn"],
            "Inrichting": "PI Vught",
            "Datum insluiting": _fmt(chosen["admission"].to_numpy()),
            "Datum formulier": _fmt(chosen["admission"].to_numpy() + 4),
            "Toestemming gegevensuitwisseling": np.where(rng.random(n) < 0.9, "Ja", "Nee"),
        }
        for domain in (
            "identiteitsbewijs",
            "huisvesting",
            "werk en inkomen",
            "schulden",
            "zorg",
            "sociaal netwerk",
        ):
            forms[f"Ondersteuningswens {domain}"] = answers[rng.integers(0, 4, n)]
        frame = pl.DataFrame(forms)
        year = pl.Series(chosen["admission"].to_numpy().astype("int32")).cast(pl.Date).dt.year()
        written = []
        for (key,), part in (
            frame.with_columns(_year=year).partition_by("_year", as_dict=True).items()
        ):
            path = self.raw / "screening" / f"informatiebladen_{key}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            part.drop("_year").write_csv(path, separator=";")
            written.append(path)
        return written

    # ------------------------------------------------------------------ case registration


    def write_cases(self, episodes: pl.DataFrame) -> tuple[list[Path], dict[str, list[str]]]:
        """Workbooks spread over the regions, a sheet per year; returns the started
        trajectories per region-year (for the cohort follow-up)."""
        rng = self.rng
        released = episodes.filter(pl.col("release") != MISSING)
        per_book = self.volumes.case_rows // self.volumes.case_workbooks
        written, started = [], {}
        for book in range(self.volumes.case_workbooks):
            region = self.region_names[book % len(self.region_names)]
            slug = region_slug(region)
            names = self.names[self.regions == region]
            sample = released.sample(
                per_book, seed=int(rng.integers(1 << 30)), with_replacement=True
            )
            rows = sample.with_columns(
                year=pl.col("release").cast(pl.Int32).cast(pl.Date).dt.year(),
                town=pl.Series(names[rng.integers(0, len(names), sample.height)]),
                plus=pl.Series(
                    rng.choice(["Nee", "Nee", "Nee", "Aangemeld", "Gestart"], sample.height)
                ),
            )
            wb = Workbook(write_only=True)
            for year in YEARS:
                part = rows.filter(pl.col("year") == year)
                ws = wb.create_sheet(str(year))
                ws.append([f"Registratie nazorg {region} {year}"])
                ws.append(CASE_HEADER)
                for i, r in enumerate(part.iter_rows(named=True)):
                    number = f"{slug[:2].upper()}{book:02d}-{year}-{i:05d}"
                    day = EPOCH + dt.timedelta(days=int(r["release"]))
                    if r["plus"] == "Gestart":
                        started.setdefault(f"{region}|{year}", []).append(number)
                    ws.append(
                        [
                            number,
                            r["bsn"],
                            "J. Jansen",
                            r["town"],
                            day,
                            None,
                            "JustID",
                            "Ja" if i % 3 else "Nee",
                            "Netwerkronde" if i % 5 == 0 else "Nee",
                            None,
                            "x" if i % 4 == 0 else None,
                            None,
                            None,
                            None,
                            "Geen",
                            r["plus"],
                            day if r["plus"] == "Gestart" else None,
                            None,
                            "Intensief" if r["plus"] == "Gestart" else None,
                            None,
                        ]
                    )
                ws.append(["Totaal", part.height])
            path = self.raw / "caseload" / slug / f"registratie_{book:02d}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            wb.save(path)
            written.append(path)
        return written, started

    # ------------------------------------------------------------------ cohort follow-up

    def write_cohorts(self, started: dict[str, list[str]]) -> list[Path]:
        rng = self.rng
        written = []
        for key, numbers in sorted(started.items()):
            region, year = key.split("|")
            if len(numbers) < self.volumes.cohort_rows_per_region_year:
                continue
            sample = rng.choice(numbers, self.volumes.cohort_rows_per_region_year, replace=False)
            wb = Workbook()
            ws = wb.active
            ws.title = "Steekproef"
            ws.append(COHORT_HEADER)
            for i, number in enumerate(sample):
                interviewed = i % 5 != 0
                ws.append(
                    [
                        str(number),
                        int(year),
                        "Geïnterviewd" if interviewed else "Onbereikbaar",
                        ("Ja" if i % 3 == 0 else "Nee") if interviewed else None,
                        (i % 3) if interviewed else None,
                        5 if i % 7 == 0 else None,
                        12 if i % 9 == 0 else None,
                        None,
                        "0,5",
                        250,
                        "Intensief",
                        "Positief",
                        "Neutraal",
                        "Neutraal",
                        "Onbekend",
                    ]
                )
            path = self.raw / "cohort" / region_slug(region) / f"steekproef_cohort_{year}.xlsx"
            save_workbook(wb, path)
            written.append(path)
        return written

    def dpan(self, episodes: pl.DataFrame) -> list[Path]:
        """Two legacy DPAN workbooks (the years before JustID), in their shape."""
        written = []
        for year in YEARS[:2]:
            part = episodes.filter(
                (pl.col("release") >= _days(dt.date(year, 1, 1)))
                & (pl.col("release") <= _days(dt.date(year, 12, 31)))
            ).head(max(50, episodes.height // 50))
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Export")
            ws.append([f"DPAN export {year}"])
            ws.append(DPAN_HEADER)
            for i, r in enumerate(part.iter_rows(named=True)):
                ws.append(
                    [
                        f"DN{year}-{i:06d}",
                        r["bsn"],
                        "J. Jansen",
                        EPOCH + dt.timedelta(days=int(r["birth"])),
                        r["name"],
                        "PI Vught",
                        EPOCH + dt.timedelta(days=int(r["admission"])),
                        EPOCH + dt.timedelta(days=int(r["release"])),
                        "Ontslag",
                        "Nee",
                        "Ja",
                        "Nee",
                        "Ja",
                        "Nee",
                        "Ja",
                    ]
                )
            path = self.raw / "dpan" / f"dpan_{year}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            wb.save(path)
            written.append(path)
        return written

    def generate(self) -> list[Path]:
        episodes = self.episodes()
        written = self.write_justid(episodes)
        written += self.dpan(episodes)
        written += self.write_screening(episodes)
        cases, started = self.write_cases(episodes)
        written += cases
        written += self.write_cohorts(started)
        return written


def generate_national(raw_dir: Path, size: float = 1.0, seed: int = 2024) -> list[Path]:
    return NationalGenerator(raw_dir, size=size, seed=seed).generate()
