"""The obvious alternative, for the benchmark: pandas + openpyxl, no framework.

What a careful analyst would write by hand for the two Tabel 1 KPIs — outflow per
municipality (persons released, placed at their last release of the year) and caseload
per municipality — reading the same exports: pandas for the CSVs, openpyxl for the
workbooks, pandas groupby, and an openpyxl workbook as output. It skips everything the
pipeline does besides (validation, pseudonymisation, the other KPIs), so the ratio
measured against it flatters the baseline.

Usage: ``python -m nazorg.bench_baseline RAW_DIR OUT.xlsx``
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook


def read_notifications(raw: Path) -> pd.DataFrame:
    frames = []
    for path in sorted((raw / "justid").rglob("*.csv")):
        try:
            frames.append(pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig"))
        except UnicodeDecodeError:
            frames.append(pd.read_csv(path, sep=";", dtype=str, encoding="cp1252"))
    return pd.concat(frames, ignore_index=True).drop_duplicates("Meldingnummer")


def outflow(notifications: pd.DataFrame) -> pd.DataFrame:
    releases = notifications[
        notifications["Soort melding"].isin(["Einde detentie", "Ontslag"])
    ].copy()
    releases["release"] = pd.to_datetime(releases["Datum ontslag"], format="%d-%m-%Y")
    releases["year"] = releases["release"].dt.year
    releases["place"] = releases["Gemeentecode"].fillna(releases["Gemeente"])
    last = releases.sort_values("release").groupby(["BSN", "year"]).tail(1)
    last = last.dropna(subset=["place"])
    table = last.groupby(["year", "place"]).size().rename("persons").reset_index()
    table["share"] = table["persons"] / table.groupby("year")["persons"].transform("sum")
    return table


def read_cases(raw: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((raw / "caseload").rglob("*.xlsx")):
        workbook = load_workbook(path, read_only=True, data_only=True)
        for sheet in workbook.worksheets:
            header = None
            for values in sheet.iter_rows(values_only=True):
                if header is None:
                    if values and "Casusnummer" in values:
                        header = list(values)
                    continue
                if values[0] is None or str(values[0]).startswith("Totaal"):
                    continue
                rows.append(dict(zip(header, values, strict=False)) | {"region": path.parent.name})
        workbook.close()
    return pd.DataFrame(rows)


def caseload(cases: pd.DataFrame) -> pd.DataFrame:
    cases = cases.copy()
    cases["year"] = pd.to_datetime(
        cases["Datum aanmelding"], errors="coerce", dayfirst=True
    ).dt.year
    cases["Gemeente"] = cases["Gemeente"].fillna("Overig")
    table = cases.groupby(["region", "year", "Gemeente"]).size().rename("cases").reset_index()
    table["share"] = table["cases"] / table.groupby(["region", "year"])["cases"].transform("sum")
    return table


def write(tables: dict[str, pd.DataFrame], out: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, table in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False):
            sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    workbook.save(out)


def main(argv: list[str]) -> None:
    raw, out = Path(argv[1]), Path(argv[2])
    tables = {"uitstroom": outflow(read_notifications(raw)), "caseload": caseload(read_cases(raw))}
    write(tables, out)
    print({name: len(t) for name, t in tables.items()})


if __name__ == "__main__":
    main(sys.argv)
