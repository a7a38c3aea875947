"""One pure function per delivery and release-risk figure of the weekly report.

Each function takes frames of :mod:`reports.model` and returns a plotly figure; nothing here
reads files or knows where the data came from. Strings from input data are passed through
:func:`reports.escaping.escape_text` before they enter a figure, and hover templates only
reference ``%{...}`` fields, never interpolated text. Environment figures live in
:mod:`reports.environment_charts`.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from reports.chart_parts import (
    DATE_HOVER,
    base_layout,
    floats,
    hours_axis,
    iso_dates,
    log_axis_wanted,
    order_by_total,
)
from reports.escaping import escape_text, escape_texts
from reports.formatting import format_hours, format_percent
from reports.model import TierBand
from reports.theme import THEME, Theme

# More team series than this make a stacked bar unreadable; the rest are summed as "other".
MAX_TEAM_SERIES = 9
MAX_CADENCE_PANELS = 12
CADENCE_COLUMNS = 3
BATCH_BUCKETS = ("1", "2-5", "6-20", "21+", "unknown")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_OF_DAY = range(24)
TREND_ARROWS = {"accelerating": "↗ accelerating", "steady": "→ steady", "slowing": "↘ slowing"}
# Where the failure marker sits inside a calendar cell (fraction of a cell from its centre).
FAILURE_MARK_OFFSET = (0.32, -0.22)
# The release calendar's rows: one per team, plus a "planned" row above them for releases.
CALENDAR_ROW_HEIGHT = 34
CALENDAR_BASE_HEIGHT = 90
CALENDAR_MIN_HEIGHT = 220
PLANNED_ROW = -1
# Planned releases of one day share its column: they spread over this much of the cell.
PLANNED_SPREAD = 0.8
# Freeze labels sit under the grid, one line each (pixels).
FREEZE_LABEL_LINE = 16
FREEZE_LABEL_BASE = 24
FREEZE_LABEL_CHARS = 28


def deployments_by_team(
    trend: pd.DataFrame, trend_mean: pd.DataFrame, theme: Theme = THEME
) -> go.Figure:
    """Weekly successful production deployments stacked by team, with the org 4-week mean."""
    weekly = trend.pivot_table(
        index="week_start", columns="team", values="successful_deployments", aggfunc="sum"
    ).fillna(0)
    teams = order_by_total(weekly)
    kept_teams = teams
    if len(teams) > MAX_TEAM_SERIES:
        kept = teams[: MAX_TEAM_SERIES - 1]
        weekly["other teams"] = weekly.drop(columns=kept).sum(axis=1)
        teams = [*kept, "other teams"]
        kept_teams = kept
    weeks = iso_dates(pd.Series(weekly.index))
    fig = go.Figure(layout=base_layout(theme, "Production deployments per week, by team"))
    for index, team in enumerate(teams):
        fig.add_bar(
            x=weeks,
            y=floats(weekly[team]),
            name=escape_text(team),
            marker_color=theme.series_colour(index),
            hovertemplate="%{y:,.0f}<extra>%{fullData.name}</extra>",
            # the page's team filter shows or hides series by this (escaped like the name)
            meta=None if index >= len(kept_teams) else {"team": escape_text(team)},
        )
    mean = trend_mean.sort_values("week_start")
    fig.add_scatter(
        x=iso_dates(mean["week_start"]),
        y=floats(mean["rolling_4w_mean"]),
        name="4-week mean (all teams)",
        mode="lines",
        line={"color": theme.mean_line, "width": 2.5},
        hovertemplate="%{y:,.1f}<extra>4-week mean</extra>",
    )
    fig.update_layout(barmode="stack", hovermode="x unified", yaxis_title="deployments")
    fig.update_xaxes(type="date", hoverformat=DATE_HOVER)
    return fig


def _band_top(org_weeks: pd.DataFrame, bands: list[TierBand]) -> float:
    observed = [
        v
        for column in ("change_failure_rate", "trailing_change_failure_rate")
        for v in floats(org_weeks[column])
        if v is not None
    ]
    bounds = [b for band in bands for b in (band.lower, band.upper) if b is not None]
    return min(1.0, max([*observed, *bounds, 0.05]) * 1.15)


def change_failure_rate(
    org_weeks: pd.DataFrame, bands: list[TierBand], theme: Theme = THEME
) -> go.Figure:
    """Weekly change failure rate (bars) and the trailing rate (line) over the tier bands."""
    weeks = org_weeks.sort_values("week_start")
    x = iso_dates(weeks["week_start"])
    top = _band_top(weeks, bands)
    fig = go.Figure(layout=base_layout(theme, "Change failure rate"))
    for band in bands:
        lower = band.lower or 0.0
        upper = top if band.upper is None else min(band.upper, top)
        if upper <= lower:
            continue
        fig.add_hrect(
            y0=lower,
            y1=upper,
            fillcolor=theme.tier_colour(band.tier),
            opacity=theme.tier_band_opacity,
            line_width=0,
            layer="below",
        )
        # Tier names sit in the right margin, level with their band, clear of the bars.
        fig.add_annotation(
            x=1.01,
            xref="paper",
            xanchor="left",
            y=(lower + upper) / 2,
            yref="y",
            text=escape_text(band.tier),
            hovertext=escape_text(band.label),
            showarrow=False,
            font={"size": 11, "color": theme.muted},
        )
    fig.add_bar(
        x=x,
        y=floats(weeks["change_failure_rate"]),
        customdata=floats(weeks["deployments"]),
        name="this week",
        marker_color=theme.series_colour(4),
        hovertemplate="%{y:.1%} of %{customdata:,.0f} deployments<extra>week</extra>",
    )
    fig.add_scatter(
        x=x,
        y=floats(weeks["trailing_change_failure_rate"]),
        name="trailing window",
        mode="lines",
        line={"color": theme.mean_line, "width": 2.5},
        hovertemplate="%{y:.1%}<extra>trailing</extra>",
    )
    fig.update_layout(hovermode="x unified", margin={"r": 64})
    fig.update_yaxes(tickformat=".0%", range=[0, top], title_text="change failure rate")
    fig.update_xaxes(type="date", hoverformat=DATE_HOVER)
    return fig


def lead_and_recovery_times(org_weeks: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """Weekly medians of lead time, failed-deployment recovery and incident restore (hours)."""
    weeks = org_weeks.sort_values("week_start")
    x = iso_dates(weeks["week_start"])
    series = (
        ("median_lead_time_hours", "lead time for changes", theme.series_colour(0), "solid"),
        ("median_recovery_hours", "failed deployment recovery", theme.failure, "solid"),
        ("median_incident_restore_hours", "incident restore", theme.series_colour(5), "dash"),
    )
    fig = go.Figure(layout=base_layout(theme, "Median lead time and recovery per week"))
    values: list[float | None] = []
    for column, name, colour, dash in series:
        if column not in weeks:
            continue
        ys = floats(weeks[column])
        values.extend(ys)
        fig.add_scatter(
            x=x,
            y=ys,
            customdata=[format_hours(v) for v in ys],
            name=name,
            mode="lines+markers",
            line={"color": colour, "width": 2, "dash": dash},
            marker={"size": 5},
            connectgaps=False,
            hovertemplate="%{customdata}<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(hovermode="x unified")
    fig.update_yaxes(hours_axis(log=log_axis_wanted(values)))
    fig.update_xaxes(type="date", hoverformat=DATE_HOVER)
    return fig


def _week_day(value: object, week_start: dt.date) -> int:
    """The column (0 = Monday) of a local date, clipped to the week."""
    offset = (pd.Timestamp(value).date() - week_start).days  # type: ignore[arg-type]
    return min(max(offset, 0), 6)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _freeze_bands(fig: go.Figure, freezes: pd.DataFrame, week_start: dt.date, theme: Theme) -> int:
    """Shade the day columns each freeze covers; its label under the grid hovers the summary.

    Returns how many label lines were added (the bottom margin grows with them).
    """
    for line, (_, row) in enumerate(freezes.iterrows()):
        first = _week_day(row["first_day"], week_start)
        last = _week_day(row["last_day"], week_start)
        fig.add_vrect(
            x0=first - 0.5,
            x1=last + 0.5,
            fillcolor=theme.freeze,
            opacity=theme.freeze_band_opacity,
            line_width=0,
            # above the heatmap, whose empty cells are opaque; translucent so counts show
            layer="above",
        )
        services = row.get("services")
        scope = f" ({services})" if isinstance(services, str) and services else ""
        summary = row.get("summary")
        described = summary if isinstance(summary, str) and summary else row["event_id"]
        fig.add_annotation(
            x=(first + last) / 2,
            xref="x",
            y=0,
            yref="paper",
            yanchor="top",
            yshift=-4 - FREEZE_LABEL_LINE * line,
            text=escape_text(_shorten(f"❄ freeze{scope}", FREEZE_LABEL_CHARS)),
            hovertext=escape_text(described),
            showarrow=False,
            font={"size": 11, "color": theme.muted},
        )
    return len(freezes)


def _planned_markers(
    fig: go.Figure, releases: pd.DataFrame, week_start: dt.date, theme: Theme
) -> None:
    """One diamond per planned service and release in the "planned" row, on its day."""
    rows = releases.assign(_day=[_week_day(v, week_start) for v in releases["first_day"]])
    xs: list[float] = []
    labels: list[str] = []
    releases_of: list[str] = []
    for day, group in rows.groupby("_day", sort=True):
        step = PLANNED_SPREAD / len(group)
        for index, (_, row) in enumerate(group.iterrows()):
            xs.append(float(day) + (index - (len(group) - 1) / 2) * step)
            service = row.get("service")
            version = row.get("version")
            name = service if isinstance(service, str) and service else "every service"
            labels.append(escape_text(f"{name} {version}" if isinstance(version, str) else name))
            summary = row.get("summary")
            releases_of.append(
                escape_text(summary if isinstance(summary, str) and summary else row["event_id"])
            )
    # names next to the diamonds only while each day has one; otherwise they would overlap
    alone = rows["_day"].value_counts().max() == 1
    fig.add_scatter(
        x=xs,
        y=[PLANNED_ROW] * len(xs),
        text=labels,
        customdata=releases_of,
        mode="markers+text" if alone else "markers",
        textposition="middle right",
        textfont={"size": 11, "color": theme.text},
        marker={
            "symbol": "diamond",
            "size": 11,
            "color": theme.planned_release,
            "line": {"width": 1, "color": theme.text},
        },
        name="planned releases",
        showlegend=False,
        hovertemplate="planned: %{text}<br>%{customdata}<extra></extra>",
    )


def release_calendar(
    calendar: pd.DataFrame,
    week_start: dt.date,
    theme: Theme = THEME,
    events: pd.DataFrame | None = None,
) -> go.Figure:
    """This week's production deployments by day × team; cells with change failures marked.

    ``events`` (the week's calendar events, see :class:`reports.model.WeeklyReport`) adds
    change freezes as shaded day columns and planned releases as diamonds in a row above
    the teams.
    """
    days = [week_start + dt.timedelta(days=offset) for offset in range(7)]
    day_labels = [f"{WEEKDAYS[d.weekday()]} {d.day} {d:%b}" for d in days]
    frame = calendar.assign(day=pd.to_datetime(calendar["day"]).dt.date)
    teams = sorted(frame["team"].dropna().unique().tolist())
    counts = frame.pivot_table(index="team", columns="day", values="deployments", aggfunc="sum")
    failures = frame.pivot_table(
        index="team", columns="day", values="change_failures", aggfunc="sum"
    )
    counts = counts.reindex(index=teams, columns=days).fillna(0)
    failures = failures.reindex(index=teams, columns=days).fillna(0)
    z = counts.to_numpy().tolist()
    events = events if events is not None and not events.empty else None
    freezes = events[events["kind"] == "freeze"] if events is not None else pd.DataFrame()
    releases = events[events["kind"] == "release"] if events is not None else pd.DataFrame()
    rows = len(teams) + (0 if releases.empty else 1)
    fig = go.Figure(
        layout=base_layout(
            theme,
            "This week's production deployments (✕ = change failures)",
            height=max(CALENDAR_MIN_HEIGHT, CALENDAR_BASE_HEIGHT + CALENDAR_ROW_HEIGHT * rows)
            + FREEZE_LABEL_LINE * len(freezes),
        )
    )
    fig.add_heatmap(
        x=list(range(7)),
        y=list(range(len(teams))),
        z=z,
        text=[[f"{v:.0f}" if v else "" for v in row] for row in z],
        texttemplate="%{text}",
        customdata=failures.to_numpy().tolist(),
        colorscale=[[0, theme.background], [1, theme.series_colour(0)]],
        zmin=0,
        xgap=2,
        ygap=2,
        showscale=False,
        hovertemplate="%{z:,.0f} deployments, %{customdata:,.0f} change failures<extra></extra>",
    )
    marks = [(d, t, failures.iat[t, d]) for t in range(len(teams)) for d in range(7)]
    marks = [m for m in marks if m[2] > 0]
    dx, dy = FAILURE_MARK_OFFSET
    fig.add_scatter(
        x=[d + dx for d, _, _ in marks],
        y=[t + dy for _, t, _ in marks],
        text=[f"{n:.0f}" for _, _, n in marks],
        mode="markers+text",
        textposition="middle right",
        textfont={"color": theme.failure, "size": 11},
        marker={"symbol": "x-thin-open", "size": 9, "line": {"width": 2, "color": theme.failure}},
        name="change failures",
        showlegend=False,
        hovertemplate="%{text} change failures<extra></extra>",
    )
    tickvals, ticktext = list(range(len(teams))), escape_texts(teams)
    if not releases.empty:
        _planned_markers(fig, releases, week_start, theme)
        tickvals, ticktext = [PLANNED_ROW, *tickvals], ["planned", *ticktext]
    label_lines = _freeze_bands(fig, freezes, week_start, theme)
    fig.update_xaxes(
        tickvals=list(range(7)),
        ticktext=day_labels,
        side="top",
        showgrid=False,
        ticks="",
        range=[-0.5, 6.5],
    )
    fig.update_yaxes(
        tickvals=tickvals,
        ticktext=ticktext,
        autorange="reversed",
        showgrid=False,
        ticks="",
    )
    margin = {"t": 72}
    if label_lines:
        margin["b"] = FREEZE_LABEL_BASE + FREEZE_LABEL_LINE * label_lines
    fig.update_layout(margin=margin)
    return fig


def _cadence_panels(cadence: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    ordered = cadence.sort_values("week_start")
    totals = ordered.groupby("team")["successful_deployments"].sum()
    teams = sorted(totals.index, key=lambda team: (-totals[team], str(team)))
    panels = []
    for team in teams:
        rows = ordered[ordered["team"] == team]
        label = str(rows["trend"].iloc[-1]) if len(rows) else "steady"
        panels.append((team, label, rows))
    return panels


def cadence_small_multiples(cadence: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """One panel per team: weekly successful deployments, rolling mean and the trend label.

    Teams are ordered by volume; beyond ``MAX_CADENCE_PANELS`` the smallest are left out and
    the title says how many are shown.
    """
    panels = _cadence_panels(cadence)
    shown = panels[:MAX_CADENCE_PANELS]
    rows = max(1, math.ceil(len(shown) / CADENCE_COLUMNS))
    titles = [
        f"{escape_text(team)} · {TREND_ARROWS.get(label, escape_text(label))}"
        for team, label, _ in shown
    ]
    fig = make_subplots(
        rows=rows,
        cols=CADENCE_COLUMNS,
        subplot_titles=titles,
        shared_xaxes=True,
        vertical_spacing=min(0.12, 0.5 / rows),
        horizontal_spacing=0.06,
    )
    title = "Cadence per team (successful production deployments per week)"
    if len(panels) > len(shown):
        title += f" — {len(shown)} of {len(panels)} teams by volume"
    fig.update_layout(base_layout(theme, title, height=90 + rows * theme.small_multiple_height))
    for index, (team, _label, frame) in enumerate(shown):
        owner = {"team": escape_text(team)}
        row, col = index // CADENCE_COLUMNS + 1, index % CADENCE_COLUMNS + 1
        x = iso_dates(frame["week_start"])
        fig.add_bar(
            x=x,
            y=floats(frame["successful_deployments"]),
            name="per week",
            marker_color=theme.series_colour(4),
            showlegend=index == 0,
            legendgroup="week",
            meta=owner,
            hovertemplate="%{x|%d %b %Y}: %{y:,.0f}<extra></extra>",
            row=row,
            col=col,
        )
        fig.add_scatter(
            x=x,
            y=floats(frame["rolling_4w_mean"]),
            name="4-week mean",
            mode="lines",
            line={"color": theme.mean_line, "width": 2},
            showlegend=index == 0,
            legendgroup="mean",
            meta=owner,
            hovertemplate="%{x|%d %b %Y}: %{y:,.1f} (4-week mean)<extra></extra>",
            row=row,
            col=col,
        )
    fig.update_annotations(font_size=12)
    fig.update_xaxes(type="date", tickformat="%b", showgrid=False)
    fig.update_yaxes(rangemode="tozero", nticks=4)
    fig.update_layout(
        bargap=0.1, showlegend=True, legend={"y": -0.08 - 0.3 / rows}, margin={"t": 84}
    )
    return fig


def release_window_heatmap(release_windows: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """Deployments by local weekday × hour over the trailing window, failure rate in hover."""
    grid = pd.MultiIndex.from_product([range(1, 8), HOURS_OF_DAY], names=["weekday", "hour"])
    cells = release_windows.groupby(["weekday", "hour"]).agg(
        deployments=("deployments", "sum"),
        change_failures=("change_failures", "sum"),
        change_failure_rate=("change_failure_rate", "max"),
    )
    cells = cells.reindex(grid)
    deployments = cells["deployments"].fillna(0).to_numpy().reshape(7, 24)
    rates = [format_percent(v) for v in floats(cells["change_failure_rate"])]
    failures = [f"{v:,.0f}" for v in cells["change_failures"].fillna(0)]
    customdata = [
        [[rates[d * 24 + h], failures[d * 24 + h]] for h in HOURS_OF_DAY] for d in range(7)
    ]
    fig = go.Figure(
        layout=base_layout(theme, "When production deployments happen (trailing window)")
    )
    fig.add_heatmap(
        x=[f"{h:02d}" for h in HOURS_OF_DAY],
        y=list(WEEKDAYS),
        z=deployments.tolist(),
        customdata=customdata,
        colorscale=[[0, theme.background], [1, theme.series_colour(0)]],
        zmin=0,
        xgap=1,
        ygap=1,
        colorbar={"title": {"text": "deploys"}, "thickness": 12},
        hovertemplate=(
            "%{y} %{x}:00<br>%{z:,.0f} deployments<br>change failures: %{customdata[1]}"
            "<br>change failure rate: %{customdata[0]}<extra></extra>"
        ),
    )
    fig.update_xaxes(title_text="local hour", showgrid=False, type="category")
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    return fig


def release_window_shares(org_weeks: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """Off-hours and weekend share of deployments per week, and their failure rates."""
    weeks = org_weeks.sort_values("week_start")
    x = iso_dates(weeks["week_start"])
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.14,
        subplot_titles=("Share of production deployments", "Change failure rate by window"),
    )
    fig.update_layout(base_layout(theme, "Off-hours and weekend releases", height=460))
    lines = (
        (1, "off_hours_share", "off-hours", theme.series_colour(1), "solid"),
        (1, "weekend_share", "weekend", theme.series_colour(5), "dash"),
        (2, "off_hours_cfr", "off-hours", theme.failure, "solid"),
        (2, "business_hours_cfr", "business hours", theme.series_colour(0), "solid"),
    )
    for row, column, name, colour, dash in lines:
        fig.add_scatter(
            x=x,
            y=floats(weeks[column]),
            name=name,
            legendgroup=str(row),
            legendgrouptitle_text="share" if row == 1 else "failure rate",
            mode="lines+markers",
            marker={"size": 4},
            line={"color": colour, "width": 2, "dash": dash},
            hovertemplate="%{y:.1%}<extra>%{fullData.name}</extra>",
            row=row,
            col=1,
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(type="date", hoverformat=DATE_HOVER)
    fig.update_annotations(font_size=12, x=0, xanchor="left")
    fig.update_layout(hovermode="x unified", legend={"y": -0.12})
    return fig


def batch_risk(batch: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """Change failure rate by batch size (changes per release), buckets in size order."""
    present = [str(b) for b in batch["bucket"].tolist()]
    order = [b for b in BATCH_BUCKETS if b in present]
    order += sorted(b for b in set(present) if b not in BATCH_BUCKETS)
    rows = batch.assign(bucket=present).set_index("bucket").reindex(order)
    rates = floats(rows["change_failure_rate"])
    deployments = floats(rows["deployments"])
    failures = floats(rows["change_failures"])
    fig = go.Figure(layout=base_layout(theme, "Change failure rate by batch size"))
    fig.add_bar(
        x=escape_texts(order),
        y=rates,
        customdata=[[d, f] for d, f in zip(deployments, failures, strict=True)],
        text=[f"n={d:,.0f}" if d is not None else "" for d in deployments],
        textposition="outside",
        marker_color=[theme.muted if b == "unknown" else theme.series_colour(0) for b in order],
        name="change failure rate",
        hovertemplate=(
            "%{x} changes: %{y:.1%}<br>%{customdata[1]:,.0f} failures in "
            "%{customdata[0]:,.0f} deployments<extra></extra>"
        ),
    )
    top = max([r for r in rates if r is not None] + [0.05]) * 1.25
    fig.update_xaxes(type="category", title_text="changes per release")
    fig.update_yaxes(tickformat=".0%", range=[0, top], title_text="change failure rate")
    return fig
