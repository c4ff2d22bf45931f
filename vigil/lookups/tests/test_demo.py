from vigil.lookups import demo, ranges
from vigil.lookups.models import Provider


def test_it_loads_demo_ranges_and_providers_once(personas):
    assert "4 demo ranges" in demo.load(personas.manager)
    assert ranges.lookup("203.0.113.7")["owner"] == "EXAMPLE-CABLE demo"
    assert Provider.objects.count() == 3
    assert demo.load(personas.manager) == "look-up demo data exists already"
