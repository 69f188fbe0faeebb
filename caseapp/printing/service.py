"""Printable forms of Decree 56/2017 (Mẫu 01 to 06).

Each stage's record prints as its form, in Vietnamese whatever the user's
language (the forms are official Vietnamese documents, so their text is
written here and in ``templates/printing/`` in Vietnamese, not translated):

* Mẫu 01: the report received at intake (always);
* Mẫu 02: the initial risk assessment (once the case was assessed);
* Mẫu 03: the needs assessment(s) and the needs meeting (once one is recorded);
* Mẫu 04: the support and intervention plan, newest version (once drafted);
* Mẫu 05: the draft decision approving the plan, for the commune chairman to
  sign (once a supervisor approved a plan; not for a minor of 16-17, to whom
  the decree's procedure does not apply);
* Mẫu 06: the review at the end of the plan (once the lead officer recorded it
  with a closure request).

**Which forms follow the annex word for word.** The annex of the decree could
be read only through secondary copies (README: "Printed forms"). Mẫu 01's
title and every field, in order, were found in two copies that agree; it is
printed as the annex has it (the app's further intake data follows on a
separate, marked page). For Mẫu 02 to 06 the annex text was not found whole:
they are built from the decree's articles (and for Mẫu 06 the annex's title
and section 1a, which were found) and their header says "Dựa theo Mẫu số ...",
never "ban hành kèm theo".

Which forms exist is read from operational metadata; their content is child
data, read only after :func:`caseapp.permissions.printing.grant_case_print`
(checked and audited as "case.print") unlocked the case. The page itself is
:mod:`caseapp.printing.views`; the case page's side panel lists the
links, only when that page already shows the child's data.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.cases import reference_data
from caseapp.cases.screens import user_names
from caseapp.crypto import unlock
from caseapp.family import service as family
from caseapp.followups import service as followups
from caseapp.i18n import format_day, format_moment, product_name
from caseapp.permissions import printing as print_rules

DECREE = "Nghị định số 56/2017/NĐ-CP ngày 09/5/2017 của Chính phủ"
ANNEX = "Phụ lục Nghị định số 56/2017/NĐ-CP"


@dataclass(frozen=True)
class FormSpec:
    code: str
    title: str  # the form's title, in Vietnamese (official text where found)
    link: Any  # the panel's link, an English msgid
    template: str
    # True: title and fields as the annex has them; False: built on the decree's
    # articles, headed "Dựa theo Mẫu số ..." (README: "Printed forms").
    verbatim: bool

    @property
    def header(self) -> str:
        if self.verbatim:
            return f"Mẫu số {self.code} ({ANNEX})"
        return f"Dựa theo Mẫu số {self.code}, {ANNEX}"


FORMS: dict[str, FormSpec] = {spec.code: spec for spec in (
    FormSpec("01", "BÁO CÁO TIẾP NHẬN THÔNG TIN TRẺ EM",
             _l("Print form 01 (full copy): report received"), "printing/form_01.html",
             verbatim=True),
    FormSpec("02", "ĐÁNH GIÁ NGUY CƠ BAN ĐẦU, MỨC ĐỘ TỔN HẠI CỦA TRẺ EM",
             _l("Print form 02: initial risk assessment"), "printing/form_02.html",
             verbatim=False),
    FormSpec("03", "BÁO CÁO THU THẬP THÔNG TIN, ĐÁNH GIÁ NGUY CƠ CỤ THỂ TÌNH HÌNH TRẺ EM",
             _l("Print form 03: needs assessment"), "printing/form_03.html", verbatim=False),
    FormSpec("04", "KẾ HOẠCH HỖ TRỢ, CAN THIỆP",
             _l("Print form 04: support plan"), "printing/form_04.html", verbatim=False),
    FormSpec("05", "QUYẾT ĐỊNH",
             _l("Print form 05: decision on the plan"), "printing/form_05.html",
             verbatim=False),
    FormSpec("06", ("RÀ SOÁT, ĐÁNH GIÁ TÌNH TRẠNG CỦA TRẺ EM SAU KHI THỰC HIỆN KẾ HOẠCH "
                    "HỖ TRỢ, CAN THIỆP"),
             _l("Print form 06: review"), "printing/form_06.html", verbatim=False),
)}

# Official wording of the codes the forms print (the app's own labels are
# English msgids translated per user; a form is Vietnamese for everyone).
LEVELS_VI = {"high": "Cao", "medium": "Trung bình", "low": "Thấp"}
STAGES_VI = {"intake": "Tiếp nhận", "assessment": "Đánh giá", "support": "Hỗ trợ, can thiệp",
             "referral": "Chuyển gửi", "closure": "Đã đóng hồ sơ"}
# Mẫu 01, note (4): "Trẻ em thuộc đối tượng: bị xâm hại/có nguy cơ bị bạo lực,
# bóc lột, bỏ rơi/trẻ em có hoàn cảnh đặc biệt".
CHILD_GROUPS_VI = {"abused": "BỊ XÂM HẠI",
                   "at_risk": "CÓ NGUY CƠ BỊ BẠO LỰC, BÓC LỘT, BỎ RƠI",
                   "special_circumstances": "CÓ HOÀN CẢNH ĐẶC BIỆT"}
CONSENTS_VI = {"given": "Đồng ý", "refused": "Không đồng ý", "not_asked": "Chưa hỏi ý kiến",
               "too_young": "Không áp dụng (trẻ em dưới 7 tuổi)"}
SAFE_TONIGHT_VI = {"yes": "Có", "no": "Không (nguy hiểm tức thời)", "unknown": "Chưa rõ"}
LEGAL_GROUNDS_VI = {
    "emergency": "Khẩn cấp: trẻ em đang gặp nguy hiểm",
    "legal_duty": "Nghĩa vụ theo luật định (yêu cầu của cơ quan có thẩm quyền)",
    "receive_report": ("Trách nhiệm tiếp nhận, ghi chép thông tin (Điều 25 Nghị định số "
                       "56/2017/NĐ-CP)"),
}
SHARING_BASES_VI = {"consent": "Có sự đồng ý (ghi nhận khi tiếp nhận)", **LEGAL_GROUNDS_VI}
REFERRAL_STATUSES_VI = {"sent": "Đã gửi", "accepted": "Đã tiếp nhận", "declined": "Từ chối",
                        "completed": "Đã hoàn thành"}
ACTION_KINDS_VI = {
    "emergency": "Biện pháp can thiệp khẩn cấp",
    "separation": "Tạm thời cách ly trẻ em khỏi môi trường hoặc người gây tổn hại",
    "safe_place": "Bố trí nơi tạm trú an toàn",
    "counselling": "Tư vấn",
    "psychological": "Hỗ trợ tâm lý",
    "medical": "Chăm sóc y tế",
    "legal": "Hỗ trợ pháp lý",
    "education": "Hỗ trợ học tập",
    "online_safety": "An toàn trên mạng (tài khoản, gỡ bỏ nội dung)",
    "family": "Hỗ trợ gia đình",
    "other": "Khác",
}
EMERGENCY_KINDS = ("emergency", "separation", "safe_place")
PERSON_RELATIONS_VI = {"father": "Cha", "mother": "Mẹ", "caregiver": "Người chăm sóc",
                       "sibling": "Anh, chị, em", "grandparent": "Ông, bà",
                       "relative": "Người thân khác", "teacher": "Giáo viên", "other": "Khác"}
# The relations of the family section (caseapp.family).
FAMILY_RELATIONS_VI = {**PERSON_RELATIONS_VI, "step_parent": "Cha dượng, mẹ kế",
                       "caregiver": "Người chăm sóc khác"}
DO_NOT_CONTACT_VI = "KHÔNG LIÊN HỆ: có thể là người xâm hại hoặc có liên hệ với người xâm hại"
REDACTED_VI = "[đã lược bỏ]"
YES, NO = "Có", "Không"

# Mẫu 02 and Mẫu 06 1a: the three criteria. Their wording and the meaning of
# each level are the annex's (Mẫu 06, section 1a, found verbatim).
HARM_CRITERIA = (
    ("harm", "Mức độ tổn hại của trẻ em có còn nghiêm trọng không", {
        "high": "tổn hại của trẻ em vẫn còn rất nghiêm trọng, ảnh hưởng đến sự phát triển của "
                "trẻ em",
        "medium": "tổn hại của trẻ em còn ít nghiêm trọng",
        "low": "tổn hại của trẻ em không còn nghiêm trọng"}),
    ("access", "Khả năng tiếp cận trẻ em của đối tượng xâm hại", {
        "high": "đối tượng xâm hại vẫn có khả năng tiếp cận trẻ em và thường xuyên",
        "medium": "đối tượng xâm hại có cơ hội tiếp cận trẻ em, nhưng không thường xuyên",
        "low": "đối tượng xâm hại ít hoặc không có khả năng tiếp cận trẻ em"}),
    ("obstacles", "Những trở ngại trong môi trường chăm sóc trẻ em đối với việc bảo đảm an "
                  "toàn cho trẻ em", {
        "high": "môi trường chăm sóc vẫn có nhiều trở ngại đáng kể để bảo đảm an toàn cho trẻ em",
        "medium": "có một vài trở ngại, nhưng trẻ em vẫn có được sự bảo vệ nhất định",
        "low": "có ít hoặc không có trở ngại nào cho việc bảo vệ trẻ em"}),
)
# Mẫu 02 words the first criterion for the start of the procedure.
INITIAL_HARM_LABEL = "Mức độ tổn hại của trẻ em"
# Mẫu 06 1b (its rows were not found in the annex): from Art. 30(1)(b), the
# child's ability to protect themself and the stability of their recovery.
SELF_CRITERIA = (
    ("self_protection", "Khả năng tự bảo vệ của trẻ em"),
    ("recovery", "Sự phục hồi, ổn định về thể chất, tâm lý, nhận thức, tình cảm của trẻ em"),
)
# Mẫu 03: Decree 56, Art. 27(1) a-h, verbatim.
NEEDS_POINTS = (
    ("a", "condition", "Tình trạng thể chất, tâm lý, tình cảm của trẻ em"),
    ("b", "family", "Hoàn cảnh gia đình, mối quan hệ của trẻ em và năng lực bảo vệ trẻ em của "
                    "cha, mẹ, các thành viên trong gia đình"),
    ("c", "risk_factors", "Các yếu tố làm trẻ em có thể bị xâm hại hoặc tiếp tục bị xâm hại"),
    ("d", "learning", "Điều kiện, khả năng học tập và khả năng tự bảo vệ của trẻ em"),
    ("đ", "community", "Mức độ an toàn và khả năng hỗ trợ của cộng đồng dân cư nơi trẻ em "
                       "sinh sống"),
    ("e", "service_needs", "Nhu cầu chăm sóc y tế, chữa trị các tổn hại về thể chất và tinh "
                           "thần của trẻ em; nhu cầu trợ giúp xã hội, hỗ trợ giáo dục, đào tạo, "
                           "giáo dục nghề nghiệp, trợ giúp pháp lý, hỗ trợ tư vấn, trị liệu tâm "
                           "lý và các dịch vụ bảo vệ trẻ em khác"),
    ("g", "child_views", "Ý kiến, nguyện vọng của trẻ em được hỗ trợ, can thiệp"),
    ("h", "caregiver_views", "Ý kiến, nguyện vọng của cha, mẹ, người chăm sóc trẻ em"),
)


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
        return bool(_approved_plans(case)) and not case.is_minor
    if code == "06":
        return case.review_harm_level is not None
    return False


def available_forms(case) -> list[FormSpec]:
    if case.is_purged:
        return []
    return [spec for code, spec in FORMS.items() if is_available(case, code)]


# --- formatting ------------------------------------------------------------------------------

def local(value: datetime | None) -> datetime | None:
    return value.astimezone(clock.local_timezone()) if value is not None else None


def fmt_datetime(value: datetime | None) -> str:
    return format_moment(value)


def fmt_date(value: date | datetime | None) -> str:
    return format_day(value)


def vietnamese_product_name() -> str:
    """The product's name on a printed form (in Vietnamese, as the whole form is)."""
    with force_locale("vi"):
        return product_name()


