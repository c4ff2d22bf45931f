"""Signals victimid sends from its actions, inside their transaction.

media_deleted
    Media rows are about to be deleted. kwargs: ``rows`` (list of (md5, sha1,
    series name)), ``actor``. The exchange app keeps tombstones for partners.
"""

from django.dispatch import Signal

media_deleted = Signal()
