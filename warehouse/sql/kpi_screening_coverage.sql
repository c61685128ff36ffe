-- kpi.screening_coverage: one row per region and release year.
-- Grain of the counts: detention EPISODES (not persons) with a release in the year whose
-- municipality at release belongs to the region. An episode is screened when a form is
-- linked to it, or (DPAN era) when a Hulpvraag/Toestemming cell of its DPAN row is
-- filled. Consent comes from the episode's latest linked form, else from DPAN; an empty
-- DPAN Toestemming is not a "Nee".
WITH
-- include: coverage_detentions
-- include: coverage_screenings
latest_form AS (
    SELECT episode_id, consent
    FROM staging.screenings
    WHERE episode_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY episode_id
        ORDER BY form_date DESC, source_file DESC, source_row DESC
    ) = 1
),
released AS (
    SELECT
        d.region,
        year(d.release_date) AS year,
        f.episode_id IS NOT NULL AS has_form,
        NOT has_form AND d.dpan_screened AS has_dpan_screening,
        CASE WHEN has_form THEN f.consent WHEN has_dpan_screening THEN d.consent END AS consent
    FROM staging.detentions d
    LEFT JOIN latest_form f ON f.episode_id = d.episode_id
    WHERE d.is_release AND d.region IS NOT NULL
)
SELECT
    r.region,
    r.year::BIGINT AS year,
    count(*) AS released_detentions,
    count(*) FILTER (WHERE has_form OR has_dpan_screening) AS with_form,
    with_form / nullif(released_detentions, 0) AS share_with_form,
    count(*) FILTER (WHERE (has_form OR has_dpan_screening) AND consent = false) AS no_consent,
    no_consent / nullif(with_form, 0) AS share_no_consent,
    count(*) FILTER (WHERE has_form) AS with_linked_form,
    count(*) FILTER (WHERE has_dpan_screening) AS with_dpan_screening,
    -- the detention data, and the screening forms where the region has linked forms
    coalesce(any_value(d.first_date) <= make_date(r.year, 1, 1)
        AND any_value(d.last_date) >= make_date(r.year, 12, 31)
        AND (any_value(s.region) IS NULL OR (any_value(s.first_date) <= make_date(r.year, 1, 1)
            AND any_value(s.last_date) >= make_date(r.year, 12, 31))), false) AS year_complete
FROM released AS r
LEFT JOIN detentions_coverage AS d USING (region)
LEFT JOIN screenings_coverage AS s USING (region)
GROUP BY r.region, r.year
ORDER BY r.region, r.year
