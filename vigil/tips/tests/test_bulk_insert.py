"""vigil/core/bulk.py: set-based INSERT of unsaved instances, as the ORM would store them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from vigil.core import bulk
from vigil.tips.models import Selector, Tip
from vigil.tips.tests.conftest import make_tip

pytestmark = pytest.mark.django_db


def test_insert_stores_what_save_would_and_sets_each_pk(personas, source):
    actor = personas.investigator
    other = make_tip(actor, source, "REF-OTHER")
    when = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    tips = [
        bulk.new(
            Tip,
            source=source,
            source_reference=f"B-{i}",
            received_at=when,
            received_via=Tip.Via.BULK,  # a choices member: stored as its value
            narrative=f"narrative {i}",
            attributes={"k": str(i)} if i % 2 else {},
            created_by=actor,
        )
        for i in range(5)
    ]
    with transaction.atomic():
        bulk.insert(tips)
        sels = [
            bulk.new(Selector, tip=t, type="email", raw="A@x.org", value="a@x.org") for t in tips
        ]
        bulk.insert(sels)
    assert all(t.pk and not t._state.adding and t._state.db == connection.alias for t in tips)
    assert len({t.pk for t in tips} | {other.pk}) == 6
    for t in tips:
        stored = Tip.objects.get(pk=t.pk)
        assert stored.source_reference == t.source_reference
        assert stored.received_at == when  # the same instant (stored in UTC)
        assert stored.received_via == "bulk"
        assert stored.attributes == t.attributes
        assert stored.created_at == t.created_at and stored.updated_at == t.updated_at
        assert stored.assigned_to_id is None
    assert sorted(Selector.objects.filter(tip__in=tips).values_list("tip_id", flat=True)) == sorted(
        t.pk for t in tips
    )
    assert all(s.pk for s in sels)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a WAL setting of SQLite")
def test_bulk_writes_checkpoint_less_often_and_restore_the_setting():
    def pages() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cursor.fetchone()[0]

    before = pages()
    with bulk.fewer_checkpoints():
        assert pages() == max(before, bulk.BULK_WAL_PAGES)
    assert pages() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a WAL setting of SQLite")
@pytest.mark.django_db(transaction=True)
def test_bulk_writes_leave_no_pages_in_the_wal_for_the_next_commit():
    # The pages bulk writes appended to the WAL are copied into the database file when
    # they end, by the importing connection (else the next request's commit would).
    from pathlib import Path

    db = Path(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("CREATE TABLE bulk_wal_probe (id INTEGER PRIMARY KEY, body TEXT)")
    try:
        with bulk.fewer_checkpoints():
            with connection.cursor() as cursor:  # ~5 MB: past SQLite's default 4 MB
                cursor.executemany(
                    "INSERT INTO bulk_wal_probe (body) VALUES (%s)",
                    [("x" * 1000,) for _ in range(5000)],
                )
            size_during = db.stat().st_size
        assert db.stat().st_size > size_during + 4_000_000
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bulk_wal_probe")


def test_insert_rows_skips_conflicts_only_when_asked_and_never_truncates(personas, source):
    from django.db import DatabaseError

    from vigil.deconfliction.models import TipNotice

    tip = make_tip(personas.investigator, source, "REF-N")
    names = ("tip_id", "type", "value", "label", "reason", "detail", "created_at")
    now = dt.datetime.now(dt.UTC)
    row = (tip.pk, "email", "a@x.org", "a@x.org", "common", "", now)
    bulk.insert_rows(TipNotice, names, [row, row], ignore_conflicts=True)
    assert TipNotice.objects.filter(tip=tip).count() == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        bulk.insert_rows(TipNotice, names, [row])
    if connection.vendor == "postgresql":  # SQLite stores any length in a varchar
        with pytest.raises(DatabaseError), transaction.atomic():
            bulk.insert_rows(TipNotice, names, [(tip.pk, "x" * 13, "v", "", "common", "", now)])
    got = bulk.insert_rows(
        TipNotice,
        names,
        [(tip.pk, "phone", "+12025550143", "", "common", "", now)],
        returning=("value",),
    )
    assert got == [("+12025550143",)]


# Values that must survive being written into the statement as literals (a column that
# holds one value on every row is not bound row by row on SQLite): quotes, the %s and %
# the cursor converts, non-ASCII text, a newline (bound: not printable), None, booleans.
_AWKWARD = ["it's", "50% off", "%s and %%s", "naïve 東京", "two\nlines", "", "'; DROP TABLE x; --"]


@pytest.mark.parametrize("text", _AWKWARD)
def test_a_value_shared_by_every_row_is_stored_as_given(personas, source, text):
    tips = [
        bulk.new(
            Tip,
            source=source,
            source_reference=f"C-{i}",
            received_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
            narrative=text,
            country="",
            status_reason=text,
            priority=3,
            created_by=personas.investigator,
        )
        for i in range(3)
    ]
    with transaction.atomic():
        bulk.insert(tips)
        sels = [
            bulk.new(Selector, tip=t, type="attribute", raw=text or "x", value=text or "x")
            for t in tips
        ]
        bulk.insert(sels)
    stored = list(Tip.objects.filter(pk__in=[t.pk for t in tips]))
    assert [t.narrative for t in stored] == [text] * 3
    assert [t.status_reason for t in stored] == [text] * 3
    assert {t.priority for t in stored} == {3} and {t.assigned_to_id for t in stored} == {None}
    assert set(Selector.objects.filter(tip__in=tips).values_list("value", "extracted")) == {
        (text or "x", False)
    }


def test_constant_and_varying_columns_mix_in_insert_rows(personas, source):
    from vigil.deconfliction.models import TipNotice

    tips = [make_tip(personas.investigator, source, f"REF-M{i}") for i in range(3)]
    names = ("tip_id", "type", "value", "label", "reason", "detail", "created_at")
    now = dt.datetime.now(dt.UTC)
    rows = [
        (t.pk, "email", "a@x.org", "it's 100%", "common", "%s" if i == 2 else "", now)
        for i, t in enumerate(tips)
    ]
    got = bulk.insert_rows(TipNotice, names, rows, returning=("tip_id", "label", "detail"))
    assert sorted(got) == sorted(
        (t.pk, "it's 100%", "%s" if i == 2 else "") for i, t in enumerate(tips)
    )
    assert {n.label for n in TipNotice.objects.filter(tip__in=tips)} == {"it's 100%"}
    # Every row a literal (nothing to bind on any row): still one row each.
    bulk.insert_rows(TipNotice, names, [(tips[0].pk, "ip", "10.0.0.1", "", "common", "", now)] * 1)
    assert TipNotice.objects.filter(tip=tips[0], type="ip").count() == 1


def test_a_shared_value_of_any_text_is_stored_as_given(personas, source):
    """Whatever a column every row shares holds (written into the statement once on SQLite,
    bound once on PostgreSQL), it reads back as given."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from vigil.deconfliction.models import TipNotice

    tips = [make_tip(personas.investigator, source, f"REF-H{i}") for i in range(2)]
    names = ("tip_id", "type", "value", "label", "reason", "detail", "created_at")
    now = dt.datetime.now(dt.UTC)
    text = st.text(
        st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=60
    )

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
    @given(text)
    def round_trip(label):
        rows = [(t.pk, "email", "a@x.org", label, "common", label, now) for t in tips]
        with transaction.atomic():
            bulk.insert_rows(TipNotice, names, rows)
            stored = set(TipNotice.objects.filter(tip__in=tips).values_list("label", "detail"))
            assert stored == {(label, label)}
            transaction.set_rollback(True)

    round_trip()


