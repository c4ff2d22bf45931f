from vigil.lib.text import count


def test_it_counts_in_words() -> None:
    assert count(1, "flag") == "1 flag"
    assert count(0, "flag") == "0 flags"
    assert count(2, "series", "series") == "2 series"
    assert count(3, "match request") == "3 match requests"


def test_an_error_is_shown_by_its_first_line() -> None:
    from vigil.lib.text import error_line

    pg = Exception(
        '\nduplicate key value violates unique constraint "tipnotice_unique"\n'
        "DETAIL:  Key (tip_id, type, value)=(7, email, bob@example.com) already exists.\n"
        "CONTEXT:  COPY deconfliction_tipnotice, line 1"
    )
    assert error_line(pg) == 'duplicate key value violates unique constraint "tipnotice_unique"'
    assert error_line(Exception("x" * 500), 10) == "x" * 10
    assert error_line(Exception()) == ""
