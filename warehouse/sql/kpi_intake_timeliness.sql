-- kpi.intake_timeliness: one row per region and year of admission.
-- Admissions are detention EPISODES of the region (municipality at release, or at
-- admission while there is no release) by year of Datum insluiting. The time to the form
-- is the date of the episode's FIRST linked screening form minus the episode's admission
-- date, in calendar days: the form date stands in for the first conversation with the
-- prison's social worker (MMD), which no source records. Gooi aims at a first conversation
-- within five days (Gooi §2.3): within_5_days counts forms dated at most 5 days after
-- admission. DPAN-era episodes have no forms (their screening has no date): with_form 0.
WITH
-- include: coverage_detentions
-- include: coverage_screenings
first_form AS (
    SELECT episode_id, min(form_date) AS form_date
    FROM staging.screenings
    WHERE episode_id IS NOT NULL
    GROUP BY episode_id
),
admissions AS (
    SELECT
        d.region,
        year(d.admission_date)::BIGINT AS admission_year,
        datediff('day', d.admission_date, f.form_date) AS days_to_form
    FROM staging.detentions AS d
    LEFT JOIN first_form AS f ON f.episode_id = d.episode_id
    WHERE d.region IS NOT NULL
),
complete AS (
    -- year_complete: the region's detention data cover the whole admission year, and so do
    -- its linked screening forms where it has any (as kpi.screening_coverage)
    SELECT y.region, y.admission_year,
        coalesce(d.first_date <= make_date(y.admission_year, 1, 1) AND d.last_date >= make_date(y.admission_year, 12, 31)
            AND (s.region IS NULL OR (s.first_date <= make_date(y.admission_year, 1, 1) AND s.last_date >= make_date(y.admission_year, 12, 31))), false) AS year_complete
    FROM (SELECT DISTINCT region, admission_year FROM admissions) AS y
    LEFT JOIN detentions_coverage AS d USING (region)
    LEFT JOIN screenings_coverage AS s USING (region)
)
SELECT
    a.region,
    a.admission_year,
    count(*) AS admissions,
    count(a.days_to_form) AS with_form,
    with_form / admissions AS share_with_form,
    count(*) FILTER (WHERE a.days_to_form <= 5) AS within_5_days,
    within_5_days / nullif(with_form, 0) AS share_within_5_days,
    median(a.days_to_form::DOUBLE) AS median_days_to_form,
    coalesce(any_value(c.year_complete), false) AS year_complete
FROM admissions AS a
LEFT JOIN complete AS c ON c.region = a.region AND c.admission_year = a.admission_year
GROUP BY a.region, a.admission_year
ORDER BY a.region, a.admission_year
