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


MAX_SERIES = 9  # a breakdown's largest keys drawn; the rest summed as "Others"
LEGEND_LINE = 16
LEGEND_NAME = 28  # characters of a key's name in the legend (its <title> has it whole)


def _short(name: str) -> str:
    return name if len(name) <= LEGEND_NAME else name[: LEGEND_NAME - 1] + "…"


def _drawn(
    series: Sequence[tuple[str, Sequence[float | int | None]]],
) -> list[tuple[str, list[float | int | None]]]:
    """The series a breakdown's chart draws: those with a figure, the largest first kept."""
    totals = [(sum(v or 0 for v in values), i) for i, (_, values) in enumerate(series)]
    shown = [i for total, i in totals if total]
    if len(shown) > MAX_SERIES:
        keep = sorted(sorted(shown, key=lambda i: -totals[i][0])[: MAX_SERIES - 1])
        rest = [i for i in shown if i not in keep]
        others = [sum(series[i][1][m] or 0 for i in rest) for m in range(len(series[rest[0]][1]))]
        return [(series[i][0], list(series[i][1])) for i in keep] + [
            (f"Others ({len(rest)})", others)
        ]
    return [(series[i][0], list(series[i][1])) for i in shown]


def _legend(series: Sequence[tuple[str, Sequence]]) -> list[list[tuple[int, int, str]]]:
    """Legend entries as lines of (x, series index, name), wrapped to the chart's width."""
    lines: list[list[tuple[int, int, str]]] = [[]]
    x = LEFT
    for s, (name, _) in enumerate(series):
        width = 14 + 7 * len(_short(name)) + 12
        if lines[-1] and x + width > WIDTH - RIGHT:
            lines.append([])
            x = LEFT
        lines[-1].append((x, s, name))
        x += width
    return lines


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
    breakdown: bool | None = None,
) -> SafeString:
    """Bars per month; several series are stacked (a breakdown). None draws no bar.

    A breakdown draws only its keys that have a figure in the period (the table
    under the chart lists them all), the largest MAX_SERIES of them and the rest
    summed as "Others"; the legend wraps onto as many lines as it needs.
    """
    breakdown = len(series) > 1 if breakdown is None else breakdown
    series = _drawn(series) if breakdown else list(series)
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
            if breakdown or unit != "days"
            else "median per month; see the table below."
        )
        if months
        else f"{title}: no months."
    )
    legend = _legend(series) if breakdown else []
    height = HEIGHT + LEGEND_LINE * max(len(legend) - 1, 0)
    out = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
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
            label = (
                f"{month}: {name + ' ' if breakdown else ''}{_fmt(v)}{' ' + unit if unit else ''}"
            )
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
    for line, entries in enumerate(legend):
        y = HEIGHT - 16 + LEGEND_LINE * line
        for x, s, name in entries:
            colour = PALETTE[s % len(PALETTE)]
            out.append(
                f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14}" y="{y + 9}" font-size="11">{escape(_short(name))}'
                f"<title>{escape(name)}</title></text>"
            )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308  (every text above is escaped)
