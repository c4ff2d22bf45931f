"""REST API for bulk imports: the web upload's job machinery (tips.actions.do_queue_import,
the sealed upload, the background task, tips.ImportJob) behind POST /api/tips/imports/.

POST answers 202 with the job (its `url` to poll); GET on that URL gives its status, progress
and, once finished, the summary `vigil import_tips --json` prints and the link to its tips.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.accounts import access
from vigil.core.params import Pagination
from vigil.tips import actions
from vigil.tips.importing import FORMATS
from vigil.tips.models import ImportJob, Source

FORMAT_CHOICES = ["auto", *FORMATS]


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of the form (the schema says binary, not a URL: requests are not split)."""


class ImportUploadSerializer(serializers.Serializer):
    """What POST takes (multipart/form-data). Documents the request; the checks are
    do_queue_import's, so the web page and the API refuse the same files with the same words."""

    file = UploadField(help_text="The bulk file (at most 200 MB).")
    format = serializers.ChoiceField(
        choices=FORMAT_CHOICES,
        default="auto",
        help_text="auto: detected from the name and the first bytes (as `vigil import_tips`).",
    )
    source = serializers.CharField(
        required=False,
        help_text="Source name (or id) for rows that name none; required when the file has no "
        "'source' column (an IP list always).",
    )
    note = serializers.CharField(
        required=False, max_length=5000, help_text="An IP list's narrative for every tip."
    )


class ImportProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Bytes of the file read so far.")
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ImportLinksSerializer(serializers.Serializer):
    tips = serializers.CharField(help_text="GET /api/tips/?batch=<id>: the tips it created.")
    page = serializers.CharField(help_text="The import's result page in the web app.")


class ImportJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    file_name = serializers.CharField(source="original_name")
    source = serializers.CharField(source="source.name", default=None)
    created_by = serializers.CharField(source="created_by.username")
    progress = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "status",
            "file_name",
            "format",
            "source",
            "note",
            "created_by",
            "created_at",
            "finished_at",
            "progress",
            "error",
            "summary",
            "links",
        ]

    def get_url(self, job: ImportJob) -> str:
        return reverse("api-tips-import", args=[job.pk])

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict[str, int]:
        return {"done": job.progress_done, "total": job.progress_total, "percent": job.percent}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "additionalProperties": True,
            "description": "Once finished: the summary `vigil import_tips --json` prints "
            "(rows_read, tips_created, tips_updated, tips_unchanged, selectors, flags, "
            "rejected_count, rejected, warnings, victim_sections_dropped, error, …); "
            "null while queued or running.",
        }
    )
    def get_summary(self, job: ImportJob) -> dict[str, Any] | None:
        return job.summary if job.finished else None

    @extend_schema_field(ImportLinksSerializer(allow_null=True))
    def get_links(self, job: ImportJob) -> dict[str, str] | None:
        if not job.finished:
            return None
        return {
            "tips": f"{reverse('api-tips-list')}?batch={job.pk}",
            "page": reverse("tips-import-detail", args=[job.pk]),
        }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _source(value: str) -> Source | None:
    """A source by id (digits) or name, as the queue filter reads it; unknown: ValidationError."""
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit() and len(value) < 19:
        found = Source.objects.filter(pk=int(value)).first()
        if found is not None:
            return found
    return actions.get_or_refuse_source(value)


class ImportJobListCreate(APIView):
    @extend_schema(
        summary="Your bulk imports (a Manager's: everyone's), newest first",
        responses=ImportJobSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        access.require(access.can_create(request.user))
        paginator = Pagination()
        jobs = ImportJob.objects.for_user(request.user, access.WRITE)
        page = paginator.paginate_queryset(
            jobs.select_related("source", "created_by"), request, view=self
        )
        return paginator.get_paginated_response(ImportJobSerializer(page, many=True).data)

    @extend_schema(
        summary="Upload a bulk file (CSV, XLSX, JSON, IP list, CyberTipline XML) to import",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            202: OpenApiResponse(
                ImportJobSerializer, description="Queued: poll `url` until `status` is done."
            ),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"detail": [messages]}: no file, an empty or oversized file, an '
                "unknown format or source, or no source for a file that names none.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        access.require(access.can_create(request.user))
        data = request.data if isinstance(request.data, Mapping) else {}
        upload = request.FILES.get("file")
        fmt = _text(data.get("format")).strip() or "auto"
        try:
            source = _source(_text(data.get("source")))
        except DjangoValidationError as exc:
            actions.do_refuse_import(
                " ".join(exc.messages), actor=request.user, upload=upload, fmt=fmt
            )
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        try:
            job = actions.do_queue_import(
                upload, actor=request.user, fmt=fmt, source=source, note=_text(data.get("note"))
            )
        except DjangoValidationError as exc:  # do_queue_import wrote its tip.import_refused row
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        body = ImportJobSerializer(job).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ImportJobDetail(APIView):
    @extend_schema(
        summary="One bulk import: status, progress, summary", responses=ImportJobSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        # Its creator's or a Manager's, as the web result page: 404 for anyone else.
        job = access.get_for_user(ImportJob, request.user, pk, access.WRITE)
        return Response(ImportJobSerializer(job).data)
