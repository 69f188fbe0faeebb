"""API plumbing: JSON errors, the caller, the OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from caseapp.i18n import ROLE_LABELS

from . import openapi

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/me")
@login_required
def me():
    """Who the caller is, and the CSRF token to send back in X-CSRFToken."""
    return jsonify(username=current_user.username, role=current_user.role,
                   role_label=str(ROLE_LABELS[current_user.role]),
                   unit=current_user.unit.code, csrf_token=generate_csrf())


openapi.add_path("/me", "get", {
    "summary": "The logged-in user and a CSRF token for state-changing calls",
    "responses": {"200": {"description": "The caller", "content": {"application/json": {
        "schema": {"type": "object", "properties": {
            "username": {"type": "string"}, "role": {"type": "string"},
            "role_label": {"type": "string"}, "unit": {"type": "string"},
            "csrf_token": {"type": "string"}}}}}}},
})
