"""Datakwaliteit: only what concerns the region. Its own files (and for files that serve
several regions, the rows that count for it), with statuses and rules in Dutch words,
counted per file, column and rule. No message text: a message may name a case number;
the full lists stay in the warehouse's quality tables."""

from __future__ import annotations

from typing import Any

from nazorg.reports.columns import QUALITY_COLUMN
from nazorg.reports.labels import dutch_number, label
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, flat_table
from nazorg.reports.report import Report, region_slug

NAME = "Datakwaliteit"
SUMMARY = "Welke bestanden van de regio zijn ingelezen, en welke rijen zijn afgewezen"
ISSUE_GROUP_LIMIT = 40
#: Up to this many files the region's files are listed one by one; beyond it (years of
#: daily exports) only the files that need attention are, and the rest per source.
FILE_DETAIL_LIMIT = 60
SOURCE = "logboek van de ingelezen bestanden (quality.file_ledger, quality.region_files)"


SHORT_SOURCE = {
    "justid": "JustID",
    "dpan": "DPAN",
    "caseload": "Casusregistratie",
    "cohort": "Vervolgmeting",
    "screening": "Screening",
}


def _name(path: str) -> str:
    """The file's name without its folders (the source column says where it is from)."""
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]


def absent(report: Report) -> str | None:
    return None


def region_files(report: Report) -> dict[str, dict[str, Any]]:
    """The region's files: those with rows that count for it, and those in a folder named
    after the region (a file that failed has no rows anywhere)."""
    slug = region_slug(report.region)
    counted = {r["file"]: r for r in report.rows("quality.region_files")}
    ledger = report.data.rows("quality.file_ledger")
    sharing: dict[str, int] = {}
    for r in report.data.rows("quality.region_files"):
        sharing[r["file"]] = sharing.get(r["file"], 0) + 1
    out: dict[str, dict[str, Any]] = {}
    for entry in ledger:
        file = str(entry.get("file"))
        if file in counted or slug in file.replace("\\", "/").split("/"):
            row = counted.get(file, {})
            out[file] = {
                **entry,
                "region_rows": row.get("rows"),
                "shared": sharing.get(file, 0) > 1,
            }
    return out


def write(sw: SheetWriter, report: Report) -> None:
    files = region_files(report)
    entries = sorted(files.values(), key=lambda r: (str(r.get("source")), str(r.get("file"))))
    summary: dict[str, list[int]] = {}
    if len(entries) > FILE_DETAIL_LIMIT:
        plain = [e for e in entries if e.get("status") == "loaded" and not e.get("rows_rejected")]
        for e in plain:
            part = summary.setdefault(str(e.get("source")), [0, 0, 0])
            part[0] += 1
            part[1] += int(e.get("rows_read") or 0)
            part[2] += int(e.get("region_rows") or 0)
        entries = [e for e in entries if e not in plain]
    table = flat_table(
        entries,
        [
            Col("Bestand", "text", lambda r: _name(r["file"])),
            Col(
                "Bron",
                "text",
                lambda r: SHORT_SOURCE.get(str(r.get("source")), str(r.get("source"))),
            ),
            Col("Status", "text", lambda r: label("status", r.get("status"))),
            Col("Rijen gelezen", "int", "rows_read"),
            Col("Rijen afgewezen", "int", "rows_rejected"),
            Col("Rijen voor deze regio", "int", "region_rows"),
        ],
    )
    notes = [
        "Rijen voor deze regio: detentieperioden (naar de gemeente bij ontslag), casussen of "
        "rijen van de vervolgmeting die voor deze regio meetellen. Een bestand dat meer "
        "regio's bedient, staat in de werkmap van elke regio; gelezen en afgewezen rijen "
        "gelden dan het hele bestand.",
        "Screeningsformulieren tellen mee via de detentie waar ze bij horen; een formulier "
        "dat nergens bij hoort, is aan geen regio toe te kennen en staat hier niet.",
    ]
    if summary:
        notes.insert(
            0,
            "Daarnaast ingelezen zonder afgewezen rijen: "
            + "; ".join(
                f"{SHORT_SOURCE.get(src, src)} {dutch_number(n)} bestanden ({dutch_number(rows)} "
                f"rijen, {dutch_number(mine)} voor deze regio)"
                for src, (n, rows, mine) in sorted(summary.items())
            )
            + ".",
        )
    sw.table(
        table,
        title="Ingelezen bestanden van de regio",
        subtitle=f"Elk bestand met gegevens van {report.region} in deze run, met zijn status.",
        source=report.source(SOURCE),
        notes=notes,
        shielded=False,
    )
    for name, title in (
        ("quality.rejected_rows", "Afgewezen rijen (niet meegeteld)"),
        (
            "quality.row_warnings",
            "Rijen met een waarschuwing (wel meegeteld, een veld terzijde gelegd)",
        ),
    ):
        groups = [g for g in report.data.issue_counts(name) if g["file"] in files]
        if not groups:
            sw.paragraph(f"{title}: geen.", font=sw_font())
            sw.gap()
            continue
        shown = groups[:ISSUE_GROUP_LIMIT]
        table = flat_table(
            shown,
            [
                Col("Bestand", "text", lambda g: _name(g["file"])),
                Col("Kolom", "text", QUALITY_COLUMN),
                Col("Reden", "text", lambda g: label("rule", g["rule"])),
                Col("Rijen", "int", "rows"),
            ],
        )
        rest = groups[ISSUE_GROUP_LIMIT:]
        notes = ["Per bestand, kolom en reden het aantal rijen; grootste groep eerst."]
        if rest:
            notes.append(
                f"En nog {len(rest)} groepen met samen {sum(g['rows'] for g in rest)} rijen; "
                "de volledige lijst, rij voor rij, staat in het warehouse (vraag de data-engineer)."
            )
        sw.table(
            table,
            title=title,
            subtitle=f"Rijen uit de bestanden van {report.region} die niet of niet helemaal zijn meegeteld, met de reden.",
            source=report.source(
                SOURCE.replace(
                    "quality.file_ledger, quality.region_files",
                    "quality.rejected_rows, quality.row_warnings",
                )
            ),
            notes=notes,
            shielded=False,
        )
    sw.fix_width(1, 34)
    sw.fix_width(3, 30)


def sw_font():
    from nazorg.reports.layout import styles

    return styles.BODY
