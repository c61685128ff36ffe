-- kpi.case_conferences: one row per region, year of Datum aanmelding and type of case
-- conference (all three, 0 included): cases with that value in Casusoverleg.
WITH per_year AS (
    SELECT
        region,
        year(registration_date)::INTEGER AS year,
        count(*) FILTER (WHERE case_conference = 'Veelplegeroverleg') AS veelpleger,
        count(*) FILTER (
            WHERE case_conference = 'Scenario-overleg huiselijk geweld'
        ) AS huiselijk_geweld,
        count(*) FILTER (WHERE case_conference = 'Casus op Maat') AS casus_op_maat
    FROM staging.cases
    GROUP BY region, year(registration_date)
)
SELECT region, year, conference_type, cases::BIGINT AS cases
FROM (
    UNPIVOT per_year
    ON veelpleger, huiselijk_geweld, casus_op_maat
    INTO NAME conference_type VALUE cases
)
ORDER BY
    region, year, list_position(['veelpleger', 'huiselijk_geweld', 'casus_op_maat'], conference_type)
