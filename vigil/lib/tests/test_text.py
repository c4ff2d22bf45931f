from vigil.lib.text import count


def test_it_counts_in_words() -> None:
    assert count(1, "flag") == "1 flag"
    assert count(0, "flag") == "0 flags"
    assert count(2, "series", "series") == "2 series"
    assert count(3, "match request") == "3 match requests"
