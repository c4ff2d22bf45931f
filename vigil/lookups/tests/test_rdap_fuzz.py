"""Real registry answers (conformance/rdap) with parts replaced by other JSON values
(hypothesis): the parser keeps what it can read or says why (RdapError), never crashes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.lookups import rdap
from vigil.testing import conformance

RESPONSES = sorted(conformance.RDAP.glob("rdap_*.json"))
VALUES = [None, True, False, 0, 7, -1, "", "abc", [], {}, [1, "x"], {"a": 1}, [[["fn"]]]]


def _paths(doc, path=()):
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*path, i))


def _replace(doc, path, value):
    if not path:
        return value
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize("response", RESPONSES, ids=lambda p: p.name)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_answer_is_parsed_or_refused_with_a_reason(response, data):
    doc = json.loads(response.read_text())["response"]  # the registry's answer itself
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        paths = list(_paths(doc))
        near = [p for p in paths if 0 < len(p) <= 3]  # members (entities, events, roles…)
        where = near if near and data.draw(st.booleans(), label="near") else paths
        path = data.draw(st.sampled_from(where), label="path")
        doc = _replace(doc, path, data.draw(st.sampled_from(VALUES), label="value"))
    for kind in ("ip", "asn", "domain"):
        try:
            rdap.parse(kind, doc, "https://rdap.arin.net/registry/ip/192.0.2.1")
        except rdap.RdapError:
            pass
