from __future__ import annotations

from vigil.victimid import demo
from vigil.victimid.models import Media, Series


def test_it_loads_demo_series_once(personas):
    summary = demo.load(personas.manager)
    assert summary == "3 series, 9 media"
    assert Series.objects.count() == 3
    assert Media.objects.filter(series__name__startswith="DEMO Bridge").count() == 3
    assert all("example.invalid" in s.contact_email for s in Series.objects.all())
    assert demo.load(personas.manager) == ""
    assert Media.objects.count() == 9
