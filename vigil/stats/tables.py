"""A report as tables: one per figure (shown under its chart) and one wide sheet for export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil.stats import charts, registry


@dataclass
class Table:
    figure: registry.Figure
    columns: list[str]
    rows: list[list[Any]]
    total: list[Any]
    chart: str

    @property
    def slug(self) -> str:
        return self.figure.key.replace("_", "-")


def _cell(value: Any) -> Any:
    return "–" if value is None else value


def tables(report: registry.Report) -> list[Table]:
    months = report.period.months
    out = []
    for f in report.figures:
        result = report.results[f.key]
        if f.kind == "breakdown":
            keys = list(result.total)
            names = [f.key_labels.get(k, k) for k in keys]
            rows = [
                [m, *(result.by_month[m][k] for k in keys), sum(result.by_month[m].values())]
                for m in months
            ]
            total = ["Total", *(result.total[k] for k in keys), sum(result.total.values())]
            series = [
                (name, [result.by_month[m][k] for m in months])
                for k, name in zip(keys, names, strict=True)
            ]
            columns = ["Month", *names, "Total"]
        else:
            rows = [[m, _cell(result.by_month[m])] for m in months]
            total = ["Median" if f.kind == "median" else "Total", _cell(result.total)]
            series = [(f.label, [result.by_month[m] for m in months])]
            columns = ["Month", f.label + (f" ({f.unit})" if f.unit else "")]
        chart = charts.bar_chart(
            f"chart-{f.key.replace('_', '-')}",
            f.label,
            months,
            series,
            unit=f.unit,
            breakdown=f.kind == "breakdown",
        )
        out.append(Table(f, columns, rows, total, chart))
    return out


def wide_rows(report: registry.Report) -> tuple[list[str], list[list[Any]]]:
    """Export layout: one row per figure (per key for a breakdown), one column per month."""
    months = report.period.months
    header = ["Section", "Figure", "Key", "Breakdown", *months, "Total"]
    rows: list[list[Any]] = []
    for f in report.figures:
        result = report.results[f.key]
        if f.kind == "breakdown":
            for k, total in result.total.items():
                rows.append(
                    [
                        f.section,
                        f.label,
                        f.key,
                        f.key_labels.get(k, k),
                        *(result.by_month[m][k] for m in months),
                        total,
                    ]
                )
        else:
            rows.append(
                [
                    f.section,
                    f.label + (f" ({f.unit})" if f.unit else ""),
                    f.key,
                    "",
                    *(result.by_month[m] for m in months),
                    result.total,
                ]
            )
    return header, rows
