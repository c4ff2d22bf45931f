"""schemathesis over the OpenAPI schema: every operation, every role's token, no 5xx.

Bounded (a few examples per operation, mode and role, no shrinking) so it takes
seconds; the figures it prints go into docs/security.md (issue 13, item 13).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 4
ROLES = ("anonymous", "reader", "investigator", "other_investigator", "manager", "admin")


@pytest.fixture
def no_connection_recycling():
    # The WSGI handler closes the connection at the end of each request, which
    # would end the test's transaction; Django's test client does the same.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_it_answers_no_server_error_to_schemathesis_for_any_role(
    personas, settings, no_connection_recycling, capsys
):
    from django.core.wsgi import get_wsgi_application
    from django.utils import timezone
    from drf_spectacular.generators import SchemaGenerator
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode

    from vigil.testing.personas import api_token
    from vigil.tips import actions
    from vigil.tips.models import Source

    settings.ALLOWED_HOSTS = ["*"]
    source = Source.objects.create(name="Fuzz source", kind="other", country="US")
    for n in range(3):  # something to read, link and triage
        actions.do_create_tip(
            actor=personas.manager,
            source=source,
            source_reference=f"FZ-{n}",
            narrative="203.0.113.9 fuzz@example.com",
            received_at=timezone.now(),
        )
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    headers = {"anonymous": {}}
    for role in ROLES[1:]:
        user = getattr(personas, role)
        headers[role] = {"Authorization": f"Token {api_token(user)}"}

    operations = [r.ok() for r in schema.get_all_operations()]
    requests, errors, skipped = 0, [], 0
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = op.as_strategy(generation_mode=mode)

            @hsettings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case):
                nonlocal requests
                for role in ROLES:
                    requests += 1
                    try:
                        response = case.call(headers=headers[role])
                    except Exception as exc:  # a crash in the app surfaces here
                        errors.append(f"{role} {case.method} {case.formatted_path}: {exc!r}"[:300])
                        continue
                    if response.status_code >= 500:
                        errors.append(
                            f"{role} {case.method} {case.formatted_path} {case.query} "
                            f"{str(case.body)[:80]} -> {response.status_code}"
                        )

            try:
                run()
            except Unsatisfiable:  # nothing negative to say about a parameterless operation
                skipped += 1
    with capsys.disabled():
        print(
            f"\nschemathesis: {len(operations)} operations, {len(ROLES)} roles, "
            f"{requests} requests, {len(errors)} server errors ({skipped} operation/mode pairs "
            "had nothing to generate)"
        )
    assert errors == [], "\n".join(errors[:20])
