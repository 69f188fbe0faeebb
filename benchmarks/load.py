"""Load run: many people at once against `caseapp serve`, then proof that nothing was lost.

A bounded client (threads, one cookie-keeping HTTP session per person, the
tests' own ``tests/http_client.py``) plays ``--users`` people for
``--seconds`` on loopback, each with their own account and each waiting 1-5
seconds between actions as a person would:

* case officers: "My cases", open one of their cases, add a note, move a
  stage (refer to an agency / back from referral), record a report (intake);
* counselors: record reports, "My cases", open a case they recorded;
* supervisors: the supervision page, open a case, "My cases";
* everyone logs in first (password, then the authenticator's code) and
  sometimes again in a fresh browser.

Every user comes from their own address (``X-Forwarded-For`` behind one trusted
proxy, as behind the reverse proxy of a deployment), so the per-address login
limits see fifty people, not one. The intake limits per person are raised for
the run (a person records a handful of reports a minute here).

The instance is prepared as an operator would: ``caseapp quickstart``,
``caseapp demo-data``, ``caseapp users create`` per person; then, over HTTP,
each person's first login sets up their authenticator, and a supervisor
assigns each officer some cases (in support or referral) to work on. A
prepared instance can be reused with ``--instance`` (its accounts and
authenticator secrets are kept in ``load-accounts.json`` inside it).

Afterwards it checks, with the server stopped:

* every write answered with success (a report, a note, a stage move) is in the
  database: the report's case by its reference, and the audit entry of the
  very request (``X-Request-Id``) with the write's action;
* each touched case holds as many new notes and stage changes as were answered
  with success;
* the audit entries of each written kind added during the run are exactly as
  many as the successful writes of that kind (none lost, none extra);
* ``caseapp audit verify`` exits 0.

It prints throughput, median and 95th-percentile latency per action, the
count of errors (anything but the expected answer; a 409 on a stage move is
counted apart as a conflict), and the checks.

    python benchmarks/load.py              # 50 users, 60 s, 10,000 cases, SQLite
    python benchmarks/load.py --users 10 --seconds 15 --cases 300
    python benchmarks/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/load
    python benchmarks/load.py --instance /tmp/load-10k           # prepared once, reused after

Exit status 0 when there were no errors (conflicts aside), no lost write,
matching audit counts and a verified chain; 1 otherwise. The latency targets
of issue 16 are printed beside the figures, not enforced by the exit status.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.http_client import (  # noqa: E402
    PHONES,
    HttpSession,
    Phone,
    ServerProcess,
    clean_env,
    logged_in,
    run_caseapp,
)

ACCOUNTS_FILE = "load-accounts.json"
ROOT_UNIT = "HUYEN"
DEMO_UNITS = ("HUYEN.DEMO1", "HUYEN.DEMO2")
CASES_PER_OFFICER = 6
RELOGIN_AFTER_SECONDS = 35  # a second login inside one TOTP step would wait for the next
ACTIONS = ("log in", "my cases", "open a case", "action form", "add a note", "move a stage",
           "intake form", "intake", "supervision")
# The case page's link to an action's own page, which holds its form (the note's is inline).
ACTION_LINK = re.compile(r'data-action-link="(\w+)" href="([^"]+)"')
WRITE_ACTIONS = {"intake": "case.create", "add a note": "case.note",
                 "move a stage": "case.transition"}
# What each role does, with weights (logging in again comes on top, see Person.next_action).
MIX = {
    "officer": {"my cases": 25, "open a case": 25, "add a note": 20, "move a stage": 15,
                "intake": 10, "log in": 5},
    "counselor": {"intake": 45, "my cases": 25, "open a case": 25, "log in": 5},
    "supervisor": {"supervision": 50, "open a case": 25, "my cases": 20, "log in": 5},
}
TARGET_MS = {"log in": 1500}
TARGET_DEFAULT_MS = 300
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CSRF = re.compile(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"'
                  r'|name="csrf_token" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/(HS-[A-Z0-9]{8})(?:\?[^"]*)?"')


# --- the instance ---------------------------------------------------------------------------------

@dataclass
class Account:
    username: str
    role: str
    unit: str
    password: str
    address: str
    secret: str | None = None
    user_id: str | None = None
    cases: list[str] = field(default_factory=list)


def role_of(index: int) -> str:
    """One in ten a supervisor, two in ten counselors, the rest case officers."""
    return {0: "supervisor", 1: "counselor", 2: "counselor"}.get(index % 10, "officer")


def plan_accounts(users: int) -> list[Account]:
    accounts = []
    prefixes = {"supervisor": "gs", "counselor": "tvv", "officer": "cb"}
    for i in range(users):
        role = role_of(i)
        unit = ROOT_UNIT if role == "supervisor" else DEMO_UNITS[i % 2]
        accounts.append(Account(
            username=f"load.{prefixes[role]}{i:03d}",
            role=role, unit=unit,
            password=f"mật khẩu thử tải số {i} {secrets.token_hex(4)}",
            address=f"10.{16 + i // 65536}.{i // 256 % 256}.{i % 256 or 1}"))
    return accounts


def instance_env(instance: str, database_url: str | None) -> dict[str, str]:
    extra = {"CASEAPP_DATABASE_URL": database_url} if database_url else {}
    return clean_env(instance, **extra)


def server_env(instance: str, database_url: str | None) -> dict[str, str]:
    env = instance_env(instance, database_url)
    # One reverse proxy in front (X-Forwarded-For names the person's address),
    # and room for a person recording a report every few seconds.
    # The deadline scan is cron's (`caseapp notifications scan`), not a request's:
    # on thousands of demo cases with overdue deadlines the first scan inside a
    # worker outlasts gunicorn's timeout (issue 16's load run found it).
    env.update(CASEAPP_TRUSTED_PROXY_COUNT="1", CASEAPP_INTAKE_LIMIT_PER_HOUR="100000",
               CASEAPP_INTAKE_LIMIT_PER_DAY="100000", CASEAPP_NOTIFY_SCAN_MINUTES="0")
    return env


def database_url_of(instance: str, database_url: str | None) -> str:
    return database_url or f"sqlite:///{os.path.join(instance, 'caseapp.db')}"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def caseapp(args: list[str], env: dict[str, str], stdin: str | None = None,
            timeout: int = 3600) -> str:
    done = run_caseapp(args, env, stdin=stdin, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"caseapp {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout


def make_instance(instance: str, database_url: str | None, users: int, cases: int) -> None:
    """quickstart, demo-data and one account per person, as an operator would."""
    env = instance_env(instance, database_url)
    os.makedirs(instance, exist_ok=True)
    say(f"quickstart in {instance}")
    caseapp(["quickstart", "--no-serve"], env)
    say(f"demo-data --cases {cases}")
    started = time.monotonic()
    caseapp(["demo-data", "--cases", str(cases)], env)
    say(f"  {cases} cases in {time.monotonic() - started:.0f} s")
    save_accounts(instance, {"cases": cases, "accounts": []})
    add_accounts(instance, database_url, users)


def add_accounts(instance: str, database_url: str | None, users: int) -> None:
    kept = load_accounts(instance)
    have = {a.username for a in kept}
    wanted = [a for a in plan_accounts(users) if a.username not in have]
    if not wanted:
        return
    env = instance_env(instance, database_url)
    say(f"users create: {len(wanted)} accounts")
    lock = threading.Lock()

    def create(account: Account) -> None:
        caseapp(["users", "create", account.username, "--role", account.role, "--unit",
                 account.unit, "--password-stdin", "--own-password"], env,
                stdin=account.password + "\n")
        with lock:
            kept.append(account)
    in_threads(create, wanted, 2)
    store = json.loads(Path(instance, ACCOUNTS_FILE).read_text())
    store["accounts"] = [a.__dict__ for a in kept]
    save_accounts(instance, store)


def load_accounts(instance: str) -> list[Account]:
    path = Path(instance, ACCOUNTS_FILE)
    if not path.exists():
        return []
    return [Account(**a) for a in json.loads(path.read_text())["accounts"]]


def save_accounts(instance: str, store: dict) -> None:
    path = Path(instance, ACCOUNTS_FILE)
    path.write_text(json.dumps(store, ensure_ascii=False, indent=1))
    os.chmod(path, 0o600)


def store_accounts(instance: str, accounts: list[Account]) -> None:
    store = json.loads(Path(instance, ACCOUNTS_FILE).read_text())
    by_name = {a.username: a for a in accounts}
    store["accounts"] = [by_name.get(a["username"], Account(**a)).__dict__
                         for a in store["accounts"]]
    save_accounts(instance, store)


# --- HTML forms -----------------------------------------------------------------------------------

class Forms(HTMLParser):
    """The forms of a page: action -> the fields with their preset values
    (hidden fields, checked radios, selected options), as a browser would send them."""

    def __init__(self, html: str, page: str = ""):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: dict[str, dict[str, str]] = {}
        self._current: dict[str, str] | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            # Without its #fragment; a form without an action posts to its page.
            action = (attributes.get("action") or "").split("#", 1)[0] or self.page
            self._current = self.forms.setdefault(action, {})
        elif self._current is None:
            return
        elif tag == "input" and attributes.get("name"):
            kind = attributes.get("type", "text")
            if kind == "hidden" or (kind in ("radio", "checkbox") and "checked" in attributes):
                self._current[attributes["name"]] = attributes.get("value") or ""
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select and "selected" in attributes:
            self._current[self._select] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


# --- one person -----------------------------------------------------------------------------------

class Browser(HttpSession):
    """A person's browser behind the deployment's reverse proxy, at their own address."""

    def __init__(self, port: int, address: str):
        super().__init__(port)
        self.address = address

    def request(self, method, path, form=None, headers=None, body=None):
        sent = {**(headers or {}), "X-Forwarded-For": self.address}
        return super().request(method, path, form=form, headers=sent, body=body)


def first_login(port: int, account: Account) -> Browser:
    """The first login sets up the authenticator; its secret is kept for the run."""
    PHONES.pop(account.username, None)
    if account.secret:
        PHONES[account.username] = Phone(account.secret)
    browser = Browser(port, account.address)
    answer = browser.login(account.username, account.password)
    if not logged_in(answer):
        raise RuntimeError(f"{account.username} cannot log in: {answer.status}")
    account.secret = PHONES[account.username].totp.secret
    return browser


def in_threads(work, jobs: list, threads: int) -> None:
    """``work(job)`` for every job, on a few threads; the first failure is raised."""
    failures: list[str] = []

    def run(part):
        try:
            for job in part:
                work(job)
        except (RuntimeError, OSError) as exc:
            failures.append(str(exc))
    started = [threading.Thread(target=run, args=(jobs[i::threads],)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])


def cases_to_assign(database: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The load accounts' ids, and per unit the open cases in support or referral
    that no load officer leads yet."""
    engine = create_engine(database)
    with engine.connect() as db:
        ids = dict(db.execute(text("SELECT username, id FROM users WHERE username LIKE 'load.%'"))
                   .all())
        free = defaultdict(list)
        for reference, unit in db.execute(text(
                "SELECT c.reference, u.code FROM cases c JOIN units u ON u.id = c.unit_id "
                "WHERE c.stage IN ('support', 'referral') AND c.purged_at IS NULL "
                "AND c.restricted_at IS NULL AND c.closure_requested_at IS NULL "
                "AND (c.lead_officer_id IS NULL OR c.lead_officer_id NOT IN "
                "(SELECT id FROM users WHERE username LIKE 'load.%')) ORDER BY c.reference")):
            free[unit].append(reference)
    engine.dispose()
    return ids, free


