from __future__ import annotations

from django.conf import settings
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


class UploadJob(models.Model):
    """What every uploaded-file import job holds (tips.ImportJob, exchange.ImportJob).

    A file uploaded through the web, sealed like media (vigil/lib/crypto.py) and imported by a
    background task, which moves `status` on and fills the progress, summary and error. Each
    concrete job adds what it imports into (a source, a partner) and its own scoped manager.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField(max_length=255)
    # Relative to settings.UPLOAD_DIR; emptied when the file is deleted.
    file_path = models.CharField(max_length=500, blank=True)
    # The upload is sealed like media (vigil/lib/crypto.py): its key, wrapped.
    file_key = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Units of the job's own choosing (rows, bytes) done, of the total.
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # What the task writes when the job ends (tips.tasks, exchange.tasks).
    END_FIELDS = [
        "summary",
        "error",
        "status",
        "file_path",
        "file_key",
        "progress_done",
        "finished_at",
    ]

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
