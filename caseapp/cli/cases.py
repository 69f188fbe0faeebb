"""Case commands: ``caseapp retention purge``, ``caseapp cases reband`` and
``caseapp demo-data --cases N``."""
from __future__ import annotations

import os
import random
import secrets
import signal
import sys
from contextlib import contextmanager, nullcontext, suppress
from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from caseapp import clock
from caseapp.admin import service as admin_service
from caseapp.cases.models import Case
from caseapp.extensions import db

from .common import Progress, commit_or_fail, fail


def register(app) -> None:
    for command in (retention, demo_data, cases_group):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)


# --- retention -------------------------------------------------------------------------------

@click.group(help="Retention of closed cases (crypto-shredding).")
def retention():
    pass


@retention.command("purge", help="Shred the cases closed longer than RETENTION_DAYS.")
@click.option("--dry-run", is_flag=True, help="Only count the cases that are due.")
@with_appcontext
def purge(dry_run):
    from caseapp.cases import retention as policy
    from caseapp.crypto import ScrubIncomplete, sqlite_scrub

    days = policy.retention_days()
    if dry_run:
        click.echo(f"{policy.count_due()} case(s) closed more than {days} days ago are due")
        return
    shown = Progress("shredding cases")
    count = commit_or_fail(lambda: policy.purge(progress=shown.update))
    shown.finish()
    db.session.close()
    try:
        sqlite_scrub(db.engine)
    except ScrubIncomplete:
        click.echo("warning: the SQLite WAL could not be checkpointed now (a reader held it); "
                   "run the command again when the app is idle", err=True)
    click.echo(f"purged {count} case(s) closed more than {days} days ago")


# --- one-off maintenance of cases ------------------------------------------------------------

@click.group("cases", help="Maintenance of the cases (run with the keys).")
def cases_group():
    pass


@cases_group.command("reband", help="Put cases recorded before the age bands split at 16 "
                                    "into the new bands (reads each child's age only).")
@with_appcontext
def reband():
    from caseapp.cases import banding
    from caseapp.crypto import key_scope

    shown = Progress("re-banding cases")
    with key_scope():
        report = commit_or_fail(lambda: banding.reband(progress=shown.update))
    shown.finish()
    click.echo(f"re-banded {report.changed} case(s); {report.unchanged} already in the right "
               f"band; {report.shredded} shredded case(s) keep their old band (11-14 or 15-17)")


@cases_group.command("log-facts", help="Once, after upgrading to verifiable reports: write "
                                       "the facts of cases and schools recorded before into the "
                                       "audit log (refused the second time).")
@with_appcontext
def log_facts():
    from caseapp.reports import backfill

    try:
        shown = Progress("reading cases")
        done = commit_or_fail(lambda: backfill.log_missing_facts(progress=shown.update))
        shown.finish()
    except backfill.AlreadyDone as error:
        fail(f"{error}: it runs once, so it cannot log later what the tables say now")
    for reference in done.cases:
        click.echo(f"case {reference}")
    for code in done.schools:
        click.echo(f"unit {code}")
    for reference in done.refused:
        click.echo(f"NOT logged, its row fails its integrity check: case {reference}", err=True)
    click.echo(f"logged the facts of {len(done.cases)} case(s) and {len(done.schools)} unit(s); "
               f"{len(done.refused)} case(s) refused")


# --- demo data -------------------------------------------------------------------------------
# Synthetic people only: names are drawn from lists of common Vietnamese family,
# middle and given names, places and schools are generic, and the phone numbers
# are random. A fixed seed makes the same data every time.

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Mai", "Bảo", "Khánh", "Minh"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quốc", "Gia", "Hữu", "Thành", "Anh"]
GIVEN_F = ["Lan", "Hoa", "Mai", "Linh", "Trang", "Hương", "Ngân", "Vy", "Chi", "Thảo", "Yến",
           "Nhung", "Hà", "My", "Quyên", "Trâm"]
GIVEN_M = ["Nam", "Hùng", "Dũng", "Khoa", "Phúc", "Long", "Tuấn", "Bảo", "Huy", "Kiên", "Quân",
           "Sơn", "Tài", "Thịnh", "Vinh", "Đạt"]
