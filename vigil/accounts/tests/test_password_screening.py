"""Password screening: issue 13 item 10 (NIST SP 800-63B §3.1.1.2)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from vigil.accounts import passwords
from vigil.testing.personas import PASSWORD

ATTACK = ["123456789012", "aaaaaaaaaaaa", "qwertyuiopas", "iloveyou1234"]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


@pytest.mark.parametrize("weak", ATTACK)
def test_it_refuses_the_weak_passwords_a_guessing_attacker_tries_first(client, personas, weak):
    # Attack: each of these was accepted as a new password, and each is in the
    # first guesses of any password-spraying tool.
    client.force_login(personas.investigator)
    response = client.post(
        reverse("accounts-password"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    personas.investigator.refresh_from_db()
    assert personas.investigator.check_password(PASSWORD)
    assert not personas.investigator.check_password(weak)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("123456789012", "predictable"),
        ("aaaaaaaaaaaa", "predictable"),
        ("qwertyuiopas", "predictable"),
        ("abcabcabcabc", "predictable"),
        ("a1b2a1b2a1b2", "predictable"),
        ("zaq12wsxcde3", "predictable"),
        ("iloveyou1234", "breached"),
        ("1q2w3e4r5t6y", "breached"),
        ("ILoveYou1234", "breached"),  # checked in lower case too
    ],
)
def test_it_names_why_a_password_is_refused(db, password, reason):
    with pytest.raises(ValidationError) as info:
        validate_password(password)
    assert f"password_{reason}" in {e.code for e in info.value.error_list}


def test_it_refuses_context_words_also_written_with_digits(db, personas):
    user = personas.manager  # maria, maria@unit.example
    for password in ("vigil is my password", "V1g1l-summer-2026", "mariaspassphrase!", "m4r14 long phrase"):  # fmt: skip
        with pytest.raises(ValidationError) as info:
            validate_password(password, user)
        assert "password_context" in {e.code for e in info.value.error_list}, password


def test_it_accepts_a_long_unpredictable_passphrase(db, personas):
    for good in (PASSWORD, "a brand new long passphrase", "kT9#mQ2vL8pX", "mississippi river"):
        validate_password(good, personas.investigator)


def test_it_ships_a_breached_list_of_more_than_100000_entries_with_its_licence():
    assert passwords.breached_count() >= 100_000
    assert passwords.breached_count() == 1_459_927
    licence = (passwords.BREACHED_FILE.parent / "LICENSE-breached.txt").read_text()
    assert licence.count("MIT License") == 2 and "SecLists" in licence
    # A random password is not refused by a prefix collision.
    assert not passwords.is_breached("kT9#mQ2vL8pX-not-in-any-list")


def test_it_refuses_a_weak_password_given_to_create_admin(db, monkeypatch):
    import io

    from django.core.management import CommandError, call_command

    monkeypatch.setattr("sys.stdin", io.StringIO("qwertyuiopas\n"))
    with pytest.raises(CommandError, match="predictable"):
        call_command("create_admin", "alice", "--password-stdin")
