"""What every table model shares: the base (:class:`nazorg.warehouse.TableModel`, which
the warehouse writes by) and the columns that recur."""

from __future__ import annotations

import pandera.polars as pa

from nazorg.warehouse import TableModel

__all__ = [
    "REGIONS",
    "TableModel",
    "region_field",
    "share_field",
    "year_complete_field",
    "year_field",
]

#: The regions of the warehouse (their display names).
REGIONS = ["Gooi en Vechtstreek", "Midden-Limburg", "Noord-Limburg"]
REGION = "Regio van het Zorg- en Veiligheidshuis."


def region_field(description: str = REGION, **kwargs):
    """A ``region`` column: one of REGIONS."""
    return pa.Field(isin=REGIONS, description=description, **kwargs)


def year_field(description: str, **kwargs):
    """A calendar year: 1990 (the earliest event date) to 2100."""
    return pa.Field(ge=1990, le=2100, description=description, **kwargs)


def share_field(description: str, **kwargs):
    """A share: a fraction from 0 to 1."""
    return pa.Field(ge=0, le=1, description=description, **kwargs)


def year_complete_field(year: str, sources: str) -> bool:
    """``year_complete`` of a table with a calendar-year grain (warehouse.md): ``year``
    says which year the table counts by, ``sources`` which data decide."""
    return pa.Field(
        description=(
            f"Waar als de gegevens waaruit de rij is berekend ({sources}) voor deze regio het "
            f"hele jaar dekken: hun eerste datum ligt op of vóór 1 januari en hun laatste op of "
            f"na 31 december van het jaar. Onwaar: het jaar loopt nog of de bron dekt het maar "
            f"deels; de cijfers staan er wel, maar zijn voorlopig. Het jaar is hier {year}."
        )
    )
