"""A keyed MAC on every new audit row (docs/security.md, "Tamper-evident audit trail").

Rows already in the table keep an empty MAC: they are the "legacy" rows before
the MAC boundary, which is the first row written with a MAC. Adding a column
with a constant default rewrites no row, so the append-only trigger is not hit.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_one_outcome_vocabulary'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='mac_key',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
    ]