def place_date(place: str, value: datetime | None) -> str:
    """"<place>, ngày 05 tháng 03 năm 2026", the dateline of a Vietnamese document."""
    day = local(value or clock.now()).date()
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def ref_label(kind: str, code: str | None) -> str:
    entry = reference_data.get(kind, code, active_only=False)
    return entry.label_vi if entry is not None else (code or "")


def _due(value) -> str:
    if not value:
        return ""
    try:
        return fmt_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def money(value) -> str:
    """1500000 -> "1.500.000" (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else ""


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
        "date_of_birth": fmt_date(case.child_date_of_birth),
        "estimated_age": case.child_estimated_age,
        "gender": case.gender_code,
        "gender_label": ref_label("gender", case.gender_code),
        "address": case.child_address or "",
        "school": case.child_school or "",
        "school_class": case.child_class or "",
        "phone": case.child_phone or "",
        "guardian_name": case.guardian_name or "",
        "guardian_contact": case.guardian_contact or "",
    }


def _person(case, relation: str) -> dict:
    found = next((p for p in case.people if p.relation == relation), None)
    if found is None:
        return {"name": "", "age": "", "occupation": ""}
    return {"name": found.full_name or "", "age": "" if found.age is None else found.age,
            "occupation": found.occupation or ""}


def _family_age(member) -> Any:
    """A person's age as printed: given, or from the year of birth; "" if unknown."""
    if member.age is not None:
        return member.age
    if member.birth_year is not None:
        return max(local(clock.now()).year - member.birth_year, 0)
    return ""


