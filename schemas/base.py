"""What every table model shares: the base (:class:`nazorg.warehouse.TableModel`, which
the warehouse writes by) and the columns that recur."""

from __future__ import annotations

import pandera.polars as pa

from nazorg.warehouse import TableModel

__all__ = ["TableModel", "year_complete_field"]


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
