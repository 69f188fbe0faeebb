"""The partner API under /api/v1/partner: a bearer token, never a session.

Each request: the caller's address is checked against its failed-token
allowance first (a flood of bad tokens is answered 429 before any look-up,
and its refusals are audited only while under that allowance and under a
global one, so the log cannot be made to grow without bound); then the
token (401 with ``WWW-Authenticate: Bearer`` when missing, unknown, expired
or revoked), the per-token rate limit (Flask-Limiter, 429 with Retry-After),
the route's scope (403). Every call is audited with the token's id, and its
answers carry a reference and a stage: never child data. No session cookie
is read on these paths (the session interface skips them), so no CSRF token
is asked for either.
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from limits import parse as parse_limit
from limits import parse_many

from caseapp.api.openapi import route
from caseapp.api.problems import problem
from caseapp.api.schemas import InvalidInput, parse
from caseapp.auditing.writer import record
from caseapp.cases.errors import CaseError
from caseapp.cases.workflow import STAGE_LABELS
from caseapp.core.safety import client_network
from caseapp.extensions import limiter
from caseapp.permissions import partners as rules

from . import service
from .models import ApiToken
from .schemas import PartnerCaseStatus, PartnerIntakeIn, PartnerRecorded

PREFIX = "/api/v1/partner"
bp = Blueprint("partners_api", __name__, url_prefix=PREFIX)

MAX_KEY_LENGTH = 200
TOKEN_ERRORS = {
    "401": "No token, or an unknown, expired or revoked one (WWW-Authenticate: Bearer)",
    "403": "The token was not issued with this route's scope",
    "404": "Not found, or not filed by this partner in the token's unit (the same answer)",
    "429": "Too many calls with this token, or too many failed tokens from this address "
           "(Retry-After)",
}
INTAKE_ERRORS = {  # names no case: never a 404
    **{code: text for code, text in TOKEN_ERRORS.items() if code != "404"},
    "400": "Malformed JSON",
    "422": "Invalid input (fields names each), an Idempotency-Key that is not 1 to 200 "
           "visible characters, or one used before with another body",
}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": "^[!-~]+$"},
    "description": "The same key (per partner and unit, for PARTNER_IDEMPOTENCY_HOURS) "
                   "files one case: a repeat gets the first answer again"}


def _limit(name: str):
    return parse_limit(current_app.config[name])


def _retry_after(item, *keys) -> str:
    reset, _remaining = limiter.limiter.get_window_stats(item, *keys)
    return str(max(1, int(reset - time.time()) + 1))


def too_many(retry_after: str):
    return problem(429, _l("Too many requests"),
                   _l("Too many calls: wait for the number of seconds in Retry-After."),
                   headers={"Retry-After": retry_after})


def _address() -> str:
    return client_network(request.remote_addr)


def _audit(action: str, token: ApiToken | None, reason: str, **details) -> None:
    """A refused call. Without a valid token only while the global allowance of
    audited refusals lasts (PARTNER_REFUSALS_AUDITED): what an attacker cannot
    stop is the 401. A known token's refusals are always written (the token's
    own rate limit bounds them): a flood of bad tokens cannot hide a partner's
    probing."""
    if token is None and not limiter.limiter.hit(_limit("PARTNER_REFUSALS_AUDITED"),
                                                 "partner-refusal-audit"):
        return
    record(action, outcome="denied", actor=token if token is not None else "anonymous",
           object_type="partner_token" if token is not None else "endpoint",
           object_id=token.id if token is not None else (request.endpoint or "unknown")[:64],
           unit_path=token.unit.path if token is not None else None,
           details={"reason": reason, "route": (request.endpoint or "unknown")[:64],
                    "method": request.method, **details})


def _bearer() -> str | None:
    kind, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    return secret.strip() if kind.lower() == "bearer" else None


@bp.before_request
def authenticate():
    """The token, or a 401 (a 429 for an address past its failures). The token
    is looked up first: bad tokens from an address (a shared NAT, a proxy)
    must not lock out the valid one of a hotline behind it."""
    failures = _limit("PARTNER_AUTH_FAILURES_PER_ADDRESS")
    token, reason = service.authenticate(_bearer())
    if reason == "ok" and not token.unit.is_active:
        _audit("partner.refused", token, "unit_inactive")
        return problem(403, _l("Not allowed"),
                       _l("This unit no longer takes reports: ask the service for a token "
                          "of the unit that does."))
    if reason != "ok":
        if not limiter.limiter.test(failures, "partner-auth", _address()):
            return too_many(_retry_after(failures, "partner-auth", _address()))
        limiter.limiter.hit(failures, "partner-auth", _address())
        _audit("partner.refused", token, reason)
        return problem(401, _l("Not authorised"),
                       _l("Send a valid partner token: Authorization: Bearer <token>."),
                       headers={"WWW-Authenticate": 'Bearer realm="caseapp", '
                                                    'error="invalid_token"'})
    g.partner_token = token
    service.touch(token)
    return None


def current_token() -> ApiToken:
    return g.partner_token


def _token_key() -> str:
    return f"partner-token:{current_token().id}"


def _token_rate() -> str:
    return current_app.config["PARTNER_RATE_LIMIT"]


# One allowance per token for all its routes.
per_token = limiter.shared_limit(_token_rate, scope="partner-token", key_func=_token_key)


@bp.errorhandler(RateLimitExceeded)
def token_throttled(_exc):
    current = limiter.current_limit
    retry = str(max(1, int(current.reset_at - time.time()) + 1)) if current else "60"
    _audit("partner.refused", g.get("partner_token"), "throttled")
    return too_many(retry)


def _scope_refused(scope: str):
    """The token lacks ``scope``: 403, audited."""
    _audit("partner.refused", current_token(), "scope", scope=scope)
    return problem(403, _l("Not allowed"), _l("This token was not issued for this call."))


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        raise InvalidInput({"Idempotency-Key": _l("Give from 1 to 200 visible ASCII "
                                                  "characters.")})
    return key


def _body_digest() -> str:
    """The body's digest as JSON (key order and spacing do not make it another body)."""
    payload = request.get_json(silent=True)
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return service.keyed_digest("body", text)


