from __future__ import annotations

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from vigil.audit.models import AuditEvent
from vigil.testing.roles import check_roles
from vigil.tips.models import Source

Q = "?from=2026-01&to=2026-04"


def test_it_shows_the_statistics_page_to_managers_only(client, personas, known):
    check_roles(
        client,
        personas,
        "get",
        reverse("stats-page") + Q,
        audit_action="stats.view",
    )


def test_it_exports_csv_and_xlsx_to_managers_only(client, personas, known):
    for name in ("stats-export-csv", "stats-export-xlsx"):
        check_roles(
            client,
            personas,
            "get",
            reverse(name) + Q,
            audit_action="stats.export",
        )


def test_it_draws_a_chart_and_a_table_for_each_figure(client, personas, known):
    client.force_login(personas.manager)
    body = client.get(reverse("stats-page") + Q).content.decode()
    assert body.count('<svg class="chart"') >= 10
    assert 'role="img"' in body and "<desc" in body
    assert 'id="chart-tips-received"' in body
    assert "<h2" in body and "<h3" in body and 'scope="col"' in body
    # January's 2 tips appear in the tips-received table and as a bar title.
    assert "2026-01: 2</title>" in body
    assert "<script" not in body.split("<main", 1)[1]


def test_it_filters_by_section(client, personas, known):
    client.force_login(personas.manager)
    body = client.get(reverse("stats-page") + Q + "&section=Flags").content.decode()
    assert 'id="chart-flags-raised"' in body
    assert 'id="chart-tips-received"' not in body


def test_it_answers_400_with_a_message_for_a_bad_filter(client, personas, known):
    client.force_login(personas.manager)
    before = AuditEvent.objects.count()
    for query in ("?from=2026-13", "?from=2026-05&to=2026-01", "?section=Nope"):
        r = client.get(reverse("stats-page") + query)
        assert r.status_code == 400
        assert 'class="error"' in r.content.decode()
        assert client.get(reverse("stats-export-xlsx") + query).status_code == 400
    assert not AuditEvent.objects.filter(id__gt=before, action__startswith="stats.").exists()


def test_it_exports_the_figures_as_csv(client, personas, known):
    client.force_login(personas.manager)
    r = client.get(reverse("stats-export-csv") + Q)
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0] == [
        "Section",
        "Figure",
        "Key",
        "Breakdown",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "Total",
    ]
    tips = next(row for row in rows if row[2] == "tips_received")
    assert tips[4:] == ["2", "0", "4", "0", "6"]
    alpha = next(row for row in rows if row[2] == "tips_by_source" and row[3] == "Alpha")
    assert alpha[4:] == ["2", "0", "0", "0", "2"]


def test_it_escapes_formulas_in_exports(client, personas, known):
    Source.objects.filter(name="Alpha").update(name="=HYPERLINK(1)")
    client.force_login(personas.manager)
    text = client.get(reverse("stats-export-csv") + Q).content.decode()
    assert "'=HYPERLINK(1)" in text
    wb = load_workbook(io.BytesIO(client.get(reverse("stats-export-xlsx") + Q).content))
    cells = [c.value for row in wb["Statistics"].iter_rows() for c in row]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells


def test_it_shows_this_months_figures_on_a_managers_dashboard(client, personas, known):
    client.force_login(personas.manager)
    body = client.get(reverse("core-dashboard")).content.decode()
    assert 'data-testid="stats-month"' in body and "Tips received" in body
    client.force_login(personas.investigator)
    assert 'data-testid="stats-month"' not in client.get(reverse("core-dashboard")).content.decode()


def test_the_month_fields_show_the_period_asked_for(client, personas, known):
    client.force_login(personas.manager)
    body = client.get(reverse("stats-page") + Q).content.decode()
    assert 'name="from" value="2026-01"' in body and 'name="to" value="2026-04"' in body
    body = client.get(reverse("stats-page") + "?from=2026-13").content.decode()
    assert 'name="from" value="2026-13"' in body  # what was typed, beside the error


def test_a_breakdowns_legend_names_every_key_drawn(client, personas, known):
    client.force_login(personas.manager)
    body = client.get(reverse("stats-page") + Q).content.decode()
    chart = body.split('id="chart-tips-by-source-kind"', 1)[1].split("</svg>", 1)[0]
    # Field office (January) and NCMEC (March) are drawn and named; empty kinds are in the table.
    assert "NCMEC CyberTipline<title>" in chart and "Field office<title>" in chart
    assert "NGO<title>" not in chart


def test_a_chart_of_many_keys_draws_the_largest_and_sums_the_others():
    from vigil.stats import charts

    months = ["2026-01", "2026-02"]
    series = [(f"Source with a rather long name {i:02d}", [i, 1]) for i in range(14)]
    series.append(("Silent", [0, 0]))
    svg = str(charts.bar_chart("c", "By source", months, series))
    assert svg.count('<rect class="bar"') == 2 * (charts.MAX_SERIES - 1) + 2
    assert "Others (6)" in svg and "Silent" not in svg
    assert "Source with a rather long name 13</title>" in svg  # the legend's title is whole
    assert "Source with a rather long name 05" not in svg  # summed into Others
    height = int(svg.split('viewBox="0 0 720 ', 1)[1].split('"', 1)[0])
    assert height > charts.HEIGHT  # the legend wrapped onto more lines
    import re

    legend_ys = [float(y) for y in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="10"', svg)]
    assert len(legend_ys) == charts.MAX_SERIES and max(legend_ys) + 10 <= height
