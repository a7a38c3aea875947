-- The team that owns each service: the one of its latest production week up to $week_start.
SELECT service, arg_max(team, week_start) AS team
FROM marts.delivery_weekly
WHERE week_start <= $week_start
GROUP BY service
ORDER BY service
