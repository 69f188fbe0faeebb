"""Partner API tokens: who may issue and revoke them, and what a token may do.

A token is not a person: it holds no role and sees no child data. It may
file an intake into its own unit (scope ``intake:create``) and read the stage
of a case its partner filed there (scope ``case:status``): the case was
recorded by the partner's service account (shared by the partner's tokens in
that unit) and is still in the token's unit. Anything else is the same 404
as a reference that does not exist.
"""
from __future__ import annotations

from caseapp.auditing.integrity import intact

from . import is_admin

SYSTEM = "system"  # the host's operator, at the command line


def can_manage_tokens(actor) -> bool:
    """Admins issue and revoke tokens (they manage accounts, never child data);
    so does the host's operator at the command line."""
    return actor == SYSTEM or is_admin(actor)


def token_has_scope(token, scope: str) -> bool:
    """The token was issued with ``scope``."""
    return scope in token.scope_list


def token_may_read_case(token, partner_account, case) -> bool:
    """The case was filed by the token's partner (its service account in the
    token's unit) and is still in that unit."""
    return (partner_account is not None and case is not None
            and case.recorded_by_id == partner_account.id and case.unit_id == token.unit_id
            and intact(case))
