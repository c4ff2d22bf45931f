"""RDAP: parsing real registries' answers, the bootstrap files, and a live server on 127.0.0.1."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone

from vigil.audit.models import AuditEvent
from vigil.lookups import actions, rdap
from vigil.lookups.models import RdapResult
from vigil.testing.httpserver import serve

DATA = Path(__file__).resolve().parents[2] / "testing" / "data" / "conformance"


def _response(name):
    return json.loads((DATA / "rdap" / name).read_text())["response"]


# --- parsing ---------------------------------------------------------------------------------


def test_it_finds_the_abuse_contact_nested_in_arins_registrant():
    p = rdap.parse(
        "ip",
        _response("rdap_ip_arin_74.125.225.229.json"),
        "https://rdap.arin.net/registry/ip/74.125.225.229",
    )
    assert (p.org_name, p.org_handle) == ("Google Inc.", "GOGL")
    assert (p.range_start, p.range_end) == (
        "74.125.0.0",
        "74.125.255.255",
    )  # zero-padded in the answer
    assert p.abuse_email == "arin-contact@google.com"
    assert p.abuse_phone == "+1-650-253-0000"
    assert p.handle == "NET-74-125-0-0-1" and p.registry == "arin"


def test_it_reads_arins_capitalised_ipv6_range():
    p = rdap.parse("ip", _response("rdap_ip_arin_2001-4860-4860--8888.json"))
    assert (p.org_name, p.org_handle) == ("Google Inc.", "GOGL")
    assert (p.range_start, p.range_end) == (
        "2001:4860::",
        "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff",
    )
    assert p.abuse_email == "arin-contact@google.com"


def test_it_reads_lacnics_top_level_abuse_contact_and_bare_handles():
    p = rdap.parse(
        "ip",
        _response("rdap_ip_lacnic_200.57.141.161.json"),
        "https://rdap.lacnic.net/rdap/ip/200.57.141.161",
    )
    assert (p.org_name, p.org_handle) == ("Triara.com, S.A. de C.V.", "MX-TSCV6-LACNIC")
    assert (p.range_start, p.range_end) == ("200.57.141.161", "200.57.141.161")
    assert p.abuse_email == "operacion.redes@triara.com"
    assert p.country == "MX" and p.registry == "lacnic"


def test_it_reads_ripe_style_handles_and_structured_addresses():
    doc = {
        "objectClassName": "autnum",
        "handle": "AS3333",
        "name": "RIPE-NCC-AS",
        "startAutnum": 3333,
        "endAutnum": 3333,
        "entities": [
            {
                "handle": "ORG-RIEN1-RIPE",
                "roles": ["registrant"],
                "vcardArray": [
                    "vcard",
                    [
                        ["version", {}, "text", "4.0"],
                        [
                            "fn",
                            {},
                            "text",
                            "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)",
                        ],
                        ["kind", {}, "text", "org"],
                        [
                            "adr",
                            {},
                            "text",
                            ["", "", "Stationsplein 11", "Amsterdam", "", "1012 AB", "NL"],
                        ],
                    ],
                ],
                "entities": [
                    {
                        "handle": "AB1-RIPE",
                        "roles": ["abuse"],
                        "vcardArray": [
                            "vcard",
                            [
                                ["fn", {}, "text", "Abuse desk"],
                                ["email", {"type": "work"}, "text", "abuse@RIPE.NET"],
                                ["tel", {"type": ["voice"]}, "uri", "tel:+31-20-535-4444"],
                            ],
                        ],
                    }
                ],
            }
        ],
    }
    p = rdap.parse("asn", doc, "https://rdap.db.ripe.net/autnum/3333")
    assert p.org_handle == "ORG-RIEN1-RIPE" and p.registry == "ripe"
    assert p.org_name.startswith("Reseaux IP Europeens")
    assert p.abuse_email == "abuse@ripe.net" and p.abuse_phone == "+31-20-535-4444"
    assert (p.range_start, p.range_end) == ("3333", "3333")
    assert p.data["contacts"][0]["address"] == "Stationsplein 11, Amsterdam, 1012 AB, NL"


@pytest.mark.parametrize(
    "doc, message",
    [
        ([1, 2], "not an RDAP object"),
        ({"errorCode": 400, "title": "Bad request"}, "error object (400 Bad request)"),
        ({"objectClassName": "domain"}, "expected an RDAP 'ip network' object"),
    ],
)
def test_it_refuses_what_is_not_an_rdap_answer(doc, message):
    with pytest.raises(rdap.RdapError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rdap.parse("ip", doc)


# --- bootstrap --------------------------------------------------------------------------------


def test_it_routes_queries_with_the_shipped_bootstrap_files(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert (
        rdap.url_for("ip", "74.125.225.229") == "https://rdap.arin.net/registry/ip/74.125.225.229"
    )
    assert rdap.url_for("ip", "200.57.141.161").startswith("https://rdap.lacnic.net/rdap/ip/")
    assert rdap.url_for("ip", "2001:4860:4860::8888").startswith(
        "https://rdap.arin.net/registry/ip/"
    )
    assert rdap.url_for("asn", "15169") == "https://rdap.arin.net/registry/autnum/15169"
    assert (
        rdap.url_for("domain", "exemplo.com.br") == "https://rdap.registro.br/domain/exemplo.com.br"
    )
    with pytest.raises(rdap.RdapError, match="no registry"):
        rdap.url_for("domain", "example.invalid")


@pytest.mark.parametrize(
    "name, message",
    [
        ("dns_bad_services.json", "service 4 is not a pair"),
        ("dns_bad_url.json", "service 3 has an invalid URL 'http://example.org/%%'"),
        ("dns_empty.json", "the file is empty"),
        ("dns_syntax_error.json", "not valid JSON"),
    ],
)
def test_it_gives_a_clear_error_for_a_malformed_bootstrap_file(name, message):
    with pytest.raises(rdap.BootstrapError, match=message):
        rdap.validate_bootstrap(
            (DATA / "rdap" / "bootstrap" / "malformed" / name).read_bytes(), "dns.json"
        )


# --- live server ------------------------------------------------------------------------------


def _bootstrap(base):
    return {
        "ipv4": {"services": [[["0.0.0.0/0"], [base]]]},
        "ipv6": {"services": [[["::/0"], [base]]]},
        "asn": {"services": [[["1-4199999999"], [base]]]},
        "dns": {"services": [[["org", "net"], [base]]]},
    }


@pytest.fixture
def registry(settings, tmp_path, db):
    """A live RDAP server; bootstrap refreshed from it; RDAP enabled by an administrator."""
    from vigil.testing.personas import make_user

    settings.DATA_DIR = tmp_path
    settings.OUTBOUND_PROXY = ""
    with serve() as srv:
        settings.OUTBOUND_ALLOWED_HOSTS = [srv.host]
        for kind, doc in _bootstrap(srv.url("/rdap")).items():  # no trailing slash, like ARIN's
            srv.route(f"/iana/{kind}.json", json=doc)
        call_command("refresh_rdap_bootstrap", "--url", srv.url("/iana/"), stdout=StringIO())
        srv.requests.clear()
        admin = make_user("root", admin=True)
        actions.do_set_rdap_enabled(True, actor=admin)
        srv.investigator = make_user("ivan2", "investigator")
        yield srv


def _doc(name="rdap_ip_arin_74.125.225.229.json"):
    return _response(name)


def test_it_is_off_until_an_administrator_enables_it(personas, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    with pytest.raises(rdap.RdapDisabled, match="an administrator can enable"):
        actions.do_rdap_lookup("ip", "192.0.2.1", actor=personas.investigator)
    with pytest.raises(PermissionDenied):
        actions.do_set_rdap_enabled(True, actor=personas.manager)
    actions.do_set_rdap_enabled(True, actor=personas.admin)
    assert rdap.enabled()
    assert AuditEvent.objects.filter(action="lookups.rdap_settings", actor=personas.admin).exists()


def test_it_refuses_a_reader(personas):
    with pytest.raises(PermissionDenied):
        actions.do_rdap_lookup("ip", "192.0.2.1", actor=personas.reader)


def test_it_fetches_caches_and_records_date_and_source(registry):
    registry.route("/rdap/ip/74.125.225.229", json=_doc())
    r = actions.do_rdap_lookup("ip", "74.125.225.229", actor=registry.investigator)
    assert (
        r.status == "ok"
        and r.org_name == "Google Inc."
        and r.abuse_email == "arin-contact@google.com"
    )
    assert r.source_url == registry.url("/rdap/ip/74.125.225.229")
    assert (timezone.now() - r.fetched_at).total_seconds() < 60
    sent = registry.requests[-1]
    assert sent.path == "/rdap/ip/74.125.225.229"
    assert "application/rdap+json" in sent.headers["Accept"]
    assert not {"Referer", "Cookie", "X-Request-ID"} & set(sent.headers)
    again = actions.do_rdap_lookup("ip", "74.125.225.229", actor=registry.investigator)
    assert again.pk == r.pk and len(registry.requests) == 1  # from the cache
    actions.do_rdap_lookup("ip", "74.125.225.229", actor=registry.investigator, refresh=True)
    assert len(registry.requests) == 2
    assert AuditEvent.objects.filter(action="lookups.rdap").count() == 2


def test_it_records_not_found(registry):
    r = actions.do_rdap_lookup("ip", "192.0.2.1", actor=registry.investigator)
    assert r.status == "not_found" and "404" in r.error


def test_it_records_a_rate_limit_with_retry_after(registry):
    registry.route(
        "/rdap/ip/192.0.2.2", status=429, headers={"Retry-After": "30"}, body="slow down"
    )
    r = actions.do_rdap_lookup("ip", "192.0.2.2", actor=registry.investigator)
    assert r.status == "rate_limited" and r.retry_after == 30
    # A rate-limited answer is not cached: the next look-up asks again.
    registry.route("/rdap/ip/192.0.2.2", json=_doc())
    assert actions.do_rdap_lookup("ip", "192.0.2.2", actor=registry.investigator).status == "ok"


def test_it_reports_malformed_json(registry):
    registry.route(
        "/rdap/ip/192.0.2.3",
        body='{"objectClassName": "ip network", ',
        headers={"Content-Type": "application/rdap+json"},
    )
    r = actions.do_rdap_lookup("ip", "192.0.2.3", actor=registry.investigator)
    assert r.status == "error" and "malformed" in r.error and "not valid JSON" in r.error


def test_it_times_out(registry, settings):
    settings.OUTBOUND_TIMEOUT = 0.3
    registry.route("/rdap/ip/192.0.2.4", json=_doc(), delay=1.5)
    r = actions.do_rdap_lookup("ip", "192.0.2.4", actor=registry.investigator)
    assert r.status == "error" and "did not answer within 0.3 s" in r.error


def test_it_follows_a_registry_redirect(registry):
    registry.route(
        "/rdap/ip/200.57.141.161", status=301, headers={"Location": "/lacnic/ip/200.57.141.161"}
    )
    registry.route("/lacnic/ip/200.57.141.161", json=_doc("rdap_ip_lacnic_200.57.141.161.json"))
    r = actions.do_rdap_lookup("ip", "200.57.141.161", actor=registry.investigator)
    assert r.status == "ok" and r.org_handle == "MX-TSCV6-LACNIC"
    assert r.source_url.endswith("/lacnic/ip/200.57.141.161")


def test_it_refuses_a_redirect_outside_the_allow_list(registry):
    registry.route(
        "/rdap/ip/192.0.2.5",
        status=302,
        headers={"Location": "https://rdap.example.net/ip/192.0.2.5"},
    )
    r = actions.do_rdap_lookup("ip", "192.0.2.5", actor=registry.investigator)
    assert r.status == "error" and "rdap.example.net" in r.error and "not on the list" in r.error


def test_it_refuses_an_oversized_body(registry, settings):
    settings.RDAP_MAX_BYTES = 1000
    registry.route(
        "/rdap/ip/192.0.2.6", json={"objectClassName": "ip network", "remarks": ["x" * 5000]}
    )
    r = actions.do_rdap_lookup("ip", "192.0.2.6", actor=registry.investigator)
    assert r.status == "error" and "limit is 1,000" in r.error


def test_it_refuses_a_host_outside_the_allow_list(registry, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["rdap.arin.net"]
    r = actions.do_rdap_lookup("ip", "192.0.2.7", actor=registry.investigator)
    assert r.status == "error" and "not on the list of hosts" in r.error
    assert registry.requests == []


def test_it_looks_up_an_asn_and_a_domain(registry):
    registry.route(
        "/rdap/autnum/15169",
        json={
            "objectClassName": "autnum",
            "handle": "AS15169",
            "name": "GOOGLE",
            "startAutnum": 15169,
            "endAutnum": 15169,
        },
    )
    registry.route(
        "/rdap/domain/example.org",
        json={
            "objectClassName": "domain",
            "ldhName": "example.org",
            "entities": [
                {
                    "handle": "376",
                    "roles": ["registrar"],
                    "vcardArray": ["vcard", [["fn", {}, "text", "Example Registrar"]]],
                }
            ],
        },
    )
    a = actions.do_rdap_lookup("asn", "AS15169", actor=registry.investigator)
    d = actions.do_rdap_lookup("domain", "Example.ORG", actor=registry.investigator)
    assert (a.status, a.name, a.query) == ("ok", "GOOGLE", "15169")
    assert (d.status, d.org_name, d.query) == ("ok", "Example Registrar", "example.org")


def test_it_keeps_the_old_bootstrap_when_a_refresh_is_malformed(registry):
    before = rdap.url_for("ip", "192.0.2.1")
    registry.route("/bad/ipv4.json", json={"services": [[["0.0.0.0/0"], ["http://x/%%"]]]})
    for kind in ("asn", "dns", "ipv6"):
        registry.route(f"/bad/{kind}.json", json={"services": []})
    with pytest.raises(CommandError, match="invalid URL"):
        call_command("refresh_rdap_bootstrap", "--url", registry.url("/bad/"), stdout=StringIO())
    assert rdap.url_for("ip", "192.0.2.1") == before


def test_it_looks_up_every_ip_of_a_bulk_import_in_the_background(
    registry, django_capture_on_commit_callbacks
):
    from vigil.tips.actions import emit_added_bulk
    from vigil.tips.models import Selector, Source, Tip

    registry.route("/rdap/ip/74.125.225.229", json=_doc())
    registry.route("/rdap/ip/74.125.1.1", json=_doc())
    registry.route("/rdap/ip/200.57.141.161", json=_doc("rdap_ip_lacnic_200.57.141.161.json"))
    src = Source.objects.create(name="Bulk")
    tip = Tip.objects.create(source=src, source_reference="B-1", received_at=timezone.now())
    sels = [
        Selector.objects.create(tip=tip, type="ip", value=v, raw=v)
        for v in ("74.125.225.229", "74.125.1.1", "200.57.141.161")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        emit_added_bulk([(tip, sels)], registry.investigator)
    paths = [r.path for r in registry.requests]
    assert "/rdap/ip/74.125.225.229" in paths and "/rdap/ip/200.57.141.161" in paths
    assert "/rdap/ip/74.125.1.1" not in paths  # inside the range already answered
    assert RdapResult.objects.filter(status="ok").count() == 2


def test_it_looks_up_a_tips_ips_and_domains_from_the_tip_page(registry, client, personas):
    from django.urls import reverse

    from vigil.tips import actions as tip_actions
    from vigil.tips.models import Source

    registry.route("/rdap/ip/74.125.225.229", json=_doc())
    registry.route(
        "/rdap/domain/example.org",
        json={
            "objectClassName": "domain",
            "ldhName": "example.org",
            "entities": [
                {
                    "handle": "9",
                    "roles": ["registrar"],
                    "vcardArray": ["vcard", [["fn", {}, "text", "Example Registrar"]]],
                }
            ],
        },
    )
    src = Source.objects.create(name="S")
    tip = tip_actions.do_create_tip(
        actor=personas.manager,
        source=src,
        source_reference="D-1",
        selectors=[
            tip_actions.SelectorInput("ip", "74.125.225.229"),
            tip_actions.SelectorInput("domain", "example.org"),
        ],
    )
    client.force_login(personas.manager)
    client.post(reverse("lookups-tip-rdap", args=[tip.pk]))
    html = client.get(reverse("lookups-tip-panel", args=[tip.pk])).content.decode()
    assert "Google Inc." in html and "Example Registrar" in html
    assert sorted(r.path for r in registry.requests) == [
        "/rdap/domain/example.org",
        "/rdap/ip/74.125.225.229",
    ]


def test_the_background_task_goes_past_an_ip_no_registry_serves_and_stops_when_rdap_is_off(
    registry,
):
    from django.contrib.auth import get_user_model

    from vigil.lookups.tasks import rdap_lookup_ips

    # Only two networks have a registry: a private address has none (the shipped IANA files
    # list no registry for 10/8 either).
    (rdap.bootstrap_dir() / "ipv4.json").write_text(
        json.dumps({"services": [[["74.0.0.0/8", "200.0.0.0/8"], [registry.url("/rdap")]]]})
    )
    rdap._load.cache_clear()
    registry.route("/rdap/ip/74.125.225.229", json=_doc())
    registry.route("/rdap/ip/200.57.141.161", json=_doc("rdap_ip_lacnic_200.57.141.161.json"))
    done = rdap_lookup_ips.call(
        ips=["10.1.2.3", "74.125.225.229", "74.125.1.1", "200.57.141.161"],
        actor_id=registry.investigator.pk,
    )
    assert done == {"queried": 2, "skipped": 1, "errors": 1, "not_asked": 0}
    assert sorted(r.path for r in registry.requests) == [
        "/rdap/ip/200.57.141.161",
        "/rdap/ip/74.125.225.229",
    ]
    # An administrator turns RDAP off while a batch waits: the batch asks nobody.
    actions.do_set_rdap_enabled(False, actor=get_user_model().objects.get(username="root"))
    done = rdap_lookup_ips.call(ips=["74.1.1.1", "200.1.1.1"], actor_id=registry.investigator.pk)
    assert done == {"queried": 0, "skipped": 0, "errors": 0, "not_asked": 2}
    assert len(registry.requests) == 2
