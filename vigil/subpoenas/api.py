"""REST API for subpoenas: the same actions (validation, permissions, audit) as the pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.accounts import access
from vigil.audit.log import record
from vigil.lookups.models import Provider
from vigil.subpoenas import actions
from vigil.subpoenas.models import Subpoena
from vigil.tips.models import Tip


class IdentifierSerializer(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField()
    observed_at = serializers.DateTimeField(allow_null=True)
    port = serializers.IntegerField(allow_null=True)


class SubpoenaSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    provider = serializers.CharField(source="provider.name", read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Subpoena
        fields = [
            "id",
            "reference",
            "tip",
            "provider",
            "provider_id",
            "parent",
            "categories",
            "time_zone",
            "status",
            "outcome",
            "due_date",
            "drafted_at",
            "approved_at",
            "served_at",
            "service_method",
            "responded_at",
            "not_customer_entity",
            "contradiction",
            "contradiction_note",
            "closed_at",
            "identifiers",
        ]


class DraftSerializer(serializers.Serializer):
    tip = serializers.IntegerField()
    provider = serializers.IntegerField()
    identifiers = serializers.ListField(child=serializers.IntegerField(), help_text="Selector ids")
    # Free strings on purpose: the action refuses anything § 2703(c)(2) does not allow, by name.
    categories = serializers.ListField(child=serializers.CharField(max_length=100))
    time_zone = serializers.CharField(required=False, default="UTC")
    due_date = serializers.DateField(required=False, allow_null=True)


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError({"detail": exc.messages})


class SubpoenaList(APIView):
    @extend_schema(responses=SubpoenaSerializer(many=True))
    def get(self, request: Request) -> Response:
        access.require(access.can_read_data(request.user))
        qs = (
            Subpoena.objects.for_user(request.user)
            .select_related("provider")
            .prefetch_related("identifiers")
        )
        if request.query_params.get("tip"):
            qs = qs.filter(tip_id=request.query_params["tip"])
        if request.query_params.get("overdue") == "1":
            qs = qs.overdue()
        record("subpoena.api_list", actor=request.user, object_type="subpoenas.subpoena")
        return Response(SubpoenaSerializer(qs[:500], many=True).data)

    @extend_schema(request=DraftSerializer, responses={201: SubpoenaSerializer})
    def post(self, request: Request) -> Response:
        access.require(access.can_read_data(request.user))
        ser = DraftSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        tip = access.get_for_user(Tip, request.user, d["tip"], access.WRITE)
        provider = Provider.objects.filter(pk=d["provider"]).first()
        if provider is None:
            raise ValidationError({"provider": [f"no provider {d['provider']}"]})
        try:
            sub = actions.do_draft_subpoena(
                tip,
                actor=request.user,
                provider=provider,
                selector_ids=d["identifiers"],
                categories=d["categories"],
                time_zone=d.get("time_zone") or "UTC",
                due_date=d.get("due_date"),
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(SubpoenaSerializer(sub).data, status=status.HTTP_201_CREATED)


class SubpoenaDetail(APIView):
    @extend_schema(responses=SubpoenaSerializer)
    def get(self, request: Request, pk: int) -> Response:
        access.require(access.can_read_data(request.user))
        sub = access.get_for_user(Subpoena, request.user, pk)
        record("subpoena.view", actor=request.user, obj=sub, summary=sub.reference)
        return Response(SubpoenaSerializer(sub).data)


class SubpoenaApprove(APIView):
    @extend_schema(request=None, responses=SubpoenaSerializer)
    def post(self, request: Request, pk: int) -> Response:
        access.require(access.can_read_data(request.user))
        sub = access.get_for_user(Subpoena, request.user, pk)
        try:
            actions.do_approve_subpoena(sub, actor=request.user)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(SubpoenaSerializer(sub).data)
