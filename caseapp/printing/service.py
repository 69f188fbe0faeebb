"""Printable forms of Decree 56/2017 (Mẫu 01 to 06).

Each stage's record prints as its form, in Vietnamese whatever the user's
language (the forms are official Vietnamese documents, so their text is
written here and in ``templates/printing/`` in Vietnamese, not translated):

* Mẫu 01: the report received at intake (always);
* Mẫu 02: the initial risk assessment (once the case was assessed);
* Mẫu 03: the needs assessment(s) (once one is recorded);
* Mẫu 04: the support/intervention plan, newest version (once drafted);
* Mẫu 05: the approval of the plan, newest approved version (once approved);
* Mẫu 06: the review before closing (once closure was requested; then the
  sign-off too once a supervisor approved it).

Which forms exist is read from operational metadata; their content is child
data, read only after :func:`caseapp.permissions.printing.grant_case_print`
(checked and audited as "case.print") unlocked the case. The page itself is
:mod:`caseapp.printing.views`; the case page's side panel lists the
links, only when that page already shows the child's data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.cases import deadlines, reference_data
from caseapp.cases.screens import user_names
from caseapp.crypto import unlock
from caseapp.permissions import printing as print_rules

DECREE = "Nghị định số 56/2017/NĐ-CP ngày 09/5/2017 của Chính phủ"


@dataclass(frozen=True)
class FormSpec:
    code: str
    title: str  # the form's title, in Vietnamese (official text)
    link: Any  # the panel's link, an English msgid
    template: str


FORMS: dict[str, FormSpec] = {spec.code: spec for spec in (
    FormSpec("01", "Phiếu tiếp nhận thông tin, thông báo, tố giác về hành vi xâm hại trẻ em",
             _l("Print form 01: report received"), "printing/form_01.html"),
    FormSpec("02", "Phiếu đánh giá ban đầu về nguy cơ đối với trẻ em",
             _l("Print form 02: initial risk assessment"), "printing/form_02.html"),
    FormSpec("03", "Phiếu đánh giá nhu cầu hỗ trợ, can thiệp đối với trẻ em",
             _l("Print form 03: needs assessment"), "printing/form_03.html"),
    FormSpec("04", "Kế hoạch hỗ trợ, can thiệp đối với trẻ em",
             _l("Print form 04: support plan"), "printing/form_04.html"),
    FormSpec("05", "Phê duyệt kế hoạch hỗ trợ, can thiệp đối với trẻ em",
             _l("Print form 05: plan approval"), "printing/form_05.html"),
    FormSpec("06", "Phiếu rà soát, đánh giá kết quả hỗ trợ, can thiệp và đóng hồ sơ",
             _l("Print form 06: review and closure"), "printing/form_06.html"),
)}

# Official wording of the codes the forms print (the app's own labels are
# English msgids translated per user; a form is Vietnamese for everyone).
LEVELS_VI = {"high": "Cao", "medium": "Trung bình", "low": "Thấp"}
STAGES_VI = {"intake": "Tiếp nhận", "assessment": "Đánh giá", "support": "Hỗ trợ, can thiệp",
             "referral": "Chuyển gửi", "closure": "Đã đóng hồ sơ"}
LEGAL_GROUNDS_VI = {
    "emergency": "Khẩn cấp: trẻ em đang gặp nguy hiểm",
    "legal_duty": "Nghĩa vụ theo luật định (yêu cầu của cơ quan có thẩm quyền)",
}
SHARING_BASES_VI = {"consent": "Có sự đồng ý (ghi nhận khi tiếp nhận)", **LEGAL_GROUNDS_VI}
REFERRAL_STATUSES_VI = {"sent": "Đã gửi", "accepted": "Đã tiếp nhận", "declined": "Từ chối",
                        "completed": "Đã hoàn thành"}
ACTION_KINDS_VI = {
    "emergency": "Can thiệp khẩn cấp",
    "counselling": "Tư vấn",
    "psychological": "Hỗ trợ tâm lý",
    "medical": "Chăm sóc y tế",
    "legal": "Hỗ trợ pháp lý",
    "education": "Hỗ trợ học tập",
    "online_safety": "An toàn trên mạng (tài khoản, gỡ bỏ nội dung)",
    "family": "Hỗ trợ gia đình",
    "other": "Khác",
}
YES, NO = "Có", "Không"


# --- which forms exist -----------------------------------------------------------------------

def _initial(case) -> list:
    return [a for a in case.assessments if a.kind == "initial"]


def _needs(case) -> list:
    return [a for a in case.assessments if a.kind == "needs"]


def _approved_plans(case) -> list:
    return [p for p in case.plans if p.approved_at is not None]


def is_available(case, code: str) -> bool:
    """Form ``code`` has a record to print (metadata only: no decryption)."""
    if code == "01":
        return True
    if code == "02":
        return bool(_initial(case))
    if code == "03":
        return bool(_needs(case))
    if code == "04":
        return bool(case.plans)
    if code == "05":
        return bool(_approved_plans(case))
    if code == "06":
        return case.closure_requested_at is not None or case.stage == "closure"
    return False


def available_forms(case) -> list[FormSpec]:
    if case.is_purged:
        return []
    return [spec for code, spec in FORMS.items() if is_available(case, code)]


# --- the panel -------------------------------------------------------------------------------



# --- formatting ------------------------------------------------------------------------------

def local(value: datetime | None) -> datetime | None:
    return value.astimezone(deadlines.local_timezone()) if value is not None else None


def fmt_datetime(value: datetime | None) -> str:
    return local(value).strftime("%H:%M ngày %d/%m/%Y") if value is not None else ""


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return value.strftime("%d/%m/%Y")


def place_date(place: str, value: datetime | None) -> str:
    """"<place>, ngày 05 tháng 03 năm 2026", the dateline of a Vietnamese document."""
    day = local(value or clock.now()).date()
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def ref_label(kind: str, code: str | None) -> str:
    entry = reference_data.get(kind, code, active_only=False)
    return entry.label_vi if entry is not None else (code or "")


def _value_text(value) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value)
    return "" if value is None else str(value)


def detail_rows(details: dict | None) -> list[tuple[str, str]]:
    """An assessment's structured details as (label, text) rows, in their order."""
    if not isinstance(details, dict):
        return []
    return [(str(key).replace("_", " "), _value_text(value)) for key, value in details.items()]


