-- The period the region's case registration covers, for year_complete (warehouse.md):
-- from the first to the latest date in it (Datum aanmelding, Datum uitstroom, the
-- trajectory dates; dates after the run are rejected on loading, so all have passed).
cases_coverage AS (
    SELECT
        region,
        min(least(registration_date, outflow_date, trajectory_start_date,
            trajectory_end_date)) AS first_date,
        max(greatest(registration_date, outflow_date, trajectory_start_date,
            trajectory_end_date)) AS last_date
    FROM staging.cases
    GROUP BY region
),
