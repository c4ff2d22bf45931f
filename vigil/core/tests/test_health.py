"""Liveness (/healthz) and readiness (/readyz: the database and the task queue)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone


def _enqueue_db_task(settings, minutes_ago: int = 0):
    from django_tasks_db.models import DBTaskResult

    from vigil.core import health

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    row = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="vigil.testing.tasks.noop",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now() - timedelta(minutes=minutes_ago),
    )
    DBTaskResult.objects.filter(pk=row.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return health


def test_it_is_ready_with_the_immediate_backend(client, db):
    response = client.get(reverse("core-readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["tasks"]["ok"]


def test_it_reports_the_database_queue(client, db, settings):
    _enqueue_db_task(settings)
    body = client.get(reverse("core-readyz")).json()
    assert body["status"] == "ok"
    assert body["tasks"]["backend"] == "django_tasks_db.DatabaseBackend"
    assert body["tasks"]["waiting"] == 1 and body["tasks"]["running"] == 0


def test_it_is_not_ready_when_no_worker_drains_the_queue(client, db, settings):
    health = _enqueue_db_task(settings, minutes_ago=60)
    response = client.get(reverse("core-readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"]["ok"]
    assert body["tasks"]["oldest_waiting_seconds"] >= 3600 > health.MAX_QUEUE_SECONDS
    assert "worker" in body["tasks"]["error"]


def test_it_is_not_ready_without_a_database(client, db, monkeypatch):
    from vigil.core import health

    def broken():
        return {"ok": False, "error": "OperationalError"}

    monkeypatch.setattr(health, "database", broken)
    response = client.get(reverse("core-readyz"))
    assert response.status_code == 503
    assert response.json()["tasks"] == {"ok": False, "error": "no database"}


def test_it_answers_probes_without_signing_in_or_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    for name in ("core-healthz", "core-readyz"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("core-dashboard")).status_code == 301
