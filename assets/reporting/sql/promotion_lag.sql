-- Versions that reached production or the baseline in the $weeks weeks to the end of the week.
SELECT service, version, lag_hours, state, baseline_at, production_at
FROM marts.promotion_lag
WHERE coalesce(production_at, baseline_at)
      BETWEEN rh_local_midnight($week_start - 7 * ($weeks - 1), $tz)
          AND rh_local_midnight($week_start + 7, $tz)
ORDER BY coalesce(production_at, baseline_at), service, version
