"""On PostgreSQL, refuse UPDATE and DELETE on the accounting of disclosures (append-only)."""

from django.db import migrations

TABLES = ["referrals_disclosure", "referrals_discloseditem"]
FUNCTION = """
CREATE OR REPLACE FUNCTION vigil_disclosure_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '%% is append-only (accounting of disclosures): %% refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS vigil_append_only ON {table};")
        schema_editor.execute(
            f"CREATE TRIGGER vigil_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION vigil_disclosure_append_only();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS vigil_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS vigil_disclosure_append_only();")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
