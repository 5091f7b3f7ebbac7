"""Hand-built inline SVG line charts (server-side, deterministic, CSP-safe: no inline styles).

Colours come from CSS classes (``series-0`` ... in ``static/plexms.css``), so charts follow the
stylesheet and print in black and white with dash patterns. Each chart has a ``<title>`` and
``<desc>`` for screen readers; pages show the numbers in a table beside it as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

__all__ = ["Interval", "Line", "Series", "interval_chart", "line_chart", "nice_ticks"]


@dataclass(frozen=True)
class Series:
    """One line: a label and its points ``(x, y)`` in data units."""

    label: str
    points: Sequence[tuple[float, float]]
    css: str = "series-0"
    markers: bool = True
    line: bool = True  # False: points only (a scatter)


@dataclass(frozen=True)
class Line:
    """A reference line: horizontal at ``y`` or vertical at ``x``, with a label."""

    label: str
    x: float | None = None
    y: float | None = None
    css: str = "ref"


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 56
    right: int = 16
    top: int = 16
    bottom: int = 44
    x_range: tuple[float, float] = (0.0, 1.0)
    y_range: tuple[float, float] = (0.0, 1.0)
    extra: dict[str, float] = field(default_factory=dict)

    def px(self, x: float) -> float:
        lo, hi = self.x_range
        span = (hi - lo) or 1.0
        return self.left + (x - lo) / span * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        lo, hi = self.y_range
        span = (hi - lo) or 1.0
        return self.height - self.bottom - (y - lo) / span * (self.height - self.top - self.bottom)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``lo``..``hi`` (about ``count`` of them)."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:g}"


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    lines: Sequence[Line] = (),
    x_ticks: Sequence[tuple[float, str]] | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = 560,
    height: int = 260,
    css_id: str = "chart",
) -> Markup:
    """An SVG line chart of ``series`` with axes, ticks, reference lines and a legend."""
    xs = [x for s in series for x, _ in s.points] + [ln.x for ln in lines if ln.x is not None]
    ys = [y for s in series for _, y in s.points] + [ln.y for ln in lines if ln.y is not None]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    y_ticks = nice_ticks(
        y_min if y_min is not None else min([*ys, 0.0]),
        y_max if y_max is not None else (max(ys) if ys else 1.0),
    )
    frame = _Frame(width, height, x_range=(x_lo, x_hi), y_range=(y_ticks[0], y_ticks[-1]))
    title_id, desc_id = f"{css_id}-title", f"{css_id}-desc"
    desc = "; ".join(
        f"{s.label}: " + ", ".join(f"({_fmt(x)}, {y:.2f})" for x, y in s.points) for s in series
    )
    out = [
        f'<svg class="chart" id="{escape(css_id)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
    ]
    out += _axes(frame, y_ticks, x_ticks or [(x, _fmt(x)) for x in nice_ticks(x_lo, x_hi, 7)])
    out += _labels(frame, x_label, y_label)
    for ln in lines:
        out.append(_ref_line(frame, ln))
    for s in series:
        out += _series(frame, s)
    out += _legend(frame, series)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above went through escape()


def _axes(
    frame: _Frame, y_ticks: Sequence[float], x_ticks: Sequence[tuple[float, str]]
) -> list[str]:
    x0, x1 = frame.left, frame.width - frame.right
    y0, y1 = frame.height - frame.bottom, frame.top
    out = [f'<path class="axis" d="M{x0},{y1} V{y0} H{x1}"/>']
    for tick in y_ticks:
        y = frame.py(tick)
        out.append(f'<path class="grid" d="M{x0},{y:.1f} H{x1}"/>')
        out.append(
            f'<text class="tick" x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
        )
    lo, hi = frame.x_range
    for value, label in x_ticks:
        if lo - 1e-9 <= value <= hi + 1e-9:
            x = frame.px(value)
            out.append(f'<path class="axis" d="M{x:.1f},{y0} v4"/>')
            out.append(
                f'<text class="tick" x="{x:.1f}" y="{y0 + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return out


def _labels(frame: _Frame, x_label: str, y_label: str) -> list[str]:
    mid_x = (frame.left + frame.width - frame.right) / 2
    mid_y = (frame.top + frame.height - frame.bottom) / 2
    return [
        f'<text class="axis-label" x="{mid_x:.1f}" y="{frame.height - 6}" '
        f'text-anchor="middle">{escape(x_label)}</text>',
        f'<text class="axis-label" x="14" y="{mid_y:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {mid_y:.1f})">{escape(y_label)}</text>',
    ]


def _ref_line(frame: _Frame, ln: Line) -> str:
    css = escape(ln.css)
    if ln.y is not None:
        y = frame.py(ln.y)
        x1 = frame.width - frame.right
        return (
            f'<path class="{css}" d="M{frame.left},{y:.1f} H{x1}"/>'
            f'<text class="ref-label" x="{x1 - 4}" y="{y - 4:.1f}" text-anchor="end">'
            f"{escape(ln.label)}</text>"
        )
    x = frame.px(ln.x or 0.0)
    return (
        f'<path class="{css}" d="M{x:.1f},{frame.top} V{frame.height - frame.bottom}">'
        f"<title>{escape(ln.label)}</title></path>"
    )


def _series(frame: _Frame, s: Series) -> list[str]:
    if not s.points:
        return []
    css = escape(s.css)
    d = " ".join(
        f"{'M' if i == 0 else 'L'}{frame.px(x):.1f},{frame.py(y):.1f}"
        for i, (x, y) in enumerate(s.points)
    )
    out = [f'<path class="line {css}" d="{d}"/>'] if s.line else []
    if s.markers:
        for x, y in s.points:
            out.append(
                f'<circle class="dot {css}" cx="{frame.px(x):.1f}" cy="{frame.py(y):.1f}" r="3">'
                f"<title>{escape(s.label)}: {y:.2f}</title></circle>"
            )
    return out


def _legend(frame: _Frame, series: Sequence[Series]) -> list[str]:
    out = []
    x = frame.left + 8
    for s in series:
        css = escape(s.css)
        out.append(f'<path class="line {css}" d="M{x},{frame.top + 6} h18"/>')
        out.append(
            f'<text class="legend" x="{x + 22}" y="{frame.top + 10}">{escape(s.label)}</text>'
        )
        x += 30 + 7 * len(s.label)
    return out


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: a label, low-centre-high, and a note at the right."""

    label: str
    low: float
    centre: float
    high: float
    note: str = ""


