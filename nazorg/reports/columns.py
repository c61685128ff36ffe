"""The warehouse names the workbooks read, in one place.

Every sheet asks these names and helpers, so a rename in the warehouse is a change of
one line here.
"""

from __future__ import annotations

from typing import Any

#: kpi.redetention: the aftercare group (nazorg_plus, regular, all).
REDETENTION_GROUP = "aftercare_group"
#: quality.rejected_rows and quality.row_warnings: the column of the input file.
QUALITY_COLUMN = "column_name"
#: Calendar-year KPI tables: true when the sources cover the whole year.
YEAR_COMPLETE = "year_complete"
#: kpi.redetention: the two-year window has passed for the whole release year.
WINDOW_COMPLETE = "window_complete"
#: kpi.coordination: the register holds the measure at all in that region-year.
IS_REGISTERED = "is_registered"


def redetention_group(record: dict[str, Any]) -> Any:
    return record.get(REDETENTION_GROUP)


def flag(record: dict[str, Any], name: str, default: bool = True) -> bool:
    """A boolean column; ``default`` when the table does not have it (yet)."""
    value = record.get(name)
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "ja", "t")
    return bool(value)


def year_complete(record: dict[str, Any]) -> bool:
    return flag(record, YEAR_COMPLETE)
