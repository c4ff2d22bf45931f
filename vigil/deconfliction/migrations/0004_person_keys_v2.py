"""Person blocking keys gained the birth-year and given-name keys (issue 15):
add them for the person selectors stored before, so old and new records meet."""

from datetime import date

from django.db import migrations


def _dob(details):
    raw = (details or {}).get("dob")
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def add_keys(apps, schema_editor):
    from vigil.lib import names

    Selector = apps.get_model("tips", "Selector")
    PersonKey = apps.get_model("deconfliction", "PersonKey")
    rows = []
    people = Selector.objects.filter(type="person").values_list("pk", "value", "details")
    for pk, value, details in people.iterator(chunk_size=2000):
        rows.extend(
            PersonKey(selector_id=pk, key=k[:80]) for k in names.name_keys(value, _dob(details))
        )
        if len(rows) >= 5000:
            PersonKey.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    PersonKey.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("deconfliction", "0003_fewer_indexes"), ("tips", "0001_initial")]

    operations = [migrations.RunPython(add_keys, migrations.RunPython.noop)]
