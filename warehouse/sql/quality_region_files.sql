-- quality.region_files: per region, the input files whose rows count for it (a JustID
-- export that serves several regions appears once per region), with how many rows and
-- the dates they span. The workbooks read it for the period their data cover and for
-- the data quality of the region's own files; it holds counts and dates only.
-- The parts of the union for sources without a staging table are left out by the
-- asset (assets/quality.py), which joins the parts below with UNION ALL.
-- part: staging.detentions
SELECT region, lower(source_system) AS source, source_file AS file,
       coalesce(release_date, last_event_date) AS first_date, last_event_date AS last_date
FROM staging.detentions
WHERE region IS NOT NULL
-- part: staging.cases
SELECT region, 'caseload' AS source, source_file AS file,
       registration_date AS first_date, registration_date AS last_date
FROM staging.cases
-- part: staging.cohort_sample
SELECT region, 'cohort' AS source, source_file AS file,
       make_date(cohort_year, 1, 1) AS first_date, make_date(cohort_year, 12, 31) AS last_date
FROM staging.cohort_sample
