-- kpi.needs_at_intake: one row per region, year of admission and life domain.
-- A screening is a detention episode with a linked form (its LATEST form when there are
-- more) or, without a form, a screened DPAN row (Hulpvraag/Toestemming filled). Region
-- and year are those of the episode (region of the municipality at release, or at
-- admission when there is no release; year of admission). A wish is TRUE (Ja), FALSE
-- (Nee) or NULL (Onbekend or empty): NULL is counted in forms, never in answered.
-- DPAN has no social-network question: answered 0 there.
WITH
-- include: coverage_detentions
-- include: coverage_screenings
latest_form AS (
    SELECT *
    FROM staging.screenings
    WHERE episode_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY episode_id
        ORDER BY form_date DESC, source_file DESC, source_row DESC
    ) = 1
),
screened AS (
    SELECT
        d.region,
        year(d.admission_date) AS year,
        f.episode_id IS NOT NULL AS has_form,
        CASE WHEN has_form THEN f.wish_id ELSE d.need_id END AS id,
        CASE WHEN has_form THEN f.wish_housing ELSE d.need_housing END AS housing,
        CASE WHEN has_form THEN f.wish_work_income ELSE d.need_work_income END AS work_income,
        CASE WHEN has_form THEN f.wish_debts ELSE d.need_debts END AS debts,
        CASE WHEN has_form THEN f.wish_care ELSE d.need_care END AS care,
        CASE WHEN has_form THEN f.wish_social_network END AS social_network
    FROM staging.detentions d
    LEFT JOIN latest_form f ON f.episode_id = d.episode_id
    WHERE d.region IS NOT NULL AND (f.episode_id IS NOT NULL OR d.dpan_screened)
),
per_year AS (
    -- Counted once per region and year (six domains side by side), then turned into a
    -- row per domain: cheaper than a row per screening and domain.
    SELECT
        region,
        year,
        count(*) AS forms,
        count(id) AS id_answered, count(*) FILTER (WHERE id) AS id_need,
        count(housing) AS housing_answered, count(*) FILTER (WHERE housing) AS housing_need,
        count(work_income) AS work_income_answered,
        count(*) FILTER (WHERE work_income) AS work_income_need,
        count(debts) AS debts_answered, count(*) FILTER (WHERE debts) AS debts_need,
        count(care) AS care_answered, count(*) FILTER (WHERE care) AS care_need,
        count(social_network) AS social_network_answered,
        count(*) FILTER (WHERE social_network) AS social_network_need
    FROM screened
    GROUP BY region, year
),
answers AS (
    SELECT region, year, 'id' AS life_domain, 1 AS domain_order, forms,
           id_answered AS answered, id_need AS with_need FROM per_year
    UNION ALL
    SELECT region, year, 'housing', 2, forms, housing_answered, housing_need FROM per_year
    UNION ALL
    SELECT region, year, 'work_income', 3, forms, work_income_answered, work_income_need
    FROM per_year
    UNION ALL
    SELECT region, year, 'debts', 4, forms, debts_answered, debts_need FROM per_year
    UNION ALL
    SELECT region, year, 'care', 5, forms, care_answered, care_need FROM per_year
    UNION ALL
    SELECT region, year, 'social_network', 6, forms, social_network_answered,
           social_network_need
    FROM per_year
)
SELECT
    a.region,
    a.year::BIGINT AS year,
    a.life_domain,
    a.forms,
    a.answered,
    a.with_need,
    a.with_need / nullif(a.answered, 0) AS share,
    -- the detention data, and the screening forms where the region has linked forms
    coalesce(d.first_date <= make_date(a.year, 1, 1)
        AND d.last_date >= make_date(a.year, 12, 31)
        AND (s.region IS NULL OR (s.first_date <= make_date(a.year, 1, 1)
            AND s.last_date >= make_date(a.year, 12, 31))), false) AS year_complete
FROM answers AS a
LEFT JOIN detentions_coverage AS d USING (region)
LEFT JOIN screenings_coverage AS s USING (region)
ORDER BY a.region, a.year, a.domain_order
