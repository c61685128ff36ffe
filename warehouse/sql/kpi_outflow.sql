-- kpi.outflow: one row per region, year of release and municipality.
-- A person counts once per year, placed at their LAST release of that year; only
-- releases (Einde detentie / Ontslag), never transfers or leave.
WITH
-- include: coverage_detentions
releases AS (
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
    r.region,
    r.year::BIGINT AS year,
    r.municipality_code,
    r.municipality_name,
    count(*)::BIGINT AS persons,
    count(*) / sum(count(*)) OVER (PARTITION BY r.region, r.year) AS share,
    coalesce(any_value(c.first_date) <= make_date(r.year, 1, 1)
        AND any_value(c.last_date) >= make_date(r.year, 12, 31), false) AS year_complete
FROM last_release AS r
LEFT JOIN detentions_coverage AS c USING (region)
WHERE r.region IS NOT NULL
GROUP BY r.region, r.year, r.municipality_code, r.municipality_name
ORDER BY r.region, r.year, persons DESC, r.municipality_name