def _family_row(member) -> dict:
    return {"relation": FAMILY_RELATIONS_VI.get(member.relation or "", "Khác"),
            "name": member.full_name or "", "age": _family_age(member),
            "born": member.birth_year or "", "occupation": member.occupation or "",
            "contact": member.contact or "", "lives_with": member.lives_with,
            "do_not_contact": member.flagged}


def _family(case, family_copy: bool) -> dict | None:
    """The family fields of Mẫu 01 and 03 from the family section's records, or
    None when the case has none (the forms then print the intake's fields).

    On the family copy a person flagged "may be the abuser" is not there at
    all: not as father or mother, not among the people to contact (the copy
    goes to the family, so never to them)."""
    members = family.members_of(case)
    household = family.household_of(case)
    if not members and household is None:
        return None
    shown = [m for m in members if not (family_copy and m.flagged)]

    def parent(relation: str) -> dict:
        found = next((m for m in shown if m.relation == relation), None)
        if found is None:
            return {"name": "", "age": "", "occupation": ""}
        return {"name": found.full_name or "", "age": _family_age(found),
                "occupation": found.occupation or "", "do_not_contact": found.flagged}

    parents = {rel: next((m.id for m in shown if m.relation == rel), None)
               for rel in ("father", "mother")}
    contacts = [m for m in shown if not m.flagged]
    return {
        "father": parent("father"), "mother": parent("mother"),
        "others": [_family_row(m) for m in shown if m.id not in parents.values()],
        "members": [_family_row(m) for m in shown],
        "guardian_name": ", ".join(
            f"{m.full_name} ({FAMILY_RELATIONS_VI.get(m.relation or '', 'Khác')})"
            for m in contacts if m.full_name),
        "guardian_contact": " · ".join(m.contact for m in contacts if m.contact),
        "lives_with": household.lives_with or "" if household is not None else "",
        "circumstances": household.circumstances or "" if household is not None else "",
        "flagged": [m for m in members if m.flagged],
    }


