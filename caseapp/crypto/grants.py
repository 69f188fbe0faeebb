"""Grants: the proof, made only by the permission module, that an access check passed.

Convention (enforced at run time as far as Python allows, and by a test that
scans the source tree):

* Only ``caseapp.permissions`` (and its submodules) call :func:`issue_grant`,
  right after it has decided that ``actor_id`` may see the record owner(s),
  and it writes the audit entry for that view in the same place.
* Everything else -- views, services, the API, exports, CLI commands -- asks
  ``caseapp.permissions`` for a grant and passes it to
  :func:`caseapp.crypto.unlock`. A code path that skipped the permission
  check holds no grant, so it cannot unlock the data key, so reading a
  sealed field raises :class:`~caseapp.crypto.errors.AccessNotGranted`.
* ``Grant(...)`` cannot be constructed without the module-private capability;
  :func:`issue_grant` checks the calling module's name against the registered
  issuers. :func:`allow_issuer` adds one (tests; anything else needs a
  security review and belongs in ``caseapp.permissions`` anyway).

This is a capability *convention* inside one Python process, not a sandbox:
code that deliberately reaches into private names can forge anything. It
makes the accidental path -- a new route that forgets the check -- fail
closed, and makes the deliberate one visible in review.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime

from caseapp import clock

from .errors import IssuerNotAllowed

_CAPABILITY = object()
_ISSUERS: set[str] = {"caseapp.permissions"}


class Grant:
    """Permission to unlock the data keys of ``owner_ids`` for ``reason``.

    Immutable, not picklable (it must not outlive the request or command that
    the permission check was made for), and only made by :func:`issue_grant`.
    """

    __slots__ = ("_capability", "actor_id", "columns", "issued_at", "owner_ids", "reason")

    reason: str
    actor_id: str | None
    owner_ids: frozenset[str]
    issued_at: datetime
    # None: every sealed column of the owners' records. Else only these
    # ("table.column"): a purpose-bound reading (a supervisor approving a plan
    # reads the plan, not the child's contacts).
    columns: frozenset[str] | None

    def __init__(self, *, reason: str, actor_id: str | None, owner_ids: frozenset[str],
                 capability: object, columns: frozenset[str] | None = None):
        if capability is not _CAPABILITY:
            raise IssuerNotAllowed("grants are issued by caseapp.permissions through "
                                   "caseapp.crypto.grants.issue_grant")
        setter = object.__setattr__
        setter(self, "reason", reason)
        setter(self, "actor_id", actor_id)
        setter(self, "owner_ids", owner_ids)
        setter(self, "columns", columns)
        setter(self, "issued_at", clock.now())
        setter(self, "_capability", capability)

    def __setattr__(self, name, value):
        raise AttributeError("grants are immutable")

    def __delattr__(self, name):
        raise AttributeError("grants are immutable")

    def __reduce__(self):
        raise TypeError("grants cannot be pickled or stored")

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def covers(self, owner_id: str) -> bool:
        return owner_id in self.owner_ids

    def __repr__(self) -> str:
        limited = "" if self.columns is None else f" columns={len(self.columns)}"
        return (f"<Grant {self.reason!r} actor={self.actor_id} "
                f"owners={len(self.owner_ids)}{limited}>")


def is_genuine(grant: object) -> bool:
    """True for a grant made by :func:`issue_grant` (not a look-alike)."""
    try:
        return type(grant) is Grant and object.__getattribute__(grant, "_capability") \
            is _CAPABILITY
    except AttributeError:
        return False


def _allowed(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in _ISSUERS)


def issue_grant(reason: str, actor_id: str | None, owner_id: str | Iterable[str], *,
                columns: Iterable[str] | None = None) -> Grant:
    """Make a grant. Call only from ``caseapp.permissions``, after the check.

    ``reason`` names the check that passed (for example ``"case.view"``,
    ``"case.break_glass"``, ``"export.report"``); ``actor_id`` is the user (or
    None for a system job); ``owner_id`` is one owner id or several;
    ``columns`` ("table.column") limits the grant to those sealed columns.
    """
    caller = sys._getframe(1).f_globals.get("__name__", "")
    if not _allowed(caller):
        raise IssuerNotAllowed(f"module {caller!r} may not issue grants; ask "
                               "caseapp.permissions for one")
    if not reason or not isinstance(reason, str):
        raise ValueError("a grant needs a reason")
    ids = frozenset([owner_id] if isinstance(owner_id, str) else owner_id)
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError("a grant names at least one owner id (strings)")
    limit = None
    if columns is not None:
        limit = frozenset(columns)
        if not limit or not all(isinstance(c, str) and "." in c for c in limit):
            raise ValueError("a limited grant names at least one column as 'table.column'")
    return Grant(reason=reason, actor_id=actor_id, owner_ids=ids, capability=_CAPABILITY,
                 columns=limit)


def allow_issuer(module_name: str) -> None:
    """Register another module (and its submodules) as a grant issuer.

    For test suites. Production code should route through caseapp.permissions.
    """
    _ISSUERS.add(module_name)


def registered_issuers() -> frozenset[str]:
    return frozenset(_ISSUERS)
