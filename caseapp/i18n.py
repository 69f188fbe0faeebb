"""Labels shown to users, in one place so every screen says the same."""
from flask_babel import lazy_gettext as _l

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}

ROLE_LABELS = {
    "counselor": _l("Counselor"),
    "officer": _l("Case officer"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
}


def init_app(app) -> None:
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role)
