"""One module per sheet, in workbook order after the Overzicht. A sheet module has
``NAME``, ``SUMMARY`` (its line on the Overzicht), ``absent(report)`` (the reason it
is left out for a region, or None) and ``write(sheet_writer, report)``. Adding a sheet
is adding a module and its name here."""

from nazorg.reports.sheets import (
    coordination,
    definitions,
    life_domains,
    mkba,
    outflow,
    quality,
    reach,
    redetention,
    screening,
    target_groups,
)

SHEETS = (
    outflow,
    coordination,
    life_domains,
    screening,
    reach,
    mkba,
    redetention,
    target_groups,
    definitions,
    quality,
)
