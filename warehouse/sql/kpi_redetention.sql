-- kpi.redetention: one row per region, release year and aftercare_group (nazorg_plus, regular, all).
-- Re-detention of a whole release cohort (warehouse.md): every person released in the
-- year, anchored on their FIRST release of that year and placed in the region of that
-- release. A new detention is an episode of the same person whose admission date lies
-- after the anchor release date and at most 730 days after it (day 730 counts, 731 not).
-- Episodes are one person, one admission date: transfers and leave are notifications
-- within an episode and never count. An admission on the release day itself is not
-- after the release (the person was never free: a continued detention).
-- This is re-detention, not recidivism (new convictions), and the groups are not a
-- causal comparison.
WITH
-- include: coverage_detentions
data_end AS (
    -- The end of the data, per region: the latest notification date seen for the
    -- region's detentions. (warehouse.md says "seen anywhere"; with one region's data
    -- ending in 2013 and another's in 2022, a global end would call the 2013 cohort's
    -- window complete while its data stopped the day after. See README, decisions.)
    SELECT region, max(last_event_date) AS data_end_date
    FROM staging.detentions
    WHERE region IS NOT NULL
    GROUP BY region
),
anchor AS (
    -- The first release of the year; (release date, admission date) orders a person's
    -- releases without ties (an episode is one person and one admission date).
    SELECT
        person_key,
        year(release_date)::BIGINT AS release_year,
        min(release_date) AS anchor_date,
        arg_min_null(region, (release_date - DATE '1800-01-01')::BIGINT * 100000
            + (admission_date - DATE '1800-01-01')) AS region
    FROM staging.detentions
    WHERE is_release
    GROUP BY person_key, year(release_date)
),
started AS (
    -- Nazorg-plus trajectories started: a 'Gestart' case, per region and year of
    -- Datum aanmelding. (While staging.cases does not exist, the asset reads this CTE
    -- from an empty relation instead: nobody is nazorg_plus.)
    SELECT DISTINCT region, person_key, year(registration_date)::INTEGER AS year
    FROM staging.cases
    WHERE nazorg_plus = 'Gestart' AND person_key IS NOT NULL AND registration_date IS NOT NULL
),
numbered AS (
    -- A number per anchor: the new detentions are counted per number, not per
    -- (region, year, 64-character pseudonym, date), which groups far faster.
    SELECT a.*, row_number() OVER () AS anchor_no
    FROM anchor AS a
    WHERE a.region IS NOT NULL
),
new_detentions AS (
    -- distinct admission dates: one episode per person and admission date
    SELECT a.anchor_no, count(DISTINCT e.admission_date) AS new_detentions
    FROM numbered AS a
    JOIN staging.detentions AS e
        ON e.person_key = a.person_key
        AND e.admission_date > a.anchor_date
        AND e.admission_date <= a.anchor_date + 730
    GROUP BY a.anchor_no
),
per_person AS (
    SELECT
        a.region,
        a.release_year,
        a.person_key,
        a.anchor_date,
        s.person_key IS NOT NULL AS is_nazorg_plus,
        coalesce(n.new_detentions, 0) AS new_detentions
    FROM numbered AS a
    LEFT JOIN new_detentions AS n USING (anchor_no)
    LEFT JOIN started AS s
        ON s.person_key = a.person_key
        AND s.region = a.region
        AND s.year = a.release_year
),
cohort AS (
    SELECT region, release_year, max(anchor_date) AS last_release_date
    FROM per_person
    GROUP BY ALL
),
grouped AS (
    SELECT
        region,
        release_year,
        CASE
            WHEN grouping(is_nazorg_plus) = 1 THEN 'all'
            WHEN is_nazorg_plus THEN 'nazorg_plus'
            ELSE 'regular'
        END AS aftercare_group,
        count(*)::BIGINT AS released_persons,
        count(*) FILTER (WHERE new_detentions > 0)::BIGINT AS redetained_2y,
        sum(new_detentions)::BIGINT AS new_detentions_2y
    FROM per_person
    GROUP BY GROUPING SETS ((region, release_year, is_nazorg_plus), (region, release_year))
)
SELECT
    g.region,
    g.release_year,
    g.aftercare_group,
    g.released_persons,
    g.redetained_2y,
    g.redetained_2y / g.released_persons AS prevalence_2y,
    g.new_detentions_2y,
    g.new_detentions_2y / g.released_persons AS incidence_2y,
    d.data_end_date >= c.last_release_date + 730 AS window_complete,
    coalesce(v.first_date <= make_date(g.release_year, 1, 1)
        AND v.last_date >= make_date(g.release_year, 12, 31), false) AS year_complete,
    c.last_release_date,
    d.data_end_date
FROM grouped AS g
JOIN cohort AS c USING (region, release_year)
JOIN data_end AS d USING (region)
LEFT JOIN detentions_coverage AS v USING (region)
ORDER BY
    g.region,
    g.release_year,
    CASE g.aftercare_group WHEN 'nazorg_plus' THEN 1 WHEN 'regular' THEN 2 ELSE 3 END
