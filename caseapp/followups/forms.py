"""Forms of follow-ups and the plan's goals."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from caseapp.cases.forms import CaseForm, radios, select_field
from caseapp.core.forms import DayField

from .service import FollowUpData, ProgressData, SettleData

GOAL_STATUS_LABELS = {"not_started": _l("Not started"), "in_progress": _l("In progress"),
                      "reached": _l("Reached"), "dropped": _l("Dropped")}
FOLLOW_UP_KIND_LABELS = {"home_visit": _l("Home visit"), "call": _l("Phone call"),
                         "school_visit": _l("School visit"),
                         "family_meeting": _l("Meeting with the family")}
FOLLOW_UP_STATE_LABELS = {"scheduled": _l("Planned"), "done": _l("Done"),
                          "missed": _l("Missed")}
RESULT_LABELS = {"done": _l("Done"), "missed": _l("Missed")}


class GoalForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {"text": _l("Write the goal.")}

    text = TextAreaField(_l("Goal"), render_kw={"rows": 2})


class ProgressForm(CaseForm):
    FIELDS: ClassVar[dict[str, str]] = {"id": "goal_id"}
    REQUIRED: ClassVar[dict[str, Any]] = {
        "goal_id": _l("Choose the goal."),
        "status": _l("Choose the goal's status."),
        "note": _l("Write what happened towards the goal.")}

    goal_id = select_field(_l("Goal"))
    status = radios(_l("Status of the goal"), GOAL_STATUS_LABELS.items())
    noted_on = DayField(_l("Date (empty: today)"))
    note = TextAreaField(_l("Progress note"), render_kw={"rows": 2})

    def to_data(self) -> ProgressData:
        return ProgressData(goal_id=self.goal_id.data or "", status=self.status.data or "",
                            note=self.note.data or "", noted_on=self.noted_on.data)


class FollowUpForm(CaseForm):
    FIELDS: ClassVar[dict[str, str]] = {"assignee": "assignee_id"}
    REQUIRED: ClassVar[dict[str, Any]] = {
        "due_on": _l("Give the day of the follow-up."),
        "kind": _l("Choose the kind of follow-up."),
        "assignee_id": _l("Choose who goes: a person of the case's unit.")}

    due_on = DayField(_l("Day"))
    kind = radios(_l("Kind"), FOLLOW_UP_KIND_LABELS.items())
    assignee_id = select_field(_l("Who goes"))

    def to_data(self) -> FollowUpData:
        return FollowUpData(due_on=self.due_on.data, kind=self.kind.data or "",
                            assignee_id=self.assignee_id.data or "")


class SettleForm(CaseForm):
    FIELDS: ClassVar[dict[str, str]] = {"id": "follow_up_id"}
    REQUIRED: ClassVar[dict[str, Any]] = {
        "follow_up_id": _l("Choose the follow-up."),
        "result": _l("Say whether the follow-up was done or missed."),
        "outcome": _l("Write what came of it (or why it was missed).")}

    follow_up_id = select_field(_l("Follow-up"))
    result = radios(_l("Result"), RESULT_LABELS.items())
    outcome = TextAreaField(_l("Outcome"), render_kw={"rows": 2})

    def to_data(self) -> SettleData:
        return SettleData(follow_up_id=self.follow_up_id.data or "",
                          result=self.result.data or "", outcome=self.outcome.data or "")