def _redact(value: Any, needles: list[str]) -> Any:
    """Every string in ``value`` with each of ``needles`` (case-insensitively, in
    one Unicode form, spaces collapsed) cut out."""
    if isinstance(value, str):
        value = " ".join(unicodedata.normalize("NFC", value).split()) if value.strip() \
            else value
        if len(value.casefold()) != len(value):
            # Folding changed the length: positions would not match, cut it all.
            return REDACTED_VI if any(n in value.casefold() for n in needles) else value
        for needle in needles:
            start = value.casefold().find(needle)
            while start >= 0:
                value = value[:start] + REDACTED_VI + value[start + len(needle):]
                start = value.casefold().find(needle, start + len(REDACTED_VI))
        return value
    if isinstance(value, dict):
        return {k: _redact(v, needles) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v, needles) for v in value)
    return value


# Form 01's free texts, left off the family copy when someone is flagged.
FREE_TEXTS = ("incident_place", "condition", "consequences", "family", "caregiver",
              "help_before", "notes", "narrative")
CALL_TEXTS = ("harm_when", "whereabouts", "advice", "access_needs")


def _without_free_texts(context: dict) -> dict:
    context = {**context, **{k: REDACTED_VI for k in FREE_TEXTS if context.get(k)}}
    if isinstance(context.get("call"), dict):
        context["call"] = {**context["call"],
                           **{k: REDACTED_VI for k in CALL_TEXTS if context["call"].get(k)}}
    if isinstance(context.get("consent"), dict) and context["consent"].get("note"):
        context["consent"] = {**context["consent"], "note": REDACTED_VI}
    return context