OCCUPATIONS = ["Nông dân", "Công nhân", "Buôn bán", "Giáo viên", "Lao động tự do"]
RELATIONS = ["mẹ", "bố", "bà ngoại", "chị gái", "cô giáo chủ nhiệm", "hàng xóm", "anh trai"]
HANDLE_WORDS = ["hot", "girl", "boy", "game", "shop", "kiemtien", "banbe", "tamsu", "idol", "vip"]
NARRATIVES = {
    "cyberbullying": "Em bị các bạn cùng lớp lập nhóm chat để chê bai, chế ảnh và đăng lên mạng.",
    "sextortion": "Một tài khoản lạ dọa phát tán ảnh riêng tư nếu em không gửi thêm ảnh và tiền.",
    "grooming": "Một người lạ làm quen qua trò chơi, tặng quà và rủ em gặp mặt riêng.",
    "fraud": "Em bị lừa nạp thẻ để nhận vật phẩm trò chơi, sau đó bị đòi thêm tiền.",
    "privacy_exposure": "Ảnh và số điện thoại của em bị đăng công khai kèm lời lẽ xúc phạm.",
    "harmful_content": "Em thường xuyên xem các video thử thách nguy hiểm và làm theo.",
    "compulsive_use": "Em chơi trò chơi trực tuyến nhiều giờ mỗi đêm, bỏ học nhiều buổi.",
    "self_harm": "Em tham gia một nhóm kín trên mạng khuyến khích tự làm đau bản thân.",
    "csam": "Ảnh nhạy cảm của em bị chia sẻ trong một nhóm kín; công an đã được báo tin.",
    "live_abuse": "Em bị ép phát trực tiếp những cảnh không phù hợp để nhận quà ảo.",
    "trafficking": "Em được hứa việc làm lương cao ở thành phố qua một trang tuyển dụng lạ.",
    "other": "Gia đình lo lắng về việc em liên lạc với người lạ trên mạng.",
}
HARMS = list(NARRATIVES)
HARM_WEIGHTS = [30, 12, 10, 8, 8, 8, 8, 4, 4, 2, 2, 4]
CHANNELS = ["hotline_111", "hotline_app", "online_report", "police", "school", "commune",
            "walk_in", "phone", "email", "other"]
CHANNEL_WEIGHTS = [25, 15, 10, 8, 15, 8, 7, 8, 2, 2]
# A province's size and then some (issue 16's scale curve goes to 1,000,000).
MAX_DEMO_CASES = 2_000_000
PLATFORMS = ["facebook", "zalo", "tiktok", "youtube", "game", "other"]


def _name(rng: random.Random, gender: str) -> str:
    female = gender == "female" or (gender not in ("male",) and rng.random() < 0.5)
    middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    return f"{rng.choice(FAMILY)} {middle} {given}"


def _phone(rng: random.Random) -> str:
    # 0100 xxx xxx: the old 010 prefix is no longer allocated (mobiles moved to
    # 03/05/07/08/09 in 2018), so no demo record can match a real person.
    return "0100" + "".join(str(rng.randrange(10)) for _ in range(6))


@contextmanager
def _clock_at(moment: datetime):
    """Run the services as if it were ``moment`` (demo cases get a past)."""
    clock.reset()
    clock.travel(moment - clock.now())
    try:
        yield
    finally:
        clock.reset()


#: Above this many cases demo-data writes in bulk (``--via auto``).
BULK_FROM = 1000
#: From this many cases bulk seeding makes and seals batches in worker processes.
POOL_FROM = 20_000
#: From this many cases a bulk run drops the non-unique indexes of the tables
#: it loads and builds them once at the end (``--defer-indexes`` / ``--keep-indexes``
#: decide for any count). Measured (benchmarks/RESULTS.md, "Scale curve"): the
#: writer's per-row index upkeep grows with the tables, a build at the end is a
#: sort; below this a run is short either way and leaves the indexes alone.
DEFER_INDEXES_FROM = 50_000
#: SQLite page cache of the bulk seeding connection, in KiB.
BULK_CACHE_KIB = 256 * 1024
#: Cases per demo commune (one officer each) when seeding in bulk: with most
#: old cases closed, an officer keeps a few hundred open ones.
CASES_PER_OFFICER = 2000
#: Demo communes per demo counselor.
COMMUNES_PER_COUNSELOR = 10