def _due(value) -> str:
    if not value:
        return ""
    try:
        return fmt_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


# --- what each form prints (the case must be unlocked) ---------------------------------------

def _child(case) -> dict:
    if case.child_date_of_birth is not None:
        born = fmt_date(case.child_date_of_birth)
    elif case.child_estimated_age is not None:
        born = f"khoảng {case.child_estimated_age} tuổi"
    else:
        born = ""
    return {
        "name": case.child_full_name or "",
        "born": born,
        "gender": ref_label("gender", case.gender_code),
        "address": case.child_address or "",
        "school": case.child_school or "",
        "school_class": case.child_class or "",
        "phone": case.child_phone or "",
        "guardian_name": case.guardian_name or "",
        "guardian_contact": case.guardian_contact or "",
    }


def _assessment(a, names) -> dict:
    return {"at": fmt_datetime(a.recorded_at), "by": names.get(a.recorded_by_id, ""),
            "risk": a.risk_level, "immediate_danger": a.immediate_danger,
            "notes": a.notes or "", "details": detail_rows(a.details)}


def _plan(plan, names) -> dict:
    return {"version": plan.version, "drafted_at": fmt_datetime(plan.drafted_at),
            "drafted_by": names.get(plan.drafted_by_id, ""), "goals": plan.goals or "",
            "activities": [{"action": i.get("action", ""), "who": i.get("who", ""),
                       "due": _due(i.get("due"))} for i in (plan.items or [])
                           if isinstance(i, dict)],
            "approved_at": fmt_datetime(plan.approved_at),
            "approved_by": names.get(plan.approved_by_id, "")}


def _actions(case, names, *, kinds=None) -> list[dict]:
    return [{"at": fmt_datetime(a.performed_at), "kind": ACTION_KINDS_VI.get(a.kind, a.kind),
             "by": names.get(a.recorded_by_id, ""), "description": a.description or ""}
            for a in case.support_actions if kinds is None or a.kind in kinds]


def _referrals(case) -> list[dict]:
    return [{"agency": ref_label("agency", r.agency_code),
             "status": REFERRAL_STATUSES_VI.get(r.status, r.status),
             "basis": SHARING_BASES_VI.get(r.sharing_basis, r.sharing_basis),
             "sent_at": fmt_date(r.sent_at), "accepted_at": fmt_date(r.accepted_at),
             "declined_at": fmt_date(r.declined_at), "completed_at": fmt_date(r.completed_at),
             "reason": r.reason or "", "what_was_sent": r.what_was_sent or "",
             "outcome": r.outcome or ""} for r in case.referrals]


