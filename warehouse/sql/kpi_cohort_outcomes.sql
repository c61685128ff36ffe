-- kpi.cohort_outcomes: one row per region, cohort year, life domain and outcome: how
-- many interviewed cases of the follow-up had that outcome. Every outcome of the
-- contract appears (0 where none); an empty cell counts as 'Onbekend'. Recidivism is
-- the Recidive column (Ja/Nee), required for interviewed cases.
WITH interviewed AS (
    SELECT * FROM staging.cohort_sample WHERE status = 'Geïnterviewd'
),
totals AS (
    SELECT region, cohort_year, count(*) AS interviewed
    FROM interviewed
    GROUP BY region, cohort_year
),
answers AS (
    SELECT region, cohort_year, 'housing' AS life_domain, coalesce(outcome_housing, 'Onbekend') AS outcome FROM interviewed
    UNION ALL
    SELECT region, cohort_year, 'work_income', coalesce(outcome_work, 'Onbekend') FROM interviewed
    UNION ALL
    SELECT region, cohort_year, 'debts', coalesce(outcome_debts, 'Onbekend') FROM interviewed
    UNION ALL
    SELECT region, cohort_year, 'care', coalesce(outcome_care, 'Onbekend') FROM interviewed
    UNION ALL
    SELECT region, cohort_year, 'recidivism', CASE WHEN recidivism THEN 'Ja' ELSE 'Nee' END FROM interviewed
),
domains (life_domain, domain_order) AS (
    VALUES ('housing', 1), ('work_income', 2), ('debts', 3), ('care', 4)
),
outcomes (outcome, outcome_order) AS (
    VALUES ('Positief', 1), ('Neutraal tot positief', 2), ('Neutraal', 3), ('Negatief', 4), ('Onbekend', 5)
),
grid AS (
    SELECT life_domain, domain_order, outcome, outcome_order FROM domains CROSS JOIN outcomes
    UNION ALL
    SELECT * FROM (VALUES ('recidivism', 5, 'Ja', 1), ('recidivism', 5, 'Nee', 2))
)
SELECT
    t.region,
    t.cohort_year,
    g.life_domain,
    g.outcome,
    count(a.outcome) AS cases,
    t.interviewed,
    count(a.outcome) / t.interviewed AS share
FROM totals t
CROSS JOIN grid g
LEFT JOIN answers a
    ON a.region = t.region
    AND a.cohort_year = t.cohort_year
    AND a.life_domain = g.life_domain
    AND a.outcome = g.outcome
GROUP BY t.region, t.cohort_year, g.life_domain, g.domain_order, g.outcome, g.outcome_order, t.interviewed
ORDER BY t.region, t.cohort_year, g.domain_order, g.outcome_order
