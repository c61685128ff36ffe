-- kpi.tabel1 (view): Tabel 1 of the Gooi en Vechtstreek evaluation for every region, one
-- row per region, year and municipality present in kpi.caseload or kpi.outflow. A
-- municipality absent from a registration that has data for that region-year counts 0
-- there; a registration without any data for the region-year gives NULL (not 0: "no
-- registration" is not "nobody"). The year is complete when every registration that has
-- data for it covers it whole.
WITH caseload_years AS (
    SELECT region, year, bool_and(year_complete) AS complete
    FROM kpi.caseload
    GROUP BY region, year
),
outflow_years AS (
    SELECT region, year, bool_and(year_complete) AS complete
    FROM kpi.outflow
    GROUP BY region, year
),
side_by_side AS (
    SELECT
        coalesce(c.region, o.region) AS region,
        coalesce(c.year, o.year) AS year,
        coalesce(c.municipality_code, o.municipality_code) AS municipality_code,
        coalesce(c.municipality_name, o.municipality_name) AS municipality_name,
        c.cases,
        c.share AS caseload_share,
        o.persons,
        o.share AS outflow_share
    FROM kpi.caseload AS c
    FULL OUTER JOIN kpi.outflow AS o
        ON o.region = c.region AND o.year = c.year AND o.municipality_code = c.municipality_code
)
SELECT
    s.region,
    s.year,
    s.municipality_code,
    s.municipality_name,
    CASE WHEN cy.region IS NOT NULL THEN coalesce(s.cases, 0) END AS caseload_cases,
    CASE WHEN cy.region IS NOT NULL THEN coalesce(s.caseload_share, 0) END AS caseload_share,
    CASE WHEN oy.region IS NOT NULL THEN coalesce(s.persons, 0) END AS outflow_persons,
    CASE WHEN oy.region IS NOT NULL THEN coalesce(s.outflow_share, 0) END AS outflow_share,
    coalesce(cy.complete, true) AND coalesce(oy.complete, true) AS year_complete
FROM side_by_side AS s
LEFT JOIN caseload_years AS cy ON cy.region = s.region AND cy.year = s.year
LEFT JOIN outflow_years AS oy ON oy.region = s.region AND oy.year = s.year
ORDER BY
    s.region,
    s.year,
    s.municipality_code = 'OVERIG',
    coalesce(s.cases, 0) + coalesce(s.persons, 0) DESC,
    s.municipality_name