def form_context(case, code: str, printed_by, *, family_copy: bool = False) -> dict:
    """Everything form ``code`` of ``case`` prints. Reads child data: unlock first.

    ``family_copy``: the copy for the child or guardian, without the reporter,
    the offender's accounts, the police and where material is held."""
    spec = FORMS[code]
    ids = [case.recorded_by_id, case.lead_officer_id, case.closure_requested_by_id,
           case.closure_approved_by_id, *(a.recorded_by_id for a in case.assessments),
           *(p.drafted_by_id for p in case.plans), *(p.approved_by_id for p in case.plans),
           *(a.recorded_by_id for a in case.support_actions)]
    names = user_names(ids)
    context: dict[str, Any] = {
        "spec": spec, "decree": DECREE, "reference": case.reference,
        "unit_name": case.unit.name, "unit_code": case.unit.code,
        "parent_unit_name": case.unit.parent.name if case.unit.parent is not None else "",
        "stage": STAGES_VI.get(case.stage, case.stage), "child": _child(case),
        "levels": LEVELS_VI, "lead_officer": names.get(case.lead_officer_id, ""),
        "printed_at": fmt_datetime(clock.now()),
        "printed_by": printed_by.display_name or printed_by.username,
        "family_copy": family_copy,
    }
    if code == "01":
        context.update(
            dated=place_date(case.unit.name, case.received_at),
            received_at=fmt_datetime(case.received_at),
            channel=ref_label("channel", case.channel_code),
            requested_by=ref_label("requested_by", case.requested_by_code),
            help_requested=case.help_requested,
            reporter={"name": case.reporter_name or "", "relation": case.reporter_relation or "",
                      "phone": case.reporter_phone or ""},
            harms=[ref_label("harm_category", c) for c in case.harm_category_codes],
            platforms=[ref_label("platform", c) for c in case.platform_codes],
            offender_accounts=[{"platform": ref_label("platform", a.platform_code)
                                if a.platform_code else "", "handle": a.handle or ""}
                               for a in case.offender_accounts],
            narrative=case.narrative or "", immediate_danger=case.immediate_danger,
            evidence={"location": case.evidence_location or "",
                      "police_unit": case.evidence_police_unit or "",
                      "police_reference": case.evidence_police_reference or ""},
            consent={"child": case.consent_child, "guardian": case.consent_guardian,
                     "legal_ground": LEGAL_GROUNDS_VI.get(case.legal_ground, "")
                     if case.legal_ground else "",
                     "note": case.consent_note or ""},
            recorded_by=names.get(case.recorded_by_id, ""))
        if family_copy:
            # Where the child lives and studies and how to reach them: a guardian asking
            # may be the person the child was moved away from.
            context["child"] = {**context["child"], "address": "", "phone": "", "school": "",
                                "school_class": "", "guardian_contact": ""}
            context.update(channel="", requested_by="",
                           reporter={"name": "", "relation": "", "phone": ""},
                           offender_accounts=[], evidence={"location": "", "police_unit": "",
                                                           "police_reference": ""})
    elif code == "02":
        initial = _initial(case)[-1]
        context.update(
            dated=place_date(case.unit.name, initial.recorded_at),
            assessment=_assessment(initial, names),
            received_at=fmt_datetime(case.received_at),
            harms=[ref_label("harm_category", c) for c in case.harm_category_codes],
            emergency_due=fmt_datetime(case.emergency_due_at),
            emergency_done=fmt_datetime(case.emergency_done_at),
            emergency_actions=_actions(case, names, kinds=("emergency",)))
    elif code == "03":
        needs = _needs(case)
        context.update(dated=place_date(case.unit.name, needs[-1].recorded_at),
                       assessments=[_assessment(a, names) for a in needs],
                       risk_level=case.risk_level)
    elif code == "04":
        plan = case.plans[-1]
        context.update(dated=place_date(case.unit.name, plan.drafted_at),
                       plan=_plan(plan, names), versions=len(case.plans),
                       risk_level=case.risk_level,
                       follow_up=fmt_datetime(case.next_follow_up_at))
    elif code == "05":
        plan = _approved_plans(case)[-1]
        newer = case.plans[-1] if case.plans[-1].version != plan.version else None
        context.update(dated=place_date(case.unit.name, plan.approved_at),
                       plan=_plan(plan, names),
                       newer_version=newer.version if newer is not None else None)
    elif code == "06":
        context.update(
            dated=place_date(case.unit.name, case.closure_approved_at
                             or case.closure_requested_at),
            received_at=fmt_datetime(case.received_at),
            reason=ref_label("closure_reason", case.closure_reason_code),
            review={"harm": case.review_harm_level, "access": case.review_access_level,
                    "obstacles": case.review_obstacles_level},
            review_notes=case.review_notes or "", outcome_summary=case.outcome_summary or "",
            requested_at=fmt_datetime(case.closure_requested_at),
            requested_by=names.get(case.closure_requested_by_id, ""),
            approved_at=fmt_datetime(case.closure_approved_at),
            approved_by=names.get(case.closure_approved_by_id, ""),
            plan=_plan(case.plans[-1], names) if case.plans else None,
            actions=_actions(case, names), referrals=_referrals(case))
    return context


class NotPrintable(Exception):
    """This form cannot be printed for this case (yet, or as a family copy)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def print_context(user, case, spec: FormSpec, *, family_copy: bool = False) -> dict:
    """Check, open the case's key for this print (audited "case.print"), and
    build the form's page. The right to copy the child's data is checked first
    (403, audited denial); a form whose step is not recorded, or a family copy
    of a form other than 01, is NotPrintable (nothing opened, nothing audited)."""
    print_rules.check_case_print(user, case)
    if not is_available(case, spec.code):
        raise NotPrintable(_l("Form %(code)s cannot be printed yet: its step has not been "
                              "recorded for this case.", code=spec.code))
    if family_copy and spec.code != "01":
        raise NotPrintable(_l("Only form 01 has a copy for the child or guardian: the other "
                              "forms name agencies, the police and the people who help."))
    unlock(case, grant=print_rules.grant_case_print(user, case, spec.code,
                                                    family_copy=family_copy))
    return form_context(case, spec.code, user, family_copy=family_copy)
