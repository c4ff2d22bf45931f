"""REST API: flags (list, detail, link, dismiss), links (list, create, remove), clusters.

Same actions and access rules as the pages: reads need a data role; deciding a
flag needs write access to one of its two tips; removing a link needs a manager
or an administrator.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.params import BadParameter, Pagination, int_param
from vigil.deconfliction import actions, queries
from vigil.deconfliction.models import Flag, Link
from vigil.tips.models import Tip


def _tip_param(value: str) -> int:
    try:
        return int_param(value, "tip", minimum=1) or 0
    except BadParameter as exc:
        raise ValidationError({"tip": [f"A tip id is a whole number: {exc}"]}) from None


class TipRefSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name")
    assigned_to = serializers.CharField(source="assigned_to.username", default=None)

    class Meta:
        model = Tip
        fields = ["id", "source", "source_reference", "status", "priority", "assigned_to"]


class FlagSerializer(serializers.ModelSerializer):
    tip_a = TipRefSerializer()
    tip_b = TipRefSerializer()
    value = serializers.SerializerMethodField()
    decided_by = serializers.CharField(source="decided_by.username", default=None)

    class Meta:
        model = Flag
        fields = [
            "id",
            "tip_a",
            "tip_b",
            "type",
            "value",
            "score",
            "match_reason",
            "status",
            "possible",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]

    def get_value(self, obj: Flag) -> str:
        # SSN/card: the masked form, never the keyed hash.
        return obj.display


class LinkSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None)
    removed_by = serializers.CharField(source="removed_by.username", default=None)

    class Meta:
        model = Link
        fields = [
            "id",
            "tip_a",
            "tip_b",
            "flag",
            "note",
            "created_by",
            "created_at",
            "removed_at",
            "removed_by",
            "removed_reason",
        ]


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, required=False, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class SharedNoteSerializer(NoteSerializer):
    tip = serializers.IntegerField(required=False, help_text="decide as seen from this tip")


class SharedReasonSerializer(ReasonSerializer):
    tip = serializers.IntegerField(required=False, help_text="decide as seen from this tip")


class LinkCreateSerializer(serializers.Serializer):
    tip_a = serializers.IntegerField()
    tip_b = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True, required=False, default="")


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError({"detail": exc.messages})


def _flags(user):
    return Flag.objects.for_user(user).select_related(
        "tip_a__source", "tip_a__assigned_to", "tip_b__source", "tip_b__assigned_to", "decided_by"
    )


def _flag(request: Request, pk: int) -> Flag:
    # No role check first: a flag the user may not see is a 404 for every role.
    return access.get_for_user(_flags(request.user), request.user, pk)


class FlagList(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tip", int, description="flags involving this tip"),
            OpenApiParameter("status", str, enum=Flag.Status.values),
            OpenApiParameter("type", str),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=FlagSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        access.require(access.can_read_data(request.user))
        qs = _flags(request.user).order_by("-created_at", "-id")
        p = request.query_params
        if p.get("tip"):
            qs = qs.involving(_tip_param(p["tip"]))
        if p.get("status"):
            if p["status"] not in Flag.Status.values:
                raise ValidationError({"status": [f"One of {', '.join(Flag.Status.values)}."]})
            qs = qs.filter(status=p["status"])
        if p.get("type"):
            qs = qs.filter(type=p["type"])
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        audit_actions.do_view_list(
            Flag,
            [f.pk for f in page],
            actor=request.user,
            action="flag.list",
            filters={k: p.get(k) for k in ("tip", "status", "type", "limit", "offset")},
        )
        return paginator.get_paginated_response(FlagSerializer(page, many=True).data)


class FlagDetail(APIView):
    @extend_schema(responses=FlagSerializer)
    def get(self, request: Request, pk: int) -> Response:
        flag = _flag(request, pk)
        audit_actions.do_view(flag, actor=request.user, action="flag.view")
        return Response(FlagSerializer(flag).data)


class FlagLink(APIView):
    @extend_schema(request=NoteSerializer, responses={200: LinkSerializer})
    def post(self, request: Request, pk: int) -> Response:
        flag = _flag(request, pk)
        ser = NoteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            outcome = actions.do_link_tips(
                flag, note=ser.validated_data["note"], actor=request.user
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        data = LinkSerializer(outcome.link).data
        data["suggestions"] = [
            {"tip": t.pk, "office": office, "referred_tip": ref.pk}
            for t, office, ref in outcome.suggestions
        ]
        return Response(data)


class FlagDismiss(APIView):
    @extend_schema(request=ReasonSerializer, responses=FlagSerializer)
    def post(self, request: Request, pk: int) -> Response:
        flag = _flag(request, pk)
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            flag = actions.do_dismiss_flag(
                flag, reason=ser.validated_data["reason"], actor=request.user
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(FlagSerializer(_flags(request.user).get(pk=flag.pk)).data)


class LinkList(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tip", int),
            OpenApiParameter("active", bool, description="only links not removed (default true)"),
        ],
        responses=LinkSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        access.require(access.can_read_data(request.user))
        qs = Link.objects.for_user(request.user).select_related("created_by", "removed_by")
        p = request.query_params
        if p.get("active", "true").lower() not in {"0", "false", "no"}:
            qs = qs.active()
        if p.get("tip"):
            tip_id = _tip_param(p["tip"])
            qs = qs.filter(Q(tip_a_id=tip_id) | Q(tip_b_id=tip_id))
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        audit_actions.do_view_list(
            Link,
            [link.pk for link in page],
            actor=request.user,
            action="link.list",
            filters={k: p.get(k) for k in ("tip", "active", "limit", "offset")},
        )
        return paginator.get_paginated_response(LinkSerializer(page, many=True).data)

    @extend_schema(request=LinkCreateSerializer, responses={201: LinkSerializer})
    def post(self, request: Request) -> Response:
        """Link two tips directly (without a flag)."""
        access.require(access.can_read_data(request.user))
        ser = LinkCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        tip_a = access.get_for_user(Tip, request.user, d["tip_a"])
        tip_b = access.get_for_user(Tip, request.user, d["tip_b"])
        try:
            outcome = actions.do_link_tips(
                note=d["note"], actor=request.user, tip_a=tip_a, tip_b=tip_b
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(
            LinkSerializer(outcome.link).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


class LinkRemove(APIView):
    @extend_schema(request=ReasonSerializer, responses=LinkSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user = request.user
        if not (access.can_read_data(user) or access.can_remove_link(user)):
            raise Http404
        link = Link.objects.filter(pk=pk).first()
        if link is None:
            raise Http404
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            link = actions.do_remove_link(link, reason=ser.validated_data["reason"], actor=user)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(LinkSerializer(link).data)


class Cluster(APIView):
    @extend_schema(responses=dict)
    def get(self, request: Request, tip_id: int) -> Response:
        tip = access.get_for_user(Tip, request.user, tip_id)
        data = queries.cluster_data(tip.pk)
        audit_actions.do_view_list(
            Tip,
            sorted(data.tip_ids),
            actor=request.user,
            action="cluster.view",
            filters={"tip": tip.pk},
            format="api",
        )
        return Response(
            {
                "tip": tip.pk,
                "size": len(data.tip_ids),
                "truncated": data.truncated,
                "tips": TipRefSerializer([row["tip"] for row in data.tips], many=True).data,
                "links": LinkSerializer(data.links, many=True).data,
                "shared": [
                    {
                        "type": f.type,
                        "value": f.display,
                        "tips": [f.tip_a_id, f.tip_b_id],
                        "score": f.score,
                        "status": f.status,
                    }
                    for f in data.flags
                ],
            }
        )


# --- one decision per shared value -------------------------------------------------------------


def _focus(request: Request, flag: Flag, tip_id) -> Tip | None:
    if tip_id in (None, ""):
        return None
    tip_id = _tip_param(str(tip_id))
    if tip_id not in (flag.tip_a_id, flag.tip_b_id):
        raise ValidationError({"tip": ["Give one of the flag's two tips."]})
    return access.get_for_user(Tip, request.user, tip_id)


def _shared_body(flag: Flag, pairs: list[Flag]) -> dict:
    tips: dict[int, Tip] = {}
    for p in pairs:
        tips.setdefault(p.tip_a_id, p.tip_a)
        tips.setdefault(p.tip_b_id, p.tip_b)
    return {
        "type": flag.type,
        "value": flag.display,
        "possible": flag.possible,
        "tips": TipRefSerializer(sorted(tips.values(), key=lambda t: t.pk), many=True).data,
        "flags": [p.pk for p in pairs],
    }


def _outcome_body(outcome) -> dict:
    return {
        "flags": outcome.flags,
        "tips": outcome.tips,
        "links": LinkSerializer(outcome.links, many=True).data,
        "already_linked": outcome.already_linked,
        "left_open": outcome.left_open,
        "suggestions": [
            {"tip": t.pk, "office": office, "referred_tip": ref.pk}
            for t, office, ref in outcome.suggestions
        ],
    }


class SharedValue(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("tip", int, description="as seen from this tip")],
        responses=dict,
    )
    def get(self, request: Request, pk: int) -> Response:
        """The open flags decided together with this one (one decision per shared value)."""
        flag = _flag(request, pk)
        tip = _focus(request, flag, request.query_params.get("tip"))
        pairs = queries.shared_value_pairs(flag, tip_id=tip.pk if tip else None)
        ids = [p.pk for p in pairs]
        return Response(_shared_body(flag, list(_flags(request.user).filter(pk__in=ids))))


class SharedLink(APIView):
    @extend_schema(request=SharedNoteSerializer, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        """Link every tip sharing the flag's value: one decision for the value."""
        flag = _flag(request, pk)
        ser = SharedNoteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        tip = _focus(request, flag, ser.validated_data.get("tip"))
        try:
            outcome = actions.do_link_shared_value(
                flag, note=ser.validated_data["note"], actor=request.user, tip=tip
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(_outcome_body(outcome))


class SharedDismiss(APIView):
    @extend_schema(request=SharedReasonSerializer, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        """Dismiss the flag's value for every tip sharing it: one decision for the value."""
        flag = _flag(request, pk)
        ser = SharedReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        tip = _focus(request, flag, ser.validated_data.get("tip"))
        try:
            outcome = actions.do_dismiss_shared_value(
                flag, reason=ser.validated_data["reason"], actor=request.user, tip=tip
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(_outcome_body(outcome))
