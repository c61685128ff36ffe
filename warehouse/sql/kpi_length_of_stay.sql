-- kpi.length_of_stay: one row per region, release year and stay band (all four bands,
-- 0 where none). Grain of the counts: released detention EPISODES, the population of
-- kpi.screening_coverage (a release in the year, municipality at release in the region).
-- The stay is Datum ontslag minus Datum insluiting in days: 0-7, 8-28 (together: "binnen
-- 4 weken", Limburg §4.3), 29-120 and more than 120 (from four months of detention on the
-- municipality deregisters a tenant and the housing is lost, Limburg §4.3). An episode
-- admitted before its export window keeps the admission date JustID reports for it.
WITH
-- include: coverage_detentions
bands AS (
    SELECT * FROM (VALUES
        (1, 'up_to_7_days', 0, 7),
        (2, '8_to_28_days', 8, 28),
        (3, '29_to_120_days', 29, 120),
        (4, 'over_120_days', 121, NULL)
    ) AS b(band_order, stay_band, days_from, days_to)
),
released AS (
    SELECT
        region,
        year(release_date)::BIGINT AS release_year,
        datediff('day', admission_date, release_date) AS stay_days
    FROM staging.detentions
    WHERE is_release AND region IS NOT NULL
),
banded AS (
    SELECT r.region, r.release_year, b.band_order
    FROM released AS r
    JOIN bands AS b
        ON r.stay_days >= b.days_from AND (b.days_to IS NULL OR r.stay_days <= b.days_to)
),
complete AS (
    -- year_complete: the region's detention data cover the whole release year
    SELECT y.region, y.release_year, coalesce(d.first_date <= make_date(y.release_year, 1, 1) AND d.last_date >= make_date(y.release_year, 12, 31), false) AS year_complete
    FROM (SELECT DISTINCT region, release_year FROM released) AS y
    LEFT JOIN detentions_coverage AS d USING (region)
),
region_years AS (
    SELECT region, release_year, count(*) AS total FROM released GROUP BY ALL
)
SELECT
    y.region,
    y.release_year,
    b.stay_band,
    b.band_order,
    b.days_from,
    b.days_to,
    count(x.band_order) AS released_episodes,
    released_episodes / y.total AS share,
    y.total AS region_year_episodes,
    coalesce(any_value(c.year_complete), false) AS year_complete
FROM region_years AS y
CROSS JOIN bands AS b
LEFT JOIN banded AS x
    ON x.region = y.region AND x.release_year = y.release_year AND x.band_order = b.band_order
LEFT JOIN complete AS c ON c.region = y.region AND c.release_year = y.release_year
GROUP BY y.region, y.release_year, b.stay_band, b.band_order, b.days_from, b.days_to, y.total
ORDER BY y.region, y.release_year, b.band_order
