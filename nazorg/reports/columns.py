"""The warehouse names the workbooks read, in one place.

Renames in the warehouse (``kpi.redetention.group`` becomes ``aftercare_group``) and new
columns (``year_complete``) are handled here and nowhere else: every sheet asks these
helpers, so a rename is a change of one line.
"""

from __future__ import annotations

from typing import Any

#: kpi.redetention: the aftercare group, under its new name first.
REDETENTION_GROUP = ("aftercare_group", "group")
#: Calendar-year KPI tables: true when the sources cover the whole year.
YEAR_COMPLETE = "year_complete"
#: kpi.redetention: the two-year window has passed for the whole release year.
WINDOW_COMPLETE = "window_complete"
#: kpi.coordination: the register holds the measure at all in that region-year.
IS_REGISTERED = "is_registered"


def redetention_group(record: dict[str, Any]) -> Any:
    for name in REDETENTION_GROUP:
        if record.get(name) is not None:
            return record[name]
    return None


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
