-- The period the detention data (DPAN and JustID) cover per region, for year_complete
-- (warehouse.md): from the first date in them (the earliest admission) to the latest
-- (the latest notification or release). A year is complete when this period runs from
-- 1 January to 31 December of it; after a January export the year that has just begun
-- is not.
detentions_coverage AS (
    SELECT
        region,
        min(admission_date) AS first_date,
        max(greatest(last_event_date, release_date)) AS last_date
    FROM staging.detentions
    WHERE region IS NOT NULL
    GROUP BY region
),