def _flagged_needles(flagged) -> list[str]:
    """What names or reaches a flagged person, as it may appear in free text."""
    needles = []
    for m in flagged:
        for text in (m.full_name, m.contact):
            text = " ".join(unicodedata.normalize("NFC", text or "").split())
            if len(text) >= 3:
                needles.append(text.casefold())
    return sorted(set(needles), key=len, reverse=True)


def _plan(plan, names) -> dict:
    items = [i for i in (plan.items or []) if isinstance(i, dict)]
    costs = [i.get("cost") for i in items if isinstance(i.get("cost"), int)]
    return {"version": plan.version, "drafted_at": fmt_datetime(plan.drafted_at),
            "drafted_by": names.get(plan.drafted_by_id, ""), "goals": plan.goals or "",
            "activities": [{"action": i.get("action", ""), "who": i.get("who", ""),
                            "provider": i.get("provider") or "", "start": _due(i.get("start")),
                            "due": _due(i.get("due")), "cost": money(i.get("cost"))}
                           for i in items],
            "total_cost": money(sum(costs)) if costs else "",
            "approved_at": fmt_datetime(plan.approved_at),
            "approved_by": names.get(plan.approved_by_id, ""),
            "decision": ({"number": plan.decision_number or "",
                          "date": fmt_date(plan.decision_date),
                          "signatory": plan.decision_signatory or ""}
                         if plan.decision_recorded_at else None)}


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


def _tally(levels) -> dict:
    """"Tổng số Cao: Trung bình: Thấp:" of a section of Mẫu 06 (or Mẫu 02)."""
    return {code: sum(1 for level in levels if level == code) for code in LEVELS_VI}


def _form_01(case, names, family_copy: bool) -> dict:
    received = local(case.received_at)
    context = dict(
        dated=place_date(case.unit.name, case.received_at), issuer=case.unit.name,
        number=f"{case.reference}/BC-{case.unit.code}",
        group=CHILD_GROUPS_VI.get(case.child_group or "", ""),
        received_time=received.strftime("%H:%M"), received_day=received.day,
        received_month=received.month, received_year=received.year,
        channel=ref_label("channel", case.channel_code),
        incident_place=case.incident_place or "", condition=case.child_condition or "",
        consequences=case.consequences_without_help or "",
        father=_person(case, "father"), mother=_person(case, "mother"),
        family=case.family_circumstances or "", caregiver=case.current_caregiver or "",
        help_before=case.help_before_report or "",
        # An anonymous reporter's name and contacts go on no copy (the full one too).
        reporter=({"name": "", "phone": "", "address": "", "relation": ""}
                  if case.reporter_anonymous else
                  {"name": case.reporter_name or "", "phone": case.reporter_phone or "",
                   "address": case.reporter_address or "",
                   "relation": case.reporter_relation or ""}),
        reporter_anonymous=case.reporter_anonymous,
        notes=case.intake_notes or "",
        # What the hotline counselor asked on the call (the app's own data).
        call={"number": case.hotline_call_number or "",
              "harm_when": " · ".join(v for v in (fmt_date(case.harm_date),
                                                  case.harm_when or "") if v),
              "whereabouts": case.child_whereabouts or "",
              "safe_tonight": SAFE_TONIGHT_VI.get(case.safe_tonight or "", ""),
              "advice": case.advice_given or "", "access_needs": case.child_access_needs or ""},
        others=[{"relation": PERSON_RELATIONS_VI.get(p.relation, p.relation),
                 "name": p.full_name or "", "age": "" if p.age is None else p.age,
                 "occupation": p.occupation or "", "contact": p.contact or ""}
                for p in case.people if p.relation not in ("father", "mother")],
        # The app's further intake data, on its own page after the form.
        requested_by=ref_label("requested_by", case.requested_by_code),
        help_requested=case.help_requested,
        harms=[ref_label("harm_category", c) for c in case.harm_category_codes],
        platforms=[ref_label("platform", c) for c in case.platform_codes],
        offender_accounts=[{"platform": ref_label("platform", a.platform_code)
                            if a.platform_code else "", "handle": a.handle or ""}
                           for a in case.offender_accounts],
        narrative=case.narrative or "", immediate_danger=case.immediate_danger,
        evidence={"location": case.evidence_location or "",
                  "police_unit": case.evidence_police_unit or "",
                  "police_reference": case.evidence_police_reference or ""},
        consent={"child": CONSENTS_VI[case.child_consent],
                 "guardian": CONSENTS_VI[case.guardian_consent],
                 "ground": LEGAL_GROUNDS_VI.get(case.legal_ground or "", ""),
                 "note": case.consent_note or ""},
        recorded_by=names.get(case.recorded_by_id, ""))
    records = _family(case, family_copy)
    if records is not None:
        context.update(father=records["father"], mother=records["mother"],
                       others=records["others"],
                       family=records["circumstances"] or context["family"],
                       caregiver=records["lives_with"] or context["caregiver"],
                       child_guardian={"guardian_name": records["guardian_name"],
                                       "guardian_contact": records["guardian_contact"]})
    if family_copy:
        # Where the child lives, studies or stays and how to reach them: a guardian
        # asking may be the person the child was moved away from. Free texts can say
        # any of it, and a school union's own name says where the child studies.
        context["child_extra"] = {"address": "", "phone": "", "school": "",
                                  "guardian_contact": ""}
        unit = case.unit.parent if case.unit.school_type and case.unit.parent else case.unit
        blank_parent = {"occupation": ""}
        context.update(channel="", requested_by="",
                       reporter={"name": "", "phone": "", "address": "", "relation": ""},
                       # Where the child is now, whether they are safe there, what they
                       # were told to do: not for a guardian who may be the danger.
                       # The day of the harm stays; its description in words is a
                       # free text and may name places and people.
                       call={**context["call"], "number": "", "whereabouts": "",
                             "safe_tonight": "", "advice": "",
                             "harm_when": fmt_date(case.harm_date) or ""},
                       offender_accounts=[], others=[], caregiver="", incident_place="",
                       help_before="", notes="", family="",
                       father={**context["father"], **blank_parent},
                       mother={**context["mother"], **blank_parent},
                       issuer=unit.name, number=case.reference,
                       dated=place_date(unit.name, case.received_at),
                       evidence={"location": "", "police_unit": "", "police_reference": ""})
    return context


