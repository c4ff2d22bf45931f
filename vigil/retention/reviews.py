"""The access review: per user, what they could do and what they did in a period (audit trail).

Everything is counted by the database: one grouped query over the audit rows
of the period (per user, kind of record and category of action), one over the
accounts; nothing loops over audit rows in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.audit.models import AuditEvent, Outcome
from vigil.retention.models import AccessCertification

CATEGORIES = ("read", "changed", "exported", "revealed")
# Actions that neither read nor change a record (the session itself).
_SESSION = ("login", "logout", "mfa.", "password.")


def _category():
    reveal = Q(action__endswith=".reveal")
    export = (
        Q(action__endswith=".export")
        | Q(action__contains="export_")
        | Q(action__endswith="_download")
    )
    read = (
        Q(action__endswith=".view")
        | Q(action__endswith="_view")
        | Q(action__endswith=".list")
        | Q(action__endswith="_list")
        | Q(action__endswith=".search")
        | Q(action__endswith=".report")
        | Q(action__endswith="match_cli")
    )
    return Case(
        When(reveal, then=Value("revealed")),
        When(export, then=Value("exported")),
        When(read, then=Value("read")),
        default=Value("changed"),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class ReviewPeriod:
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def parse(cls, start: str, end: str) -> ReviewPeriod:
        try:
            a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        except ValueError:
            raise ValueError("Dates are written YYYY-MM-DD (e.g. 2026-01-01).") from None
        if b < a:
            raise ValueError("The period ends before it starts.")
        return cls(a, b)

    @classmethod
    def last_year(cls, today: dt.date | None = None) -> ReviewPeriod:
        today = today or dt.datetime.now(dt.UTC).date()
        return cls(today.replace(year=today.year - 1) + dt.timedelta(days=1), today)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=dt.UTC)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        return start, end

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"


@dataclass
class UserReview:
    user: object
    mfa: bool
    last_sign_in: dt.datetime | None
    # {kind: {"read": (records, events), …}}
    by_kind: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    certification: AccessCertification | None = None

    def figures(self) -> dict:
        return {
            "role": self.user.role_label,
            "mfa": self.mfa,
            "last_sign_in": self.last_sign_in.isoformat() if self.last_sign_in else None,
            "by_kind": {k: {c: list(v) for c, v in d.items()} for k, d in self.by_kind.items()},
            "totals": self.totals,
        }


def build(period: ReviewPeriod, *, users=None) -> list[UserReview]:
    start, end = period.bounds()
    User = get_user_model()
    qs = (users if users is not None else User.objects.all()).annotate(
        has_mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    reviews = {u.pk: UserReview(u, bool(u.has_mfa), u.last_login) for u in qs.order_by("username")}
    rows = (
        AuditEvent.objects.filter(at__gte=start, at__lt=end, actor_id__in=list(reviews))
        # A refusal is neither a read nor a change (vigil/audit/actions.py).
        .exclude(outcome=Outcome.DENIED)
        .annotate(category=_category())
        .order_by()
        .values("actor_id", "object_type", "category")
        .annotate(records=Count("object_id", distinct=True), events=Count("id"))
    )
    for prefix in _SESSION:
        rows = rows.exclude(action__startswith=prefix)
    for row in rows:
        r = reviews[row["actor_id"]]
        kind = row["object_type"] or "(no record)"
        r.by_kind.setdefault(kind, {})[row["category"]] = (row["records"], row["events"])
        # Records for reads and changes; each export and reveal counts (events).
        r.totals[row["category"]] += (
            row["records"] if row["category"] in ("read", "changed") else row["events"]
        )
    certs = AccessCertification.objects.filter(
        user_id__in=list(reviews), period_start=period.start, period_end=period.end
    ).select_related("certified_by")
    for c in certs.order_by("certified_at"):
        reviews[c.user_id].certification = c
    return list(reviews.values())