@route(bp, "/intakes", "POST", body=PartnerIntakeIn, answer=PartnerRecorded, status=201,
       security="token", errors=INTAKE_ERRORS, query=[IDEMPOTENCY_HEADER],
       summary="File a report into the token's unit (scope intake:create)",
       description="The intake of POST /cases without `unit`: the token's unit. Filed by the "
                   "partner's service account; answers the reference and the stage only.")
@per_token
def file_intake():
    token = current_token()
    if not rules.token_has_scope(token, "intake:create"):
        return _scope_refused("intake:create")
    for limit in parse_many(current_app.config["PARTNER_INTAKE_LIMIT"]):
        if not limiter.limiter.test(limit, "partner-intake", token.family):
            _audit("partner.refused", token, "intake_limit")
            return too_many(_retry_after(limit, "partner-intake", token.family))
    try:
        key = _idempotency_key()
        body = parse(PartnerIntakeIn)
        filed = service.file_intake(token, body.to_data(token.unit.code), key=key,
                                    body_hash=_body_digest())
    except service.KeyMismatch:
        _audit("partner.refused", token, "idempotency_key_not_ours")
        return problem(409, _l("Key used before"),
                       _l("This Idempotency-Key names no report of yours: use a new key."),
                       fields={"Idempotency-Key": _l("Names no report of yours.")})
    except service.KeyReused:
        _audit("partner.refused", token, "idempotency_key_reused")
        return problem(422, _l("Key used before"),
                       _l("This Idempotency-Key was sent before with another body: use a new "
                          "key for a new report."),
                       fields={"Idempotency-Key": _l("Used before with another body.")})
    except (InvalidInput, CaseError):
        record("partner.intake", outcome="failed", actor=token, object_type="partner_token",
               object_id=token.id, unit_path=token.unit.path, details={"reason": "invalid"})
        raise
    if not filed.replayed:
        for limit in parse_many(current_app.config["PARTNER_INTAKE_LIMIT"]):
            limiter.limiter.hit(limit, "partner-intake", token.family)
    record("partner.intake", actor=token, object_type="case", object_id=filed.reference,
           unit_path=token.unit.path, details={"replayed": filed.replayed})
    response = jsonify(PartnerRecorded(reference=filed.reference, stage=filed.stage)
                       .model_dump())
    if filed.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, filed.status


@route(bp, "/cases/<reference>", "GET", answer=PartnerCaseStatus, security="token",
       errors=TOKEN_ERRORS,
       summary="The stage of a case this partner filed in the token's unit (scope case:status)")
@per_token
def case_status(reference: str):
    token = current_token()
    if not rules.token_has_scope(token, "case:status"):
        return _scope_refused("case:status")
    case = service.case_for_token(token, reference)
    if case is None:
        _audit("partner.status", token, "not_found")
        return problem(404, _l("Not found"), _l("No case with this reference for this token."))
    record("partner.status", actor=token, object_type="case", object_id=case.reference,
           unit_path=token.unit.path, details={"stage": case.stage})
    return jsonify(PartnerCaseStatus(reference=case.reference, stage=case.stage,
                                     stage_label=str(STAGE_LABELS[case.stage])).model_dump())
