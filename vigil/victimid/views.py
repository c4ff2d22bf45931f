from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core import holds
from vigil.lib.archive import ArchiveError, iter_files
from vigil.lib.filenames import content_disposition
from vigil.victimid import actions, report, storage, thumbs
from vigil.victimid.forms import MatchRequestForm, MediaUploadForm, SeriesForm
from vigil.victimid.hashing import MediaError
from vigil.victimid.hashlists import HashListError, parse
from vigil.victimid.models import MatchRequest, Media, Series
from vigil.victimid.privacy import VictimNameError

_REVEAL_KEY = "victimid_reveals"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


# --------------------------------------------------------------------------- series


@login_required
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    qs = Series.objects.for_user(request.user).annotate(n_media=Count("media")).order_by("name")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(contact_agency__icontains=q))
    status = request.GET.get("status", "")
    if status == "identified":
        qs = qs.filter(victim_identified=True)
    elif status == "unidentified":
        qs = qs.filter(victim_identified=False)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    audit_actions.do_view_list(
        Series,
        [s.pk for s in page],
        actor=request.user,
        action="series.list",
        filters={"q": q, "status": status, "page": page.number},
    )
    return render(
        request,
        "victimid/series_list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "can_create": access.can_create(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            series = actions.do_create_series(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Series “{series.name}” created. Add its media below.")
            return redirect("victimid-series-detail", series.pk)
    return render(request, "victimid/series_form.html", {"form": form, "series": None})


