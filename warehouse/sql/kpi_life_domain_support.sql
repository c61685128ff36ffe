-- kpi.life_domain_support: one row per region, year of Datum aanmelding and life
-- domain (all five, 0 included): cases with a mark in that domain's Inzet column. A
-- case can count in several domains.
WITH
-- include: coverage_cases
per_year AS (
    SELECT
        region,
        year(registration_date)::BIGINT AS year,
        count(*) FILTER (WHERE support_id) AS id,
        count(*) FILTER (WHERE support_housing) AS housing,
        count(*) FILTER (WHERE support_work_income) AS work_income,
        count(*) FILTER (WHERE support_debts) AS debts,
        count(*) FILTER (WHERE support_care) AS care
    FROM staging.cases
    GROUP BY region, year(registration_date)
)
SELECT t.region, t.year, t.life_domain, t.cases::BIGINT AS cases,
    coalesce(c.first_date <= make_date(t.year, 1, 1)
        AND c.last_date >= make_date(t.year, 12, 31), false) AS year_complete
FROM (
    UNPIVOT per_year
    ON id, housing, work_income, debts, care
    INTO NAME life_domain VALUE cases
) AS t
LEFT JOIN cases_coverage AS c USING (region)
ORDER BY
    t.region, t.year, list_position(['id', 'housing', 'work_income', 'debts', 'care'], t.life_domain)
