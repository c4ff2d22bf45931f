"""Audit action names follow one scheme: `login`, `logout`, or `<noun>.<verb>`."""

import re
from pathlib import Path

import vigil

NAME = re.compile(r"^(login|logout|[a-z_]+(\.[a-z_]+)+)$")
CALL = re.compile(r"""\b(?:record|_set_state)\(\s*(?:\w+,\s*)?["']([^"']+)["']""")
# Reads are recorded through audit.actions.do_view / do_view_list, the name as action="…".
READ = re.compile(r"""\bdo_view(?:_list)?\([^)]*?\baction=["']([^"']+)["']""", re.S)
FOUNDATION = ("accounts", "audit", "core", "messaging")


def _names(apps=None):
    root = Path(vigil.__file__).parent
    found = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if "tests" in rel.parts or (apps and rel.parts[0] not in apps):
            continue
        text = path.read_text()
        for name in CALL.findall(text) + READ.findall(text):
            found.setdefault(name, str(rel))
    return found


def test_it_names_every_action_consistently():
    bad = {n: f for n, f in _names().items() if not NAME.match(n)}
    assert not bad, bad


def test_it_records_the_documented_account_actions():
    names = set(_names(FOUNDATION))
    expected = {
        "login",
        "logout",
        "account.create",
        "account.update",
        "account.role_change",
        "account.disable",
        "account.enable",
        "account.unlock",
        "account.lockout",
        "mfa.enrol",
        "mfa.verify",
        "mfa.reset",
        "password.change",
        "password.reset",
        "audit.view",
        "audit.export",
        "message.send",
        "message.notify",
    }
    assert expected <= names, expected - names
