"""The case page's printable-forms panel."""
from __future__ import annotations

from caseapp.cases.panels import PanelSpec
from caseapp.family import service as family
from caseapp.permissions import printing as printing_rules

from .service import available_forms


def panel_context(user, case, child: bool) -> dict | None:
    """What the case page's panel needs, or None when it is not shown to ``user``.

    Printing shows the child's data: the links are offered only on a page that
    already shows it (the print route checks again, and audits each print).
    """
    if not child or not printing_rules.can_print_case(user, case):
        return None
    forms = available_forms(case)
    if not forms:
        return None
    # The family copy goes to no one flagged "may be the abuser" (and names none).
    return {"reference": case.reference, "forms": forms,
            "flagged": len(family.flagged_members(case))}


# With the features' panels, below the forms to act on.
PANEL = PanelSpec("printing", "printing/_panel.html", "main", panel_context, order=70)
