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
from vigil.audit import actions as audit_actions
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
        rows = list(qs[:500])
        audit_actions.do_view_list(
            Subpoena,
            [s.pk for s in rows],
            actor=request.user,
            action="subpoena.api_list",
            filters={k: request.query_params.get(k) for k in ("tip", "overdue")},
        )
        return Response(SubpoenaSerializer(rows, many=True).data)

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
        sub = access.get_for_user(Subpoena, request.user, pk)
        audit_actions.do_view(
            sub, actor=request.user, action="subpoena.view", summary=sub.reference
        )
        return Response(SubpoenaSerializer(sub).data)


class SubpoenaApprove(APIView):
    @extend_schema(request=None, responses=SubpoenaSerializer)
    def post(self, request: Request, pk: int) -> Response:
        sub = access.get_for_user(Subpoena, request.user, pk)
        try:
            actions.do_approve_subpoena(sub, actor=request.user)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(SubpoenaSerializer(sub).data)


class ServeSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Subpoena.Method.choices)
    served_on = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class ResponseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Subpoena.Outcome.choices)
    subscriber_name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    address = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    phones = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, max_length=100
    )
    account_ids = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=100
    )
    payment = serializers.CharField(required=False, allow_blank=True, max_length=200)
    sessions = serializers.ListField(
        child=serializers.CharField(max_length=1000), required=False, max_length=5000
    )
    not_customer_entity = serializers.CharField(required=False, allow_blank=True, max_length=200)


class SubpoenaServe(APIView):
    @extend_schema(request=ServeSerializer, responses=SubpoenaSerializer)
    def post(self, request: Request, pk: int) -> Response:
        sub = access.get_for_user(Subpoena, request.user, pk, access.WRITE)
        ser = ServeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        try:
            actions.do_serve_subpoena(
                sub,
                actor=request.user,
                method=d["method"],
                served_on=d.get("served_on"),
                due_date=d.get("due_date"),
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(SubpoenaSerializer(sub).data)


class SubpoenaRespond(APIView):
    @extend_schema(request=ResponseSerializer, responses=SubpoenaSerializer)
    def post(self, request: Request, pk: int) -> Response:
        sub = access.get_for_user(Subpoena, request.user, pk, access.WRITE)
        ser = ResponseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            result = actions.do_record_response(sub, actor=request.user, **ser.validated_data)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        data = SubpoenaSerializer(sub).data
        data["selectors_added"] = result["selectors"]
        data["flags_raised"] = result["flags"]
        data["chained"] = result["chained"].pk if result["chained"] is not None else None
        return Response(data)
