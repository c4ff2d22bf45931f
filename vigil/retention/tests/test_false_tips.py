from __future__ import annotations

from django.urls import reverse

from vigil.tips import actions as tip_actions
from vigil.tips.models import Source, Tip


def test_an_unfounded_tip_stays_annotated_and_counts_against_its_source(
    client, make_tip, personas, source
):
    tips = [make_tip(f"T-{i}", old=False) for i in range(4)]
    tip_actions.do_triage_tip(
        tips[0], "unfounded", reason="caller admitted it was made up", actor=personas.manager
    )
    assert Tip.objects.filter(pk=tips[0].pk, status="unfounded").exists()
    counted = Source.objects.with_tip_counts().get(pk=source.pk)
    assert (counted.tip_count, counted.unfounded_count, counted.unfounded_ratio) == (4, 1, 0.25)
    client.force_login(personas.manager)
    body = client.get(reverse("tips-sources")).content.decode()
    assert "1 of 4 (25%)" in body
    assert "25%" in client.get(reverse("tips-source-edit", args=[source.pk])).content.decode()
    panel = client.get(reverse("retention-tip-panel", args=[tips[0].pk])).content.decode()
    assert "Found to be false" in panel and "caller admitted it was made up" in panel
