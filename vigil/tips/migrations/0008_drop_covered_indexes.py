"""Drop the indexes a composite index or unique constraint already covers (issue 16).

The state changes are makemigrations' AlterFields; the database only drops the
indexes. Django's own SQL for them would copy tips_tip three times and
tips_selector once on SQLite (a table rebuild per altered field) and drop and
re-validate both foreign keys on PostgreSQL: minutes at a million tips for what
DROP INDEX does at once. The names are the ones Django gave the indexes.
"""

import django.db.models.deletion
from django.db import migrations, models

# (index, table, column definition): the reverse recreates them.
INDEXES = [
    ("tips_selector_tip_id_c7a01118", "tips_selector", '"tip_id"'),
    ("tips_tip_priority_9749745b", "tips_tip", '"priority"'),
    ("tips_tip_source_id_f88f859e", "tips_tip", '"source_id"'),
    ("tips_tip_status_aa66817c", "tips_tip", '"status"'),
]
# PostgreSQL's LIKE twin of a varchar db_index.
PG_INDEXES = [("tips_tip_status_aa66817c_like", "tips_tip", '"status" varchar_pattern_ops')]


def _indexes(schema_editor):
    return INDEXES + (PG_INDEXES if schema_editor.connection.vendor == "postgresql" else [])


def drop(apps, schema_editor):
    for name, _, _ in _indexes(schema_editor):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create(apps, schema_editor):
    for name, table, column in _indexes(schema_editor):
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({column})')


class Migration(migrations.Migration):
    dependencies = [
        ("tips", "0007_tip_queue_order"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(
                    model_name="selector",
                    name="tip",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="selectors",
                        to="tips.tip",
                    ),
                ),
                migrations.AlterField(
                    model_name="tip",
                    name="priority",
                    field=models.PositiveSmallIntegerField(
                        choices=[
                            (1, "Ongoing abuse or production"),
                            (2, "Contact offence"),
                            (3, "Distribution"),
                            (4, "Possession"),
                            (5, "Other"),
                        ],
                        default=5,
                    ),
                ),
                migrations.AlterField(
                    model_name="tip",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tips",
                        to="tips.source",
                    ),
                ),
                migrations.AlterField(
                    model_name="tip",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("new", "New"),
                            ("in_review", "In review"),
                            ("actionable", "Actionable"),
                            ("not_actionable", "Not actionable"),
                            ("unfounded", "Unfounded"),
                        ],
                        default="new",
                        max_length=16,
                    ),
                ),
            ],
        ),
    ]
