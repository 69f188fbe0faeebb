"""What staff see of a public request: a line at the top of its case page (it
came from the public form; the messages its sender left, read by those who see
the child's data), a badge on list rows, and the words of its notices."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.cases.panels import PanelSpec
from caseapp.extensions import db
from caseapp.permissions import public_help as rules

from .service import messages_of

NOTICE = _l("A request for help came from the public form: case")
DANGER_NOTICE = _l("A request from the public form says the child is in danger now: assign "
                   "the case at once. Case")
MESSAGE_NOTICE = _l("The person who asked for help through the public form left a message "
                    "on case")


def panel_context(user, case, child: bool) -> dict | None:
    if not rules.is_public_request(case):
        return None
    return {"public_messages": messages_of(case) if child and not case.is_purged else None,
            "awaiting_triage": rules.awaiting_triage(case)}


PANEL = PanelSpec("public_help", "public_help/_panel.html", "top", panel_context, order=5)


def list_badges(case_ids: list[str], _now) -> dict[str, list[tuple[str, str]]]:
    """A "From the public" badge on the rows of public requests (one statement)."""
    public = select(User.id).where(User.username.startswith(
        rules.PUBLIC_SERVICE_KIND + User.SERVICE_MARK, autoescape=True))
    ids = db.session.scalars(select(Case.id).where(Case.id.in_(case_ids),
                                                   Case.recorded_by_id.in_(public)))
    label = _("From the public form")
    return {case_id: [("waiting", label)] for case_id in ids}