def assign_cases(port: int, supervisor: Account, officers: list[Account], database: str,
                 browser: Browser | None = None) -> None:
    """A supervisor gives each officer without cases a few cases in support or
    referral (moves between them can be repeated), in the officer's unit."""
    ids, free = cases_to_assign(database)
    for account in officers:
        account.user_id = ids[account.username]
    waiting = [a for a in officers if not a.cases]
    if not waiting:
        return
    say(f"assigning {CASES_PER_OFFICER} cases to each of {len(waiting)} officers")
    if browser is None:  # the supervisor's session of the first login, or a new one
        browser = Browser(port, supervisor.address)
        PHONES[supervisor.username] = PHONES.get(supervisor.username) or Phone(supervisor.secret)
        if not logged_in(browser.login(supervisor.username, supervisor.password)):
            raise RuntimeError("the supervisor cannot log in")
    # One page first: a fresh session gets its CSRF token once, not once per
    # parallel request (the last to save would win, the others' forms expire).
    browser.get("/")
    jobs = []
    for account in waiting:
        if len(free[account.unit]) < CASES_PER_OFFICER:
            raise RuntimeError(f"not enough cases in support or referral in {account.unit}")
        jobs += [(account, free[account.unit].pop()) for _ in range(CASES_PER_OFFICER)]

    def assign(job) -> None:
        account, reference = job
        # The assignment's own page, as the case page's "Phân công" link leads.
        page = browser.get(f"/cases/{reference}/actions/assign")
        form = Forms(page.body).forms.get(f"/cases/{reference}/assign")
        if page.status != 200 or form is None:
            raise RuntimeError(f"no assignment form on {reference}: {page.status}")
        form["assign-lead_officer"] = account.user_id
        answer = browser.post(f"/cases/{reference}/assign", form)
        if answer.status != 302:
            raise RuntimeError(f"assigning {reference}: {answer.status}")
        account.cases.append(reference)
    in_threads(assign, jobs, 3)


