"""Signals that cross app boundaries without an import between the apps.

Sent explicitly from actions, inside their transaction (never model signals),
so bulk paths and commands cannot skip them.

disclosed
    Something left the unit (a subpoena served, a referral sent, a share, a
    partner export). kwargs: ``records`` (list of (kind, id) pairs, e.g.
    ("tip", 12), or (kind, first, last) runs of consecutive integer ids, e.g.
    ("media", 1, 5000): a transfer of a million records is one disclosure of a
    few runs), ``recipient`` (str: the organisation), ``purpose`` (str),
    ``method`` (str: e-mail, portal, package, sync, …), ``actor`` (User),
    ``source`` (the object that disclosed, e.g. the Subpoena). The referrals
    app connects and writes one accounting-of-disclosures record (Privacy Act
    5 U.S.C. 552a(c)); senders import nothing of it.
"""

from django.dispatch import Signal

disclosed = Signal()