@login_required
@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    series = access.get_for_user(Series, request.user, pk, access.WRITE)
    form = SeriesForm(request.POST or None, instance=Series.objects.get(pk=series.pk))
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_series(series, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Series saved.")
            return redirect("victimid-series-detail", series.pk)
    return render(request, "victimid/series_form.html", {"form": form, "series": series})


@login_required
@require_POST
def series_delete(request: HttpRequest, pk: int) -> HttpResponse:
    series = access.get_for_user(Series, request.user, pk, access.DELETE)
    name = series.name
    try:
        actions.do_delete_series(series, actor=request.user)
    except holds.HeldError as exc:
        messages.error(request, str(exc))
        return redirect("victimid-series-detail", series.pk)
    messages.success(request, f"Series “{name}” and its media were deleted.")
    return redirect("victimid-series-list")


@login_required
@require_GET
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    series = access.get_for_user(Series, request.user, pk)
    media = Paginator(series.media.order_by("id"), 60).get_page(request.GET.get("page"))
    audit_actions.do_view(
        series,
        actor=request.user,
        action="series.view",
        summary=series.name,
        media=audit_actions.id_ranges(m.pk for m in media),
    )
    can_write = access.can(request.user, access.WRITE, series)
    can_delete = access.can(request.user, access.DELETE, series)
    return render(
        request,
        "victimid/series_detail.html",
        {
            "series": series,
            "media": media,
            "can_write": can_write,
            "can_delete": can_delete,
            "holds": holds.holds_on("series", series.pk),
            "upload_form": MediaUploadForm(),
            "relaxed": request.user.relax_thumbnail_blur,
        },
    )


@login_required
@require_POST
def series_add_media(request: HttpRequest, pk: int) -> HttpResponse:
    series = access.get_for_user(Series, request.user, pk, access.WRITE)
    form = MediaUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose at least one file to add.")
        return redirect("victimid-series-detail", series.pk)
    added = skipped = 0
    for upload in form.cleaned_data["files"]:
        try:
            result = actions.do_add_media(
                series, actor=request.user, data=upload.read(), filename=upload.name
            )
        except MediaError as exc:
            messages.error(request, exc.message)
            continue
        if result.created:
            added += 1
        else:
            skipped += 1
    text = f"{added} file(s) added."
    if skipped:
        text += f" {skipped} already in the series."
    messages.success(request, text)
    return redirect("victimid-series-detail", series.pk)


# --------------------------------------------------------------------------- thumbnails


@login_required
@require_GET
def media_thumb(request: HttpRequest, pk: int) -> HttpResponse:
    media = access.get_for_user(Media, request.user, pk)
    revealed = False
    token = request.GET.get("r", "")
    if token:
        reveals = request.session.get(_REVEAL_KEY, {})
        if reveals.get(token) == media.pk:
            # One reveal, one view: the token is used up here.
            reveals.pop(token)
            request.session[_REVEAL_KEY] = reveals
            revealed = True
    data = None
    if media.has_file:
        try:
            data = storage.read(media.stored_path, media.wrapped_key)
        except Exception:  # noqa: BLE001 - a damaged file shows as a placeholder
            data = None
    png = thumbs.render(
        data, kind=media.kind, revealed=revealed, relaxed=request.user.relax_thumbnail_blur
    )
    return _no_store(HttpResponse(png, content_type="image/png"))


@login_required
@require_POST
def media_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    media = access.get_for_user(Media, request.user, pk)
    token = actions.do_reveal_media(media, actor=request.user)
    reveals = request.session.get(_REVEAL_KEY, {})
    # Keep the session small: only the latest few unused reveals.
    reveals = dict(list(reveals.items())[-9:])
    reveals[token] = media.pk
    request.session[_REVEAL_KEY] = reveals
    src = reverse("victimid-media-thumb", args=[media.pk]) + f"?r={token}"
    if request.htmx:
        return _no_store(
            render(request, "victimid/_thumb_revealed.html", {"media": media, "src": src})
        )
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return render(request, "victimid/media_revealed.html", {"media": media, "src": src})


# --------------------------------------------------------------------------- match requests


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    qs = MatchRequest.objects.for_user(request.user).select_related("submitted_by")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    audit_actions.do_view_list(
        MatchRequest,
        [mr.pk for mr in page],
        actor=request.user,
        action="matchrequest.list",
        filters={"page": page.number},
    )
    return render(
        request,
        "victimid/request_list.html",
        {"page": page, "can_create": access.can_create(request.user)},
    )


def _items_from_form(form: MatchRequestForm) -> tuple[str, list[actions.ItemSpec]]:
    """The submitted items; files are sealed into the store one by one as they are read."""
    data = form.cleaned_data
    if data.get("hash_list"):
        upload = data["hash_list"]
        return "hashes", parse(upload.read(), upload.name)
    items: list[actions.ItemSpec] = []
    try:
        uploads = data.get("files") or data.get("folder")
        if uploads:
            for f in uploads:
                items.append(actions.stage(f.name, f.read()))
            return "files", items
        for member, content in iter_files(data["archive"]):
            items.append(actions.stage(member.name, content))
        if not items:
            raise ValidationError("The archive holds no file.")
        return "zip", items
    except BaseException:
        actions.unstage(items)
        raise


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_create(request.user))
    form = MatchRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        items: list[actions.ItemSpec] = []
        try:
            source, items = _items_from_form(form)
            mr = actions.do_create_match_request(
                actor=request.user,
                requesting_agency=form.cleaned_data["requesting_agency"],
                case_number=form.cleaned_data["case_number"],
                source=source,
                items=items,
                threshold=form.cleaned_data.get("threshold"),
                dihedral=form.cleaned_data.get("dihedral", False),
            )
        except (ArchiveError, HashListError, VictimNameError) as exc:
            actions.unstage(items)
            form.add_error(None, str(exc))
        except UnicodeDecodeError:
            form.add_error("hash_list", "The hash list is not UTF-8 text.")
        except ValidationError as exc:
            actions.unstage(items)
            form.add_error(None, exc)
        else:
            messages.success(request, f"Match request #{mr.pk} received.")
            return redirect("victimid-request-detail", mr.pk)
    # A refused submission (bad field, hostile or damaged archive) answers 400, not 200.
    status = 400 if request.method == "POST" else 200
    return render(request, "victimid/request_form.html", {"form": form}, status=status)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mr = access.get_for_user(MatchRequest, request.user, pk)
    data = report.build(mr) if mr.finished else None
    if data is not None:
        actions.do_view_report(mr, actor=request.user, fmt="page")
    can_export = access.can(request.user, access.WRITE, mr)
    return render(
        request,
        "victimid/request_detail.html",
        {
            "mr": mr,
            "r": data,
            "can_export": can_export,
            "can_create_series": access.can_create(request.user),
            "writable_series": (
                Series.objects.for_user(request.user, access.WRITE).only("id", "name")
                if data is not None and data["new_material"]
                else []
            ),
            "relaxed": request.user.relax_thumbnail_blur,
        },
    )


