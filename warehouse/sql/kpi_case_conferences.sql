-- kpi.case_conferences: one row per region, year of Datum aanmelding and type of case
-- conference (all three, 0 included): cases with that value in Casusoverleg.
WITH
-- include: coverage_cases
per_year AS (
    SELECT
        region,
        year(registration_date)::BIGINT AS year,
        count(*) FILTER (WHERE case_conference = 'Veelplegeroverleg') AS veelpleger,
        count(*) FILTER (
            WHERE case_conference = 'Scenario-overleg huiselijk geweld'
        ) AS huiselijk_geweld,
        count(*) FILTER (WHERE case_conference = 'Casus op Maat') AS casus_op_maat
    FROM staging.cases
    GROUP BY region, year(registration_date)
)
SELECT t.region, t.year, t.conference_type, t.cases::BIGINT AS cases,
    coalesce(c.first_date <= make_date(t.year, 1, 1)
        AND c.last_date >= make_date(t.year, 12, 31), false) AS year_complete
FROM (
    UNPIVOT per_year
    ON veelpleger, huiselijk_geweld, casus_op_maat
    INTO NAME conference_type VALUE cases
) AS t
LEFT JOIN cases_coverage AS c USING (region)
ORDER BY
    t.region,
    t.year,
    list_position(['veelpleger', 'huiselijk_geweld', 'casus_op_maat'], t.conference_type)