def warm_up(port: int, workers: int) -> None:
    """A few requests per worker before anyone logs in: a worker's first requests
    also start its periodic work (the notifications scan), which is not the load's."""
    for _ in range(3 * workers):
        for _attempt in range(5):
            try:
                HttpSession(port).get("/login")
                break
            except OSError:
                continue


def settle_phones(accounts: list[Account], database: str) -> None:
    """Wait (at most one 30-second step) until every code used before the run is
    in the past, so no login of the run waits for its authenticator. The steps
    used come from the server's own record (``users.totp_last_step``): on a
    reused instance a run started right after another finds codes its phones
    never made already spent (four logins of such a run were refused)."""
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            spent = dict(conn.execute(text(
                "SELECT username, totp_last_step FROM users WHERE totp_last_step IS NOT NULL")
            ).all())
    finally:
        engine.dispose()
    for account in accounts:
        if account.secret and account.username not in PHONES:
            PHONES[account.username] = Phone(account.secret)
        if account.username in PHONES and spent.get(account.username) is not None:
            phone = PHONES[account.username]
            phone.last_step = max(phone.last_step, spent[account.username])
    phones = [PHONES[a.username] for a in accounts if a.username in PHONES]
    if not phones:
        return
    latest = max(phone.last_step for phone in phones)
    while phones[0].totp.timecode(datetime.now()) < latest:
        time.sleep(0.5)


