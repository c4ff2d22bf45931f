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


def test_it_ships_every_demo_file_in_the_repository():
    names = [f for s in demo.SERIES for f in s["files"]]
    assert names and all((demo.DEMO_MEDIA / f).is_file() for f in names)
    assert (demo.DEMO_MEDIA / "LICENSE-ThreatExchange.txt").is_file()


def test_it_says_loudly_when_a_demo_file_is_missing(personas, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(demo, "DEMO_MEDIA", tmp_path)
    summary = demo.load(personas.manager)
    assert summary.startswith("3 series, 4 media; MISSING 5 demo file(s): ")
    assert "aaa-orig.jpg" in summary
    assert "WARNING: demo file missing" in capsys.readouterr().err
