-- kpi.caseload: one row per region, year of Datum aanmelding and municipality.
-- A case is a row of the registration (staging.cases, superseded rows already gone);
-- OVERIG holds the cases with an empty, 'Overig', unknown or out-of-region Gemeente.
-- persons counts distinct persons among the cases of that municipality and year.
WITH
-- include: coverage_cases
cases AS (SELECT *, year(registration_date)::BIGINT AS year FROM staging.cases)
SELECT
    s.region,
    s.year,
    s.municipality_code,
    s.municipality_name,
    count(*)::BIGINT AS cases,
    count(DISTINCT s.person_key)::BIGINT AS persons,
    (count(*) / sum(count(*)) OVER (PARTITION BY s.region, s.year))::DOUBLE AS share,
    coalesce(any_value(c.first_date) <= make_date(s.year, 1, 1)
        AND any_value(c.last_date) >= make_date(s.year, 12, 31), false) AS year_complete
FROM cases AS s
LEFT JOIN cases_coverage AS c USING (region)
GROUP BY s.region, s.year, s.municipality_code, s.municipality_name
ORDER BY s.region, s.year, s.municipality_code = 'OVERIG', cases DESC, s.municipality_name