@dataclass
class Sample:
    action: str
    started: float
    seconds: float
    outcome: str  # "ok", "conflict", "error"
    detail: str = ""
    arriving: bool = False  # a person's first login of the run (everyone arrives within 5 s)


@dataclass
class Write:
    action: str
    reference: str
    request_id: str


class Person:
    """One person at work: waits 1-5 s between actions, as a person would."""

    def __init__(self, run: Run, account: Account):
        self.run = run
        self.account = account
        self.random = random.Random(f"{run.seed}-{account.username}")
        self.browser: Browser | None = None
        self.last_login = -1e9
        self.recorded: list[str] = []  # reports this person recorded in the run
        self.page: tuple[str, str] | None = None  # (reference, html) of the last case opened

    # -- plumbing --
    def timed(self, action: str, call, expect=(200,), conflict=()):
        started = time.monotonic()
        try:
            answer = call()
        except OSError as exc:
            self.run.record(Sample(action, started, time.monotonic() - started, "error",
                                   type(exc).__name__))
            return None
        seconds = time.monotonic() - started
        if answer.status in expect:
            outcome = "ok"
        elif answer.status in conflict:
            outcome = "conflict"
        else:
            outcome = "error"
        self.run.record(Sample(action, started, seconds, outcome,
                               f"{answer.status} {answer.headers.get('Location', '')}"))
        return answer if outcome == "ok" else None

    def written(self, action: str, reference: str, answer) -> None:
        self.run.add_write(Write(action, reference, answer.headers.get("X-Request-Id", "")))

    # -- actions --
    def log_in(self) -> None:
        self.browser = Browser(self.run.port, self.account.address)  # a fresh browser
        arriving = self.last_login < 0
        self.last_login = time.monotonic()
        account = self.account
        started = time.monotonic()
        try:
            answer = self.browser.login(account.username, account.password)
        except (OSError, AttributeError) as exc:  # no form on the page: an error page
            self.run.record(Sample("log in", started, time.monotonic() - started, "error",
                                   type(exc).__name__, arriving))
            self.browser = None
            return
        ok = logged_in(answer)
        self.run.record(Sample("log in", started, time.monotonic() - started,
                               "ok" if ok else "error", str(answer.status), arriving))
        if not ok:
            self.browser = None

    def my_cases(self) -> None:
        self.timed("my cases", lambda: self.browser.get("/cases"))

    def supervision(self) -> None:
        self.timed("supervision", lambda: self.browser.get("/supervision"))

    def choose_case(self) -> str | None:
        if self.account.role == "officer":
            return self.random.choice(self.account.cases) if self.account.cases else None
        if self.account.role == "counselor":
            return self.random.choice(self.recorded) if self.recorded else None
        return self.random.choice(self.run.sample_cases) if self.run.sample_cases else None

    def open_case(self, reference: str | None = None) -> bool:
        reference = reference or self.choose_case()
        if reference is None:
            self.my_cases()
            return False
        answer = self.timed("open a case", lambda: self.browser.get(f"/cases/{reference}"))
        self.page = (reference, answer.body) if answer else None
        return answer is not None

    def add_note(self) -> None:
        if not self.open_case():
            return
        reference, html = self.page
        form = Forms(html).forms.get(f"/cases/{reference}/note")
        if form is None:
            self.run.record(Sample("add a note", time.monotonic(), 0.0, "error", "no note form"))
            return
        form["note-text"] = f"Gọi điện hỏi thăm gia đình, lần {self.random.randrange(1000)}."
        answer = self.timed("add a note",
                            lambda: self.browser.post(f"/cases/{reference}/note", form),
                            expect=(302,))
        if answer:
            self.written("add a note", reference, answer)

    def move_stage(self) -> None:
        if not self.open_case():
            return
        reference, html = self.page
        # The move's link on the case page, then its page with the form, as a person goes.
        links = dict(ACTION_LINK.findall(html))
        link = links.get("refer") or links.get("return")
        if link is None:
            self.run.record(Sample("move a stage", time.monotonic(), 0.0, "error",
                                   "no move offered"))
            return
        page = self.timed("action form", lambda: self.browser.get(link))
        if page is None:
            return
        forms = Forms(page.body).forms
        refer, back = f"/cases/{reference}/refer", f"/cases/{reference}/return"
        if refer in forms:
            action, form = refer, forms[refer]
            form.update({"refer-agency": self.random.choice(["social_work_centre", "legal_aid"]),
                         "refer-reason": "Cần cơ quan chuyên môn hỗ trợ thêm.",
                         "refer-sharing_basis": "legal_duty",
                         "refer-what_was_sent": "Tóm tắt hồ sơ"})
        elif back in forms:
            action, form = back, forms[back]
            form["return-reason"] = "Cơ quan đã hỗ trợ xong phần việc của mình."
        else:
            self.run.record(Sample("move a stage", time.monotonic(), 0.0, "error",
                                   "no move offered"))
            return
        answer = self.timed("move a stage", lambda: self.browser.post(action, form),
                            expect=(302,), conflict=(409,))
        if answer:
            self.written("move a stage", reference, answer)

    def intake(self) -> None:
        page = self.timed("intake form", lambda: self.browser.get("/cases/new"))
        if page is None:
            return
        form = Forms(page.body, "/cases/new").forms.get("/cases/new", {})
        n = self.random.randrange(10_000)
        form.update({
            "unit": self.account.unit,
            "received_at": datetime.now(VIETNAM).strftime("%d/%m/%Y %H:%M"),
            "safe_tonight": "yes", "channel": "hotline_111", "requested_by": "relative",
            "help_requested": "yes", "child_group": "abused",
            "reporter_name": "Người báo tin (thử tải)", "reporter_relation": "mẹ",
            "reporter_phone": f"0100{n:06d}", "child_name": f"Trẻ thử tải {n}",
            "child_gender": self.random.choice(["female", "male"]),
            "child_age": str(self.random.randint(8, 16)),
            "harm_categories": "cyberbullying", "platforms": "facebook",
            "narrative": "Em bị bắt nạt trên mạng (dữ liệu thử tải).",
            "consent_child": "given", "consent_guardian": "given", "legal_ground": "",
        })
        answer = self.timed("intake", lambda: self.browser.post("/cases/new", form),
                            expect=(302,))
        if answer:
            found = re.search(r"/cases/(HS-[A-Z0-9]{8})", answer.headers.get("Location", ""))
            if found is None:
                self.run.record(Sample("intake", time.monotonic(), 0.0, "error",
                                       "no case reference"))
                return
            self.recorded.append(found.group(1))
            self.written("intake", found.group(1), answer)

    def next_action(self) -> str:
        mix = dict(MIX[self.account.role])
        if time.monotonic() - self.last_login < RELOGIN_AFTER_SECONDS:
            mix.pop("log in")
        names = list(mix)
        return self.random.choices(names, [mix[n] for n in names])[0]

    def live(self) -> None:
        run = self.run
        run.stop.wait(self.random.uniform(0, 5))  # people arrive over the first seconds
        while not run.stop.is_set():
            action = "log in" if self.browser is None else self.next_action()
            {"log in": self.log_in, "my cases": self.my_cases, "open a case": self.open_case,
             "add a note": self.add_note, "move a stage": self.move_stage,
             "intake": self.intake, "supervision": self.supervision}[action]()
            run.stop.wait(self.random.uniform(1, 5))


