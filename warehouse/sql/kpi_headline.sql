-- kpi.headline (view): the headline figures, one row per region and year that any of
-- the tables below has. NULL where a source has nothing for that year. Profile rate:
-- cases with a profile per released person (kpi.coordination, measure profile_made);
-- screening coverage: share of released detentions with a form
-- (kpi.screening_coverage); re-detention: prevalence within two years of the whole
-- cohort (kpi.redetention, aftercare_group 'all'). The year is complete when every
-- table that has a figure for it says so.
WITH outflow AS (
    SELECT region, year, sum(persons)::BIGINT AS outflow_persons,
        bool_and(year_complete) AS complete
    FROM kpi.outflow
    GROUP BY region, year
),
caseload AS (
    SELECT region, year, sum(cases)::BIGINT AS caseload_cases,
        bool_and(year_complete) AS complete
    FROM kpi.caseload
    GROUP BY region, year
),
profile AS (
    SELECT region, year, rate_of_outflow AS profile_rate_of_outflow, year_complete AS complete
    FROM kpi.coordination
    WHERE measure = 'profile_made'
),
screening AS (
    SELECT region, year, share_with_form AS screening_coverage, year_complete AS complete
    FROM kpi.screening_coverage
),
redetention AS (
    SELECT region, release_year AS year, prevalence_2y AS redetention_prevalence_2y,
        window_complete AS redetention_window_complete, year_complete AS complete
    FROM kpi.redetention
    WHERE aftercare_group = 'all'
),
years AS (
    SELECT region, year FROM outflow
    UNION
    SELECT region, year FROM caseload
    UNION
    SELECT region, year FROM profile
    UNION
    SELECT region, year FROM screening
    UNION
    SELECT region, year FROM redetention
)
SELECT
    y.region,
    y.year,
    o.outflow_persons,
    c.caseload_cases,
    p.profile_rate_of_outflow,
    s.screening_coverage,
    r.redetention_prevalence_2y,
    coalesce(o.complete, true) AND coalesce(c.complete, true) AND coalesce(p.complete, true)
        AND coalesce(s.complete, true) AND coalesce(r.complete, true) AS year_complete,
    r.redetention_window_complete
FROM years AS y
LEFT JOIN outflow AS o ON o.region = y.region AND o.year = y.year
LEFT JOIN caseload AS c ON c.region = y.region AND c.year = y.year
LEFT JOIN profile AS p ON p.region = y.region AND p.year = y.year
LEFT JOIN screening AS s ON s.region = y.region AND s.year = y.year
LEFT JOIN redetention AS r ON r.region = y.region AND r.year = y.year
ORDER BY y.region, y.year
