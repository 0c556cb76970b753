"""Charts drawn on the server as SVG geometry: no script, no CDN, readable without either.

Each chart is plain numbers the template turns into ``<svg role="img">`` with a title and a
description; the same numbers are printed in a table under it.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 720


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: str


@dataclass(frozen=True)
class LineChart:
    """A trend: points joined by a line, with the highest value marked on the axis."""

    height: int
    points: list[Point]
    path: str
    top: str  # the value at the top of the axis

    @property
    def empty(self) -> bool:
        return not self.points


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    label: str
    value: str
    href: str


@dataclass(frozen=True)
class BarChart:
    height: int
    bars: list[Bar]


def line_chart(values: list[tuple[str, float | None]], fmt: str = "{:.1%}") -> LineChart:
    """A line over ``values`` (label, value); None values leave a gap in the line."""
    height, left, right, top, bottom = 240, 56, 16, 16, 40
    known = [v for _, v in values if v is not None]
    highest = max(known, default=0.0) or 1.0
    step = (WIDTH - left - right) / max(len(values) - 1, 1)
    points, path, pen_down = [], [], False
    for index, (label, value) in enumerate(values):
        x = round(left + index * step, 1)
        if value is None:
            pen_down = False
            continue
        y = round(top + (1 - value / highest) * (height - top - bottom), 1)
        points.append(Point(x, y, label, fmt.format(value)))
        path.append(f"{'L' if pen_down else 'M'}{x},{y}")
        pen_down = True
    return LineChart(height, points, " ".join(path), fmt.format(highest))


def bar_chart(rows: list[tuple[str, float, str, str]]) -> BarChart:
    """Horizontal bars of (label, value, shown value, link) rows, longest = widest."""
    widest = max((value for _, value, _, _ in rows), default=0.0) or 1.0
    bars = [
        Bar(index * 32 + 4, round(max(value / widest * 380, 2), 1), label, shown, href)
        for index, (label, value, shown, href) in enumerate(rows)
    ]
    return BarChart(len(bars) * 32 + 8, bars)
