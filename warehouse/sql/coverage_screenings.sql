-- The period the screening forms linked to the region's detentions cover, for
-- year_complete (warehouse.md): from the first to the latest form date. A region without
-- linked forms (the DPAN era, whose screening is the DPAN row) has no row here: its
-- detention data alone decide.
screenings_coverage AS (
    SELECT d.region, min(s.form_date) AS first_date, max(s.form_date) AS last_date
    FROM staging.screenings AS s
    JOIN staging.detentions AS d ON d.episode_id = s.episode_id
    WHERE d.region IS NOT NULL
    GROUP BY d.region
),
