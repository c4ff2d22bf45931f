"""Every change to victim-identification data: permission check, change, audit row.

Split along its seams; this package re-exports the public names so
`from vigil.victimid import actions; actions.do_add_media(...)` and
`from vigil.victimid.actions import ItemSpec` keep working.

- common.py        who acts (a user, or the operator at the shell) as the audit row names them
- series.py        create, update, delete a series
- media.py         store a medium (row, frames, variants, media.add), add a file, reveal one
- requests.py      match requests: stage, create, process an item, summarise, finish, reports
- new_material.py  unmatched items of a request become a series
- variants.py      the extra hashes of stored media, and their backfill (vigil backfill_variants)
"""

from vigil.victimid.actions.media import AddedMedia, do_add_media, do_reveal_media
from vigil.victimid.actions.new_material import do_series_from_new_material
from vigil.victimid.actions.requests import (
    ItemSpec,
    do_create_match_request,
    do_export_report,
    do_finish_match_request,
    do_view_report,
    process_item,
    purge_expired_exports,
    stage,
    summarise,
    unstage,
)
from vigil.victimid.actions.series import (
    SERIES_FIELDS,
    do_create_series,
    do_delete_series,
    do_update_series,
)
from vigil.victimid.actions.variants import do_backfill_variants, store_variants

__all__ = [
    "SERIES_FIELDS",
    "AddedMedia",
    "ItemSpec",
    "do_add_media",
    "do_backfill_variants",
    "do_create_match_request",
    "do_create_series",
    "do_delete_series",
    "do_export_report",
    "do_finish_match_request",
    "do_reveal_media",
    "do_series_from_new_material",
    "do_update_series",
    "do_view_report",
    "process_item",
    "purge_expired_exports",
    "stage",
    "store_variants",
    "summarise",
    "unstage",
]
