"""Deconfliction actions: raise flags, link, dismiss, unlink, manage the warning list.

Split along its seams; this package re-exports the public functions so
`from vigil.deconfliction import actions; actions.do_link_tips(...)` keeps working.

- reference.py  the warning list and common values (per-process caches, warning-list edits)
- flagging.py   raising flags when a tip gains selectors, withdrawing them when it loses some
- matching.py   candidate pairs beyond exact values: names, handles of unknown platform
- decisions.py  link, dismiss, remove a link (a person's decision, audited)
- receivers.py  the signal receivers connected in DeconflictionConfig.ready

Raising flags is a follow-up of adding selectors (the tips actions send
`selectors_added` inside their transaction); deciding a flag is always a
person's action. Nothing here links tips automatically. The read side
(`queries.py`) never imports this package.
"""

from vigil.deconfliction.actions.decisions import (
    LinkOutcome,
    SharedOutcome,
    do_dismiss_flag,
    do_dismiss_shared_value,
    do_link_shared_value,
    do_link_tips,
    do_remove_link,
)
from vigil.deconfliction.actions.flagging import (
    FlagOutcome,
    do_flag_selectors,
    do_flag_tips,
    do_withdraw_selectors,
)
from vigil.deconfliction.actions.matching import MAX_NAME_CANDIDATES, NewFlag
from vigil.deconfliction.actions.receivers import (
    on_selectors_added,
    on_selectors_added_bulk,
    on_selectors_confirmed,
    on_selectors_removed,
)
from vigil.deconfliction.actions.reference import (
    common_values,
    do_add_warning_entry,
    do_remove_warning_entry,
    invalidate_common_values,
    invalidate_warning_list,
    normalise_warning_value,
    warning_list,
)
from vigil.deconfliction.queries import cluster_tip_ids

__all__ = [
    "MAX_NAME_CANDIDATES",
    "FlagOutcome",
    "LinkOutcome",
    "NewFlag",
    "SharedOutcome",
    "cluster_tip_ids",
    "common_values",
    "do_add_warning_entry",
    "do_dismiss_flag",
    "do_dismiss_shared_value",
    "do_flag_selectors",
    "do_flag_tips",
    "do_link_shared_value",
    "do_link_tips",
    "do_remove_link",
    "do_remove_warning_entry",
    "do_withdraw_selectors",
    "invalidate_common_values",
    "invalidate_warning_list",
    "normalise_warning_value",
    "on_selectors_added",
    "on_selectors_added_bulk",
    "on_selectors_confirmed",
    "on_selectors_removed",
    "warning_list",
]
