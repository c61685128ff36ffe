-- kpi.life_domain_support: one row per region, year of Datum aanmelding and life
-- domain (all five, 0 included): cases with a mark in that domain's Inzet column. A
-- case can count in several domains.
WITH per_year AS (
    SELECT
        region,
        year(registration_date)::INTEGER AS year,
        count(*) FILTER (WHERE support_id) AS id,
        count(*) FILTER (WHERE support_housing) AS housing,
        count(*) FILTER (WHERE support_work_income) AS work_income,
        count(*) FILTER (WHERE support_debts) AS debts,
        count(*) FILTER (WHERE support_care) AS care
    FROM staging.cases
    GROUP BY region, year(registration_date)
)
SELECT region, year, life_domain, cases::BIGINT AS cases
FROM (
    UNPIVOT per_year
    ON id, housing, work_income, debts, care
    INTO NAME life_domain VALUE cases
)
ORDER BY region, year, list_position(['id', 'housing', 'work_income', 'debts', 'care'], life_domain)
