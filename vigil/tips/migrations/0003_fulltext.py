"""Full-text search: an FTS5 table on SQLite, GIN expression indexes on PostgreSQL."""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE tips_fulltext USING fts5("
    "kind UNINDEXED, obj_id UNINDEXED, tip_id UNINDEXED, body, tokenize='unicode61 remove_diacritics 2')",
]
SQLITE_DOWN = ["DROP TABLE IF EXISTS tips_fulltext"]
PG_UP = [
    "CREATE INDEX IF NOT EXISTS tips_tip_narrative_fts ON tips_tip "
    "USING GIN (to_tsvector('simple'::regconfig, COALESCE(narrative, '')))",
    "CREATE INDEX IF NOT EXISTS tips_note_body_fts ON tips_researchnote "
    "USING GIN (to_tsvector('simple'::regconfig, COALESCE(body, '')))",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS tips_tip_narrative_fts",
    "DROP INDEX IF EXISTS tips_note_body_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tips", "0002_evidenceitem_evidencetransfer_importjob_researchnote")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        )
    ]
