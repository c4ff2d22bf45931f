"""Whatever a registry answers, the parser keeps what it can or says why: never a crash.

A member of the wrong type (a number where RDAP has an array) made `parse` raise
TypeError, which no caller expects from a registry's answer; entities nested without
end ran into Python's recursion limit.
"""

from __future__ import annotations

import pytest

from vigil.lookups import rdap


@pytest.mark.parametrize(
    "doc",
    [
        {"entities": 5},
        {"events": 3},
        {"cidr0_cidrs": 1},
        {"nameservers": True},
        {"entities": [{"roles": 7}]},
        {"entities": [{"vcardArray": ["vcard", [["org", {}, "text", 5]]]}]},
    ],
)
def test_a_member_of_the_wrong_type_is_passed_over(doc):
    p = rdap.parse("ip", doc)
    assert p.org_name == "" and p.data["events"] == {} and len(p.data["contacts"]) <= 1


def test_entities_nested_without_end_are_read_to_a_depth():
    doc: dict = {"objectClassName": "ip network"}
    node = doc
    for i in range(2000):  # deeper than Python's recursion limit
        child = {"handle": f"E{i}", "roles": ["registrant"]}
        node["entities"] = [child]
        node = child
    p = rdap.parse("ip", doc)
    assert len(p.data["contacts"]) == rdap.MAX_ENTITY_DEPTH + 1 and p.org_handle == "E0"