@login_required
@require_POST
def request_new_material(request: HttpRequest, pk: int) -> HttpResponse:
    """Unmatched items → a new series (or an existing one), in one step."""
    mr = access.get_for_user(MatchRequest, request.user, pk)
    access.require(access.can_create(request.user))
    target = None
    if request.POST.get("series"):
        try:
            target = access.get_for_user(
                Series, request.user, int(request.POST["series"]), access.WRITE
            )
        except ValueError:
            raise Http404 from None
    try:
        positions = [int(p) for p in request.POST.getlist("item")]
        series = actions.do_series_from_new_material(
            mr,
            actor=request.user,
            positions=positions,
            name=request.POST.get("name", "")[:200],
            series=target,
        )
    except ValueError:
        messages.error(request, "Choose the unmatched items by their number.")
        return redirect("victimid-request-detail", mr.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("victimid-request-detail", mr.pk)
    messages.success(request, f"{len(positions)} item(s) added to series “{series.name}”.")
    return redirect("victimid-series-detail", series.pk)


@login_required
@require_GET
def request_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live progress fragment (htmx polls it every second while the request runs)."""
    mr = access.get_for_user(MatchRequest, request.user, pk)
    response = render(request, "victimid/_progress.html", {"mr": mr})
    if mr.finished and request.htmx:
        # Reload the whole page once: it then shows the report.
        response["HX-Refresh"] = "true"
    return _no_store(response)


def _finished(mr: MatchRequest) -> None:
    if not mr.finished:
        raise Http404("The report is not ready yet.")


@login_required
@require_GET
def request_report_json(request: HttpRequest, pk: int) -> HttpResponse:
    mr = access.get_for_user(MatchRequest, request.user, pk)
    _finished(mr)
    data = report.build(mr)
    actions.do_view_report(mr, actor=request.user, fmt="json")
    return _no_store(JsonResponse(data, json_dumps_params={"indent": 2}))


@login_required
@require_GET
def request_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    mr = access.get_for_user(MatchRequest, request.user, pk)
    _finished(mr)
    pdf = report.render_pdf(report.build(mr))
    actions.do_view_report(mr, actor=request.user, fmt="pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"match-request-{mr.pk}.pdf", inline=True)
    return _no_store(response)


def _export_dir() -> Path:
    return Path(settings.UPLOAD_DIR) / "exports"


def _send_then_delete(path: Path):
    data = path.read_bytes()
    for start in range(0, len(data), 65536):
        yield data[start : start + 65536]
    # Reached only when the server asked for more after the last chunk: it was sent.
    path.unlink(missing_ok=True)


@login_required
@require_POST
def request_export(request: HttpRequest, pk: int) -> HttpResponse:
    mr = access.get_for_user(MatchRequest, request.user, pk, access.WRITE)
    try:
        package, password = actions.do_export_report(mr, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("victimid-request-detail", mr.pk)
    token = secrets.token_urlsafe(16)
    folder = _export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # The package is AES-encrypted; it waits here until its one download.
    (folder / f"{token}.zip").write_bytes(package)
    exports = request.session.get("victimid_exports", {})
    exports[token] = mr.pk
    request.session["victimid_exports"] = exports
    return _no_store(
        render(
            request,
            "victimid/request_export.html",
            {"mr": mr, "password": password, "token": token},
        )
    )


@login_required
@require_GET
def request_export_download(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    mr = access.get_for_user(MatchRequest, request.user, pk, access.WRITE)
    exports = request.session.get("victimid_exports", {})
    if exports.get(token) != mr.pk:
        raise Http404("This package link was used already or belongs to another session.")
    path = _export_dir() / f"{token}.zip"
    if not path.is_file():
        raise Http404("This package link was used already or has expired.")
    # One download: the package is deleted once the whole body was sent, not
    # before (a failed response or transfer leaves it for another try).
    response = StreamingHttpResponse(_send_then_delete(path), content_type="application/zip")
    response["Content-Length"] = str(path.stat().st_size)
    response["Content-Disposition"] = content_disposition(
        f"vigil-match-request-{mr.pk}-{mr.case_number[:40]}.zip"
    )
    return _no_store(response)