def interval_chart(
    rows: Sequence[Interval],
    *,
    title: str,
    x_label: str,
    x_min: float,
    x_max: float,
    width: int = 640,
    row_height: int = 34,
    css_id: str = "chart",
) -> Markup:
    """Horizontal intervals (a whisker from low to high, a dot at the centre), one row each,
    labels on the left and a note on the right: a protocol comparison read at a glance."""
    left, right, top, bottom = 190, 200, 24, 44
    height = top + bottom + row_height * max(len(rows), 1)
    ticks = nice_ticks(x_min, x_max, 5)
    frame = _Frame(
        width,
        height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_range=(ticks[0], ticks[-1]),
    )
    title_id, desc_id = f"{css_id}-title", f"{css_id}-desc"
    desc = "; ".join(
        f"{r.label}: {r.centre:g} ({r.low:g} to {r.high:g}){' ' + r.note if r.note else ''}"
        for r in rows
    )
    out = [
        f'<svg class="chart" id="{escape(css_id)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
        f'<text class="legend" x="{left}" y="14">{escape(title)}</text>',
    ]
    y0 = height - bottom
    x1 = width - right
    out.append(f'<path class="axis" d="M{left},{top} V{y0} H{x1}"/>')
    for tick in ticks:
        x = frame.px(tick)
        out.append(f'<path class="grid" d="M{x:.1f},{top} V{y0}"/>')
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{y0 + 16}" text-anchor="middle">{_fmt(tick)}</text>'
        )
    out.append(
        f'<text class="axis-label" x="{(left + x1) / 2:.1f}" y="{height - 6}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    for i, r in enumerate(rows):
        y = top + row_height * (i + 0.5)
        css = f"series-{i % 4}"
        out.append(
            f'<text class="tick" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(r.label)}</text>"
        )
        out.append(
            f'<path class="line {css}" d="M{frame.px(r.low):.1f},{y:.1f} H{frame.px(r.high):.1f}'
            f' M{frame.px(r.low):.1f},{y - 6:.1f} v12 M{frame.px(r.high):.1f},{y - 6:.1f} v12"/>'
        )
        out.append(
            f'<circle class="dot {css}" cx="{frame.px(r.centre):.1f}" cy="{y:.1f}" r="4">'
            f"<title>{escape(r.label)}: {r.centre:g}</title></circle>"
        )
        if r.note:
            out.append(
                f'<text class="legend" x="{x1 + 10}" y="{y + 4:.1f}">{escape(r.note)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above went through escape()
