"""The public help form's operations: send a request, look its stage up with
the tracking code, leave a message for the officer.

Nobody is logged in: each request is filed by the unit's ``public:<UNIT>``
service account (:mod:`caseapp.accounts.service_accounts`) through
:func:`caseapp.cases.service.record_outside_intake`, which runs every check of
a staff intake. The caller (the view) has checked the form's token and the
rate limits; this module checks the answers' sizes first, so a refused form
writes nothing at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.accounts.service_accounts import service_account
from caseapp.auditing.writer import record
from caseapp.cases import reference_data
from caseapp.cases import service as cases
from caseapp.cases.data import ChildData, ConsentData, IntakeData, ReporterData
from caseapp.cases.errors import CaseError, CaseErrors
from caseapp.cases.guards import atomic
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.notifications.service import notify, relabel
from caseapp.permissions import public_help as rules
from caseapp.permissions import supervisors_over
from caseapp.units.models import Unit

from . import codes
from .models import PublicMessage, PublicRequest

# Sizes of the answers (characters): enough to say what happened, far below
# what the intake accepts from staff.
MAX_NAME = 100
MAX_STORY = 3000
MAX_PHONE = 20
MAX_OTHER_CONTACT = 200
MAX_MESSAGE = 1000
MAX_CHOICES = 12
# A request's messages: enough to talk, not a mailbox for a script to fill.
MAX_MESSAGES_PER_CASE = 200
MAX_MESSAGES_PER_DAY = 10

WHO = {"child": _l("I am the child"), "relative": _l("I am a parent or relative")}
DANGER = {"yes": _l("Yes, I am not safe now"), "no": _l("No"),
          "unsure": _l("I don't know")}
CONTACT_WAYS = {
    "phone_ok": _l("You can call or text the number I gave"),
    "not_home": _l("Don't contact me at home: only at the number or contact I gave"),
    "no_contact": _l("Don't call me: I will check back with my code"),
}
# Kinds of harm in a child's words, each mapped to the intake's harm code.
HARMS = {
    "stranger": (_l("Someone I met online wants to meet me, or asks for my photos"),
                 "grooming"),
    "threat_images": (_l("Someone threatens to share my photos or videos"), "sextortion"),
    "bullying": (_l("People tease, insult or bully me online"), "cyberbullying"),
    "private_info": (_l("My private information or photos were put online"),
                     "privacy_exposure"),
    "scam": (_l("I was tricked out of money, an account or things"), "fraud"),
    "scary_content": (_l("I saw something online that scares or upsets me"),
                      "harmful_content"),
    "job_offer": (_l("Someone offers me work far away or a lot of money"), "trafficking"),
    "hurt_myself": (_l("I think about hurting myself"), "self_harm"),
    "too_much": (_l("I can't stop using my phone or games"), "compulsive_use"),
    "other": (_l("Something else"), "other"),
}
STAGES = {
    "received": _l("Received: your request has arrived and is waiting for a helper."),
    "helping": _l("Someone is helping you: a helper is working on your request."),
    "closed": _l("Closed: the work on this request has ended."),
}
# What the officers read (sealed in the case, in the staff's language).
_CONTACT_NOTE = {
    "phone_ok": "Có thể gọi hoặc nhắn tin vào số đã cho.",
    "not_home": "KHÔNG liên lạc qua nhà: chỉ qua số hoặc cách liên lạc đã cho.",
    "no_contact": "KHÔNG gọi: người gửi sẽ tự xem lại bằng mã theo dõi.",
}
NO_NAME = "(không cho biết tên)"


class HelpProblems(Exception):
    """The answers cannot be sent as they are: {field: message}."""

    def __init__(self, problems: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class HelpAnswers:
    who: str = ""
    harms: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    story: str = ""
    name: str = ""
    age: str = ""
    phone: str = ""
    other_contact: str = ""
    contact_way: str = ""
    unit: str = ""
    danger: str = ""


def offered_harms() -> dict[str, str]:
    """The kinds of harm the form offers: those whose code is still active."""
    return {key: label for key, (label, code) in HARMS.items()
            if reference_data.get("harm_category", code) is not None}


def offered_platforms() -> list[tuple[str, str]]:
    return [(entry.code, reference_data.label("platform", entry.code))
            for entry in reference_data.entries("platform")]


def offered_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True))
                                   .order_by(Unit.name, Unit.code)))


def default_unit() -> Unit | None:
    code = (current_app.config.get("PUBLIC_HELP_DEFAULT_UNIT") or "").strip().upper()
    if not code:
        return None
    return db.session.scalar(select(Unit).where(Unit.code == code, Unit.is_active.is_(True)))


def _too_long(most: int):
    return _l("This is too long: at most %(n)d characters. Nothing was sent.", n=most)


def _choice_problems(answers: HelpAnswers, problems: dict) -> None:
    if answers.who not in WHO:
        problems["who"] = _l("Say who is asking: the child, or a parent or relative.")
    if answers.danger not in DANGER:
        problems["danger"] = _l("Say if you are in danger now.")
    if answers.contact_way not in CONTACT_WAYS:
        problems["contact_way"] = _l("Say how we may reach you.")
    offered = offered_harms()
    if not answers.harms or len(answers.harms) > MAX_CHOICES \
            or any(h not in offered for h in answers.harms):
        problems["harms"] = _l("Choose at least one thing that happened.")
    platform_codes = {code for code, _ in offered_platforms()}
    if len(answers.platforms) > MAX_CHOICES \
            or any(p not in platform_codes for p in answers.platforms):
        problems["platforms"] = _l("Choose the apps from the list.")


def _text_problems(answers: HelpAnswers, problems: dict) -> None:
    if not answers.story.strip():
        problems["story"] = _l("Tell us in a few words what happened.")
    for name in ("story", "name", "phone", "other_contact"):
        value = getattr(answers, name)
        # A NUL or another control character: PostgreSQL refuses NUL in text,
        # and no person types one (line breaks and tabs in the story are fine).
        if any(ord(ch) < 32 and ch not in "\n\r\t" or ch == "\x7f" for ch in value):
            problems[name] = _l("Some characters here cannot be read: please type it again.")
    for name, value, most in (("story", answers.story, MAX_STORY),
                              ("name", answers.name, MAX_NAME),
                              ("phone", answers.phone, MAX_PHONE),
                              ("other_contact", answers.other_contact, MAX_OTHER_CONTACT)):
        if len(value) > most:
            problems[name] = _too_long(most)
    if answers.contact_way != "no_contact" and not answers.phone.strip() \
            and not answers.other_contact.strip() and "contact_way" not in problems:
        problems["phone"] = _l("Give a phone number or another way to reach you, or choose "
                               "“Don't call me: I will check back with my code”.")


def _unit(answers: HelpAnswers, problems: dict) -> Unit | None:
    if answers.unit and not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", answers.unit):
        problems["unit"] = _l("Choose your school or commune from the list.")
        return None
    if answers.unit:
        unit = db.session.scalar(select(Unit).where(Unit.code == answers.unit[:32],
                                                    Unit.is_active.is_(True)))
    else:
        unit = default_unit()
    if unit is None:
        problems["unit"] = _l("Choose your school or commune from the list.")
    return unit


def check(answers: HelpAnswers) -> tuple[Unit, IntakeData]:
    """Every problem of the answers at once (HelpProblems), or the unit and the intake."""
    problems: dict = {}
    _choice_problems(answers, problems)
    _text_problems(answers, problems)
    age = None
    if answers.age:
        # ASCII digits only: "²" or Arabic-Indic digits pass str.isdigit().
        if not re.fullmatch(r"[0-9]{1,2}", answers.age) or not 1 <= int(answers.age) <= 17:
            problems["age"] = _l("Choose an age from the list.")
        else:
            age = int(answers.age)
    unit = _unit(answers, problems)
    if problems or unit is None:
        raise HelpProblems(problems)
    return unit, _intake(answers, unit, age)


def _intake(answers: HelpAnswers, unit: Unit, age: int | None) -> IntakeData:
    phone, other = answers.phone.strip(), answers.other_contact.strip()
    notes = [_CONTACT_NOTE[answers.contact_way]]
    if other:
        notes.append("Cách liên lạc khác: " + other)
    if answers.danger == "unsure":
        notes.append("Người gửi không biết mình có an toàn không.")
    child_phone = phone if answers.who == "child" else ""
    # "What should we call you?" is the sender's name: the child's own, or a
    # parent's (then the child's name is not known yet).
    name = answers.name.strip()
    relative = answers.who == "relative"
    reporter = ReporterData(name=name, relation="Cha mẹ hoặc người thân", phone=phone) \
        if relative else ReporterData()
    return IntakeData(
        unit=unit.code, received_at=clock.now(), channel=rules.PUBLIC_CHANNEL,
        requested_by=answers.who, help_requested=True,
        child=ChildData(full_name=(name if not relative else "") or NO_NAME,
                        estimated_age=age, phone=child_phone),
        consent=ConsentData(),
        harm_categories=tuple(HARMS[h][1] for h in dict.fromkeys(answers.harms)),
        platforms=tuple(dict.fromkeys(answers.platforms)),
        reporter=reporter, narrative=answers.story.strip(),
        immediate_danger=answers.danger == "yes",
        intake_notes="\n".join(notes))


# The intake's fields as this form names them (a phone the intake refuses).
_FIELDS = {"child.phone": "phone", "reporter.phone": "phone", "narrative": "story",
           "child.full_name": "name"}


def send(answers: HelpAnswers) -> str:
    """File the request; returns its tracking code (shown once, never stored)."""
    unit, data = check(answers)
    recorder = service_account(rules.PUBLIC_SERVICE_KIND, unit.code, unit,
                               "Biểu mẫu trợ giúp công khai")
    try:
        with atomic():
            case = cases.record_outside_intake(recorder, unit, data, via="public_form")
            code = codes.new_code()
            db.session.add(PublicRequest(case_id=case.id,
                                         code_hash=codes.code_hash(codes.normalise(code))))
            # The workflow's hook told the supervisors of a new report: say it
            # came from the public (a danger notice stays first in their list).
            relabel(case.reference, {"case_recorded": "public_request",
                                     "case_recorded_danger": "public_request_danger"})
            tell_unit_counselors(unit, case.reference, case.immediate_danger)
    except CaseErrors as exc:
        raise HelpProblems({_FIELDS.get(e.field, "form"): e.message
                            for e in reversed(exc.errors)}) from None
    except CaseError as exc:
        raise HelpProblems({_FIELDS.get(exc.field, "form"): exc.message}) from None
    return code


def tell_unit_counselors(unit: Unit, reference: str, danger: bool) -> None:
    """The unit's counselors triage public requests with its supervisors: they
    are told too (the workflow's hook tells the supervisors)."""
    counselors = db.session.scalars(select(User.id).where(
        User.unit_id == unit.id, User.role == "counselor", User.is_enabled.is_(True)))
    notify(list(counselors), "public_request_danger" if danger else "public_request",
           case_reference=reference)


def asked_again() -> None:
    """A post with the robots' field filled, given back to be sent again (a
    person may have filled it): recorded without any of its content."""
    record("public_help.asked_again", actor="anonymous", object_type="public_help")


def refused_token(reason: str) -> None:
    record("public_help.token_refused", actor="anonymous", object_type="public_help",
           details={"reason": reason})


# --- the tracking code ---------------------------------------------------------------------

def find(typed: str) -> PublicRequest | None:
    """The request of a typed code, or None (unknown, mistyped: audited alike, and
    the entry holds no part of what was typed)."""
    normalised = codes.normalise(typed)
    found = None
    if normalised is not None:
        found = db.session.scalar(select(PublicRequest).where(
            PublicRequest.code_hash == codes.code_hash(normalised)))
    if found is None or found.case.is_purged:
        record("public_help.lookup", outcome="denied", actor="anonymous",
               object_type="public_help", details={"reason": "no_such_code"})
        return None
    # Each look-up that finds the case is written on it: the officers can see
    # that someone (the child, or whoever holds the code) is checking.
    record("public_help.status_viewed", actor="anonymous", object_type="case",
           object_id=found.case.reference, unit_path=found.case.unit.path)
    return found


def stage_of(found: PublicRequest) -> str:
    """The stage in the person's words: "received", "helping" or "closed"."""
    case = found.case
    if case.is_closed or case.is_purged:
        return "closed"
    # Once someone was assigned it stays "helping" (a transfer clears the lead
    # while the receiving unit chooses one; the case did not go back).
    return "helping" if case.lead_officer_id or case.first_assigned_at else "received"


def leave_message(found: PublicRequest, text: str) -> None:
    """Seal a message under the case's key and tell the lead officer (or the
    unit's supervisors while nobody leads the case)."""
    text = (text or "").strip()
    if not text:
        raise HelpProblems({"message": _l("Write your message first.")})
    if len(text) > MAX_MESSAGE:
        raise HelpProblems({"message": _too_long(MAX_MESSAGE)})
    if any(ord(ch) < 32 and ch not in "\n\r\t" or ch == "\x7f" for ch in text):
        raise HelpProblems({"message": _l("Some characters here cannot be read: please type "
                                          "it again.")})
    case = found.case
    if case.is_closed or case.is_purged:
        raise HelpProblems({"message": _l("This request is closed: call 111 to talk to "
                                          "someone now.")})
    count = db.session.scalar(select(db.func.count()).select_from(PublicMessage)
                              .where(PublicMessage.case_id == case.id)) or 0
    today = db.session.scalar(select(db.func.count()).select_from(PublicMessage).where(
        PublicMessage.case_id == case.id,
        PublicMessage.created_at >= clock.now() - timedelta(days=1))) or 0
    # Per day as well as in all: whoever else holds the code (it may be the
    # abuser, with the child's phone) cannot use up the child's channel at once.
    if count >= MAX_MESSAGES_PER_CASE or today >= MAX_MESSAGES_PER_DAY:
        raise HelpProblems({"message": _l("You have left many messages already: call 111 "
                                          "to talk to someone now.")})
    recorder = service_account(rules.PUBLIC_SERVICE_KIND, case.unit.code, case.unit,
                               "Biểu mẫu trợ giúp công khai")
    unlock(case, grant=rules.grant_public_message(recorder, case))
    with atomic():
        message = PublicMessage(case_id=case.id, case=case, created_at=clock.now())
        db.session.add(message)
        db.session.flush()
        message.text = text
        record("public_help.message", actor=recorder, object_type="case",
               object_id=case.reference, unit_path=case.unit.path)
        recipients = [case.lead_officer_id] if case.lead_officer_id \
            else [u.id for u in supervisors_over(case.unit)]
        notify(recipients, "public_message", case_reference=case.reference)


def messages_of(case) -> list[PublicMessage]:
    """A case's messages, oldest first (read under the caller's grant)."""
    return list(db.session.scalars(select(PublicMessage).where(PublicMessage.case_id == case.id)
                                   .order_by(PublicMessage.created_at, PublicMessage.id)))
