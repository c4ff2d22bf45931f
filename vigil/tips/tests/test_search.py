from django.urls import reverse

from vigil.testing.roles import check_roles
from vigil.tips import actions, search
from vigil.tips.actions import SelectorInput
from vigil.tips.models import Tip


def test_it_finds_a_selector_by_any_written_form(personas, source):
    t = actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="S-1",
        selectors=[
            SelectorInput("email", "johndoe@gmail.com"),
            SelectorInput("ssn", "123-45-6789"),
            SelectorInput("ip", "203.0.113.5"),
        ],
    )
    other = actions.do_create_tip(actor=personas.manager, source=source, source_reference="S-2")
    qs = Tip.objects.all()
    assert list(search.by_selector(qs, "John.Doe@GMAIL.com")) == [t]
    assert list(search.by_selector(qs, "123456789")) == [t]
    assert list(search.by_selector(qs, "203.000.113.005")) == [t]
    assert list(search.by_selector(qs, "nobody@example.com")) == []
    assert other not in search.by_selector(qs, "")


def test_it_searches_narratives_and_notes_full_text(personas, source):
    a = actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="F-1",
        narrative="The suspect drives a blue caravan near the harbour",
    )
    b = actions.do_create_tip(
        actor=personas.manager, source=source, source_reference="F-2", narrative="Nothing here"
    )
    actions.do_add_research_note(
        b, "Registrar says the harbour domain is parked", actor=personas.manager
    )
    qs = Tip.objects.all()
    assert set(search.fulltext(qs, "harbour")) == {a, b}
    assert list(search.fulltext(qs, "blue caravan")) == [a]
    assert list(search.fulltext(qs, 'caravan" OR *')) == []
    assert list(search.fulltext(qs, "")) == []
    actions.do_update_tip(a, actor=personas.manager, narrative="changed entirely")
    assert list(search.fulltext(qs, "caravan")) == []


def test_the_search_page_is_guarded_and_audited(client, personas, tip):
    url = reverse("tips-search") + "?q=BOB.SUSPECT@example.com"
    check_roles(
        client,
        personas,
        "get",
        url,
        audit_action="tip.search",
    )
    client.force_login(personas.reader)
    assert b"FOA-1" in client.get(url).content
    assert b"FOA-1" in client.get(reverse("tips-search") + "?mode=text&q=suspect").content
