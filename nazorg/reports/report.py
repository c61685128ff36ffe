"""What a sheet module gets: the region, the warehouse reader and the shared context, and
the small helpers every sheet needs (source line, year labels)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nazorg.reports.data import Warehouse
from nazorg.reports.layout.sheet import SheetContext

PROVISIONAL = "voorlopig"


@dataclass(frozen=True)
class Report:
    region: str
    data: Warehouse
    ctx: SheetContext

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.data.rows(table, self.region)

    def source(self, what: str) -> str:
        """The line under every table: where the figures come from and when made."""
        return f"Bron: {what}; bewerking: nazorg-platform, {self.ctx.run_day}."


def region_slug(region: str) -> str:
    """``Gooi en Vechtstreek`` → ``gooi-en-vechtstreek`` (a workbook's name; the quality
    sheet finds the region's folder by it)."""
    return region.strip().lower().replace(" ", "-").replace("/", "-")


def years(records: list[dict[str, Any]], name: str = "year", *, newest_first: bool = False):
    found = sorted({r[name] for r in records if r.get(name) is not None})
    return found[::-1] if newest_first else found


def year_label(year: Any, complete: bool) -> str:
    return str(year) if complete else f"{year} ({PROVISIONAL})"


def index(records: list[dict[str, Any]], row_field: str, col_field: str) -> dict:
    return {(r.get(row_field), r.get(col_field)): r for r in records}


def names_list(names: list[str]) -> str:
    """``a, b en c``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " en " + names[-1]
