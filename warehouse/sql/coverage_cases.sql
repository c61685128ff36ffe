-- The period the region's case registration covers, for year_complete (warehouse.md):
-- from its first Datum aanmelding to the latest date in it (registration, outflow or
-- trajectory dates; dates after the run are rejected on loading, so all have passed).
cases_coverage AS (
    SELECT
        region,
        min(registration_date) AS first_date,
        max(greatest(registration_date, outflow_date, trajectory_start_date,
            trajectory_end_date)) AS last_date
    FROM staging.cases
    GROUP BY region
),
