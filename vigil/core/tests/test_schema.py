from django.core.management import call_command


def test_it_generates_a_valid_openapi_schema_without_warnings(tmp_path, db):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert (
        "/api/tips/" in text and "/api/victimid/series/" in text and "/api/deconfliction/" in text
    )


def test_it_refuses_the_schema_to_an_anonymous_caller(client, personas):
    from vigil.testing.roles import check_roles

    # Attack: an outsider maps every endpoint and field from /api/schema/ without signing in.
    check_roles(client, personas, "get", "/api/schema/")
