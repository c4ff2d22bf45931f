"""Server-rendered SVG bar charts: no script, no CDN, readable without colour.

Each chart is an <svg role="img"> with a <title> and a <desc> summarising it;
every bar carries its own <title> (the exact figure), and the page prints the
same figures in a table under the chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe palette (Okabe–Ito), then greys.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#777777",
    "#BBBBBB",
)
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 44


def _nice_max(value: float) -> float:
    """The top of the axis: four equal steps of a round size (whole numbers for counts)."""
    if value <= 0:
        return 4
    quarter = value / 4
    exp = 10 ** math.floor(math.log10(quarter))
    for step in (1, 2, 2.5, 5, 10):
        size = step * exp
        if size >= quarter and (value < 1 or (size >= 1 and float(size).is_integer())):
            return 4 * size
    return 40 * exp  # pragma: no cover


def _fmt(value: float) -> str:
    return (
        f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"
    )


def bar_chart(
    chart_id: str,
    title: str,
    months: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | int | None]]],
    *,
    unit: str = "",
) -> SafeString:
    """Bars per month; several series are stacked (a breakdown). None draws no bar."""
    n = max(len(months), 1)
    stacked = [sum((v or 0) for _, values in series for v in [values[i]]) for i in range(n)]
    top = _nice_max(max(stacked, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = max(2.0, slot * 0.7)
    total = sum(stacked)
    peak = max(range(n), key=lambda i: stacked[i]) if months else 0
    desc = (
        f"{title}, {months[0]} to {months[-1]}: "
        + (
            f"total {_fmt(total)}{(' ' + unit) if unit else ''}, highest in {months[peak]} "
            f"({_fmt(stacked[peak])})."
            if len(series) > 1 or unit != "days"
            else "median per month; see the table below."
        )
        if months
        else f"{title}: no months."
    )
    out = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for k in range(5):
        value = top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="gridline" '
            f'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(_fmt(value))}</text>"
        )
    label_every = max(1, math.ceil(n / 12))
    for i, month in enumerate(months):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base = TOP + plot_h
        for s, (name, values) in enumerate(series):
            v = values[i]
            if not v:
                continue
            h = plot_h * v / top
            base -= h
            colour = PALETTE[s % len(PALETTE)]
            label = f"{month}: {name + ' ' if len(series) > 1 else ''}{_fmt(v)}{' ' + unit if unit else ''}"
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}</title></rect>'
            )
        if i % label_every == 0:
            out.append(
                f'<text x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" font-size="11">{escape(month)}</text>'
            )
    out.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'stroke="#333" stroke-width="1"/>'
    )
    if len(series) > 1:
        x = LEFT
        for s, (name, _) in enumerate(series[:10]):
            colour = PALETTE[s % len(PALETTE)]
            out.append(
                f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14}" y="{HEIGHT - 7}" font-size="11">{escape(name[:18])}</text>'
            )
            x += 14 + 7 * min(len(name), 18) + 12
            if x > WIDTH - 80:
                break
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308  (every text above is escaped)
