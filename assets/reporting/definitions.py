"""The definitions printed at the end of every report: exactly what the numbers mean."""

from __future__ import annotations

from typing import Any

from assets.settings import Settings
from reports.model import Definition


def _thresholds(benchmark: dict[str, Any], metric: str) -> str:
    spec = benchmark["metrics"][metric]
    tiers = [
        f"{tier} {label}" for (tier, _), label in zip(spec["tiers"], spec["labels"], strict=True)
    ]
    return "; ".join(tiers) + "; otherwise low"


def report_definitions(settings: Settings, benchmarks: dict[str, Any]) -> list[Definition]:
    """Every metric's definition as computed, with the thresholds of the benchmark in force."""
    production = settings.environments.production
    baseline = settings.environments.baseline
    hours = settings.business_hours
    window = settings.metrics.trailing_weeks
    benchmark = benchmarks[settings.metrics.benchmark]
    return [
        Definition(
            "Production deployment",
            f"A deployment to the '{production}' environment whose status is not cancelled. "
            "Rollback deployments count as deployments (and, when successful, as successful "
            "ones) but leave the change-failure denominator.",
        ),
        Definition(
            "Week",
            f"ISO week starting Monday 00:00 in {settings.timezone}; a deployment belongs to the "
            "week of its start, lead time and recovery to the week of the deployment they "
            "measure, incident restore time to the week the incident opened.",
        ),
        Definition(
            "Deployment frequency / deploy days",
            "Successful production deployments per week; deploy days are the distinct local "
            "days with at least one. Weeks without deployments count as zero, not as gaps.",
        ),
        Definition(
            "Rollback",
            "Per service and environment, a successful deployment whose version equals an "
            "earlier successful deployment's version but differs from the one just before it, "
            "or any deployment with change_type rollback. The deployment it replaced becomes a "
            "change failure (rolled_back_by_later_deploy).",
        ),
        Definition(
            "Change failure",
            "A production deployment that failed, was rolled back (status or version history), "
            "or caused an incident: linked explicitly by the incident's deployment_id, or "
            "attributed to the latest successful, non-rollback production deployment of the "
            "same service that finished before the incident opened, within "
            f"{settings.incidents.attribution_window_hours:g} hours. A deployment counts once "
            "however many incidents it has.",
        ),
        Definition(
            "Change failure rate",
            "Change failures / production deployments, rollbacks excluded from both.",
        ),
        Definition(
            "Lead time for changes",
            "Finish of a successful production deployment minus the first_commit_at of its "
            "oldest change, median (interpolated). Zero or negative values are excluded and "
            "counted under data quality.",
        ),
        Definition(
            "Failed deployment recovery time",
            "From a change failure's finish (its start when it has no finish) to the finish of "
            "the next successful production deployment of that service that is not itself a "
            "change failure; median (interpolated).",
        ),
        Definition(
            "Incident restore time",
            "resolved_at minus opened_at of production incidents, median (interpolated); open "
            "incidents are not counted.",
        ),
        Definition(
            "Off-hours and weekend",
            f"Off-hours: started outside {', '.join(hours.days)} {hours.start}–{hours.end} in "
            f"{settings.timezone}. Weekend: Saturday or Sunday there.",
        ),
        Definition(
            "Batch size",
            "change_count of a deployment (changes, commits or pull requests shipped), in the "
            "buckets 1 (0 or 1), 2-5, 6-20, 21+ and unknown.",
        ),
        Definition(
            "Cadence trend",
            f"OLS slope of weekly successful production deployments over the trailing {window} "
            "weeks (zero weeks included): accelerating above +5 % of the window mean per week, "
            "slowing below −5 %, steady otherwise.",
        ),
        Definition(
            "Tiers",
            f"{benchmark['title']} ({settings.metrics.benchmark}), over the trailing {window} "
            "weeks. Frequency: median of weekly deploy days, zero weeks included — "
            f"{_thresholds(benchmark, 'deployment_frequency')}. Lead time: "
            f"{_thresholds(benchmark, 'lead_time')}. Change failure rate: "
            f"{_thresholds(benchmark, 'change_failure_rate')}. Recovery: "
            f"{_thresholds(benchmark, 'recovery')}. The overall tier is the lowest of the four.",
        ),
        Definition(
            "Drift",
            f"Production ('{production}') compared with the baseline ('{baseline}') as of each "
            "inventory snapshot: in_sync, behind, ahead, missing_in_production, "
            "missing_in_baseline, config, dependency, unordered or mutable_tag. Versions behind: "
            "the baseline's versions after production's, up to the baseline's own, that had "
            "reached the baseline by that day; pending changes: the sum of their change "
            "counts. Expected when "
            f"behind for less than {settings.drift.promotion_sla_hours:g} hours or different "
            f"only in ignored config keys ({', '.join(settings.drift.ignore_config_keys)}).",
        ),
        Definition(
            "Promotion lag",
            f"First successful '{production}' deployment of a version minus its first "
            f"successful '{baseline}' deployment.",
        ),
    ]
