"""One outcome vocabulary: rows written as `failure` become `failed`.

The rows keep their hash (computed over `failure`); the chain check accepts
the old spelling for a migrated row (AuditEvent.hash_matches). The table is
append-only on PostgreSQL, so the trigger is lifted for this one statement.
"""

from django.db import migrations

OLD_TO_NEW = {"failure": "failed"}


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER vigil_audit_append_only")
        for old, new in OLD_TO_NEW.items():
            cursor.execute("UPDATE audit_auditevent SET outcome = %s WHERE outcome = %s", [new, old])
        if conn.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER vigil_audit_append_only")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    # Not reversible in data: which `failed` rows were once `failure` is not kept.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
