"""RDAP (RFC 9083) for IP networks, AS numbers and domains, through vigil/lib/http.py.

The IANA bootstrap files (RFC 9224) that say which registry serves what are
shipped in `vigil/lookups/data/bootstrap/`; `vigil refresh_rdap_bootstrap`
fetches newer ones into the data directory, which then wins. A query sends the
bare identifier to the registry, nothing else.

Registry quirks handled by the parser:
- ARIN nests the abuse contact inside the registrant entity;
- ARIN pads addresses with zeros ("074.125.000.000") and writes IPv6 in capitals;
- RIPE-style handles ("ORG-XY1-RIPE") and LACNIC's bare ones name the registry
  or not: the registry is taken from the handle suffix, else from the host;
- contacts are jCard (vCard in JSON, RFC 7095) arrays: fn, org, email, tel
  (text or a tel: URI), adr (a label parameter or a 7-part structured value).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings

from vigil.lib import http
from vigil.lib import selectors as sel
from vigil.lookups.models import LookupSettings, RdapResult

SHIPPED = Path(__file__).parent / "data" / "bootstrap"
KINDS = ("asn", "dns", "ipv4", "ipv6")
ACCEPT = "application/rdap+json, application/json;q=0.9"
_PCT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_REGISTRY_SUFFIXES = {"ARIN", "RIPE", "APNIC", "LACNIC", "AFRINIC", "JPNIC", "KRNIC", "TWNIC"}


class RdapError(Exception):
    """A clear, user-facing reason a look-up could not be made."""


class RdapDisabled(RdapError):
    pass


class BootstrapError(RdapError):
    pass


# --- bootstrap -----------------------------------------------------------------------


def bootstrap_dir() -> Path:
    return Path(settings.DATA_DIR) / "rdap-bootstrap"


def validate_bootstrap(raw: bytes, name: str) -> list[tuple[list[str], list[str]]]:
    """The services of a bootstrap file, or BootstrapError saying what is wrong."""
    if not raw.strip():
        raise BootstrapError(f"{name}: the file is empty")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BootstrapError(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BootstrapError(
            f"{name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), list):
        raise BootstrapError(f'{name}: no "services" list (is this an IANA RDAP bootstrap file?)')
    services = []
    for n, service in enumerate(doc["services"], start=1):
        if (
            not isinstance(service, list)
            or len(service) < 2
            or not isinstance(service[0], list)
            or not isinstance(service[1], list)
            or not service[0]
            or not service[1]
            or not all(isinstance(x, str) for x in service[0] + service[1])
        ):
            raise BootstrapError(
                f"{name}: service {n} is not a pair [entries, URLs] of non-empty string lists"
            )
        for url in service[1]:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname or _PCT_RE.search(url):
                raise BootstrapError(f"{name}: service {n} has an invalid URL {url!r}")
        services.append((list(service[0]), list(service[1])))
    return services


@lru_cache(maxsize=8)
def _load(kind: str, path: str, mtime: float) -> list[tuple[list[str], list[str]]]:
    return validate_bootstrap(Path(path).read_bytes(), f"{kind}.json")


def services(kind: str) -> list[tuple[list[str], list[str]]]:
    local = bootstrap_dir() / f"{kind}.json"
    path = local if local.is_file() else SHIPPED / f"{kind}.json"
    return _load(kind, str(path), path.stat().st_mtime)


def bootstrap_info() -> list[dict[str, Any]]:
    out = []
    for kind in KINDS:
        local = bootstrap_dir() / f"{kind}.json"
        path = local if local.is_file() else SHIPPED / f"{kind}.json"
        try:
            publication = json.loads(path.read_text()).get("publication", "")
        except (OSError, ValueError):
            publication = ""
        out.append(
            {
                "kind": kind,
                "origin": "refreshed" if local.is_file() else "shipped",
                "publication": publication,
            }
        )
    return out


def _pick(urls: list[str]) -> str:
    https = [u for u in urls if u.startswith("https://")]
    url = (https or urls)[0]
    return url if url.endswith("/") else url + "/"  # ARIN's entry has no trailing slash


def base_for_ip(ip: str) -> str | None:
    addr = ipaddress.ip_address(ip)
    best: tuple[int, str] | None = None
    for entries, urls in services("ipv4" if addr.version == 4 else "ipv6"):
        for entry in entries:
            try:
                net = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if addr in net and (best is None or net.prefixlen > best[0]):
                best = (net.prefixlen, _pick(urls))
    return best[1] if best else None


def base_for_asn(asn: int) -> str | None:
    for entries, urls in services("asn"):
        for entry in entries:
            lo, _, hi = entry.partition("-")
            try:
                if int(lo) <= asn <= int(hi or lo):
                    return _pick(urls)
            except ValueError:
                continue
    return None


def base_for_domain(domain: str) -> str | None:
    labels = domain.lower().rstrip(".").split(".")
    best: tuple[int, str] | None = None
    for entries, urls in services("dns"):
        for entry in entries:
            e = entry.lower().strip(".").split(".")
            if labels[-len(e) :] == e and (best is None or len(e) > best[0]):
                best = (len(e), _pick(urls))
    return best[1] if best else None


def refresh_bootstrap(base: str | None = None) -> list[dict[str, Any]]:
    """Fetch the four IANA files; install each only if it validates (all or nothing)."""
    base = base or settings.RDAP_BOOTSTRAP_URL
    base = base if base.endswith("/") else base + "/"
    fetched = {}
    for kind in KINDS:
        resp = http.get(base + f"{kind}.json", accept="application/json")
        validate_bootstrap(resp.body, f"{kind}.json")
        fetched[kind] = resp.body
    target = bootstrap_dir()
    target.mkdir(parents=True, exist_ok=True)
    for kind, body in fetched.items():
        fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{kind}.")
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(tmp, target / f"{kind}.json")
    _load.cache_clear()
    return bootstrap_info()


# --- parsing -----------------------------------------------------------------------------


def _items(value: Any) -> list[Any]:
    """An RDAP array member as a list; anything else a registry may send there (a number,
    an object, text) as none: the parser keeps what it can read, never stops on it."""
    return value if isinstance(value, list) else []


# Entities nest (a registrant's abuse contact…): deeper than this is not a registry's answer.
MAX_ENTITY_DEPTH = 8


def _ip_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return sel.normalise("ip", value) or ""


def vcard(entity: dict[str, Any]) -> dict[str, Any]:
    """fn, org, kind, emails, phones, address from a jCard array (tolerating sloppy ones)."""
    out: dict[str, Any] = {
        "fn": "",
        "org": "",
        "kind": "",
        "emails": [],
        "phones": [],
        "address": "",
    }
    arr = entity.get("vcardArray")
    if not (isinstance(arr, list) and len(arr) >= 2 and isinstance(arr[1], list)):
        return out
    for prop in arr[1]:
        if not (isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str)):
            continue
        name, params, value = prop[0].lower(), prop[1] if isinstance(prop[1], dict) else {}, prop[3]
        if name in {"fn", "kind"} and isinstance(value, str):
            out[name] = value.strip()
        elif name == "org" and isinstance(value, (str, list)):
            out["org"] = (value if isinstance(value, str) else " ".join(map(str, value))).strip()
        elif name == "email" and isinstance(value, str):
            local, at, domain = value.strip().partition("@")
            out["emails"].append(f"{local}@{domain.lower()}" if at else value.strip())
        elif name == "tel" and isinstance(value, str):
            out["phones"].append(value.strip().removeprefix("tel:"))
        elif name == "adr":
            label = params.get("label")
            if isinstance(label, str) and label.strip():
                out["address"] = ", ".join(x.strip() for x in label.splitlines() if x.strip())
            elif isinstance(value, list):
                parts = [
                    (" ".join(map(str, p)) if isinstance(p, list) else str(p)).strip()
                    for p in value
                ]
                out["address"] = ", ".join(p for p in parts if p)
    return out


def _entities(obj: dict[str, Any], depth: int = 0, parent: str = "") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if depth > MAX_ENTITY_DEPTH:
        return out
    for e in _items(obj.get("entities")):
        if not isinstance(e, dict):
            continue
        roles = [r.lower() for r in _items(e.get("roles")) if isinstance(r, str)]
        card = vcard(e)
        out.append(
            {
                "handle": str(e.get("handle") or ""),
                "roles": roles,
                "depth": depth,
                "parent": parent,
                **card,
            }
        )
        out.extend(_entities(e, depth + 1, str(e.get("handle") or "")))
    return out


def _with_role(contacts: list[dict[str, Any]], role: str) -> dict[str, Any] | None:
    found = [c for c in contacts if role in c["roles"]]
    return min(found, key=lambda c: c["depth"]) if found else None


def registry_of(handle: str, url: str) -> str:
    suffix = handle.rsplit("-", 1)[-1].upper() if "-" in handle else ""
    if suffix in _REGISTRY_SUFFIXES:
        return suffix.lower()
    host = (urlsplit(url).hostname or "").lower()
    for name in ("arin", "ripe", "apnic", "lacnic", "afrinic"):
        if name in host:
            return name
    return host


@dataclass
class Parsed:
    handle: str = ""
    name: str = ""
    org_name: str = ""
    org_handle: str = ""
    country: str = ""
    range_start: str = ""
    range_end: str = ""
    abuse_email: str = ""
    abuse_phone: str = ""
    registry: str = ""
    data: dict[str, Any] | None = None


def parse(kind: str, doc: Any, url: str = "") -> Parsed:
    """The fields Vigil keeps from one RDAP response; RdapError if it is not an RDAP object."""
    if not isinstance(doc, dict):
        raise RdapError("the registry answered with JSON that is not an RDAP object")
    if "errorCode" in doc and "objectClassName" not in doc:
        title = doc.get("title") or doc.get("description") or ""
        raise RdapError(
            f"the registry answered with an error object ({doc.get('errorCode')} {title})"
        )
    expected = {"ip": "ip network", "asn": "autnum", "domain": "domain"}[kind]
    ocn = str(doc.get("objectClassName") or "").lower()
    if ocn and ocn != expected:
        raise RdapError(f"expected an RDAP {expected!r} object, got {ocn!r}")
    contacts = _entities(doc)
    registrant = _with_role(contacts, "registrant") or next(
        (c for c in contacts if c["kind"] == "org"), None
    )
    if kind == "domain":
        registrant = _with_role(contacts, "registrar") or registrant
    abuse = _with_role(contacts, "abuse")
    p = Parsed()
    p.handle = str(doc.get("handle") or "")
    p.name = str(doc.get("name") or doc.get("ldhName") or "")
    p.country = str(doc.get("country") or "").upper()[:8]
    if kind == "ip":
        p.range_start = _ip_text(doc.get("startAddress"))
        p.range_end = _ip_text(doc.get("endAddress"))
    elif kind == "asn":
        start, end = doc.get("startAutnum"), doc.get("endAutnum")
        p.range_start = str(start) if isinstance(start, int) else ""
        p.range_end = str(end) if isinstance(end, int) else ""
    if registrant is not None:
        p.org_name = registrant["org"] or registrant["fn"]
        p.org_handle = registrant["handle"]
    if not p.org_name:
        p.org_name = p.name
    if abuse is not None:
        p.abuse_email = abuse["emails"][0] if abuse["emails"] else ""
        p.abuse_phone = abuse["phones"][0] if abuse["phones"] else ""
    p.registry = registry_of(p.org_handle or p.handle, url)
    events = {
        str(e.get("eventAction")): str(e.get("eventDate"))
        for e in _items(doc.get("events"))
        if isinstance(e, dict)
    }
    p.data = {
        "contacts": contacts,
        "events": events,
        "parent_handle": str(doc.get("parentHandle") or ""),
        "type": str(doc.get("type") or ""),
        "cidrs": [
            f"{c.get('v4prefix') or c.get('v6prefix')}/{c.get('length')}"
            for c in _items(doc.get("cidr0_cidrs"))
            if isinstance(c, dict)
        ],
        "nameservers": [
            str(n.get("ldhName")) for n in _items(doc.get("nameservers")) if isinstance(n, dict)
        ],
    }
    return p


# --- querying ----------------------------------------------------------------------------


def normalise_query(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == "ip":
        ip = sel.normalise("ip", value)
        if not ip:
            raise RdapError(f"{value[:60]!r} is not an IP address")
        return ip
    if kind == "asn":
        text = value.upper().removeprefix("AS")
        if not text.isdigit() or not 0 < int(text) <= 4294967295:
            raise RdapError(f"{value[:60]!r} is not an AS number")
        return str(int(text))
    if kind == "domain":
        domain = sel.normalise("domain", value)
        if not domain:
            raise RdapError(f"{value[:60]!r} is not a domain name")
        return domain
    raise RdapError(f"unknown look-up kind {kind!r}")


def url_for(kind: str, query: str) -> str:
    if kind == "ip":
        base, path = base_for_ip(query), f"ip/{quote(query, safe=':.')}"
    elif kind == "asn":
        base, path = base_for_asn(int(query)), f"autnum/{query}"
    else:
        base, path = base_for_domain(query), f"domain/{quote(query, safe='.-')}"
    if base is None:
        raise RdapError(f"no registry in the IANA bootstrap files serves {query}")
    return base + path


def enabled() -> bool:
    return LookupSettings.current().rdap_enabled


def cached(kind: str, query: str, *, max_age: dt.timedelta, now: dt.datetime) -> Any:
    """The stored answer for (kind, normalised query) if it is an answer (found or not found)
    younger than `max_age`; else None (ask the registry again)."""
    hit = RdapResult.objects.filter(kind=kind, query=query).first()
    if (
        hit is not None
        and hit.status in {RdapResult.Status.OK, RdapResult.Status.NOT_FOUND}
        and now - hit.fetched_at < max_age
    ):
        return hit
    return None


def ask_registry(kind: str, query: str, *, now: dt.datetime) -> dict[str, Any]:
    """Ask the registry that serves (kind, normalised query); the RdapResult fields to store,
    whatever the outcome (found, not found, rate limited, error). Stores nothing: the action
    lookups.actions.do_rdap_fetch does, audited."""
    if not enabled():
        raise RdapDisabled(
            "RDAP look-ups are turned off (air-gapped default); an administrator can enable them."
        )
    url = url_for(kind, query)
    fields: dict[str, Any] = {
        "source_url": url[:500],
        "fetched_at": now,
        "error": "",
        "retry_after": None,
    }
    blank = {
        k: ""
        for k in (
            "handle",
            "name",
            "org_name",
            "org_handle",
            "country",
            "range_start",
            "range_end",
            "abuse_email",
            "abuse_phone",
        )
    }
    try:
        resp = http.get(url, accept=ACCEPT, max_bytes=settings.RDAP_MAX_BYTES)
        fields["source_url"] = resp.url[:500]
        parsed = parse(kind, resp.json(), resp.url)
        fields.update(
            status=RdapResult.Status.OK,
            **{k: str(getattr(parsed, k))[:300] for k in blank},
            registry=parsed.registry[:100],
            data=parsed.data or {},
        )
    except http.HTTPStatusError as exc:
        fields.update(blank, registry="", data={})
        if exc.status == 404:
            fields.update(status=RdapResult.Status.NOT_FOUND, error=str(exc))
        elif exc.status == 429:
            fields.update(
                status=RdapResult.Status.RATE_LIMITED,
                error=str(exc),
                retry_after=int(exc.retry_after) if exc.retry_after is not None else None,
            )
        else:
            fields.update(status=RdapResult.Status.ERROR, error=str(exc))
    except http.InvalidJSON as exc:
        fields.update(blank, registry="", data={}, status=RdapResult.Status.ERROR)
        fields["error"] = f"The registry's answer is malformed: {exc}"
    except (http.OutboundError, RdapError) as exc:
        fields.update(blank, registry="", data={}, status=RdapResult.Status.ERROR, error=str(exc))
    return fields
