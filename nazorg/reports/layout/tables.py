"""The table model every sheet fills: cells, column kinds, totals and what small-cell
shielding needs to know (which shares derive from which counts, which totals sum which
cells). Pure data, no openpyxl: the sheet writer (``sheet.py``) lays it out."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MISSING = "-"  # no registration for this row in that year
NOT_REGISTERED = "niet geregistreerd"  # the register does not hold this measure at all
SECONDARY_MARK = "x"  # shielded so that a total does not reveal a small number

Pos = tuple[int, int]  # (row, column) inside the body, 0-based


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def clean(value: Any, kind: str = "text") -> Any:
    """A warehouse value as a cell holds it (Decimal → float, NaN → empty)."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if kind in ("count", "int") and value.is_integer():
            return int(value)
    return value


@dataclass(frozen=True)
class Col:
    """A column: header, kind (a key of ``styles.FORMATS``), how to get the value from a
    record, and the relative offsets of the counts a share is derived from (blanked with
    them when they are shielded)."""

    header: str
    kind: str
    value: str | Callable[[Any], Any]
    deps: tuple[int, ...] = ()

    def get(self, record: Any) -> Any:
        raw = record.get(self.value) if isinstance(self.value, str) else self.value(record)
        return clean(raw, self.kind)


@dataclass
class Table:
    """Cells of one table. ``groups`` are labels over several columns (a year over its
    count and share), written on a row of their own above the column headers."""

    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    groups: list[tuple[str, int, int]] = field(default_factory=list)  # label, first col, span
    deps: dict[Pos, set[Pos]] = field(default_factory=dict)  # share cell -> its counts
    totals: list[tuple[Pos, list[Pos]]] = field(default_factory=list)  # total -> members
    bold_rows: set[int] = field(default_factory=set)
    total_rows: set[int] = field(default_factory=set)
    cell_kinds: dict[Pos, str] = field(default_factory=dict)
    shielded: int = 0  # cells hidden by small-cell shielding (set by shield())

    def add_row(self, values: list[Any], *, bold: bool = False, total: bool = False) -> int:
        self.rows.append(list(values))
        r = len(self.rows) - 1
        if bold or total:
            self.bold_rows.add(r)
        if total:
            self.total_rows.add(r)
        return r

    def kind(self, pos: Pos) -> str:
        return self.cell_kinds.get(pos, self.kinds[pos[1]])

    def value(self, pos: Pos) -> Any:
        return self.rows[pos[0]][pos[1]]


def flat_table(records: list[Any], cols: list[Col]) -> Table:
    """One row per record, one column per Col."""
    table = Table([c.header for c in cols], [c.kind for c in cols])
    for record in records:
        r = table.add_row([c.get(record) for c in cols])
        for ci, col in enumerate(cols):
            if col.deps:
                table.deps[(r, ci)] = {(r, ci + d) for d in col.deps}
    return table


def pivot_table(
    first_header: str,
    row_keys: list[Any],
    row_labels: dict[Any, str],
    col_keys: list[Any],
    col_labels: dict[Any, str],
    block: Callable[[Any], list[tuple[Col, dict[Any, Any]]]],
    *,
    total_label: str | None = None,
) -> Table:
    """Rows down, a block of columns per column key across (a year's count and share).

    ``block(key)`` gives the columns of that key, each with the records it reads, keyed
    by ``(row_key, col_key)``; a row without a record shows ``-``. With ``total_label``
    a total row sums the counts (and shares) of every column: the rows shown, nothing else.
    """
    table = Table([first_header], ["text"])
    columns: list[tuple[Any, Col, dict[Any, Any]]] = []
    for key in col_keys:
        cols = block(key)
        if not cols:
            continue
        table.groups.append((col_labels[key], len(table.headers), len(cols)))
        for col, source in cols:
            table.headers.append(col.header)
            table.kinds.append(col.kind)
            columns.append((key, col, source))
    for row_key in row_keys:
        values: list[Any] = [row_labels[row_key]]
        for key, col, source in columns:
            record = source.get((row_key, key))
            values.append(MISSING if record is None else col.get(record))
        r = table.add_row(values)
        for ci, (_, col, _) in enumerate(columns, start=1):
            if col.deps:
                table.deps[(r, ci)] = {(r, ci + d) for d in col.deps}
    if total_label is not None and table.rows:
        body = range(len(table.rows))
        totals: list[Any] = [total_label]
        for ci, (_, col, _) in enumerate(columns, start=1):
            numbers = [table.rows[r][ci] for r in body if is_number(table.rows[r][ci])]
            summable = col.kind in ("count", "share") and numbers
            totals.append(sum(numbers) if summable else None)
        tr = table.add_row(totals, total=True)
        for ci, (_, col, _) in enumerate(columns, start=1):
            if col.kind == "count":
                table.totals.append(((tr, ci), [(r, ci) for r in body]))
    return table


def shield(table: Table, threshold: int) -> None:
    """Small-cell shielding: counts ``0 < n < threshold`` become ``<threshold``; wherever
    a total would then reveal a single hidden cell, the next smallest member is hidden
    too (``x``); every share derived from a hidden count is blanked."""
    if not threshold:
        return
    counts = [
        (r, c)
        for r, row in enumerate(table.rows)
        for c, value in enumerate(row)
        if table.kind((r, c)) == "count" and is_number(value)
    ]
    primary = {pos for pos in counts if 0 < table.value(pos) < threshold}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for total, members in table.totals:
            if total in hidden or sum(m in hidden for m in members) != 1:
                continue
            candidates = [
                m
                for m in members
                if m not in hidden and is_number(table.value(m)) and table.value(m) > 0
            ]
            pick = min(candidates, key=lambda m: (table.value(m), m)) if candidates else total
            hidden.add(pick)
            changed = True
    for r, c in hidden:
        table.rows[r][c] = f"<{threshold}" if (r, c) in primary else SECONDARY_MARK
    for (r, c), deps in table.deps.items():
        if deps & hidden:
            table.rows[r][c] = None
    table.shielded = len(hidden)


def shield_legend(threshold: int) -> str:
    return (
        f"<{threshold}: minder dan {threshold} personen; {SECONDARY_MARK}: afgeschermd omdat "
        "het totaal anders een klein aantal verraadt. Het percentage bij een afgeschermd "
        "aantal is leeg."
    )
