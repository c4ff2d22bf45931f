"""REST API for tips: the same actions (and so the same validation and audit) as the web pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.params import Pagination
from vigil.tips import actions
from vigil.tips.models import Selector, Tip
from vigil.tips.queue import filter_queue
from vigil.tips.views.common import get_tip


class SelectorSerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField()

    class Meta:
        model = Selector
        fields = [
            "id",
            "type",
            "value",
            "raw",
            "extracted",
            "confirmed",
            "observed_at",
            "port",
            "details",
        ]

    def get_value(self, obj: Selector) -> str:
        # SSN and card values are keyed hashes: the API shows the mask, never the hash.
        return obj.masked or obj.value


class TipSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name", read_only=True)
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, default=None)
    selectors = SelectorSerializer(many=True, read_only=True)

    class Meta:
        model = Tip
        fields = [
            "id",
            "source",
            "source_id",
            "source_reference",
            "received_at",
            "received_via",
            "narrative",
            "country",
            "status",
            "status_reason",
            "priority",
            "assigned_to",
            "source_warning",
            "attributes",
            "selectors",
            "created_at",
            "updated_at",
        ]


class SelectorInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Selector.Type.choices)
    value = serializers.CharField(max_length=actions.MAX_SELECTOR_RAW)
    observed_at = serializers.DateTimeField(required=False, allow_null=True)
    port = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=65535)
    platform = serializers.CharField(required=False, allow_blank=True, max_length=100)
    details = serializers.DictField(required=False)

    def to_input(self) -> actions.SelectorInput:
        d = self.validated_data
        return _input(d)


def _input(d: dict) -> actions.SelectorInput:
    return actions.SelectorInput(
        d["type"],
        d["value"],
        details=d.get("details") or {},
        observed_at=d.get("observed_at"),
        port=d.get("port"),
        platform=d.get("platform") or None,
    )


class TipCreateSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="Source name (from the sources directory)")
    source_reference = serializers.CharField(required=False, allow_blank=True, max_length=200)
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    received_via = serializers.ChoiceField(choices=Tip.Via.choices, default=Tip.Via.API)
    narrative = serializers.CharField(
        required=False, allow_blank=True, max_length=actions.MAX_NARRATIVE
    )
    country = serializers.CharField(required=False, allow_blank=True, max_length=2)
    priority = serializers.ChoiceField(choices=Tip.Priority.choices, default=Tip.Priority.OTHER)
    selectors = SelectorInputSerializer(many=True, required=False)


class TipUpdateSerializer(serializers.Serializer):
    source_reference = serializers.CharField(required=False, max_length=200)
    received_at = serializers.DateTimeField(required=False)
    received_via = serializers.ChoiceField(choices=Tip.Via.choices, required=False)
    narrative = serializers.CharField(
        required=False, allow_blank=True, max_length=actions.MAX_NARRATIVE
    )
    country = serializers.CharField(required=False, allow_blank=True, max_length=2)
    priority = serializers.ChoiceField(choices=Tip.Priority.choices, required=False)


class TriageSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=sorted(actions.TRIAGE_STATUSES))
    reason = serializers.CharField(required=False, allow_blank=True)


class SelectorsAddSerializer(serializers.Serializer):
    selectors = SelectorInputSerializer(many=True)


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError({"detail": exc.messages})


def _fresh(pk: int) -> Tip:
    return (
        Tip.objects.select_related("source", "assigned_to").prefetch_related("selectors").get(pk=pk)
    )


class TipListCreate(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["open", *Tip.Status.values]),
            OpenApiParameter("source", str, description="source name (or id)"),
            OpenApiParameter("assignee", str, description="username (or id), 'me' or 'none'"),
            OpenApiParameter("priority", int),
            OpenApiParameter(
                "batch", int, description="a web import's job id: the tips it created"
            ),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=TipSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        access.require(access.can_read_data(request.user))
        qs, f = filter_queue(
            Tip.objects.for_user(request.user)
            .select_related("source", "assigned_to")
            .prefetch_related("selectors"),
            request.query_params,
            request.user,
            names=True,
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        audit_actions.do_view_list(
            Tip,
            [t.pk for t in page],
            actor=request.user,
            action="tip.list",
            filters={
                **f,
                **{k: request.query_params.get(k) for k in ("limit", "offset")},
            },
        )
        return paginator.get_paginated_response(TipSerializer(page, many=True).data)

    @extend_schema(request=TipCreateSerializer, responses={201: TipSerializer})
    def post(self, request: Request) -> Response:
        access.require(access.can_create(request.user))
        ser = TipCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        try:
            source = actions.get_or_refuse_source(d["source"])
            tip = actions.do_create_tip(
                actor=request.user,
                source=source,
                source_reference=d.get("source_reference", ""),
                received_at=d.get("received_at"),
                received_via=d.get("received_via", Tip.Via.API),
                narrative=d.get("narrative", ""),
                country=d.get("country", ""),
                priority=d.get("priority", Tip.Priority.OTHER),
                selectors=[_input(s) for s in d.get("selectors", [])],
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(TipSerializer(_fresh(tip.pk)).data, status=status.HTTP_201_CREATED)


class TipDetail(APIView):
    @extend_schema(responses=TipSerializer)
    def get(self, request: Request, pk: int) -> Response:
        tip = get_tip(request, pk, selectors=True)
        audit_actions.do_view(tip, actor=request.user, action="tip.view")
        return Response(TipSerializer(tip).data)

    @extend_schema(request=TipUpdateSerializer, responses=TipSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        tip = get_tip(request, pk, access.WRITE, selectors=True)
        ser = TipUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        priority = d.pop("priority", None)
        try:
            if d:
                actions.do_update_tip(tip, actor=request.user, **d)
            if priority is not None:
                actions.do_set_priority(tip, priority, actor=request.user)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(TipSerializer(_fresh(tip.pk)).data)


class TipSelectors(APIView):
    @extend_schema(request=SelectorsAddSerializer, responses={201: SelectorSerializer(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        tip = get_tip(request, pk, access.WRITE, selectors=True)
        ser = SelectorsAddSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            added = actions.do_add_selectors(
                tip, [_input(s) for s in ser.validated_data["selectors"]], actor=request.user
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(SelectorSerializer(added, many=True).data, status=status.HTTP_201_CREATED)


class TipSelectorDelete(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, sid: int) -> Response:
        tip = get_tip(request, pk, access.WRITE, selectors=True)
        selector = Selector.objects.filter(tip=tip, pk=sid).first()
        if selector is None:
            from django.http import Http404

            raise Http404
        actions.do_remove_selector(
            selector, actor=request.user, reason=request.query_params.get("reason", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TipTriage(APIView):
    @extend_schema(request=TriageSerializer, responses=TipSerializer)
    def post(self, request: Request, pk: int) -> Response:
        tip = get_tip(request, pk, access.WRITE, selectors=True)
        ser = TriageSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            actions.do_triage_tip(
                tip,
                ser.validated_data["status"],
                actor=request.user,
                reason=ser.validated_data.get("reason", ""),
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(TipSerializer(_fresh(tip.pk)).data)
