"""The case page's follow-ups section: its one line on the case page, and its
own page (/cases/<reference>/sections/followups) with the goals of the plan,
the follow-ups and their forms. A second, smaller panel shows a supervisor
reading a closure request how the plan went."""
from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.cases.panels import PanelSpec
from caseapp.cases.screens import user_names
from caseapp.permissions import cases as case_rules
from caseapp.permissions import followups as rules

from .forms import (
    FOLLOW_UP_KIND_LABELS,
    FOLLOW_UP_STATE_LABELS,
    GOAL_STATUS_LABELS,
    FollowUpForm,
    GoalForm,
    ProgressForm,
    SettleForm,
)
from .service import counts, follow_ups_of, goals_of, needing_attention, unit_people


def _day(value) -> str:
    return format_date(value, "dd/MM/yyyy") if value else "—"


def goal_form(**kwargs) -> GoalForm:
    return GoalForm(prefix="goal", **kwargs)


def progress_form(goals, **kwargs) -> ProgressForm:
    form = ProgressForm(prefix="progress", **kwargs)
    form.goal_id.choices = [("", _("Choose…"))] + [
        (g.id, _("Goal %(n)d", n=g.number)) for g in goals]
    return form


def follow_up_form(case, **kwargs) -> FollowUpForm:
    form = FollowUpForm(prefix="followup", **kwargs)
    form.assignee_id.choices = [("", _("Choose…"))] + [
        (u.id, u.display_name or u.username) for u in unit_people(case)]
    return form


def settle_form(rows, **kwargs) -> SettleForm:
    form = SettleForm(prefix="settle", **kwargs)
    form.follow_up_id.choices = [("", _("Choose…"))] + [
        (r.id, f"{_day(r.due_on)} · {FOLLOW_UP_KIND_LABELS[r.kind]}")
        for r in rows if r.state == "scheduled"]
    return form


def panel_context(user, case, child: bool) -> dict | None:
    """Metadata (days, kinds, who goes, states, goal statuses) for everyone who
    sees the case; the words (goals, notes, outcomes, the plan's goals text)
    only with ``child``; the forms for the people working on the open case."""
    if not rules.can_see_followups(user, case):
        return None
    goals = goals_of(case)
    rows = follow_ups_of(case)
    now = clock.now()
    late = {r.id for r in needing_attention(rows, now)}
    names = user_names([r.assignee_id for r in rows] + [r.settled_by_id for r in rows])
    works = rules.can_record_followups(user, case)
    plan = case.latest_plan
    return {
        "child": child, "goals": goals, "rows": rows, "late": late, "names": names,
        "day": _day, "status_labels": GOAL_STATUS_LABELS, "kind_labels": FOLLOW_UP_KIND_LABELS,
        "state_labels": FOLLOW_UP_STATE_LABELS,
        # The plan's goals as drafted (one text, before goals were records): shown
        # beside the records, never changed by them.
        "plan_goals": plan.goals if (child and plan is not None) else None,
        "has_plan": plan is not None,
        "goal_form": goal_form(formdata=None) if works and plan is not None else None,
        "progress_form": progress_form(goals, formdata=None) if works and goals else None,
        "follow_up_form": follow_up_form(case, formdata=None) if works else None,
        "settle_form": settle_form(rows, formdata=None)
        if works and any(r.state == "scheduled" for r in rows) else None,
    }


def summary(user, case, child: bool) -> dict | None:
    """The case page's line: the next follow-up's day, how many are overdue or
    missed, how many goals are reached (counted in SQL)."""
    if not rules.can_see_followups(user, case):
        return None
    found = counts(case)
    parts = [_("Next follow-up: %(day)s", day=_day(found.next_on)) if found.next_on
             else _("No follow-up planned")]
    if found.overdue and not case.is_closed:
        parts.append(_("overdue or missed: %(n)d", n=found.overdue))
    if found.goals:
        parts.append(_("goals reached: %(n)d of %(total)d", n=found.reached,
                       total=found.goals))
    return {"line": " · ".join(parts),
            "alert": _("Follow-up overdue") if found.overdue and not case.is_closed else None}


def review_context(user, case, child: bool) -> dict | None:
    """How the plan went, for a closure decision: each goal's status and the
    follow-ups done. The words only for those who may read them (``child``, or
    a supervisor reading the closure request they decide on)."""
    if not (case.closure_pending and case_rules.can_read_for_approval(user, case)):
        return None
    rows = follow_ups_of(case)
    return {"goals": goals_of(case), "done": [r for r in rows if r.state == "done"],
            "missed": [r for r in rows if r.state == "missed"], "day": _day,
            "status_labels": GOAL_STATUS_LABELS, "kind_labels": FOLLOW_UP_KIND_LABELS}


PANEL = PanelSpec("followups", "followups/_panel.html", "main", panel_context, order=55,
                  section="followups", title=_l("Follow-ups and the plan's goals"),
                  summary=summary)
REVIEW_PANEL = PanelSpec("followups_review", "followups/_review.html", "approval",
                         review_context, order=55)
