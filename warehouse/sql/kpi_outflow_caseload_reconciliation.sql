-- kpi.outflow_caseload_reconciliation: one row per region, year and municipality (and
-- OVERIG), for the region-years in which BOTH the outflow (kpi.outflow) and the case
-- registration (kpi.caseload) have data; 0 where a municipality is absent from one of
-- them. difference = caseload_cases - outflow_persons: negative is a municipality with
-- fewer cases than released persons, a registration gap worth a look.
WITH both_years AS (
    -- complete when both registrations cover the whole year
    SELECT region, year, bool_and(year_complete) AS year_complete
    FROM (
        SELECT 'outflow' AS source, region, year, year_complete FROM kpi.outflow
        UNION ALL
        SELECT 'caseload', region, year, year_complete FROM kpi.caseload
    )
    GROUP BY region, year
    HAVING count(DISTINCT source) = 2
),
outflow AS (
    SELECT o.region, o.year, o.municipality_code, o.municipality_name, o.persons
    FROM kpi.outflow AS o
    SEMI JOIN both_years AS b ON b.region = o.region AND b.year = o.year
),
caseload AS (
    SELECT c.region, c.year, c.municipality_code, c.municipality_name, c.cases
    FROM kpi.caseload AS c
    SEMI JOIN both_years AS b ON b.region = c.region AND b.year = c.year
),
side_by_side AS (
    SELECT
        coalesce(o.region, c.region) AS region,
        coalesce(o.year, c.year)::BIGINT AS year,
        coalesce(o.municipality_code, c.municipality_code) AS municipality_code,
        coalesce(o.municipality_name, c.municipality_name) AS municipality_name,
        coalesce(o.persons, 0)::BIGINT AS outflow_persons,
        coalesce(c.cases, 0)::BIGINT AS caseload_cases,
        (coalesce(c.cases, 0) - coalesce(o.persons, 0))::BIGINT AS difference
    FROM outflow AS o
    FULL OUTER JOIN caseload AS c
        ON c.region = o.region AND c.year = o.year AND c.municipality_code = o.municipality_code
)
SELECT s.*, b.year_complete
FROM side_by_side AS s
JOIN both_years AS b USING (region, year)
ORDER BY
    region,
    year,
    municipality_code = 'OVERIG',
    outflow_persons + caseload_cases DESC,
    municipality_name
