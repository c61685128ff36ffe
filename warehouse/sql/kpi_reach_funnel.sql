-- kpi.reach_funnel: one row per region, cohort year and stage of the reach of nazorg-plus.
-- released: outflow persons of the region in the year (NULL when the outflow of that
-- year is not in the warehouse); gross_intake / trajectory_started: distinct persons
-- with a case 'Aangemeld' or 'Gestart' / 'Gestart' registered (Datum aanmelding) in the
-- year; sampled / approached / interviewed: rows of the cohort follow-up, present only
-- for region-years that have one. The stages need not be nested.
WITH plus AS (
    SELECT region, year(registration_date) AS cohort_year, person_key, nazorg_plus
    FROM staging.cases
    WHERE nazorg_plus IN ('Aangemeld', 'Gestart') AND registration_date IS NOT NULL
),
sample AS (
    SELECT region, cohort_year, status FROM staging.cohort_sample
),
cohorts AS (
    SELECT DISTINCT region, cohort_year FROM plus
    UNION
    SELECT DISTINCT region, cohort_year FROM sample
),
released AS (
    SELECT region, year AS cohort_year, sum(persons) AS persons
    FROM kpi.outflow
    GROUP BY region, year
),
stages AS (
    SELECT c.region, c.cohort_year, 1 AS stage_order, 'released' AS stage, r.persons
    FROM cohorts c
    LEFT JOIN released r USING (region, cohort_year)
    UNION ALL
    SELECT c.region, c.cohort_year, 2, 'gross_intake', count(DISTINCT p.person_key)
    FROM cohorts c
    LEFT JOIN plus p USING (region, cohort_year)
    GROUP BY c.region, c.cohort_year
    UNION ALL
    SELECT c.region, c.cohort_year, 3, 'trajectory_started',
        count(DISTINCT p.person_key) FILTER (WHERE p.nazorg_plus = 'Gestart')
    FROM cohorts c
    LEFT JOIN plus p USING (region, cohort_year)
    GROUP BY c.region, c.cohort_year
    UNION ALL
    SELECT region, cohort_year, 4, 'sampled', count(*)
    FROM sample
    GROUP BY region, cohort_year
    UNION ALL
    SELECT region, cohort_year, 5, 'approached', count(*) FILTER (WHERE status <> 'Onbereikbaar')
    FROM sample
    GROUP BY region, cohort_year
    UNION ALL
    SELECT region, cohort_year, 6, 'interviewed', count(*) FILTER (WHERE status = 'Geïnterviewd')
    FROM sample
    GROUP BY region, cohort_year
)
SELECT
    region,
    cohort_year,
    stage,
    stage_order,
    persons::BIGINT AS persons,
    persons / nullif(
        max(persons) FILTER (WHERE stage = 'released') OVER (PARTITION BY region, cohort_year), 0
    ) AS share_of_released,
    persons / nullif(
        lag(persons) OVER (PARTITION BY region, cohort_year ORDER BY stage_order), 0
    ) AS share_of_previous
FROM stages
ORDER BY region, cohort_year, stage_order
