from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """A running `vigil db_worker`: who it is and when it last said so (vigil/core/workers.py)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname} (pid {self.pid})"
