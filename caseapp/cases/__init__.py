"""Cases: intake to closure, scoped to the people assigned.

``models`` (tables), ``workflow`` (the one state machine), ``deadlines``,
``service`` (every change), ``queries`` (the one scoped query),
``reference_data`` (admin-editable lists), ``retention`` (crypto-shredding).
"""


def init_app(app) -> None:
    from . import api, views
    from .errors import CaseError

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_error_handler(CaseError, api.case_error)
