"""Flask extension singletons, configured in the app factory."""
from __future__ import annotations

from functools import cached_property

from flask import g
from flask_babel import Babel, Domain
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations (and SQLite batch mode) can
# address every constraint by name on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's catalogue found once per
    request. Flask-Babel looks it up again for every string (nine context-local
    look-ups each), and a page translates hundreds (labels of forms, titles);
    the catalogue is kept beside the locale it is for, so a changed locale
    (``force_locale``, ``refresh``) finds its own."""

    def get_translations(self):
        try:
            ctx = g._flask_babel
            locale, translations = ctx.caseapp_translations
            if locale is ctx.babel_locale:
                return translations
        except (RuntimeError, AttributeError):  # outside a request, or not yet found
            pass
        translations = super().get_translations()
        ctx = g.get("_flask_babel") if g else None
        locale = getattr(ctx, "babel_locale", None)
        if locale is not None:
            ctx.caseapp_translations = (locale, translations)
        return translations


class CaseappBabel(Babel):
    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)


babel = CaseappBabel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