def _form_02(case, names) -> dict:
    initial = _initial(case)[-1]
    details = initial.details if isinstance(initial.details, dict) else {}
    levels = [details.get(key) for key, _, _ in HARM_CRITERIA]
    return dict(
        dated=place_date(case.unit.name, initial.recorded_at),
        at=fmt_datetime(initial.recorded_at), by=names.get(initial.recorded_by_id, ""),
        received_at=fmt_datetime(case.received_at),
        harms=[ref_label("harm_category", c) for c in case.harm_category_codes],
        criteria=[(INITIAL_HARM_LABEL if key == "harm" else label, details.get(key))
                  for key, label, _ in HARM_CRITERIA],
        counts=_tally(levels), risk=initial.risk_level,
        immediate_danger=initial.immediate_danger,
        caregiver_harms=details.get("caregiver_harms"),
        emergency_measures=details.get("emergency_measures"),
        notes=initial.notes or "",
        emergency_due=fmt_datetime(case.emergency_due_at),
        emergency_done=fmt_datetime(case.emergency_done_at),
        emergency_actions=_actions(case, names, kinds=EMERGENCY_KINDS))


def _form_03(case, names) -> dict:
    records = []
    for a in _needs(case):
        details = a.details if isinstance(a.details, dict) else {}
        records.append({
            "at": fmt_datetime(a.recorded_at), "by": names.get(a.recorded_by_id, ""),
            "points": [(letter, label, details.get(key, "")) for letter, key, label in
                       NEEDS_POINTS],
            "meeting": {"date": fmt_date(a.meeting_on), "chair": details.get("meeting_chair", ""),
                        "participants": details.get("meeting_participants", ""),
                        "measures": details.get("meeting_measures", "")},
            "conclusion": a.notes or ""})
    family_records = _family(case, family_copy=False)
    if family_records is None:
        # A case without the family section's records: the intake's fields.
        family_records = {
            "members": [{"relation": PERSON_RELATIONS_VI.get(p.relation, p.relation),
                         "name": p.full_name or "", "age": "" if p.age is None else p.age,
                         "born": "", "occupation": p.occupation or "",
                         "contact": p.contact or "", "lives_with": None,
                         "do_not_contact": False} for p in case.people],
            "guardian_name": case.guardian_name or "",
            "guardian_contact": case.guardian_contact or "",
            "lives_with": case.current_caregiver or "",
            "circumstances": case.family_circumstances or ""}
    return dict(dated=place_date(case.unit.name, _needs(case)[-1].recorded_at),
                records=records, risk_level=case.risk_level, family=family_records,
                do_not_contact=DO_NOT_CONTACT_VI)


