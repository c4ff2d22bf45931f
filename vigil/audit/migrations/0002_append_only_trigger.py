"""On PostgreSQL, refuse UPDATE and DELETE on the audit table (append-only)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION vigil_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_auditevent is append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS vigil_audit_append_only ON audit_auditevent;
CREATE TRIGGER vigil_audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION vigil_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS vigil_audit_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS vigil_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