def _commune_officer(i: int) -> str:
    # demo.cb1 and demo.cb2 lead the first two communes (demo.cb3 sits at the root).
    return f"demo.cb{i}" if i <= 2 else f"demo.cb{i:03d}"


def _ensure_demo_people(root, password: str, communes_wanted: int = 2):
    """The demo units and staff (made if missing): ``communes_wanted`` communes
    under ``root`` with an officer each, a counselor per ten communes, the
    supervisor demo.gs and the officer demo.cb3 at the root."""
    from caseapp.accounts import service as accounts
    from caseapp.units import service as units

    communes = []
    for i in range(1, max(2, communes_wanted) + 1):
        name = {1: "Đoàn xã (mẫu) số 1", 2: "Đoàn phường (mẫu) số 2"}.get(
            i, f"Đoàn xã (mẫu) số {i}")
        code = f"{root.code[:24]}.DEMO{i}"
        unit = units.by_code(code) or admin_service.create_unit("system", code, name, root.code)
        communes.append(unit)
    counselors = max(2, -(-len(communes) // COMMUNES_PER_COUNSELOR))
    specs = [("demo.gs", "supervisor", root), ("demo.cb1", "officer", communes[0]),
             ("demo.cb2", "officer", communes[1]), ("demo.cb3", "officer", root),
             ("demo.tvv1", "counselor", communes[0]), ("demo.tvv2", "counselor", communes[1])]
    specs += [(_commune_officer(i), "officer", unit)
              for i, unit in enumerate(communes, 1) if i > 2]
    specs += [(f"demo.tvv{k}", "counselor", communes[k - 1]) for k in range(3, counselors + 1)]
    # A later, larger run adds communes and their staff: they take the password
    # printed when the demo staff were first made (the same for all of them).
    earlier = accounts.find_user("demo.gs")
    people, created = {}, []
    for username, role, unit in specs:
        user = accounts.find_user(username)
        if user is None:
            # Demo staff share the password the operator chose for the demo.
            user = admin_service.create_user(accounts.SYSTEM, admin_service.NewUser(
                username, role, unit.code, password, display_name=f"Demo {username}",
                temporary_password=False))
            if earlier is not None:
                user.password_hash = earlier.password_hash
            created.append(username)
        people[username] = user
    return communes, people, created, earlier is not None


def _make_case(rng: random.Random, units, people, now: datetime) -> None:
    from caseapp.cases import data as d
    from caseapp.cases import service
    from caseapp.consent.service import SharingConsentData, record_sharing_consent

    received = now - timedelta(days=rng.uniform(0.2, 150), minutes=rng.randrange(60))
    unit = rng.choice(units)
    recorder = people["demo.tvv1" if unit is units[0] else "demo.tvv2"]
    lead = people["demo.cb1" if unit is units[0] else "demo.cb2"]
    supervisor = people["demo.gs"]
    gender = rng.choices(["female", "male", "unknown"], [55, 42, 3])[0]
    harms = list(dict.fromkeys(rng.choices(HARMS, HARM_WEIGHTS, k=rng.choice([1, 1, 2]))))
    age = rng.randint(6, 17)
    known_dob = rng.random() < 0.7
    dob = (received.date() - timedelta(days=age * 365 + rng.randrange(365))) if known_dob \
        else None
    danger = rng.random() < 0.1
    consent = d.ConsentData(child="given", guardian="given") if rng.random() < 0.8 else \
        d.ConsentData(legal_ground="emergency") if danger else d.ConsentData()
    child = d.ChildData(
        full_name=_name(rng, gender), date_of_birth=dob,
        estimated_age=None if known_dob else age, gender=gender,
        address=f"Tổ {rng.randint(1, 30)}, {unit.name}",
        school=f"Trường {'THCS' if age < 15 else 'THPT'} (mẫu) số {rng.randint(1, 9)}",
        school_class=f"{min(max(age - 5, 1), 12)}A{rng.randint(1, 5)}",
        phone=_phone(rng) if rng.random() < 0.4 else "",
        guardian_name=_name(rng, rng.choice(["female", "male"])), guardian_contact=_phone(rng))
    platforms = tuple(dict.fromkeys(rng.choices(PLATFORMS, [35, 25, 20, 8, 10, 2],
                                                k=rng.choice([1, 2]))))
    handles = tuple(d.OffenderAccountData(
        f"{rng.choice(HANDLE_WORDS)}.{rng.choice(HANDLE_WORDS)}{rng.randint(10, 9999)}",
        rng.choice(platforms)) for _ in range(rng.choice([0, 1, 1, 2])))
    intake = d.IntakeData(
        unit=unit.code, received_at=received, channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
        requested_by=rng.choices(["child", "relative", "community", "agency"], [35, 45, 10, 10])[0],
        help_requested=rng.random() < 0.9, harm_categories=tuple(harms), platforms=platforms,
        offender_accounts=handles, child=child,
        child_group=rng.choices(["abused", "at_risk"], [70, 30])[0],
        reporter=d.ReporterData(_name(rng, "female"), rng.choice(RELATIONS), _phone(rng)),
        consent=consent, narrative=NARRATIVES[harms[0]], immediate_danger=danger,
        incident_place=f"Mạng xã hội ({platforms[0]})",
        # Asked on every call; no random draw, so a seed makes the same data as before.
        safe_tonight="no" if danger else "unknown",
        people=(d.PersonData("mother", _name(rng, "female"), rng.randint(28, 50),
                             rng.choice(OCCUPATIONS)),))

    stage = rng.choices(["intake", "assessment", "support", "referral", "closure"],
                        [15, 20, 30, 10, 25])[0]
    moment = received
    step = timedelta(hours=rng.uniform(2, 60))

    def later():
        nonlocal moment
        moment = min(moment + step * rng.uniform(0.5, 2.5), now)
        return _clock_at(moment)

    with _clock_at(moment):
        case = service.record_intake(recorder, intake)
    if danger and rng.random() < 0.8:
        with later():
            service.record_support_action(recorder, case, d.SupportActionData(
                "emergency", "Liên hệ gia đình và công an xã để bảo đảm an toàn cho em."))
    if stage == "intake" and rng.random() < 0.5:
        return
    with later():
        service.assign(supervisor, case, d.AssignmentData(lead.id))
    _add_family(case, lead, min(received + timedelta(hours=2), now))
    if stage == "intake":
        return
    level = rng.choices(["high", "medium", "low"], [20, 45, 35])[0]
    with later():
        service.transition(lead, case, "assessment", d.AssessmentData(
            risk_level=level, notes="Đánh giá ban đầu: đã trao đổi với em và gia đình.",
            immediate_danger=danger, harm=level, access=rng.choice(["medium", "low"]),
            obstacles=rng.choice(["medium", "low"]), emergency_measures=danger))
    if stage == "assessment" and rng.random() < 0.5:
        return
    if stage == "closure" and rng.random() < 0.2:
        with later():
            service.request_closure(lead, case, d.ClosureData(
                "unfounded", "Thông tin không có cơ sở sau khi xác minh."))
        with later():
            service.approve_closure(supervisor, case)
        return
    _plan_case(rng, case, lead, supervisor, later)
    if stage == "assessment" or case.plan_approved_at is None:
        return
    with later():
        service.transition(lead, case, "support", d.SupportData())
    with later():
        service.record_support_action(lead, case, d.SupportActionData(
            "counselling", "Buổi tư vấn đầu tiên với em."))
    if stage in ("referral", "closure") and rng.random() < 0.6:
        agency = rng.choice(["cybercrime_police", "social_work_centre", "school", "legal_aid"])
        with later():
            if consent.guardian:
                record_sharing_consent(lead, case, SharingConsentData(
                    agency, "consent", child=True, guardian=True))
            service.transition(lead, case, "referral", d.ReferralData(
                agency, "Cần cơ quan chuyên môn hỗ trợ thêm.", "consent" if consent.guardian
                else "legal_duty"))
    if stage != "closure":
        return
    with later():
        service.request_closure(lead, case, d.ClosureData(
            rng.choice(["resolved", "resolved", "referred_completed", "declined"]),
            "Em đã ổn định, gia đình tiếp tục theo dõi.", "low", rng.choice(["low", "medium"]),
            rng.choice(["low", "medium"]), review_self_protection=rng.choice(["high", "medium"]),
            review_recovery=rng.choice(["high", "medium"])))
    with later():
        service.approve_closure(supervisor, case)


FAMILY_DRAWS = (("father", "male"), ("step_parent", "male"), ("grandparent", "female"),
                ("sibling", "female"), ("caregiver", "female"), ("teacher", "male"))


def _add_family(case, lead, moment: datetime) -> None:
    """0-3 fictional people around the child (synthetic names, unallocated
    numbers), one in ten flagged "may be the abuser". Drawn from a generator of
    the case's own, so a seed still makes the same cases as before."""
    from caseapp.family import service as family

    rng = random.Random(case.reference)
    with _clock_at(moment):
        for relation, gender in rng.sample(FAMILY_DRAWS, rng.choice([0, 1, 2, 3])):
            adult = relation not in ("sibling",)
            family.add_member(lead, case, family.MemberData(
                relation=relation, full_name=_name(rng, gender),
                birth_year=moment.year - (rng.randint(25, 70) if adult else rng.randint(4, 20)),
                occupation=rng.choice(OCCUPATIONS) if adult else "",
                contact=_phone(rng) if adult else "",
                lives_with_child=rng.random() < 0.5,
                may_be_abuser=adult and rng.random() < 0.1))


def _plan_case(rng: random.Random, case, lead, supervisor, later) -> None:
    """Needs assessment with its meeting, plan, sign-off and (mostly) the commune's decision."""
    from caseapp.cases import data as d
    from caseapp.cases import service

    with later():
        today = clock.now().astimezone(clock.local_timezone()).date()
        service.record_needs_assessment(lead, case, d.NeedsAssessmentData(
            "Cần hỗ trợ tâm lý và hướng dẫn an toàn trên mạng.",
            condition="Em lo lắng, ngủ kém.", family="Mẹ quan tâm, có khả năng bảo vệ em.",
            service_needs="Tư vấn tâm lý; hướng dẫn bảo mật tài khoản.",
            meeting_date=today, meeting_chair="Chủ tịch UBND xã",
            meeting_participants="Cán bộ phụ trách, mẹ của em, giáo viên chủ nhiệm"))
    with later():
        service.draft_plan(lead, case, d.PlanData(
            "Bảo đảm an toàn và ổn định tâm lý cho em.",
            (d.PlanItem("Tư vấn tâm lý hằng tuần", "Cán bộ phụ trách", provider="Trung tâm CTXH",
                        cost=rng.choice([0, 500_000, 1_200_000])),
             d.PlanItem("Hướng dẫn gia đình cài đặt bảo mật tài khoản", "Tư vấn viên"))))
    if rng.random() < 0.85:
        with later():
            service.approve_plan(supervisor, case, case.latest_plan.id)
        if rng.random() < 0.7 and not case.is_minor:
            with later():
                service.record_decision(lead, case, d.DecisionData(
                    f"{rng.randint(1, 300)}/QĐ-UBND",
                    clock.now().astimezone(clock.local_timezone()).date(),
                    "Chủ tịch UBND xã"))


class _StopRequested:
    """Ctrl-C (SIGINT) or SIGTERM while seeding: finish the case being made,
    commit the whole cases made so far and stop. A second signal stops at once
    (the open transaction rolls back: still only whole cases)."""

    def __init__(self):
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self):
        for number in (signal.SIGINT, signal.SIGTERM):
            # Not in the main thread (an embedding runner): no handler, the default stays.
            with suppress(ValueError):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number, _frame):
        self.signal = number
        for other, handler in self._previous.items():
            signal.signal(other, handler)
        self._previous.clear()

    def __exit__(self, *_exc):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()
        return False


