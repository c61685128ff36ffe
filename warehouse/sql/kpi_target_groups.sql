-- kpi.target_groups: one row per region, release year and target group (all four groups,
-- 0 where nobody). The target groups of the coordination (Gooi §2.2), over the persons of
-- kpi.outflow: released in the year, placed in the region of their LAST release that year.
--   under_27           release year minus birth year at most 26 (birth year of that
--                      last release; only the birth year is stored);
--   frequent_returner  more than 3 admissions (episodes, any region) in the 5 years up to
--                      and including the admission of that last release: admitted after
--                      the same day five years earlier. Admissions before the first export
--                      are not in the data, so early years count too few;
--   support_wish       an episode of the person released in the year has a screening with
--                      at least one Ja: its latest linked form, or (DPAN era, no form)
--                      its DPAN Hulpvraag;
--   all                everyone; a person can be in several groups.
-- with_case: a case of the person in the region's own register with Datum aanmelding in
-- the release year or the 90 days after it. "Reached" means registered, not an effect.
WITH
-- include: coverage_detentions
-- include: coverage_cases
releases AS (
    SELECT
        person_key,
        year(release_date)::BIGINT AS release_year,
        -- (release date, admission date) orders a person's releases without ties, as in
        -- kpi.outflow
        (release_date - DATE '1800-01-01')::BIGINT * 100000
            + (admission_date - DATE '1800-01-01') AS release_order,
        admission_date,
        birth_year,
        region,
        episode_id
    FROM staging.detentions
    WHERE is_release
),
last_release AS (
    SELECT r.*
    FROM releases AS r
    JOIN (
        SELECT person_key, release_year, max(release_order) AS release_order
        FROM releases
        GROUP BY person_key, release_year
    ) USING (person_key, release_year, release_order)
    WHERE r.region IS NOT NULL
),
latest_form AS (
    SELECT *
    FROM staging.screenings
    WHERE episode_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY episode_id
        ORDER BY form_date DESC, source_file DESC, source_row DESC
    ) = 1
),
with_wish AS (
    SELECT DISTINCT r.person_key, r.release_year
    FROM releases AS r
    JOIN staging.detentions AS d ON d.episode_id = r.episode_id
    LEFT JOIN latest_form AS f ON f.episode_id = r.episode_id
    WHERE CASE
        WHEN f.episode_id IS NOT NULL THEN
            coalesce(f.wish_id OR f.wish_housing OR f.wish_work_income OR f.wish_debts
                     OR f.wish_care OR f.wish_social_network, false)
        ELSE
            coalesce(d.need_id OR d.need_housing OR d.need_work_income OR d.need_debts
                     OR d.need_care, false)
    END
),
admissions_5y AS (
    SELECT l.person_key, l.release_year, count(DISTINCT e.admission_date) AS admissions
    FROM last_release AS l
    JOIN staging.detentions AS e
        ON e.person_key = l.person_key
        AND e.admission_date <= l.admission_date
        AND e.admission_date > l.admission_date - INTERVAL 5 YEAR
    GROUP BY ALL
),
registered AS (
    SELECT DISTINCT c.region, c.person_key, y.release_year
    FROM staging.cases AS c
    JOIN (SELECT DISTINCT release_year FROM last_release) AS y
        ON c.registration_date BETWEEN make_date(y.release_year, 1, 1)
            AND make_date(y.release_year, 12, 31) + 90
),
persons AS (
    SELECT
        l.region,
        l.release_year,
        l.release_year - l.birth_year <= 26 AS is_under_27,
        coalesce(a.admissions, 0) > 3 AS is_frequent_returner,
        w.person_key IS NOT NULL AS has_support_wish,
        g.person_key IS NOT NULL AS has_case
    FROM last_release AS l
    LEFT JOIN admissions_5y AS a USING (person_key, release_year)
    LEFT JOIN with_wish AS w USING (person_key, release_year)
    LEFT JOIN registered AS g
        ON g.person_key = l.person_key AND g.region = l.region AND g.release_year = l.release_year
),
in_group AS (
    SELECT region, release_year, 1 AS group_order, 'under_27' AS target_group, has_case
    FROM persons WHERE is_under_27
    UNION ALL
    SELECT region, release_year, 2, 'frequent_returner', has_case
    FROM persons WHERE is_frequent_returner
    UNION ALL
    SELECT region, release_year, 3, 'support_wish', has_case
    FROM persons WHERE has_support_wish
    UNION ALL
    SELECT region, release_year, 4, 'all', has_case
    FROM persons
),
target_groups AS (
    SELECT * FROM (VALUES
        (1, 'under_27'), (2, 'frequent_returner'), (3, 'support_wish'), (4, 'all')
    ) AS t(group_order, target_group)
),
complete AS (
    -- year_complete: the region's detention data and its case register both cover the
    -- whole release year (support_wish also reads the forms: their coverage is that of
    -- kpi.intake_timeliness)
    SELECT y.region, y.release_year,
        coalesce(d.first_date <= make_date(y.release_year, 1, 1) AND d.last_date >= make_date(y.release_year, 12, 31) AND c.first_date <= make_date(y.release_year, 1, 1) AND c.last_date >= make_date(y.release_year, 12, 31), false) AS year_complete
    FROM (SELECT DISTINCT region, release_year FROM persons) AS y
    LEFT JOIN detentions_coverage AS d USING (region)
    LEFT JOIN cases_coverage AS c USING (region)
)
SELECT
    y.region,
    y.release_year,
    t.target_group,
    t.group_order,
    count(i.target_group) AS released_persons,
    count(*) FILTER (WHERE i.has_case) AS with_case,
    with_case / nullif(released_persons, 0) AS share_with_case,
    coalesce(any_value(c.year_complete), false) AS year_complete
FROM (SELECT DISTINCT region, release_year FROM persons) AS y
CROSS JOIN target_groups AS t
LEFT JOIN in_group AS i
    ON i.region = y.region AND i.release_year = y.release_year AND i.group_order = t.group_order
LEFT JOIN complete AS c ON c.region = y.region AND c.release_year = y.release_year
GROUP BY y.region, y.release_year, t.target_group, t.group_order
ORDER BY y.region, y.release_year, t.group_order
