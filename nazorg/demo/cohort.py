"""Demo export of the cohort follow-up: Midden-Limburg, cohort 2020 (Limburg report).

20 cases drawn at random from the 69 started trajectories of the register
(``ML-2020-001`` … ``ML-2020-069``, see :func:`nazorg.demo.population.ml_case_number`):
5 unreachable, 2 refusals, 1 who kept cancelling and 12 interviewed (§2.3). The 12
interviews are the report's cases 1–12, with the values of chapters 5 and 6:

* recidivism (§5.1): 5 of 12 recidivated, 7 offences in total (cases 5 and 7 are named
  as recidivists; 2, 3, 8, 9, 12 and 1 as not); 6 of the 7 without recidivism had an
  intensive trajectory, 4 of the 5 recidivists 'Weinig verbinding';
* avoided police incidents per year (§5.1, variant B): case 1 20, case 8 10, case 3 5;
* work (§5.3, table): lasting work saves 12 benefit months a year in cases 2 and 8, the
  job of case 10 did not last (4 months once), attribution 0,5 where an amount is
  booked; Werk positive in 2, 3, 8, 10, neutral-to-positive in 1 and 12, neutral in the
  other six;
* one-off spending 4 000 in total (§6.2), of which 2 500 for the ticket of case 2
  (footnote 70);
* housing positive in 8 of 12 (own place to live); debts present in 9 of 12 (§5.3):
  the three without debts (2, 5, 6) have ``Schulden`` 'Neutraal', the nine with debts
  'Neutraal tot positief' (in debt counselling), 'Negatief' (debts still growing) or
  'Onbekend' (case 9, still detained).

Quirks: a title row above the header, ``Toerekening`` typed as text with a decimal
comma, one amount written ``€ 2.500,00``, ``Geinterviewd`` once without its diaeresis.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from nazorg.demo.files import save_workbook
from nazorg.demo.population import (
    ML_FOLLOW_UP_SAMPLE,
    ML_INTERVIEWED,
    ML_NON_RESPONSE,
    Population,
    ml_case_number,
    ml_follow_up_draw,
)

HEADER = [
    "Casusnummer",
    "Cohort",
    "Status",
    "Recidive",
    "Aantal delicten",
    "Vermeden politie-incidenten per jaar",
    "Vermeden uitkeringsmaanden per jaar",
    "Eenmalig vermeden uitkeringsmaanden",
    "Toerekening",
    "Eenmalige kosten",
    "Intensiteit",
    "Wonen",
    "Werk",
    "Schulden",
    "Zorg",
]

COHORT_YEAR = 2020
# The draw itself is in the population (ml_follow_up_draw): who is interviewed decides
# who is still detained at the end of 2022.
SAMPLE_SIZE = ML_FOLLOW_UP_SAMPLE
NON_RESPONSE = ML_NON_RESPONSE

P, NP, N, NEG, U = "Positief", "Neutraal tot positief", "Neutraal", "Negatief", "Onbekend"
INT, REG, WEINIG = "Intensief", "Regulier", "Weinig verbinding"

# The report's interviewed cases 1–12: (Recidive, Aantal delicten, police incidents per
# year, benefit months per year, benefit months once, Toerekening, Eenmalige kosten,
# Intensiteit, Wonen, Werk, Schulden, Zorg).
INTERVIEWS = [
    ("Nee", 0, 20, None, None, None, 500, INT, P, NP, NP, P),  # 1
    ("Nee", 0, None, 12, None, "0,5", "€ 2.500,00", INT, P, P, N, N),  # 2
    ("Nee", 0, 5, None, None, None, None, INT, P, P, NP, P),  # 3
    ("Ja", 1, None, None, None, None, None, WEINIG, P, N, NP, NP),  # 4
    ("Ja", 1, None, None, None, None, None, WEINIG, NEG, N, N, NEG),  # 5
    ("Ja", 1, None, None, None, None, None, REG, N, N, N, N),  # 6
    ("Ja", 2, None, None, None, None, 500, WEINIG, P, N, NEG, N),  # 7
    ("Nee", 0, 10, 12, None, "0,5", None, INT, P, P, NP, P),  # 8
    ("Nee", 0, None, None, None, None, None, INT, U, N, U, U),  # 9
    ("Nee", 0, None, None, 4, "0,5", None, INT, P, P, NP, N),  # 10
    ("Ja", 2, None, None, None, None, None, WEINIG, N, N, NEG, N),  # 11
    ("Nee", 0, None, None, None, None, 500, REG, P, NP, NP, P),  # 12
]


def sample_rows(population: Population) -> list[list[object]]:
    """The 20 rows of the follow-up, sorted by case number as a sample list is."""
    assert len(INTERVIEWS) == ML_INTERVIEWED
    rows: list[list[object]] = []
    for index, status in ml_follow_up_draw(len(population.ml_started)):
        head: list[object] = [ml_case_number(index), COHORT_YEAR]
        if isinstance(status, str):
            rows.append([*head, status] + [None] * (len(HEADER) - 3))
        else:
            rows.append([*head, "Geïnterviewd", *INTERVIEWS[status]])
    # People type the status without its diaeresis too.
    first_interview = next(r for r in rows if r[2] == "Geïnterviewd")
    first_interview[2] = "Geinterviewd"
    return rows


def write_cohort(population: Population, raw_dir: Path) -> list[Path]:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Steekproef"
    sheet.append([f"Vervolgmeting nazorg-plus Midden-Limburg, cohort {COHORT_YEAR}"])
    sheet.append(HEADER)
    for row in sample_rows(population):
        sheet.append(row)
    path = raw_dir / "cohort" / "midden-limburg" / f"steekproef_cohort_{COHORT_YEAR}.xlsx"
    save_workbook(workbook, path)
    return [path]