DEMO_HELP = """Add N synthetic cases (never real children) for demos and benchmarks, with
demo staff if missing.

Up to 999 cases (--via services) are made through the services as a person
would make them, spread over the workflow (new, waiting for assignment,
assessed, with plans waiting for approval, in support, referred, closed; some
overdue). From 1000 cases (--via bulk) they are written in bulk, each with its
own data key, sealed fields, row MAC and audit entries as the app writes them
(hundreds to thousands a second), received over the last two years (most
closed), spread over one demo commune and officer per 2000 cases. Cases are
committed in batches of --batch cases. A progress line on stderr shows the
count, the rate and the time left.

From 50000 cases (or with --defer-indexes) a bulk run drops the non-unique
indexes of the case tables it loads and builds them again at the end
("rebuilding indexes: k/n"), also after an error or an interruption; unique
indexes and keys stay. Lists and searches are slow until then. A run killed
outright (or stopped by a second Ctrl-C while it builds them) leaves them
dropped: the next demo-data run builds them first.

Interrupting (Ctrl-C or SIGTERM) finishes the case (in bulk: the batch) being
made, commits the whole cases made so far and stops with exit status 130 (143
for SIGTERM), saying how many were added; no half-made case, audit entry or
key is left and the audit chain still verifies. Run the command again to add
the rest (the same --seed makes the same synthetic people again)."""


