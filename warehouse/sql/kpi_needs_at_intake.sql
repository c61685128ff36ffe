-- kpi.needs_at_intake: one row per region, year of admission and life domain.
-- A screening is a detention episode with a linked form (its LATEST form when there are
-- more) or, without a form, a screened DPAN row (Hulpvraag/Toestemming filled). Region
-- and year are those of the episode (region of the municipality at release, or at
-- admission when there is no release; year of admission). A wish is TRUE (Ja), FALSE
-- (Nee) or NULL (Onbekend or empty): NULL is counted in forms, never in answered.
-- DPAN has no social-network question: answered 0 there.
WITH latest_form AS (
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
domains (life_domain, domain_order) AS (
    VALUES
        ('id', 1),
        ('housing', 2),
        ('work_income', 3),
        ('debts', 4),
        ('care', 5),
        ('social_network', 6)
),
answers AS (
    SELECT
        s.region,
        s.year,
        d.life_domain,
        d.domain_order,
        CASE d.life_domain
            WHEN 'id' THEN s.id
            WHEN 'housing' THEN s.housing
            WHEN 'work_income' THEN s.work_income
            WHEN 'debts' THEN s.debts
            WHEN 'care' THEN s.care
            WHEN 'social_network' THEN s.social_network
        END AS wish
    FROM screened s
    CROSS JOIN domains d
)
SELECT
    region,
    year,
    life_domain,
    count(*) AS forms,
    count(wish) AS answered,
    count(*) FILTER (WHERE wish) AS with_need,
    with_need / nullif(answered, 0) AS share
FROM answers
GROUP BY region, year, life_domain, domain_order
ORDER BY region, year, domain_order
