"""The case page's matches panel."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.cases.panels import PanelSpec
from caseapp.permissions import cases as rules
from caseapp.permissions import matching as match_rules

from .forms import MatchDecisionForm
from .models import CaseMatch
from .service import KINDS, common_path, match_counts, matches_of, names_of, nearest_supervisors

KIND_LABELS = {
    "child": _l("Possibly the same child"),
    "offender": _l("Offender account possibly named before"),
}


STATUS_LABELS = {
    "open": _l("To check"),
    "linked": _l("Linked"),
    "dismissed": _l("Dismissed"),
}


def _row(user, case: Case, match: CaseMatch) -> dict[str, Any]:
    other = match.other_case if match.case_id == case.id else match.case
    shown = match_rules.can_see_match_references(user, match)
    row: dict[str, Any] = {
        "id": match.id, "kind": match.kind, "kind_label": KIND_LABELS[match.kind],
        "status": match.status, "status_label": STATUS_LABELS[match.status],
        "found_at": clock.as_utc(match.found_at),
        "found_here": match.case_id == case.id,
        # A unit's name can be a school's: outside their subtree, not even that.
        "unit": other.unit.name if shown else "",
        "reference": other.reference if shown else None,
        "can_open": shown and rules.can_view_case(user, other),
        "can_link": False, "can_dismiss": False, "ask": None,
    }
    if match_rules.can_decide_match(user, match):
        row["can_link"] = match.status != "linked"
        row["can_dismiss"] = match.status != "dismissed"
    elif not shown:
        row["ask"] = names_of(nearest_supervisors(common_path(case.unit.path,
                                                              other.unit.path)))
    return row


def panel_context(user, case, child: bool) -> dict | None:
    """What the case page's panel needs, or None when it is not shown to ``user``.

    Reads match rows and the other cases' clear metadata only; ``child`` is
    not used: nothing here is child data, of this case or of another.
    """
    if case.is_purged:
        return None
    matches = matches_of(case)
    if not matches:
        return None
    if match_rules.can_see_matches(user, case):
        rows = sorted((_row(user, case, m) for m in matches),
                      key=lambda r: (r["status"] != "open", r["unit"], r["reference"] or "",
                                     r["kind"]))
        return {"supervisor": True, "reference": case.reference, "rows": rows,
                "form": MatchDecisionForm()}
    # The intake counselor and the officers on the case: only that a match exists.
    flags = {kind: any(m.kind == kind and m.status == "open" and m.case_id == case.id
                       for m in matches) for kind in KINDS}
    linked = len({m.other_case_id if m.case_id == case.id else m.case_id
                  for m in matches if m.status == "linked"})
    if not (flags["child"] or flags["offender"] or linked):
        return None
    return {"supervisor": False, "child_match": flags["child"],
            "offender_match": flags["offender"], "linked": linked,
            "ask": names_of(nearest_supervisors(case.unit.path))}


def summary(user, case, child: bool) -> dict | None:
    """The case page's part: for a supervisor, one line (how many to check,
    counted in SQL) linking to the matches' page; for the intake counselor and
    the officers, the warning itself, whole, on the case page: they must see
    before contacting the family that the child or the offender may be known
    from another case, and whom to ask."""
    if case.is_purged:
        return None
    counts = match_counts(case)
    if not counts:
        return None
    if match_rules.can_see_matches(user, case):
        to_check = sum(n for _kind, status, _here, n in counts if status == "open")
        line = _("Possible duplicates and repeat offenders: %(n)d to check, %(all)d in all",
                 n=to_check, all=sum(n for *_rest, n in counts))
        return {"supervisor": True, "line": line, "to_check": to_check}
    return panel_context(user, case, child)


PANEL = PanelSpec("matching", "matching/_panel.html", "main", panel_context, order=30,
                  section="matches", title=_l("Possible duplicates and repeat offenders"),
                  summary=summary, summary_template="matching/_summary.html",
                  child_data=False)