@click.command("demo-data", help=DEMO_HELP)
@click.option("--cases", "count", type=click.IntRange(1, MAX_DEMO_CASES), default=50,
              show_default=True, help="How many cases to add.")
@click.option("--unit", "unit_code", default=None,
              help="Root unit for the demo units (default: the first top-level unit).")
@click.option("--seed", type=int, default=56_2017, show_default=True,
              help="Seed of the random generator (the same seed makes the same data).")
@click.option("--batch", type=click.IntRange(1, 10_000), default=None,
              help="Cases per transaction  [default: 500 through the services, 2000 in bulk]")
@click.option("--via", type=click.Choice(["auto", "services", "bulk"]), default="auto",
              show_default=True,
              help=f"How the cases are written (auto: in bulk from {BULK_FROM} cases).")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="Processes making and sealing the next batches while one is written "
                   "(in bulk; 0: none)  [default: the number of CPUs from 20000 cases, "
                   "else 0]")
@click.option("--defer-indexes/--keep-indexes", "defer_indexes", default=None,
              help="Drop the case tables' non-unique indexes while loading and build "
                   f"them at the end (in bulk)  [default: from {DEFER_INDEXES_FROM} cases]")
@with_appcontext
def demo_data(count, unit_code, seed, batch, via, workers, defer_indexes):
    from caseapp.units import service as units

    from . import demo_bulk

    root = units.by_code(unit_code) if unit_code else next(
        (u for u in units.tree() if u.parent_id is None), None)
    if root is None:
        fail("no such unit; create one first (caseapp units create CODE NAME)")
    missing = demo_bulk.missing_indexes(db.session.connection())
    db.session.commit()
    if missing:
        click.echo(f"{len(missing)} index(es) of the case tables missing (a run stopped "
                   "before building them again): building them first", err=True)
        demo_bulk.build_indexes(db.session, missing, Progress("rebuilding indexes",
                                                              len(missing)))
    bulk = via == "bulk" or (via == "auto" and count >= BULK_FROM)
    if defer_indexes is None:
        defer_indexes = count >= DEFER_INDEXES_FROM
    password = "-".join(secrets.token_hex(3) for _ in range(4))
    wanted = -(-count // CASES_PER_OFFICER) if bulk else 2
    communes, people, created, shared = commit_or_fail(
        lambda: _ensure_demo_people(root, password, wanted))
    if created:
        names = ", ".join(created) if len(created) <= 8 else \
            f"{len(created)} accounts ({', '.join(created[:6])}, ...)"
        click.echo(f"created demo staff {names}; " + (
            "they share the password of the other demo staff" if shared
            else f"password (shown once): {password}"))
    rng = random.Random(seed)
    shown = Progress("synthetic cases", count)
    with _StopRequested() as stop:
        if bulk:
            if workers is None:
                workers = (os.cpu_count() or 1) if count >= POOL_FROM else 0
            done = _seed_in_bulk(rng, root, communes, people, count, batch or 2000, shown, stop,
                                 workers, defer_indexes)
        else:
            done = _seed_through_services(rng, communes, people, count, batch or 500, shown,
                                          stop)
    if stop.signal is not None:
        if shown.tty:
            click.echo("", err=True)  # below the progress line
        click.echo(f"interrupted: added {done} of {count} synthetic case(s), each one whole; "
                   f"run again with --cases {count - done} to add the rest", err=True)
        sys.exit(128 + stop.signal)
    shown.finish()
    total = db.session.scalar(select(func.count()).select_from(Case))
    click.echo(f"added {count} synthetic case(s); {total} case(s) in the database")


def _seed_through_services(rng, communes, people, count, batch, shown, stop) -> int:
    from caseapp.crypto import key_scope

    now = clock.now()
    done = 0
    while done < count and stop.signal is None:
        made = 0
        try:
            with key_scope():
                while made < min(batch, count - done) and stop.signal is None:
                    _make_case(rng, communes[:2], people, now)
                    made += 1
                    shown.update(done + made)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            message = getattr(exc, "message", None)
            if message is None:
                raise
            fail(str(message))
        done += made
        shown.update(done)
    return done


def _seed_in_bulk(rng, root, communes, people, count, batch, shown, stop, workers=0,
                  defer_indexes=False) -> int:
    """Batches of ``batch`` cases through :class:`demo_bulk.BulkWriter`, each
    committed whole; a signal stops after the batch being written. Each batch
    is drawn from its own seed (taken in turn from ``rng``), so ``workers``
    processes can make and seal the next batches while this one writes, and
    make the same cases as this process would alone. ``defer_indexes``: the
    loaded tables' non-unique indexes are dropped for the load and built
    again after it (:func:`demo_bulk.indexes_deferred`)."""
    from flask import current_app

    from caseapp.units.models import Unit

    from . import demo_bulk

    officers = [people[_commune_officer(i)].id for i in range(1, len(communes) + 1)]
    counselors = sorted((u for name, u in people.items() if name.startswith("demo.tvv")),
                        key=lambda u: int(u.username[len("demo.tvv"):]))
    units = {u.id: (u.name, u.path) for u in db.session.scalars(
        select(Unit).where(Unit.id.in_([c.id for c in communes])))}
    roles = {u.id: u.role for u in people.values()}
    writer = demo_bulk.BulkWriter(current_app, units, roles)
    plan = demo_bulk.BatchPlan(
        now=clock.now(), commune_ids=[c.id for c in communes],
        commune_names={c.id: c.name for c in communes}, officers=officers,
        counselors=[counselors[(k // COMMUNES_PER_COUNSELOR) % len(counselors)].id
                    for k in range(len(communes))],
        supervisor=people["demo.gs"].id)
    if db.engine.dialect.name == "sqlite":
        # More of the tables' indexes in memory while they grow (this
        # connection only; durability unchanged: WAL, synchronous=NORMAL).
        db.session.connection().exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    db.session.commit()  # nothing open: the writer's transaction starts with its lock
    done = 0

    def rebuilding(total: int) -> Progress:
        if shown.tty and not shown.finished:
            click.echo("", err=True)  # below the cases' line
        return Progress("rebuilding indexes", total)

    deferred = demo_bulk.indexes_deferred(db.session, rebuilding) if defer_indexes \
        else nullcontext()
    with deferred, demo_bulk.BatchSource(writer, plan, demo_bulk.batch_seeds(rng, count, batch),
                                         workers) as source:
        while done < count and stop.signal is None:
            seed, prepared = source.next()
            try:
                writer.insert(db.session.connection(), random.Random(f"{seed}/references"),
                              prepared)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            done += prepared.counts["cases"]
            shown.update(done)
        if done >= count:
            shown.finish()
    return done
