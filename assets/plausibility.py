"""Freshness and plausibility: non-blocking checks that ask a person to take a look.

None of these stops publishing (the figures may be right: a source can shrink, a year
can be corrected); a failure is a warning in the run's log, a yellow check in the UI
and a line in the mail after the run (:mod:`pipelines.alerts`).

* ``staging/detentions justid_export_recent``: the newest JustID export (by its
  modification time) is at most ``NAZORG_JUSTID_MAX_AGE_DAYS`` days old (default 3).
* ``quality/file_ledger rows_not_halved``: no source loaded fewer than half the rows it
  loaded in the last published run.
* ``kpi/outflow complete_years_stable``: the outflow of a region-year that was complete
  in the last published run moved by at most ``NAZORG_OUTFLOW_MAX_CHANGE`` (a fraction,
  default 0.10) of what was published.
* ``kpi/redetention prevalence_not_zero``: no group of more than 50 released persons has
  a re-detention prevalence of 0.

The comparisons with the last published run read the published warehouse itself,
attached read-only as ``last_published`` (:class:`assets.common.SqlCheck`); the first
run, with nothing published yet, has nothing to compare and passes.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import dagster as dg

from assets.common import SqlCheck, asset_key
from nazorg.ingest import discover

JUSTID_MAX_AGE_VARIABLE = "NAZORG_JUSTID_MAX_AGE_DAYS"
JUSTID_MAX_AGE_DAYS = 3.0
OUTFLOW_MAX_CHANGE_VARIABLE = "NAZORG_OUTFLOW_MAX_CHANGE"
OUTFLOW_MAX_CHANGE = 0.10
REDETENTION_MIN_PERSONS = 50


def _number(variable: str, default: float) -> float:
    text = os.environ.get(variable, "").strip().replace(",", ".")
    try:
        return float(text) if text else default
    except ValueError:
        return default


# --------------------------------------------------------------------------- JustID


class JustidFreshness:
    """The newest JustID export is recent enough (a Python check: it looks at raw/)."""

    table = "staging.detentions"
    name = "justid_export_recent"
    description = (
        "Er is een nieuwe JustID-export binnen NAZORG_JUSTID_MAX_AGE_DAYS dagen (standaard "
        "3), naar de wijzigingstijd van het nieuwste bestand in raw/justid. "
        "Niet-blokkerend: zonder nieuwe export wordt gepubliceerd wat er is."
    )

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(
            self.name, asset=asset_key(self.table), blocking=False, description=self.description
        )

    def evaluate(self, raw_dir: Path, log, now: float | None = None) -> dg.AssetCheckResult:
        max_days = _number(JUSTID_MAX_AGE_VARIABLE, JUSTID_MAX_AGE_DAYS)
        now = time.time() if now is None else now
        newest: tuple[float, Path] | None = None
        for path in discover(raw_dir / "justid")[0]:
            try:
                stamp = path.stat().st_mtime
            except OSError:
                continue
            if newest is None or stamp > newest[0]:
                newest = (stamp, path)
        metadata: dict = {"max_age_days": max_days}
        if newest is None:
            passed = False
            reason = "geen JustID-export gevonden in raw/justid"
        else:
            age = (now - newest[0]) / 86400
            passed = age <= max_days
            when = dt.datetime.fromtimestamp(newest[0]).strftime("%Y-%m-%d %H:%M")
            metadata |= {
                "newest_export": newest[1].relative_to(raw_dir).as_posix(),
                "newest_export_time": when,
                "age_days": round(age, 1),
            }
            reason = (
                f"nieuwste JustID-export is {age:.1f} dagen oud ({metadata['newest_export']}, "
                f"{when}); verwacht binnen {max_days:g} dagen"
            )
        metadata["reason"] = reason
        if not passed:
            log.warning(f"Controle {self.table}.{self.name} faalt: {reason}.")
        return dg.AssetCheckResult(
            asset_key=asset_key(self.table),
            check_name=self.name,
            passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=self.description,
            metadata=metadata,
        )


JUSTID_FRESHNESS = JustidFreshness()


# --------------------------------------------------------------------------- against the last run

ROWS_NOT_HALVED = SqlCheck(
    "quality.file_ledger",
    "rows_not_halved",
    "Geen bron laadt minder dan de helft van de rijen die ze bij de vorige gepubliceerde run "
    "laadde (een export die ontbreekt of half is aangekomen?). Niet-blokkerend.",
    """WITH now AS (
           SELECT source, coalesce(sum(rows_loaded), 0) AS rows FROM quality.file_ledger
           GROUP BY source),
       before AS (
           SELECT source, coalesce(sum(rows_loaded), 0) AS rows
           FROM last_published.quality.file_ledger GROUP BY source)
       SELECT b.source, b.rows AS rows_last_published, coalesce(n.rows, 0) AS rows_now
       FROM before b LEFT JOIN now n USING (source)
       WHERE b.rows > 0 AND coalesce(n.rows, 0) < 0.5 * b.rows
       ORDER BY b.source""",
    blocking=False,
    against_published=True,
)

OUTFLOW_COMPLETE_YEARS_STABLE = SqlCheck(
    "kpi.outflow",
    "complete_years_stable",
    "De uitstroom van een regio-jaar dat bij de vorige gepubliceerde run compleet was (een "
    "jaar na het eerste en vóór het laatste jaar van de detentiegegevens van de regio) "
    "verschuift niet meer dan NAZORG_OUTFLOW_MAX_CHANGE (standaard 0,10 = 10%) ten "
    "opzichte van wat toen gepubliceerd is. Niet-blokkerend.",
    """WITH span AS (
           SELECT region, year(min(admission_date)) AS first_year,
                  year(max(last_event_date)) AS last_year
           FROM last_published.staging.detentions WHERE region IS NOT NULL GROUP BY region),
       before AS (
           SELECT region, year, sum(persons) AS persons
           FROM last_published.kpi.outflow GROUP BY ALL),
       now AS (SELECT region, year, sum(persons) AS persons FROM kpi.outflow GROUP BY ALL)
       SELECT b.region, b.year, b.persons AS persons_last_published,
              coalesce(n.persons, 0) AS persons_now,
              round(abs(coalesce(n.persons, 0) - b.persons) / b.persons, 3) AS moved
       FROM before b
       JOIN span s ON s.region = b.region AND b.year > s.first_year AND b.year < s.last_year
       LEFT JOIN now n ON n.region = b.region AND n.year = b.year
       WHERE abs(coalesce(n.persons, 0) - b.persons) > {max_change} * b.persons
       ORDER BY b.region, b.year""",
    blocking=False,
    against_published=True,
    parameters=lambda: {"max_change": _number(OUTFLOW_MAX_CHANGE_VARIABLE, OUTFLOW_MAX_CHANGE)},
)

REDETENTION_PREVALENCE_NOT_ZERO = SqlCheck(
    "kpi.redetention",
    "prevalence_not_zero",
    f"Geen groep van meer dan {REDETENTION_MIN_PERSONS} uitgestroomde personen heeft een "
    "herdetentieprevalentie van 0: bij zoveel personen wijst dat eerder op ontbrekende "
    "latere meldingen dan op niemand die terugkwam. Niet-blokkerend.",
    f"""SELECT * FROM kpi.redetention
        WHERE prevalence_2y = 0 AND released_persons > {REDETENTION_MIN_PERSONS}""",
    blocking=False,
)