# --- the run ------------------------------------------------------------------------------------

class Run:
    def __init__(self, port: int, accounts: list[Account], sample_cases: list[str], seed: int):
        self.port = port
        self.accounts = accounts
        self.sample_cases = sample_cases
        self.seed = seed
        self.stop = threading.Event()
        self.samples: list[Sample] = []
        self.writes: list[Write] = []
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.server_cpu = self.client_cpu = 0.0

    def record(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def add_write(self, write: Write) -> None:
        with self._lock:
            self.writes.append(write)

    def go(self, seconds: float) -> None:
        people = [Person(self, account) for account in self.accounts]
        for account in self.accounts:
            # The phone of the preparation's login: it knows which code was used last.
            if account.username not in PHONES:
                PHONES[account.username] = Phone(account.secret)
        threads = [threading.Thread(target=p.live, name=p.account.username, daemon=True)
                   for p in people]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        self.stop.wait(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        self.seconds = time.monotonic() - started


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its live children (the
    gunicorn master and its workers), from /proc; 0.0 where there is none."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    pending, seen = [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending += [int(c) for c in children]
        except (OSError, ValueError, IndexError):
            continue
    return total


def client_cpu_seconds() -> float:
    usage = os.times()
    return usage.user + usage.system


@dataclass
class Snapshot:
    audit_seq: int
    notes: dict[str, int]
    transitions: dict[str, int]


def snapshot(database: str, references: list[str]) -> Snapshot:
    engine = create_engine(database)
    with engine.connect() as db:
        seq = db.execute(text("SELECT coalesce(max(seq), 0) FROM audit_entries")).scalar_one()
        notes, transitions = {}, {}
        for table, into in (("case_notes", notes), ("case_transitions", transitions)):
            for reference, count in db.execute(text(
                    f"SELECT c.reference, count(x.id) FROM cases c LEFT JOIN {table} x "
                    "ON x.case_id = c.id WHERE c.reference IN :refs GROUP BY c.reference")
                    .bindparams(_expanding("refs")), {"refs": references or ["-"]}):
                into[reference] = count
    engine.dispose()
    return Snapshot(seq, notes, transitions)


def _expanding(name: str):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


@dataclass
class Checks:
    lost: list[str]
    audit_counts: dict[str, tuple[int, int]]  # action -> (successful writes, audit entries)
    rows: dict[str, tuple[int, int]]  # "notes"/"stage changes" -> (expected, found)
    verified: bool
    verify_output: str

    @property
    def ok(self) -> bool:
        return (not self.lost and self.verified
                and all(a == b for a, b in self.audit_counts.values())
                and all(a == b for a, b in self.rows.values()))


def check(run: Run, before: Snapshot, database: str, env: dict[str, str]) -> Checks:
    touched = sorted({w.reference for w in run.writes if w.action != "intake"})
    after = snapshot(database, touched)
    engine = create_engine(database)
    lost: list[str] = []
    with engine.connect() as db:
        entries = {(request_id, action) for request_id, action in db.execute(text(
            "SELECT request_id, action FROM audit_entries WHERE seq > :seq AND outcome = 'ok'"),
            {"seq": before.audit_seq})}
        counted = Counter(dict(db.execute(text(
            "SELECT action, count(*) FROM audit_entries WHERE seq > :seq AND outcome = 'ok' "
            "GROUP BY action"), {"seq": before.audit_seq}).all()))
        made = [w.reference for w in run.writes if w.action == "intake"]
        present = set()
        for start in range(0, len(made), 500):
            present |= set(db.execute(text("SELECT reference FROM cases WHERE reference IN :refs")
                                      .bindparams(_expanding("refs")),
                                      {"refs": made[start:start + 500]}).scalars())
    engine.dispose()
    for write in run.writes:
        if write.action == "intake" and write.reference not in present:
            lost.append(f"intake {write.reference}: no such case")
        if (write.request_id, WRITE_ACTIONS[write.action]) not in entries:
            lost.append(f"{write.action} on {write.reference}: no {WRITE_ACTIONS[write.action]} "
                        f"entry for request {write.request_id}")
    succeeded = Counter(w.action for w in run.writes)
    audit_counts = {kind: (succeeded[action], counted.get(kind, 0))
                    for action, kind in WRITE_ACTIONS.items()}
    per_case = {"notes": Counter(w.reference for w in run.writes if w.action == "add a note"),
                "stage changes": Counter(w.reference for w in run.writes
                                         if w.action == "move a stage")}
    rows = {}
    for name, expected, was, now in (
            ("notes", per_case["notes"], before.notes, after.notes),
            ("stage changes", per_case["stage changes"], before.transitions, after.transitions)):
        found = sum(now.get(r, 0) - was.get(r, 0) for r in touched)
        rows[name] = (sum(expected.values()), found)
        for reference in touched:
            if now.get(reference, 0) - was.get(reference, 0) < expected[reference]:
                lost.append(f"{name} on {reference}: {expected[reference]} answered, "
                            f"{now.get(reference, 0) - was.get(reference, 0)} stored")
    verify = run_caseapp(["audit", "verify"], env, timeout=3600)
    said = (verify.stdout.strip() or verify.stderr.strip()).splitlines()
    return Checks(lost, audit_counts, rows, verify.returncode == 0, said[0] if said else "")


@dataclass
class Outcome:
    samples: list[Sample]
    seconds: float
    checks: Checks
    writes: list[Write]
    server_cpu: float = 0.0  # CPU seconds of gunicorn's processes during the run
    client_cpu: float = 0.0  # and of this client

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.outcome == "error"]

    @property
    def conflicts(self) -> list[Sample]:
        return [s for s in self.samples if s.outcome == "conflict"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def table(outcome: Outcome) -> str:
    lines = [f"{'action':<14}{'count':>7}{'ok':>7}{'errors':>8}{'conflicts':>10}"
             f"{'per s':>8}{'median ms':>11}{'p95 ms':>9}{'target':>13}"]
    for action in ACTIONS:
        samples = [s for s in outcome.samples if s.action == action]
        if not samples:
            continue
        timed = [s.seconds * 1000 for s in samples if s.outcome != "error"] or [0.0]
        median = statistics.median(timed)
        target = TARGET_MS.get(action, TARGET_DEFAULT_MS)
        lines.append(
            f"{action:<14}{len(samples):>7}{sum(s.outcome == 'ok' for s in samples):>7}"
            f"{sum(s.outcome == 'error' for s in samples):>8}"
            f"{sum(s.outcome == 'conflict' for s in samples):>10}"
            f"{len(samples) / outcome.seconds:>8.2f}{median:>11.0f}{percentile(timed, 0.95):>9.0f}"
            f"{('< ' + str(target)) + (' ok' if median < target else ' MISS'):>13}")
    every = outcome.samples
    lines.append(f"{'all':<14}{len(every):>7}{sum(s.outcome == 'ok' for s in every):>7}"
                 f"{len(outcome.errors):>8}{len(outcome.conflicts):>10}"
                 f"{len(every) / outcome.seconds:>8.2f}")
    lines.append(logins_by_arrival(outcome.samples))
    return "\n".join(lines)


def logins_by_arrival(samples: list[Sample]) -> str:
    """The logins of people arriving (everyone within the first 5 s: their
    argon2 checks queue for the two cores) apart from the later ones, whose
    share of the run decides on which side of the queue the median falls."""
    parts = []
    for arriving, name in ((True, "arriving"), (False, "later")):
        timed = [s.seconds * 1000 for s in samples
                 if s.action == "log in" and s.arriving is arriving and s.outcome != "error"]
        if timed:
            parts.append(f"{name} {len(timed)}, median {statistics.median(timed):.0f} ms, "
                         f"p95 {percentile(timed, 0.95):.0f} ms")
    return "log in: " + "; ".join(parts) if parts else ""


def report(outcome: Outcome) -> str:
    checks = outcome.checks
    lines = [table(outcome), ""]
    if outcome.samples:
        # Less sensitive to other work on the machine than the latencies: what
        # each request cost in CPU, the server's and this client's.
        requests = len(outcome.samples)
        lines.append(f"CPU during the run: server {outcome.server_cpu:.1f} s "
                     f"({outcome.server_cpu / requests * 1000:.0f} ms per action), client "
                     f"{outcome.client_cpu:.1f} s ({outcome.client_cpu / requests * 1000:.0f} ms "
                     f"per action), {outcome.seconds:.0f} s on {os.cpu_count()} cores")
    if outcome.errors:
        kinds = Counter(f"{s.action}: {s.detail}" for s in outcome.errors)
        lines.append("errors: " + "; ".join(f"{k} x{n}" for k, n in kinds.most_common(8)))
    lines.append(f"writes answered with success: {len(outcome.writes)}; lost: {len(checks.lost)}")
    for line in checks.lost[:10]:
        lines.append(f"  LOST {line}")
    for kind, (writes, entries) in checks.audit_counts.items():
        lines.append(f"audit {kind}: {writes} successful writes, {entries} entries "
                     f"{'ok' if writes == entries else 'MISMATCH'}")
    for name, (expected, found) in checks.rows.items():
        lines.append(f"{name} on the touched cases: {expected} answered, {found} stored "
                     f"{'ok' if expected == found else 'MISMATCH'}")
    lines.append(f"audit verify: {'exit 0' if checks.verified else 'FAILED'} "
                 f"({checks.verify_output})")
    return "\n".join(lines)


def free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def sample_references(database: str, count: int = 200) -> list[str]:
    """Cases a supervisor opens: open ones, spread over the database."""
    engine = create_engine(database)
    with engine.connect() as db:
        references = list(db.execute(text(
            "SELECT reference FROM cases WHERE stage <> 'closure' AND purged_at IS NULL "
            "ORDER BY reference")).scalars())
    engine.dispose()
    step = max(1, len(references) // count)
    return references[::step][:count]


def load_run(instance: str, *, users: int, seconds: float, cases: int, workers: int,
             port: int, database_url: str | None = None, seed: int = 16) -> Outcome:
    """Prepare (or reuse) ``instance``, serve it with ``caseapp serve``, run, stop, check."""
    instance = os.path.abspath(instance)
    if not Path(instance, ACCOUNTS_FILE).exists():
        make_instance(instance, database_url, users, cases)
    else:
        add_accounts(instance, database_url, users)
    accounts = [a for a in load_accounts(instance)
                if a.username in {p.username for p in plan_accounts(users)}]
    database = database_url_of(instance, database_url)
    env = server_env(instance, database_url)
    server = ServerProcess(["serve", "--workers", str(workers), "--port", str(port)], env, port)
    try:
        server.wait_ready()
        warm_up(port, workers)
        browsers = {}
        for account in accounts:
            if not account.secret:
                browsers[account.username] = first_login(port, account)
                store_accounts(instance, accounts)  # the secret, before anything can fail
        supervisor = next(a for a in accounts if a.role == "supervisor")
        assign_cases(port, supervisor, [a for a in accounts if a.role == "officer"], database,
                     browsers.get(supervisor.username))
        store_accounts(instance, accounts)
        settle_phones(accounts, database)
        officers_cases = [r for a in accounts for r in a.cases]
        before = snapshot(database, officers_cases)
        run = Run(port, accounts, sample_references(database), seed)
        say(f"running: {len(accounts)} users for {seconds:g} s against caseapp serve "
            f"--workers {workers} on port {port}")
        server_cpu, client_cpu = cpu_seconds(server.process.pid), client_cpu_seconds()
        run.go(seconds)
        run.server_cpu = cpu_seconds(server.process.pid) - server_cpu
        run.client_cpu = client_cpu_seconds() - client_cpu
    finally:
        server.stop()
    say("checking")
    checks = check(run, before, database, instance_env(instance, database_url))
    return Outcome(run.samples, run.seconds, checks, run.writes, run.server_cpu, run.client_cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cases", type=int, default=10_000,
                        help="demo cases when the instance is made (ignored when reused)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default=None,
                        help="postgresql+psycopg://... (an empty database); SQLite by default")
    parser.add_argument("--instance", default=None,
                        help="instance folder, made on the first run and reused after "
                             "(default: a temporary one, removed)")
    parser.add_argument("--port", type=int, default=0,
                        help="port for caseapp serve (default: the first free of 18300-18399)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    if args.users < 10:
        parser.error("--users: at least 10 (one supervisor and two counselors in every ten)")
    temporary = args.instance is None
    instance = args.instance or tempfile.mkdtemp(prefix="caseapp-load-")
    port = args.port or free_port(range(18300, 18400))
    try:
        outcome = load_run(instance, users=args.users, seconds=args.seconds, cases=args.cases,
                           workers=args.workers, port=port, database_url=args.database_url,
                           seed=args.seed)
    finally:
        if temporary:
            shutil.rmtree(instance, ignore_errors=True)
    print(f"caseapp serve --workers {args.workers}, {args.users} users, "
          f"{outcome.seconds:.0f} s, {'PostgreSQL' if args.database_url else 'SQLite'}, "
          f"{os.cpu_count()} cores, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(report(outcome))
    return 0 if not outcome.errors and outcome.checks.ok else 1


if __name__ == "__main__":
    sys.exit(main())
