"""caseapp: confidential case management for children harmed online."""
from __future__ import annotations

import logging
import os
import uuid

from flask import Flask, g, has_request_context, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import settings
from .core.requests import CaseApp
from .crypto.shredding import scrub_if_asked
from .extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "migrations")


def create_app(test_config: dict | None = None, env: str | None = None) -> Flask:
    instance = (test_config or {}).get("INSTANCE_PATH") or settings.instance_path()
    app = CaseApp(__name__, instance_path=instance, instance_relative_config=True)
    configure_settings(app, env, test_config)
    configure_logging(app)
    configure_database(app)
    configure_keys(app)
    configure_accounts(app)
    configure_web(app)
    configure_i18n(app)
    configure_features(app)
    configure_errors(app)
    configure_cli(app)
    return app


def configure_settings(app: Flask, env: str | None, test_config: dict | None) -> None:
    app.config.from_mapping(settings.load(env, app.instance_path, test_config))
    if app.config["TRUSTED_PROXY_COUNT"]:
        n = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def configure_logging(app: Flask) -> None:
    # Request bodies and query strings are never logged: they may hold child data.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def configure_database(app: Flask) -> None:
    # Importing the model modules registers their tables on the metadata.
    from . import models  # noqa: F401
    from .database import configure_sqlite

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)


def configure_keys(app: Flask) -> None:
    from . import crypto

    crypto.init_app(app)


def configure_accounts(app: Flask) -> None:
    from .accounts import passwords
    from .accounts.models import User
    from .accounts.sessions import DatabaseSessionInterface

    passwords.init_app(app)
    app.session_interface = DatabaseSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side session is the protection

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import redirect, url_for

        from .core.errors import render_error

        if request.path.startswith("/api/"):
            return render_error(401)
        return redirect(url_for("accounts.login", next=request.path))

    @login_manager.user_loader
    def load_user(user_id: str):
        from .auditing.integrity import intact

        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        # A role, unit or enabled flag changed in the database by hand opens nothing.
        return user if intact(user, actor="anonymous") else None


def configure_web(app: Flask) -> None:
    from .accounts import rate_limits  # noqa: F401  (registers the caseapp-db:// storage)
    from .core import forms, security

    limiter.init_app(app)
    csrf.init_app(app)
    security.init_app(app)
    forms.init_app(app)

    @app.before_request
    def start_request():
        # Set already when a hook ahead of this one wrote to the audit log.
        g.setdefault("request_id", uuid.uuid4().hex)

    @app.after_request
    def commit_request(response):
        # The one commit of a request: a change and its audit entry land together
        # (or neither: a database that cannot take the commit answers 503).
        try:
            db.session.commit()
        except DBAPIError as exc:
            from .core.errors import database_is_unavailable, database_unavailable

            if not database_is_unavailable(exc):
                raise
            return make_response(database_unavailable(exc))
        scrub_if_asked(db.engine)  # a shredded case's pages out of the SQLite WAL
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response


def configure_i18n(app: Flask) -> None:
    def select_locale():
        if not has_request_context():
            return app.config["BABEL_DEFAULT_LOCALE"]
        if g.get("page_locale") in app.config["LANGUAGES"]:
            return g.page_locale  # a page whose address names its language (/en/help)
        if current_user and current_user.is_authenticated and current_user.locale:
            return current_user.locale
        chosen = session.get("locale")
        if chosen in app.config["LANGUAGES"]:
            return chosen
        return app.config["BABEL_DEFAULT_LOCALE"]

    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.globals["get_locale"] = get_locale
    from . import i18n

    i18n.init_app(app)


# Each feature package wires itself in (blueprints, case-page panels, hooks)
# through its init_app; the order is the order of the pages' panels' ties.
FEATURES = ("home", "accounts", "admin", "auditlog", "api", "cases", "supervision",
            "notifications", "break_glass", "matching", "data_rights", "consent",
            "evidence", "followups", "takedown", "printing", "awareness", "reports",
            "family", "transfers", "partners", "public_help")


def configure_features(app: Flask) -> None:
    from importlib import import_module

    from . import permissions
    from .accounts import kept
    from .accounts import service as accounts

    # A lower layer's registry, filled from the top: the permission layer makes
    # the grant that opens a user's own second factor.
    accounts.register_second_factor_grant(permissions.grant_own_second_factor)
    kept.register_grant(permissions.grant_own_kept_form)
    for name in FEATURES:
        import_module(f"caseapp.{name}").init_app(app)


def configure_errors(app: Flask) -> None:
    from .accounts.passwords import HasherBusy
    from .core import errors
    from .permissions import PermissionDenied

    errors.init_app(app)
    # A refusal keeps what the service recorded (the denial); services refuse
    # before they change anything.
    errors.handle(app, PermissionDenied, 403)
    errors.handle(app, HasherBusy, 503, rollback=True, headers={"Retry-After": "30"})


def configure_cli(app: Flask) -> None:
    from .cli import register

    register(app)
