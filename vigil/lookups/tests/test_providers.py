"""The provider directory: CSV import, management by managers, audit, proposals."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from vigil.audit.models import AuditEvent
from vigil.lookups import actions
from vigil.lookups.models import Provider, ProviderMapping

CSV = (
    "name,kind,legal_contact,legal_email,service_method,address,asns,rdap_handles,email_domains,platforms\n"
    'Example Cable,isp,Legal Compliance,subpoenas@cable.example,email,"1 Main St, Springfield",64500;AS64501,EXCAB-ARIN,cable.example,\n'
    "Chatter Inc,platform,Law Enforcement Response,lers@chatter.example,portal,,,,chatter.example,Chatter\n"
)


def test_it_imports_providers_with_their_mappings(personas):
    summary = actions.do_import_providers(CSV.encode(), actor=personas.manager)
    assert summary == {"created": 2, "updated": 0, "mappings_added": 6}
    cable = Provider.objects.get(name="Example Cable")
    assert sorted(cable.mappings.values_list("kind", "value")) == [
        ("asn", "64500"),
        ("asn", "64501"),
        ("email_domain", "cable.example"),
        ("rdap_handle", "EXCAB-ARIN"),
    ]
    assert AuditEvent.objects.filter(
        action="lookups.provider_import", actor=personas.manager
    ).exists()
    # Every provider the file creates is audited on its own record, with its mappings.
    made = AuditEvent.objects.get(action="lookups.provider_create", object_id=str(cable.pk))
    assert made.changes["legal_contact"] == "Legal Compliance"
    assert sorted(made.changes["mappings_added"]) == [
        "asn 64500",
        "asn 64501",
        "email_domain cable.example",
        "rdap_handle EXCAB-ARIN",
    ]
    again = actions.do_import_providers(
        CSV.replace("Legal Compliance", "Legal Desk").encode(), actor=personas.manager
    )
    assert again == {"created": 0, "updated": 2, "mappings_added": 0}
    cable.refresh_from_db()
    assert cable.legal_contact == "Legal Desk"
    # A re-import audits what it changed, field by field; an unchanged provider writes nothing.
    [update] = AuditEvent.objects.filter(action="lookups.provider_update")
    assert update.object_id == str(cable.pk) and update.actor == personas.manager
    assert update.changes["legal_contact"] == {"before": "Legal Compliance", "after": "Legal Desk"}


def test_it_refuses_a_bad_csv_line_by_number_and_imports_nothing(personas):
    bad = CSV + "Broken,isp,,not-an-email,email,,,,,\nAlso bad,nonsense,,,email,,,,,\n"
    with pytest.raises(ValidationError) as exc:
        actions.do_import_providers(bad.encode(), actor=personas.manager)
    assert "line 4: 'not-an-email' is not an e-mail address" in exc.value.messages
    assert any(m.startswith("line 5: kind must be one of") for m in exc.value.messages)
    assert Provider.objects.count() == 0


def test_it_refuses_unknown_columns_and_a_victim_column(personas):
    with pytest.raises(ValidationError, match="Unknown column"):
        actions.do_import_providers(b"name,victim_name\nX,Y\n", actor=personas.manager)


@pytest.mark.parametrize("role", ["reader", "investigator", "other_investigator"])
def test_it_lets_only_managers_change_the_directory(personas, role):
    with pytest.raises(PermissionDenied):
        actions.do_create_provider(actor=getattr(personas, role), name="X")
    with pytest.raises(PermissionDenied):
        actions.do_import_providers(CSV.encode(), actor=getattr(personas, role))


def test_it_audits_every_change(personas):
    p = actions.do_create_provider(actor=personas.manager, name="Hoster", kind="hosting")
    actions.do_update_provider(p, actor=personas.manager, notes="24h desk")
    m = actions.do_add_mapping(p, "asn", "AS64510", actor=personas.manager)
    actions.do_remove_mapping(m, actor=personas.manager)
    actions.do_delete_provider(p, actor=personas.manager)
    assert list(
        AuditEvent.objects.filter(action__startswith="lookups.provider")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "lookups.provider_create",
        "lookups.provider_update",
        "lookups.provider_mapping_add",
        "lookups.provider_mapping_remove",
        "lookups.provider_delete",
    ]
    update = AuditEvent.objects.get(action="lookups.provider_update")
    assert update.changes["notes"] == {"before": "", "after": "24h desk"}


def test_it_refuses_a_mapping_another_provider_has(personas):
    a = actions.do_create_provider(actor=personas.manager, name="A")
    b = actions.do_create_provider(actor=personas.manager, name="B")
    actions.do_add_mapping(a, "email_domain", "@Mail.Example", actor=personas.manager)
    with pytest.raises(ValidationError, match="already points at A"):
        actions.do_add_mapping(b, "email_domain", "mail.example", actor=personas.manager)
    with pytest.raises(ValidationError, match="not an AS number"):
        actions.do_add_mapping(b, "asn", "ASX", actor=personas.manager)


def test_it_proposes_the_provider_from_a_lookup(personas):
    actions.do_import_providers(CSV.encode(), actor=personas.manager)
    assert actions.propose_provider(asn=64501).name == "Example Cable"
    assert actions.propose_provider(rdap_handle="excab-arin").name == "Example Cable"
    assert actions.propose_provider(email_domain="chatter.example").name == "Chatter Inc"
    assert actions.propose_provider(platform="chatter").name == "Chatter Inc"
    assert actions.propose_provider(asn=1) is None
    Provider.objects.filter(name="Example Cable").update(active=False)
    assert actions.propose_provider(asn=64501) is None
    assert ProviderMapping.objects.count() == 6
