-- quality.releases_without_municipality: persons whose last release of the year names
-- no municipality at all (no fixed address, none known before). They are in no
-- region's outflow. A municipality that was named but could not be placed is a row
-- warning instead, not counted here.
WITH last_release AS (
    -- The last release of the year; (release date, admission date) orders a person's
    -- releases without ties (an episode is one person and one admission date), as in
    -- kpi_redetention.sql.
    SELECT
        year(release_date) AS year,
        arg_max(municipality_recorded, (release_date - DATE '1800-01-01')::BIGINT * 100000
            + (admission_date - DATE '1800-01-01')) AS municipality_recorded
    FROM staging.detentions
    WHERE is_release
    GROUP BY person_key, year(release_date)
)
SELECT year, count(*) FILTER (WHERE NOT municipality_recorded) AS persons
FROM last_release
GROUP BY year
ORDER BY year
