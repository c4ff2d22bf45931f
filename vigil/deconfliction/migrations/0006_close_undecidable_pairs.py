"""Close the open pairs nobody has to decide any more (issue 15).

Open flags between tips already in one cluster become "already linked"; open
flags on a value that is now common fold into its notice. Nothing is deleted;
a person's decisions (linked, dismissed) are untouched.
"""

from django.db import migrations
from django.db.models import Q


def close(apps, schema_editor):
    Flag = apps.get_model("deconfliction", "Flag")
    Link = apps.get_model("deconfliction", "Link")
    CommonValue = apps.get_model("deconfliction", "CommonValue")

    for type_, value in CommonValue.objects.values_list("type", "value").iterator():
        if type_ == "person":
            on_value = Q(type="name") & (Q(value=value) | Q(value_b=value))
        else:
            on_value = Q(type=type_, value=value)
        Flag.objects.filter(on_value, status="open").update(status="common")

    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in Link.objects.filter(removed_at__isnull=True).values_list("tip_a_id", "tip_b_id"):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    if not parent:
        return
    closing = [
        pk
        for pk, a, b in Flag.objects.filter(status="open")
        .values_list("pk", "tip_a_id", "tip_b_id")
        .iterator(chunk_size=5000)
        if a in parent or b in parent
        if find(a) == find(b)
    ]
    for i in range(0, len(closing), 500):
        Flag.objects.filter(pk__in=closing[i : i + 500]).update(status="already_linked")


class Migration(migrations.Migration):
    dependencies = [("deconfliction", "0005_flag_states_possible")]

    operations = [migrations.RunPython(close, migrations.RunPython.noop)]
