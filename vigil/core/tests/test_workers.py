"""Work spread over many machines: worker processes (standing in for machines) against one
PostgreSQL drain one queue, each task exactly once; the same drain through Redis with
django-tasks-rq, selected by one setting, with the same `vigil db_worker` command; on RQ a task
whose worker is killed runs once more, and only once. (A worker killed mid-task on the database
queue: vigil/core/workers.py and its tests, e.g. vigil/tips/tests/test_worker_crash.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vigil.testing import postgres

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]
RQ = "django_tasks_rq.RQBackend"


def _env(tmp_path, url: str, backend: str = "django_tasks_db.DatabaseBackend", **extra) -> dict:
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST"))}
    env.update(
        DATABASE_URL=url,
        VIGIL_DEBUG="1",
        VIGIL_DATA_DIR=str(tmp_path / "data"),
        VIGIL_TASK_BACKEND=backend,
        VIGIL_TASK_MARKS=str(marks),
        **extra,
    )
    return env


def _vigil(env, *args, **kw):
    return subprocess.run([str(BIN / "vigil"), *args], env=env, cwd=REPO, check=True, **kw)


def _enqueue(env, count: int, **kwargs) -> None:
    code = (
        "from vigil.testing.tasks import mark\n"
        f"for i in range({count}): mark.enqueue(i, **{kwargs!r})\n"
    )
    _vigil(env, "shell", "-c", code, capture_output=True)


def _worker_command(env) -> list[str]:
    # The unit's command (deploy/systemd/vigil-worker@.service) on either backend: with the RQ
    # backend `vigil db_worker` runs an RQ worker (vigil/core/rq.py).
    return [str(BIN / "vigil"), "db_worker", "--interval", "0.2", "--no-reload"]


def _worker(env, *extra) -> subprocess.Popen:
    label = f"worker-{time.monotonic_ns()}"
    env = {**env, "VIGIL_TEST_WORKER": label}
    log = Path(env["VIGIL_TASK_MARKS"]).parent / f"{label}.log"
    with log.open("wb") as out:
        return subprocess.Popen(
            _worker_command(env) + list(extra),
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _counts(marks: Path, n: int) -> tuple[int, int, set[str]]:
    done = [marks / f"{i}.done" for i in range(n)]
    twice = list(marks.glob("*.twice"))
    pids = {p.read_text() for p in done if p.exists()}
    return sum(p.exists() for p in done), len(twice), pids


def _drain(tmp_path, env, n: int = 200) -> None:
    marks = Path(env["VIGIL_TASK_MARKS"])
    a, b = _worker(env), _worker(env)
    try:
        time.sleep(1)  # both workers start before the queue fills
        _enqueue(env, n, seconds=0.02)
        _wait(lambda: _counts(marks, n)[0] == n, 300, f"{n} tasks to finish")
        time.sleep(1)  # a task run twice would show up now
    finally:
        _stop(a, b)
    done, twice, workers = _counts(marks, n)
    assert (done, twice) == (n, 0)
    assert len(workers) == 2, "both workers took tasks"
    started = sum(len((marks / f"{i}.started").read_text().split()) for i in range(n))
    assert started == n, "each task ran exactly once"


@pytest.fixture
def pg(tmp_path):
    postgres.require()
    with postgres.database("workers") as url:
        yield url


def test_it_drains_200_tasks_once_each_with_two_workers_on_postgresql(tmp_path, pg):
    env = _env(tmp_path, pg)
    _drain(tmp_path, env)
    code = (
        "from django_tasks_db.models import DBTaskResult as R\n"
        "print(R.objects.successful().count(), R.objects.exclude(status='SUCCESSFUL').count())"
    )
    out = _vigil(env, "shell", "-c", code, capture_output=True, text=True).stdout
    assert out.split()[-2:] == ["200", "0"]


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def rq_env(tmp_path, pg):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not reachable at 127.0.0.1:6379 (CI must start it)")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    import redis

    db = 8 + os.getpid() % 8  # a Redis database of this run's own
    env = _env(tmp_path, pg, RQ, VIGIL_REDIS_URL=f"redis://127.0.0.1:6379/{db}")
    redis.Redis.from_url(env["VIGIL_REDIS_URL"]).flushdb()
    try:
        yield env
    finally:
        redis.Redis.from_url(env["VIGIL_REDIS_URL"]).flushdb()


def test_it_drains_the_same_tasks_through_redis_with_one_setting(tmp_path, rq_env):
    _drain(tmp_path, rq_env)


def test_a_task_whose_rq_worker_is_killed_runs_once_more_and_only_once(rq_env):
    import redis
    from rq import Queue

    # Vigil's worker clock, shortened: a heartbeat a second, a job lost 3 s after its last one.
    env = {**rq_env, "VIGIL_WORKER_HEARTBEAT_SECONDS": "1", "VIGIL_WORKER_LOST_AFTER_SECONDS": "3"}
    marks = Path(env["VIGIL_TASK_MARKS"])
    started = marks / "0.started"

    def runs() -> int:
        return len(started.read_text().split()) if started.exists() else 0

    def kill(proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and the fork running the job
        proc.wait()

    a = _worker(env)
    procs = [a]
    try:
        # Every attempt would take 10 minutes: only a kill ends one.
        _enqueue(env, 1, first_attempt_seconds=600, seconds=600)
        _wait(lambda: runs() == 1, 120, "the first attempt to start")
        kill(a)
        b = _worker(env)
        procs.append(b)
        _wait(lambda: runs() == 2, 120, "the task to run again on the other worker")
        kill(b)
        c = _worker(env)
        procs.append(c)
        failed = Queue("default", connection=redis.Redis.from_url(env["VIGIL_REDIS_URL"]))
        _wait(lambda: failed.failed_job_registry.count == 1, 120, "the task to fail")
        time.sleep(3)  # a third attempt would start now
    finally:
        _stop(*procs)
    assert runs() == 2, "retried once, not twice"
    assert not (marks / "0.done").exists()
