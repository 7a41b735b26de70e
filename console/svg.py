"""Charts drawn on the server as SVG (no script library, nothing fetched at run time):
a worker's coverage timeline and the prepayment balances against their warning lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from contracts.types import yuan_text

COLOURS = ("#2f6fb0", "#c2582b", "#3c8d4f", "#8a4fa3", "#b08a2f", "#4f8a8a")


@dataclass(frozen=True)
class Bar:
    label: str  # left of the row
    start: date
    end: date  # inclusive
    text: str  # inside / after the bar
    colour: int = 0


def timeline(bars: Sequence[Bar], marks: Sequence[tuple[date, str]] = (),
             width: int = 900) -> Markup:
    """One row per coverage window; `marks` are dashed verticals (change lock dates)."""
    if not bars:
        return Markup("")
    lo = min(b.start for b in bars)
    hi = max([b.end for b in bars] + [d for d, _ in marks]) + timedelta(days=1)
    left, row = 190, 30
    span = max((hi - lo).days, 1)
    height = 40 + row * len(bars)

    def x(d: date) -> float:
        return left + (width - left - 10) * (d - lo).days / span

    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" role="img">']
    for year_month in _months(lo, hi):
        out.append(f'<line x1="{x(year_month):.1f}" y1="18" x2="{x(year_month):.1f}" '
                   f'y2="{height}" stroke="#ddd"/><text x="{x(year_month) + 2:.1f}" y="14" '
                   f'font-size="10" fill="#666">{year_month:%Y-%m}</text>')
    for i, b in enumerate(bars):
        y = 24 + i * row
        x0, x1 = x(b.start), x(b.end + timedelta(days=1))
        out.append(f'<text x="4" y="{y + 15}" font-size="12">{escape(b.label)}</text>'
                   f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="20" '
                   f'rx="3" fill="{COLOURS[b.colour % len(COLOURS)]}"/>'
                   f'<text x="{x0 + 4:.1f}" y="{y + 14}" font-size="11" fill="#fff">'
                   f'{escape(b.text)}</text>')
    for d, text in marks:
        out.append(f'<line x1="{x(d):.1f}" y1="20" x2="{x(d):.1f}" y2="{height}" '
                   f'stroke="#c00" stroke-dasharray="4 3"/><text x="{x(d) + 3:.1f}" '
                   f'y="{height - 4}" font-size="10" fill="#c00">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _months(lo: date, hi: date) -> list[date]:
    out, d = [], date(lo.year, lo.month, 1)
    step = 1 if (hi - lo).days < 500 else 3
    while d <= hi:
        if d >= lo:
            out.append(d)
        m = d.month - 1 + step
        d = date(d.year + m // 12, m % 12 + 1, 1)
    return out


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[date, int]]  # (day, balance fen)
    warning_fen: int


def balances(series: Sequence[Series], label: Callable[[str], str],
             width: int = 900, height: int = 300) -> Markup:
    """Each account's balance over time (solid) and its warning line (dashed), in yuan."""
    days = sorted({d for s in series for d, _ in s.points})
    if not days:
        return Markup("")
    values = [v for s in series for _, v in s.points] + [s.warning_fen for s in series] + [0]
    lo, hi = min(values), max(values)
    hi = hi if hi > lo else lo + 100
    left, right, top, bottom = 90, 10, 16, 40

    def x(d: date) -> float:
        if len(days) == 1:
            return left
        return left + (width - left - right) * (d - days[0]).days / (days[-1] - days[0]).days

    def y(v: int) -> float:
        return top + (height - top - bottom) * (hi - v) / (hi - lo)

    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height + 20 * len(series)}" role="img">',
           f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" '
           'stroke="#999"/>']
    for v in (lo, hi):
        out.append(f'<text x="2" y="{y(v) + 4:.1f}" font-size="10">{yuan_text(v, True)}'
                   '</text>')
    for d in days:
        out.append(f'<text x="{x(d) - 14:.1f}" y="{height - bottom + 16}" font-size="10">'
                   f'{d:%Y-%m-%d}</text>')
    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in s.points)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                   f'points="{path}"/>')
        out.append(f'<line class="warning-line" x1="{left}" y1="{y(s.warning_fen):.1f}" '
                   f'x2="{width - right}" y2="{y(s.warning_fen):.1f}" stroke="{colour}" '
                   'stroke-dasharray="6 4"/>')
        ly = height + 20 * i + 4
        out.append(f'<rect x="{left}" y="{ly}" width="14" height="4" fill="{colour}"/>'
                   f'<text x="{left + 20}" y="{ly + 6}" font-size="11">{escape(s.label)} — '
                   f'{escape(label("预警线"))} {yuan_text(s.warning_fen, True)} '
                   f'{escape(label("元"))}</text>')
    out.append("</svg>")
    return Markup("".join(out))
