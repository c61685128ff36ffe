-- kpi.outflow: one row per region, year of release and municipality.
-- A person counts once per year, placed at their LAST release of that year; only
-- releases (Einde detentie / Ontslag), never transfers or leave.
WITH last_release AS (
    SELECT
        person_key,
        year(release_date) AS year,
        municipality_code,
        municipality_name,
        region
    FROM staging.detentions
    WHERE is_release
    QUALIFY row_number() OVER (
        PARTITION BY person_key, year(release_date)
        ORDER BY release_date DESC, admission_date DESC, episode_id DESC
    ) = 1
)
SELECT
    region,
    year,
    municipality_code,
    municipality_name,
    count(*) AS persons,
    count(*) / sum(count(*)) OVER (PARTITION BY region, year) AS share
FROM last_release
WHERE region IS NOT NULL
GROUP BY region, year, municipality_code, municipality_name
ORDER BY region, year, persons DESC, municipality_name
