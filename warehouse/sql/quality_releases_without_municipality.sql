-- quality.releases_without_municipality: persons whose last release of the year names
-- no municipality at all (no fixed address, none known before). They are in no
-- region's outflow. A municipality that was named but could not be placed is a row
-- warning instead, not counted here.
WITH last_release AS (
    SELECT person_key, year(release_date) AS year, municipality_recorded
    FROM staging.detentions
    WHERE is_release
    QUALIFY row_number() OVER (
        PARTITION BY person_key, year(release_date)
        ORDER BY release_date DESC, admission_date DESC, episode_id DESC
    ) = 1
)
SELECT year, count(*) FILTER (WHERE NOT municipality_recorded) AS persons
FROM last_release
GROUP BY year
ORDER BY year
