"""Labels shown to users, in one place so every screen says the same."""
from flask_babel import lazy_gettext as _l

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}

ROLE_LABELS = {
    "counselor": _l("Counselor"),
    "officer": _l("Case officer"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
}

CHANGE_KIND_LABELS = {
    "create": _l("New account"),
    "role_unit": _l("New role or unit"),
    "password": _l("New password set by an administrator"),
    "second_factor": _l("Second factor reset"),
}


def init_app(app) -> None:
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role)
