-- kpi.outflow: one row per region, year of release and municipality.
-- A person counts once per year, placed at their LAST release of that year; only
-- releases (Einde detentie / Ontslag), never transfers or leave.
WITH releases AS (
    SELECT
        person_key,
        year(release_date) AS year,
        -- (release date, admission date) orders a person's releases without ties (an
        -- episode is one person and one admission date)
        (release_date - DATE '1800-01-01')::BIGINT * 100000
            + (admission_date - DATE '1800-01-01') AS release_order,
        municipality_code,
        municipality_name,
        region
    FROM staging.detentions
    WHERE is_release
),
last_release AS (
    SELECT r.*
    FROM releases AS r
    JOIN (
        SELECT person_key, year, max(release_order) AS release_order
        FROM releases
        GROUP BY person_key, year
    ) USING (person_key, year, release_order)
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
