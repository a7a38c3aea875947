"""One pure function per environment-consistency figure (README: The weekly report).

Same rules as :mod:`reports.charts`: frames in, figure out, data strings escaped, hover
templates built from ``%{...}`` fields only.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from reports.chart_parts import (
    DATE_HOVER,
    base_layout,
    discrete_colorscale,
    floats,
    hours_axis,
    iso_dates,
    log_axis_wanted,
)
from reports.escaping import escape_text, escape_texts
from reports.formatting import format_date, format_hours
from reports.theme import THEME, Theme

# The matrix stays legible and the page bounded: drifting services first, then in-sync ones.
MAX_MATRIX_SERVICES = 40
MATRIX_ROW_HEIGHT = 22
QUIET_RELATIONS = frozenset({"in_sync", "not_compared"})
LAG_STATES = ("promoted", "in_flight", "skipped", "bypassed_baseline")
SMALL_COUNT = 10
LAG_CHART_BASE_HEIGHT = 130
LAG_ROW_HEIGHT = 70


def matrix_services(matrix: pd.DataFrame, limit: int = MAX_MATRIX_SERVICES) -> list[str]:
    """The services the matrix shows: any with a drifting cell first, then by name."""
    drifting = set(matrix.loc[~matrix["relation"].isin(QUIET_RELATIONS), "service"])
    services = sorted(set(matrix["service"]), key=lambda s: (s not in drifting, str(s)))
    return services[:limit]


def environment_matrix(
    matrix: pd.DataFrame,
    environments: list[str],
    theme: Theme = THEME,
    link: Callable[[object], str | None] | None = None,
) -> go.Figure:
    """Service × environment: the version in each cell, coloured by its relation to prod.

    With ``link``, a service that has a page of its own is a link in the row labels.
    """
    services = matrix_services(matrix)
    columns = list(environments) or sorted(set(matrix["environment"]))
    relations = list(theme.relations)
    relations += sorted(set(matrix["relation"].astype(str)) - set(relations))
    code = {relation: index for index, relation in enumerate(relations)}
    cells = matrix.drop_duplicates(["service", "environment"], keep="last").set_index(
        ["service", "environment"]
    )
    z, text, custom = [], [], []
    for service in services:
        z_row, text_row, custom_row = [], [], []
        for environment in columns:
            if (service, environment) in cells.index:
                cell = cells.loc[(service, environment)]
                relation = str(cell["relation"])
                z_row.append(code[relation])
                text_row.append(escape_text(cell["version"]) or "—")
                since = format_date(pd.Timestamp(cell["since"]).date()) if "since" in cell else ""
                custom_row.append([escape_text(relation.replace("_", " ")), escape_text(since)])
            else:
                z_row.append(None)
                text_row.append("")
                custom_row.append(["no record", ""])
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    total = matrix["service"].nunique()
    # the colour is said of production, like the drift list's kind badge
    title = "Versions by environment (colour = production compared with the cell)"
    if total > len(services):
        title += f" — {len(services)} of {total} services, drifting first"
    fig = go.Figure(
        layout=base_layout(theme, title, height=150 + MATRIX_ROW_HEIGHT * len(services))
    )
    fig.add_heatmap(
        x=escape_texts(columns),
        y=escape_texts(services),
        z=z,
        text=text,
        customdata=custom,
        texttemplate="%{text}",
        textfont={"size": 11},
        colorscale=discrete_colorscale([theme.relations.get(r, "#999999") for r in relations]),
        zmin=-0.5,
        zmax=len(relations) - 0.5,
        showscale=False,
        xgap=2,
        ygap=2,
        hovertemplate=(
            "%{y} in %{x}<br>version %{text}<br>production: %{customdata[0]}, cell since "
            "%{customdata[1]}"
            "<extra></extra>"
        ),
    )
    shown = {cell for row in z for cell in row if cell is not None}
    for relation in relations:
        if code[relation] not in shown:
            continue
        # Empty scatter traces only to give the categorical colours a legend.
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=escape_text(relation.replace("_", " ")),
            marker={"symbol": "square", "size": 12, "color": theme.relations.get(relation)},
            hoverinfo="skip",
        )
    fig.update_xaxes(side="top", showgrid=False, ticks="", type="category")
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="", type="category")
    if link is not None:
        labels = []
        for service in services:
            href = link(service)
            # the href is a slug of letters, digits and dashes; the name is escaped
            name = escape_text(service)
            labels.append(f'<a href="{href}" target="_self">{name}</a>' if href else name)
        fig.update_yaxes(tickvals=escape_texts(services), ticktext=labels)
    fig.update_layout(margin={"t": 80}, legend={"y": -0.02, "yanchor": "top"})
    return fig


def drift_aging(aging: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """Services drifting unexpectedly per day, stacked by drift kind."""
    daily = aging.pivot_table(
        index="as_of", columns="drift_kind", values="services", aggfunc="sum"
    ).fillna(0)
    known = [kind for kind in theme.drift_kinds if kind in daily.columns]
    kinds = known + sorted(str(k) for k in daily.columns if k not in theme.drift_kinds)
    x = iso_dates(pd.Series(daily.index))
    fig = go.Figure(layout=base_layout(theme, "Services drifting unexpectedly, by kind"))
    for kind in kinds:
        colour = theme.drift_kinds.get(kind, theme.muted)
        fig.add_scatter(
            x=x,
            y=floats(daily[kind]),
            name=escape_text(kind.replace("_", " ")),
            mode="lines",
            stackgroup="drift",
            line={"color": colour, "width": 1},
            fillcolor=colour,
            hovertemplate="%{y:,.0f}<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(hovermode="x unified", yaxis_title="services")
    fig.update_xaxes(type="date", hoverformat=DATE_HOVER)
    # Whole services: with few of them, tick every one rather than at 0.5 steps.
    few = daily.sum(axis=1).max() <= SMALL_COUNT
    fig.update_yaxes(rangemode="tozero", dtick=1 if few else None)
    return fig


def promotion_lag(lags: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """Distribution of promotion lag (baseline → production) by state, as box plots.

    Quartiles are computed here so the figure carries five numbers per state, not one point
    per version: the page size stays independent of the history length.
    """
    frame = lags.assign(lag_hours=pd.to_numeric(lags["lag_hours"], errors="coerce"))
    frame = frame.dropna(subset=["lag_hours"])
    present = [str(s) for s in frame["state"].unique()]
    states = [s for s in LAG_STATES if s in present] + sorted(set(present) - set(LAG_STATES))
    height = LAG_CHART_BASE_HEIGHT + LAG_ROW_HEIGHT * max(len(states), 1)
    fig = go.Figure(
        layout=base_layout(theme, "Promotion lag, baseline to production", height=height)
    )
    values: list[float | None] = []
    for state in states:
        lag = frame.loc[frame["state"].astype(str) == state, "lag_hours"].astype(float)
        q1, median, q3 = (float(lag.quantile(q)) for q in (0.25, 0.5, 0.75))
        values.extend([float(lag.min()), float(lag.max())])
        label = escape_text(state.replace("_", " "))
        fig.add_box(
            y=[f"{label} (n={len(lag):,})"],
            q1=[q1],
            median=[median],
            q3=[q3],
            lowerfence=[float(lag.min())],
            upperfence=[float(lag.max())],
            orientation="h",
            name=label,
            marker_color=theme.lag_states.get(state, theme.muted),
            showlegend=False,
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=[median],
            y=[f"{label} (n={len(lag):,})"],
            mode="markers",
            marker={"size": 1, "opacity": 0},
            customdata=[[format_hours(q1), format_hours(median), format_hours(q3)]],
            showlegend=False,
            hovertemplate=(
                "median %{customdata[1]}<br>middle half %{customdata[0]} – %{customdata[2]}"
                "<extra></extra>"
            ),
        )
    fig.update_xaxes(hours_axis(log=log_axis_wanted(values)))
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
