"""REST API: series (list, create from JSON). The no-victim-name rule applies to every payload."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.victimid import actions
from vigil.victimid.models import Series
from vigil.victimid.privacy import VictimNameError, reject_victim_names


class SeriesSerializer(serializers.ModelSerializer):
    contact = serializers.SerializerMethodField()
    media_count = serializers.SerializerMethodField()
    origin_label = serializers.CharField(read_only=True)

    class Meta:
        model = Series
        fields = [
            "id",
            "name",
            "victim_identified",
            "victim_age_range",
            "victim_age_min",
            "victim_age_max",
            "relationship_to_offender",
            "relationship_other",
            "origin",
            "origin_label",
            "origin_established_by",
            "origin_method",
            "origin_established_on",
            "year_of_production",
            "contact",
            "notes",
            "media_count",
            "created_at",
            "updated_at",
        ]

    def get_contact(self, obj: Series) -> dict[str, str]:
        return obj.contact_dict()

    def get_media_count(self, obj: Series) -> int:
        # The list annotates the count (one query for all series, not one per series).
        counted = getattr(obj, "n_media", None)
        return obj.media.count() if counted is None else counted


def _payload_to_fields(payload: dict) -> dict:
    data = {k: payload[k] for k in actions.SERIES_FIELDS if k in payload}
    contact = payload.get("contact") or {}
    if not isinstance(contact, dict):
        raise ValidationError("contact must be an object.")
    for key in ("agency", "investigator", "email", "phone"):
        if key in contact:
            data[f"contact_{key}"] = contact[key] or ""
    unknown = set(payload) - set(actions.SERIES_FIELDS) - {"contact"}
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    return data


@extend_schema(methods=["GET"], responses={200: SeriesSerializer(many=True)}, summary="List series")
@extend_schema(
    methods=["POST"],
    request=OpenApiTypes.OBJECT,
    responses={201: SeriesSerializer, 400: OpenApiTypes.OBJECT},
    summary="Create a series (series.json keys; any victim-name key is refused)",
)
@api_view(["GET", "POST"])
def series_collection(request: Request) -> Response:
    if request.method == "GET":
        access.require(access.can_read_data(request.user))
        # In id order, as before the count was annotated (a GROUP BY may reorder rows).
        rows = list(
            Series.objects.for_user(request.user).annotate(n_media=Count("media")).order_by("id")
        )
        audit_actions.do_view_list(
            Series, [s.pk for s in rows], actor=request.user, action="series.list"
        )
        return Response(SeriesSerializer(rows, many=True).data)
    access.require(access.can_create(request.user))
    payload = request.data
    if not isinstance(payload, dict):
        return Response({"error": "Send one JSON object."}, status=status.HTTP_400_BAD_REQUEST)
    try:
        reject_victim_names(payload)
        warnings: list[dict[str, str]] = []
        series = actions.do_create_series(
            actor=request.user, data=_payload_to_fields(payload), warnings=warnings
        )
    except VictimNameError as exc:
        return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    except ValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "message_dict") else {"error": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    except PermissionDenied:
        raise
    body = {**SeriesSerializer(series).data, "warnings": warnings}
    return Response(body, status=status.HTTP_201_CREATED)