def test_new_takes_relations_by_name_or_attname_and_refuses_a_wrong_name(personas, source):
    tip = make_tip(personas.investigator, source, "REF-NEW")
    by_name = bulk.new(Selector, tip=tip, type="email", raw="a@x.org", value="a@x.org")
    by_attname = bulk.new(Selector, tip_id=tip.pk, type="email", raw="a@x.org", value="a@x.org")
    assert by_name.tip_id == by_attname.tip_id == tip.pk and by_name.tip is tip
    assert by_name.details == {} and by_name.details is not by_attname.details
    assert bulk.new(Selector, tip=None).tip_id is None
    with pytest.raises(TypeError, match="unexpected field 'colour'"):
        bulk.new(Selector, tip=tip, colour="red")


_TEXTS = ['say "hi"', "back\\slash", "{a,b}", "NULL", "", "tab\tand\nnewline", "naïve 東京", "it's"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array literals")
def test_pg_array_reads_back_as_the_values_it_was_given():
    from vigil.tips.models import Tip as T

    plus2 = dt.timezone(dt.timedelta(hours=2))
    cases = [
        (_TEXTS, "text"),
        ([*_TEXTS, None], "text"),
        (["plain", "values"], "text"),
        ([T.Via.BULK, T.Via.WEB], "text"),  # choices members: their values
        ([1, -2, 2**40, None], "bigint"),
        (list(T.Priority), "integer"),
        ([True, False, None], "boolean"),
        ([1.5, -0.25, 1e300, None], "double precision"),
        (
            [
                dt.datetime(2024, 3, 1, 12, 30, 0, 250, tzinfo=plus2),
                dt.datetime(1999, 1, 1, tzinfo=dt.UTC),
            ],
            "timestamptz",
        ),
        ([dt.date(2024, 2, 29), None], "date"),
        ([None, None], "text"),
        ([], "text"),
    ]
    with connection.cursor() as cursor:
        for values, kind in cases:
            text = bulk.pg_array(values)
            assert isinstance(text, str), values
            cursor.execute(f"SELECT %s::{kind}[]", [text])
            assert cursor.fetchone()[0] == [v.value if hasattr(v, "value") else v for v in values]
    assert bulk.pg_array([1, "a"]) == [1, "a"]  # a mix: left to psycopg
    assert bulk.pg_array([b"x"]) == [b"x"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array literals")
def test_pg_array_reads_back_any_text():
    """Any text (PostgreSQL's text holds no NUL), any mix of None: read back as given, or a
    bad escape would store other values than the import's without an error."""
    from hypothesis import given
    from hypothesis import strategies as st

    texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))

    @given(st.lists(st.one_of(texts, st.none()), max_size=12))
    def round_trip(values):
        text = bulk.pg_array(values)
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::text[]", [text])
            assert cursor.fetchone()[0] == values

    round_trip()


