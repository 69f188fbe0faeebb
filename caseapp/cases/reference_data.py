"""The admin-editable lists: seeds, look-ups and the admin's changes.

The seeds below are what the migration put into the tables (it holds its own
copy, so history never changes). The codes are stable: integrations and the
JSON API use them. Labels are data (Vietnamese and English), edited by an
admin; an entry is retired by deactivating it, never deleted, because closed
cases still point at it.
"""
from __future__ import annotations

from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp import permissions
from caseapp.auditing.writer import record
from caseapp.extensions import db

from .errors import CaseError
from .models import Agency, Channel, ClosureReason, Gender, HarmCategory, Platform, Requester

# (code, Vietnamese, English)
CHANNELS = [
    ("hotline_111", "Chuyển từ Tổng đài 111", "Forwarded by hotline 111"),
    ("hotline_app", "Ứng dụng Tổng đài 111 / Zalo", "Hotline 111 app / Zalo"),
    ("online_report", "Báo cáo trực tuyến", "Online report"),
    # Added with the public help form (caseapp.public_help, issue 18).
    ("online_form", "Biểu mẫu trực tuyến", "Online help form"),
    ("police", "Công an", "Police"),
    ("school", "Nhà trường", "School"),
    ("commune", "Ủy ban nhân dân xã, phường", "Commune people's committee"),
    ("walk_in", "Đến trực tiếp", "Walk-in"),
    ("phone", "Điện thoại", "Phone"),
    ("email", "Thư điện tử", "Email"),
    ("other", "Khác", "Other"),
]

REQUESTERS = [
    ("child", "Trẻ em tự yêu cầu", "The child"),
    ("relative", "Cha mẹ hoặc người thân", "A parent or relative"),
    ("community", "Cộng đồng", "The community"),
    ("agency", "Cơ quan, tổ chức", "An agency"),
]

HARM_CATEGORIES = [
    ("csam", "Tài liệu xâm hại tình dục trẻ em", "Sexual abuse material"),
    ("grooming", "Dụ dỗ, lôi kéo trên mạng (grooming)", "Grooming"),
    ("sextortion", "Tống tiền bằng hình ảnh nhạy cảm", "Sextortion"),
    ("live_abuse", "Xâm hại qua phát trực tiếp", "Live-streamed abuse"),
    ("cyberbullying", "Bắt nạt trên mạng", "Cyberbullying"),
    ("privacy_exposure", "Lộ, lọt thông tin cá nhân", "Exposure of private information"),
    ("fraud", "Lừa đảo", "Fraud and scams"),
    ("harmful_content", "Nội dung độc hại", "Harmful content"),
    ("compulsive_use", "Nghiện, sử dụng mạng quá mức", "Compulsive use"),
    ("trafficking", "Dụ dỗ mua bán người", "Trafficking recruitment"),
    ("self_harm", "Tự gây hại", "Self-harm"),
    ("other", "Khác", "Other"),
]

PLATFORMS = [
    ("facebook", "Facebook", "Facebook"),
    ("zalo", "Zalo", "Zalo"),
    ("tiktok", "TikTok", "TikTok"),
    ("youtube", "YouTube", "YouTube"),
    ("game", "Trò chơi trực tuyến", "Online games"),
    ("other", "Khác", "Other"),
]

GENDERS = [
    ("female", "Nữ", "Female"),
    ("male", "Nam", "Male"),
    ("other", "Khác", "Other"),
    ("unknown", "Không rõ", "Unknown"),
]

AGENCIES = [
    ("commune_committee", "Ủy ban nhân dân cấp xã", "Commune people's committee"),
    ("police", "Công an", "Police"),
    ("cybercrime_police", "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao",
     "Police cybercrime unit"),
    ("health_social_dept", "Sở Y tế / cơ quan lao động, xã hội cấp tỉnh",
     "Provincial health/social department"),
    ("hotline_111", "Tổng đài quốc gia bảo vệ trẻ em 111", "Hotline 111"),
    ("school", "Nhà trường", "School"),
    ("health_facility", "Cơ sở y tế", "Health facility"),
    ("social_work_centre", "Trung tâm công tác xã hội", "Social work centre"),
    ("legal_aid", "Trợ giúp pháp lý", "Legal aid"),
    ("womens_union", "Hội Liên hiệp Phụ nữ", "Women's union"),
]

CLOSURE_REASONS = [
    ("resolved", "Đã hỗ trợ xong, trẻ an toàn", "Support completed, the child is safe"),
    ("referred_completed", "Cơ quan tiếp nhận đã hoàn tất hỗ trợ",
     "The receiving agency completed the support"),
    ("unfounded", "Thông tin không có cơ sở", "Report unfounded"),
    ("duplicate", "Trùng với ca khác", "Duplicate of another case"),
    ("transferred", "Chuyển về địa phương khác quản lý", "Transferred to another area"),
    ("declined", "Gia đình, trẻ từ chối hỗ trợ", "The child or family declined support"),
    ("no_contact", "Không liên lạc được", "Could not make contact"),
    ("other", "Khác", "Other"),
]

