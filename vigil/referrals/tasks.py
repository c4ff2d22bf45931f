"""Background task: remove expired share packages (schedule it, or run the command)."""

from __future__ import annotations

from django_tasks import task


@task()
def remove_expired_shares() -> int:
    from vigil.referrals import actions

    return actions.do_remove_expired_shares()