def test_insert_rows_stores_what_insert_stores(personas, source):
    """The two write paths (COPY / executemany for instances, unnest / VALUES for rows) keep
    the same values: NULLs, JSON, aware datetimes in other zones, awkward text."""
    tips = [make_tip(personas.investigator, source, f"REF-P{i}") for i in range(2)]
    plus2 = dt.timezone(dt.timedelta(hours=2))
    when = [dt.datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=plus2), None]
    details = [{"name": 'O\'Neil "Bob"', "n": [1, None, 2.5], "x\\y": "東京\n"}, {}]
    rows = [
        (
            tips[i % 2].pk,
            "attribute",
            f"v{i}{text}",
            text,
            i % 2 == 0,
            when[i % 2],
            i if i % 3 else None,
            details[i % 2],
        )
        for i, text in enumerate(_TEXTS)
    ]
    names = ("tip_id", "type", "value", "raw", "extracted", "observed_at", "port", "details")
    names += ("masked", "created_at", "encrypted")
    now = dt.datetime.now(dt.UTC)
    rows = [(*r, "", now, b"\x00\xff\\x" if i % 2 else None) for i, r in enumerate(rows)]
    with transaction.atomic():
        got = bulk.insert_rows(Selector, names, rows, returning=("id",))
        objs = [
            bulk.new(Selector, **dict(zip(names, (r[0], r[1], "i" + r[2], *r[3:]), strict=True)))
            for r in rows
        ]
        bulk.insert(objs)
    by_rows = Selector.objects.filter(pk__in=[pk for (pk,) in got]).order_by("pk")
    by_insert = Selector.objects.filter(pk__in=[s.pk for s in objs]).order_by("pk")
    fields = (
        "tip_id",
        "type",
        "raw",
        "extracted",
        "confirmed",
        "observed_at",
        "port",
        "details",
        "masked",
        "encrypted",
    )
    for a, b, row in zip(
        by_rows.values(*fields, "value"), by_insert.values(*fields, "value"), rows, strict=True
    ):
        assert a.pop("value") == row[2] and b.pop("value") == "i" + row[2]
        secret = row[-1]
        assert [None if x["encrypted"] is None else bytes(x.pop("encrypted")) for x in (a, b)] == [
            secret
        ] * 2
        a.pop("encrypted", None), b.pop("encrypted", None)
        assert a == b
        assert (a["raw"], a["extracted"], a["observed_at"], a["port"], a["details"]) == row[3:8]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite stores any length in a varchar"
)
@pytest.mark.parametrize("shared", [True, False])
def test_insert_rows_refuses_a_long_value_whether_bound_once_or_in_an_array(
    personas, source, shared
):
    from django.db import DatabaseError

    tip = make_tip(personas.investigator, source, "REF-L")
    long = "x" * 513  # Selector.value holds 512
    values = [long, long] if shared else ["short", long]
    with pytest.raises(DatabaseError), transaction.atomic():
        bulk.insert_rows(
            Selector, ("tip_id", "type", "value"), [(tip.pk, "attribute", v) for v in values]
        )
    assert not Selector.objects.filter(tip=tip, type="attribute").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY formats")
