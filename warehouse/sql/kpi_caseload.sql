-- kpi.caseload: one row per region, year of Datum aanmelding and municipality.
-- A case is a row of the registration (staging.cases, superseded rows already gone);
-- OVERIG holds the cases with an empty, 'Overig', unknown or out-of-region Gemeente.
-- persons counts distinct persons among the cases of that municipality and year.
SELECT
    region,
    year(registration_date)::INTEGER AS year,
    municipality_code,
    municipality_name,
    count(*)::BIGINT AS cases,
    count(DISTINCT person_key)::BIGINT AS persons,
    (count(*) / sum(count(*)) OVER (PARTITION BY region, year(registration_date)))::DOUBLE AS share
FROM staging.cases
GROUP BY region, year(registration_date), municipality_code, municipality_name
ORDER BY region, year, municipality_code = 'OVERIG', cases DESC, municipality_name
