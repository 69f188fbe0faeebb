"""API plumbing: the caller and the OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from caseapp.i18n import ROLE_LABELS

from . import openapi
from .schemas import Answer

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Me(Answer):
    username: str
    role: str
    role_label: str
    unit: str
    csrf_token: str


class Document(Answer):
    model_config = {"extra": "allow"}
    openapi: str


@openapi.route(bp, "/openapi.json", "GET", summary="This document", answer=Document,
               security="none")
def openapi_document():
    return jsonify(openapi.document())


@openapi.route(bp, "/me", "GET", answer=Me,
               summary="The logged-in user and a CSRF token for state-changing calls")
@login_required
def me():
    """Who the caller is, and the CSRF token to send back in X-CSRFToken."""
    return jsonify(Me(username=current_user.username, role=current_user.role,
                      role_label=str(ROLE_LABELS[current_user.role]),
                      unit=current_user.unit.code, csrf_token=generate_csrf()).model_dump())