# How the plan went (caseapp.followups), as the form prints it.
GOAL_STATUSES_VI = {"not_started": "Chưa bắt đầu", "in_progress": "Đang thực hiện",
                    "reached": "Đã đạt", "dropped": "Đã bỏ"}
FOLLOW_UP_KINDS_VI = {"home_visit": "Thăm nhà", "call": "Gọi điện",
                      "school_visit": "Thăm trường", "family_meeting": "Gặp gỡ gia đình"}


def _plan_progress(case) -> dict:
    """Each goal of the plan with its status, the follow-ups done (and how many
    were missed): what the supervisor approving closure reads of how it went."""
    rows = followups.follow_ups_of(case)
    names = user_names(r.assignee_id for r in rows)
    return dict(
        goals=[{"number": g.number, "text": g.text or "",
                "status": GOAL_STATUSES_VI.get(g.status, g.status)}
               for g in followups.goals_of(case)],
        follow_ups_done=[{"on": fmt_date(r.due_on), "kind": FOLLOW_UP_KINDS_VI.get(r.kind, r.kind),
                          "by": names.get(r.assignee_id, ""), "outcome": r.outcome or ""}
                         for r in rows if r.state == "done"],
        follow_ups_missed=sum(1 for r in rows if r.state == "missed"))


def _form_06(case, names) -> dict:
    section_a = [(label, meanings, getattr(case, f"review_{key}_level"))
                 for key, label, meanings in HARM_CRITERIA]
    section_b = [(label, getattr(case, f"review_{key}_level")) for key, label in SELF_CRITERIA]
    return dict(
        dated=place_date(case.unit.name, case.closure_requested_at),
        done_on=fmt_date(case.closure_requested_at),
        officer=names.get(case.closure_requested_by_id, ""),
        section_a=section_a, tally_a=_tally([level for _, _, level in section_a]),
        section_b=section_b, tally_b=_tally([level for _, level in section_b]),
        reason=ref_label("closure_reason", case.closure_reason_code),
        review_notes=case.review_notes or "", outcome_summary=case.outcome_summary or "",
        requested_at=fmt_datetime(case.closure_requested_at),
        approved_at=fmt_datetime(case.closure_approved_at),
        approved_by=names.get(case.closure_approved_by_id, ""),
        plan=_plan(case.approved_plan or case.plans[-1], names) if case.plans else None,
        actions=_actions(case, names), referrals=_referrals(case), **_plan_progress(case))


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
        "product": vietnamese_product_name(),
        "family_copy": family_copy, "minor": case.is_minor,
    }
    if code == "01":
        context.update(_form_01(case, names, family_copy))
        context["child"] = {**context["child"], **context.pop("child_guardian", {})}
        if family_copy:
            context["child"] = {**context["child"], **context.pop("child_extra")}
            # A person flagged "may be the abuser" is named nowhere on the copy the
            # family gets, free texts (the account of what happened) included.
            needles = _flagged_needles(family.flagged_members(case))
            if needles:
                # Free texts may name them in ways no search finds (a nickname, a
                # spelling, a spaced phone number: hostile review): left out whole.
                context = _redact(_without_free_texts(context), needles)
    elif code == "02":
        context.update(_form_02(case, names))
    elif code == "03":
        context.update(_form_03(case, names))
    elif code == "04":
        plan = case.plans[-1]
        context.update(dated=place_date(case.unit.name, plan.drafted_at),
                       plan=_plan(plan, names), versions=len(case.plans),
                       risk_level=case.risk_level,
                       follow_up=fmt_datetime(case.next_follow_up_at))
    elif code == "05":
        plan = _approved_plans(case)[-1]
        newer = case.plans[-1] if case.plans[-1].version != plan.version else None
        context.update(dated="", plan=_plan(plan, names),
                       newer_version=newer.version if newer is not None else None)
    elif code == "06":
        context.update(_form_06(case, names))
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