LISTS = {
    "channel": (Channel, CHANNELS),
    "requested_by": (Requester, REQUESTERS),
    "harm_category": (HarmCategory, HARM_CATEGORIES),
    "platform": (Platform, PLATFORMS),
    "gender": (Gender, GENDERS),
    "agency": (Agency, AGENCIES),
    "closure_reason": (ClosureReason, CLOSURE_REASONS),
}


# Harm categories whose evidence is sexual images of a child: uploads are refused.
ABUSE_MATERIAL_CATEGORIES = ("csam", "sextortion", "live_abuse")


def is_abuse_material(category) -> bool:
    """A harm category whose evidence is sexual images of a child: the seeded ones,
    and any an admin marks ``is_abuse_material``."""
    return category.code in ABUSE_MATERIAL_CATEGORIES or bool(category.is_abuse_material)


def model_for(kind: str):
    try:
        return LISTS[kind][0]
    except KeyError:
        raise ValueError(f"unknown reference list {kind!r}") from None


def entries(kind: str, *, active_only: bool = True) -> list:
    """A list's entries in display order (for forms, the API and reports)."""
    model = model_for(kind)
    query = select(model).order_by(model.position, model.code)
    if active_only:
        query = query.where(model.is_active.is_(True))
    return list(db.session.scalars(query))


def get(kind: str, code: str | None, *, active_only: bool = True):
    """The entry ``code`` of list ``kind``, or None (unknown, or retired when active_only)."""
    if not code or not isinstance(code, str):
        return None
    entry = db.session.get(model_for(kind), code)
    if entry is None or (active_only and not entry.is_active):
        return None
    return entry


def label(kind: str, code: str | None) -> str:
    """The label of ``code`` in the current language (the code itself if unknown);
    remembered for the request (a list of thousands of rows asks for a few labels)."""
    locale = get_locale()
    cache = g.setdefault("reference_labels", {}) if has_app_context() else {}
    key = (kind, code, str(locale) if locale else None)
    if key not in cache:
        entry = get(kind, code, active_only=False)
        cache[key] = (code or "") if entry is None else entry.label(key[2])
    return cache[key]


# --- admin changes --------------------------------------------------------------------------

def save_entry(actor, kind: str, code: str, label_vi: str, label_en: str,
               position: int | None = None, *, abuse_material: bool | None = None):
    """Add an entry, or relabel an existing one (its code never changes).

    ``abuse_material`` (harm categories only): the category's evidence is sexual
    images of a child, so uploads are refused on its cases."""
    permissions.require(actor == "system" or permissions.is_admin(actor))
    model = model_for(kind)
    code = (code or "").strip().lower()
    if not code or len(code) > 32 or not all(c.isalnum() or c == "_" for c in code) \
            or not code.isascii():
        raise CaseError(_l("A code has 1 to 32 lower-case letters, digits or underscores."),
                        field="code")
    label_vi, label_en = (label_vi or "").strip(), (label_en or "").strip()
    if not label_vi or not label_en or len(label_vi) > 200 or len(label_en) > 200:
        raise CaseError(_l("Give a Vietnamese and an English label (at most 200 characters)."),
                        field="label_vi")
    entry = db.session.get(model, code)
    created = entry is None
    if created:
        last = db.session.scalar(select(model.position).order_by(model.position.desc()).limit(1))
        entry = model(code=code, is_active=True, position=(last or 0) + 1)
        db.session.add(entry)
    entry.label_vi, entry.label_en = label_vi, label_en
    if position is not None:
        entry.position = int(position)
    details = None
    if abuse_material is not None:
        if not hasattr(entry, "is_abuse_material"):
            raise CaseError(_l("Only a harm category can be marked as abuse material."),
                            field="abuse_material")
        entry.is_abuse_material = bool(abuse_material)
        details = {"abuse_material": bool(abuse_material)}
    db.session.flush()
    record("reference.create" if created else "reference.update", actor=actor,
           object_type="reference", object_id=f"{kind}:{code}", details=details)
    return entry


def set_active(actor, kind: str, code: str, active: bool) -> None:
    permissions.require(actor == "system" or permissions.is_admin(actor))
    entry = get(kind, code, active_only=False)
    if entry is None:
        raise CaseError(_l("Unknown entry."), field="code")
    entry.is_active = bool(active)
    db.session.flush()
    record("reference.enable" if active else "reference.disable", actor=actor,
           object_type="reference", object_id=f"{kind}:{code}")