def test_copy_goes_as_text_when_a_value_is_not_of_its_columns_type():
    received_at, priority = (Tip._meta.get_field(n) for n in ("received_at", "priority"))
    aware = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    assert bulk._binary_types([received_at, priority], [[aware, None], [1, None]]) == [
        "timestamptz",
        "int2",
    ]
    assert bulk._binary_types([received_at], [[aware.replace(tzinfo=None)]]) is None
    assert bulk._binary_types([priority], [["3"]]) is None
    assert bulk._binary_types([priority], [[True]]) is None


def test_ids_by_finds_a_batch_of_keys_within_the_fixed_fields(personas, source):
    from vigil.tips.models import Source

    other = Source.objects.create(name="Other source", kind="other")
    refs = ['R "1"', "R\\2", "R,{3}"]
    mine = {r: make_tip(personas.investigator, source, r).pk for r in refs}
    make_tip(personas.investigator, other, refs[0])  # the same reference, another source
    asked = [*refs, "absent"]
    assert bulk.ids_by(Tip, {"source_id": source.pk}, "source_reference", asked) == mine
    assert bulk.ids_by(Tip, {"source_id": source.pk}, "source_reference", []) == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL sequences")
def test_ids_taken_from_the_sequence_are_a_range_when_unbroken_else_each_one():
    with transaction.atomic(), connection.cursor() as cursor:
        ids = bulk._take_ids(Selector, 5, cursor)
        assert isinstance(ids, range) and len(ids) == 5
        cursor.execute("SELECT pg_get_serial_sequence('tips_selector', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 2")  # ids with gaps
        gapped = bulk._take_ids(Selector, 3, cursor)
        assert gapped == [gapped[0], gapped[0] + 2, gapped[0] + 4] and gapped[0] > ids[-1]
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    "bad",
    [{"port": 2**40}, {"port": -(2**31) - 1}, {"value": "x" * 513}, {"raw": "nul\x00byte"}],
)
def test_a_refused_value_fails_its_insert_and_leaves_the_transaction_usable(personas, source, bad):
    """A value the column cannot hold (a number out of its range, a long string, a NUL)
    fails that insert, never stored cut or wrapped: the caller's savepoint rolls it back
    and the rest goes on, as the import's row-by-row replay needs."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite stores any length, number or character in these columns")
    tip = make_tip(personas.investigator, source, "REF-BAD")
    fields = {"tip": tip, "type": "attribute", "raw": "r", "value": "v"}
    with transaction.atomic():
        with pytest.raises(Exception, match="out of range|too long|0x00"), transaction.atomic():
            bulk.insert(
                [
                    bulk.new(Selector, **{**fields, "value": "ok"}),
                    bulk.new(Selector, **{**fields, **bad}),
                ]
            )
        bulk.insert([bulk.new(Selector, **{**fields, "value": "after"})])
    stored = Selector.objects.filter(tip=tip, type="attribute")
    assert set(stored.values_list("value", flat=True)) == {"after"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY formats")
def test_a_number_too_large_for_its_column_is_never_written_in_binary():
    priority = Tip._meta.get_field("priority")  # smallint
    assert bulk._binary_types([priority], [[1, 2**15 - 1, -(2**15)]]) == ["int2"]
    assert bulk._binary_types([priority], [[1, 2**15]]) is None
    assert bulk._binary_types([priority], [[None, -(2**15) - 1]]) is None
