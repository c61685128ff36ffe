-- kpi.coordination: one row per region, year of Datum aanmelding and measure.
-- Every measure counts cases; both denominators are given because the evaluation
-- divides some measures by the outflow (profile, case conference) and others by the
-- caseload (network round, life-domain support, repeat detention). A rate is NULL
-- where its denominator is missing (no outflow data for that region-year) or zero.
-- is_registered is false where the register does not hold the measure at all in that
-- region-year: no Verrijking value anywhere (both enrichment measures), or no
-- 'Bilateraal' anywhere (the bilateral-or-network measure then only repeats the
-- network round; the Gooi register of 2013 kept bilateral enrichment unregistered).
WITH cases AS (
    SELECT
        *,
        year(registration_date)::BIGINT AS year,
        count(*) OVER (PARTITION BY region, year(registration_date), person_key) AS cases_of_person
    FROM staging.cases
),
numerators AS (
    SELECT
        region,
        year,
        count(*) FILTER (WHERE has_profile) AS profile_made,
        count(*) FILTER (WHERE enrichment = 'Netwerkronde') AS enriched_network_round,
        count(*) FILTER (WHERE enrichment IN ('Bilateraal', 'Netwerkronde')) AS enriched_any,
        count(*) FILTER (WHERE has_life_domain_support) AS life_domain_support,
        count(*) FILTER (WHERE coalesce(case_conference, 'Geen') <> 'Geen') AS case_conference,
        count(*) FILTER (WHERE cases_of_person > 1) AS repeat_detention
    FROM cases
    GROUP BY region, year
),
registered AS (
    SELECT
        region,
        year,
        bool_or(enrichment IS NOT NULL) AS enrichment_registered,
        bool_or(enrichment = 'Bilateraal') AS bilateral_registered
    FROM cases
    GROUP BY region, year
),
measures AS (
    UNPIVOT numerators
    ON profile_made, enriched_network_round, enriched_any, life_domain_support,
        case_conference, repeat_detention
    INTO NAME measure VALUE numerator
),
outflow AS (
    SELECT region, year, sum(persons)::BIGINT AS outflow, bool_and(year_complete) AS complete
    FROM kpi.outflow
    GROUP BY region, year
),
caseload AS (
    SELECT region, year, sum(cases)::BIGINT AS caseload, bool_and(year_complete) AS complete
    FROM kpi.caseload
    GROUP BY region, year
)
SELECT
    m.region,
    m.year,
    m.measure,
    m.numerator::BIGINT AS numerator,
    o.outflow,
    c.caseload,
    (m.numerator / nullif(o.outflow, 0))::DOUBLE AS rate_of_outflow,
    (m.numerator / nullif(c.caseload, 0))::DOUBLE AS rate_of_caseload,
    -- the cases decide; the outflow too where it gives a denominator
    c.complete AND coalesce(o.complete, true) AS year_complete,
    CASE m.measure
        WHEN 'enriched_network_round' THEN r.enrichment_registered
        WHEN 'enriched_any' THEN r.enrichment_registered AND r.bilateral_registered
        ELSE true
    END AS is_registered
FROM measures AS m
JOIN caseload AS c USING (region, year)
JOIN registered AS r USING (region, year)
LEFT JOIN outflow AS o USING (region, year)
ORDER BY
    m.region,
    m.year,
    list_position(
        ['profile_made', 'enriched_network_round', 'enriched_any', 'life_domain_support',
            'case_conference', 'repeat_detention'],
        m.measure
    )
