-- year_coverage: which calendar years the data of each source cover, per region.
-- One row per region, source and year from the source's first to its latest year, with
-- covered = the source's first date is on or before 1 January of that year and its latest
-- date on or after 31 December (warehouse.md, year_complete). A KPI table's year is
-- complete when EVERY source it is built from covers it; a KPI query pastes this file (a
-- line "include: year_coverage" in a comment, assets/sql.py) and keeps the sources it
-- reads (see kpi_length_of_stay.sql).
-- This is the one place where year_complete is defined for the tables of issue 23.
--
-- The dates per source (the data carry no export period, so the rows' own dates stand
-- in for it):
--   detentions  first admission and latest notification of the region's episodes
--               (JustID/DPAN; region of the municipality at release or admission);
--   screenings  first and latest form date of the forms linked to the region's episodes;
--   cases       first and latest Datum aanmelding of the region's case register.
-- A source without rows for a region covers no year there.
WITH source_dates AS (
    SELECT region, 'detentions' AS source, min(admission_date) AS first_date,
           max(last_event_date) AS latest_date
    FROM staging.detentions
    WHERE region IS NOT NULL
    GROUP BY region
    UNION ALL
    SELECT d.region, 'screenings', min(s.form_date), max(s.form_date)
    FROM staging.screenings AS s
    JOIN staging.detentions AS d ON d.episode_id = s.episode_id
    WHERE d.region IS NOT NULL
    GROUP BY d.region
    UNION ALL
    SELECT region, 'cases', min(registration_date), max(registration_date)
    FROM staging.cases
    WHERE region IS NOT NULL
    GROUP BY region
)
SELECT
    region,
    source,
    y.year::INTEGER AS year,
    first_date <= make_date(y.year::INTEGER, 1, 1)
        AND latest_date >= make_date(y.year::INTEGER, 12, 31) AS covered
FROM source_dates,
    LATERAL (SELECT unnest(range(year(first_date), year(latest_date) + 1)) AS year) AS y
