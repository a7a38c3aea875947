-- The latest as-of day with drift rows on or before the end of the week.
SELECT max(as_of) FROM marts.drift WHERE as_of <= $week_start + 6
