from django.urls import path

from vigil.tips import views

urlpatterns = [
    path("", views.queue, name="tips-queue"),
    path("export.csv", views.export, name="tips-export"),
    path("bulk/priority", views.bulk_priority, name="tips-bulk-priority"),
    path("bulk/take", views.bulk_take, name="tips-bulk-take"),
    path("bulk/assign", views.bulk_assign, name="tips-bulk-assign"),
    path("new/", views.create, name="tips-create"),
    path("new/extract", views.extract, name="tips-extract"),
    path("new/selector-row", views.selector_row, name="tips-selector-row"),
    path("search/", views.search_page, name="tips-search"),
    path("sources/", views.sources, name="tips-sources"),
    path("sources/new/", views.source_edit, name="tips-source-create"),
    path("sources/<int:pk>/", views.source_edit, name="tips-source-edit"),
    path("import/", views.import_upload, name="tips-import"),
    path("import/<int:pk>/", views.import_detail, name="tips-import-detail"),
    path("import/<int:pk>/progress", views.import_progress, name="tips-import-progress"),
    path("import/<int:pk>/resume/", views.import_resume, name="tips-import-resume"),
    path("<int:pk>/", views.detail, name="tips-detail"),
    path("<int:pk>/edit/", views.edit, name="tips-edit"),
    path("<int:pk>/triage", views.triage, name="tips-triage"),
    path("<int:pk>/priority", views.priority, name="tips-priority"),
    path("<int:pk>/assign", views.assign, name="tips-assign"),
    path("<int:pk>/selectors", views.selector_add, name="tips-selector-add"),
    path(
        "<int:pk>/selectors/<int:sid>/confirm", views.selector_confirm, name="tips-selector-confirm"
    ),
    path("<int:pk>/selectors/<int:sid>/remove", views.selector_remove, name="tips-selector-remove"),
    path("<int:pk>/notes", views.note_add, name="tips-note-add"),
    path("<int:pk>/notes/<int:nid>/attachment", views.note_attachment, name="tips-note-attachment"),
    path("<int:pk>/evidence", views.evidence_add, name="tips-evidence-add"),
    path(
        "<int:pk>/evidence/<int:eid>/transfer",
        views.evidence_transfer,
        name="tips-evidence-transfer",
    ),
]
