"""Tiny inline SVG sparklines for the KPI cards: static markup, no JavaScript, prints as is."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from reports.formatting import is_missing

WIDTH = 160
HEIGHT = 28
PADDING = 3
DOT_RADIUS = 2.2


def _points(values: Sequence[float | None]) -> list[tuple[float, float] | None]:
    """Map values to SVG coordinates; ``None`` keeps its slot so gaps stay gaps."""
    present = [float(v) for v in values if not is_missing(v)]
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PADDING) / max(len(values) - 1, 1)
    points: list[tuple[float, float] | None] = []
    for index, value in enumerate(values):
        if is_missing(value):
            points.append(None)
            continue
        x = PADDING + index * step
        # A flat series sits in the middle rather than on the floor.
        share = (float(value) - low) / span if high > low else 0.5  # type: ignore[arg-type]
        y = HEIGHT - PADDING - share * (HEIGHT - 2 * PADDING)
        points.append((round(x, 1), round(y, 1)))
    return points


def _segments(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    segments: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(point)
    return [segment for segment in segments if segment]


def sparkline_svg(values: Sequence[float | None], *, title: str, colour: str) -> Markup:
    """An SVG sparkline of ``values`` (oldest first) with ``title`` as its accessible name.

    The last point is drawn as a dot so the current week stands out. A series without any
    value renders an empty frame with the title still announced.
    """
    label = escape(title)
    head = (
        f'<svg class="rh-spark" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{label}"><title>{label}</title>'
    )
    if all(is_missing(v) for v in values):
        return Markup(f"{head}</svg>")
    points = _points(values)
    shapes = []
    for segment in _segments(points):
        coords = " ".join(f"{x},{y}" for x, y in segment)
        shapes.append(
            f'<polyline points="{coords}" fill="none" stroke="{escape(colour)}" '
            'stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    last = next((p for p in reversed(points) if p is not None), None)
    if last is not None:
        shapes.append(
            f'<circle cx="{last[0]}" cy="{last[1]}" r="{DOT_RADIUS}" fill="{escape(colour)}"/>'
        )
    return Markup(head + "".join(shapes) + "</svg>")
