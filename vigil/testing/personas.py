"""Personas built with plain ORM calls. One module; every test uses these."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from vigil.accounts.models import Role

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str = Role.NONE, *, admin: bool = False, **extra):
    User = get_user_model()
    user = User(
        username=username,
        role=role,
        is_account_admin=admin,
        email=f"{username}@unit.example",
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@dataclass
class Personas:
    reader: object
    investigator: object  # the assigned investigator of the case under test
    other_investigator: object
    manager: object
    admin: object  # administrator without a data role


def build() -> Personas:
    return Personas(
        reader=make_user("reader", Role.READER),
        investigator=make_user("ivan", Role.INVESTIGATOR),
        other_investigator=make_user("olga", Role.INVESTIGATOR),
        manager=make_user("maria", Role.MANAGER),
        admin=make_user("adam", Role.NONE, admin=True),
    )


def api_token(user) -> str:
    """A new API token for `user`, made the way the API access page makes it; the raw secret."""
    from vigil.accounts.actions import do_create_api_token

    return do_create_api_token(actor=user, name="test client", days=90)[1]
