"""CPU per request of the load run's actions, in one process (the test client).

Less sensitive to other work on the machine than the load run's latencies:
it counts the process's CPU time (``time.process_time``), not the clock, and
the SQL statements each request runs. Runs against a copy of a prepared load
instance (``benchmarks/load.py --instance DIR`` made it), so the accounts, the
officers' cases and the 10,000 demo cases are those of the load run.

    python benchmarks/request_cpu.py --instance /tmp/load-10k          # 50 of each
    python benchmarks/request_cpu.py --instance /tmp/load-10k --profile my_cases

``--profile ACTION`` prints cProfile's top functions (cumulative) for that action.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def copy_instance(source: str) -> str:
    target = tempfile.mkdtemp(prefix="caseapp-cpu-")
    for name in os.listdir(source):
        path = os.path.join(source, name)
        if os.path.isfile(path) and not name.startswith("server-"):
            shutil.copy2(path, target)
    return target


class Person:
    def __init__(self, app, account: dict, address: str):
        self.client = app.test_client()
        self.account = account
        self.headers = {"X-Forwarded-For": address, "Referer": "https://localhost/"}
        self.step = 0

    def get(self, path):
        return self.client.get(path, base_url="https://localhost", headers=self.headers)

    def post(self, path, data):
        return self.client.post(path, data=data, base_url="https://localhost",
                                headers=self.headers)

    def token(self, html: str) -> str:
        return CSRF.search(html).group(1)

    def login(self) -> None:
        import pyotp

        page = self.get("/login").get_data(as_text=True)
        answer = self.post("/login", {"username": self.account["username"],
                                      "password": self.account["password"],
                                      "csrf_token": self.token(page)})
        assert answer.status_code == 302 and answer.location.endswith("/login/code"), \
            answer.status_code
        page = self.get("/login/code").get_data(as_text=True)
        totp = pyotp.TOTP(self.account["secret"])
        self.step = max(self.step + 1, totp.timecode(datetime.now()) + 1)
        answer = self.post("/login/code", {"code": totp.generate_otp(self.step),
                                           "csrf_token": self.token(page)})
        assert answer.status_code == 302 and answer.location.endswith("/"), \
            (answer.status_code, answer.location)


def forms_of(html: str, action: str) -> dict[str, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from load import Forms

    return Forms(html, action).forms.get(action, {})


def actions(officer: Person, supervisor: Person, counselor: Person, case: str):
    counter = iter(range(10**9))

    def my_cases():
        assert officer.get("/cases").status_code == 200

    def open_case():
        assert officer.get(f"/cases/{case}").status_code == 200

    def add_note():
        html = officer.get(f"/cases/{case}").get_data(as_text=True)
        form = forms_of(html, f"/cases/{case}/note")
        form["note-text"] = f"Gọi điện hỏi thăm gia đình, lần {next(counter)}."
        return lambda: officer.post(f"/cases/{case}/note", form).status_code == 302

    def move_stage():
        # Each move's form is on its own page (the case page links to it).
        html = officer.get(f"/cases/{case}/actions/refer").get_data(as_text=True)
        refer = forms_of(html, f"/cases/{case}/refer")
        if refer:
            refer.update({"refer-agency": "legal_aid",
                          "refer-reason": "Cần cơ quan chuyên môn hỗ trợ thêm.",
                          "refer-sharing_basis": "legal_duty",
                          "refer-what_was_sent": "Tóm tắt hồ sơ"})
            return lambda: officer.post(f"/cases/{case}/refer", refer).status_code == 302
        html = officer.get(f"/cases/{case}/actions/return").get_data(as_text=True)
        back = forms_of(html, f"/cases/{case}/return")
        back["return-reason"] = "Cơ quan đã hỗ trợ xong phần việc của mình."
        return lambda: officer.post(f"/cases/{case}/return", back).status_code == 302

    def intake_form():
        assert counselor.get("/cases/new").status_code == 200

    def intake():
        html = counselor.get("/cases/new").get_data(as_text=True)
        form = forms_of(html, "/cases/new")
        n = next(counter)
        form.update({
            "unit": counselor.account["unit"],
            "received_at": datetime.now(VIETNAM).strftime("%d/%m/%Y %H:%M"),
            "safe_tonight": "yes", "channel": "hotline_111", "requested_by": "relative",
            "help_requested": "yes", "child_group": "abused",
            "reporter_name": "Người báo tin (thử tải)", "reporter_relation": "mẹ",
            "reporter_phone": f"0100{n:06d}", "child_name": f"Trẻ thử tải {n}",
            "child_gender": "female", "child_age": "12",
            "harm_categories": "cyberbullying", "platforms": "facebook",
            "narrative": "Em bị bắt nạt trên mạng (dữ liệu thử tải).",
            "consent_child": "given", "consent_guardian": "given", "legal_ground": "",
        })
        return lambda: counselor.post("/cases/new", form).status_code == 302

    def supervision():
        assert supervisor.get("/supervision").status_code == 200

    # Each entry: (name, call, prepared) -- a prepared action's call returns the
    # timed step (its page is fetched outside the timing, as the load run does).
    return [("my_cases", my_cases, False), ("open_case", open_case, False),
            ("add_note", add_note, True), ("move_stage", move_stage, True),
            ("intake_form", intake_form, False), ("intake", intake, True),
            ("supervision", supervision, False)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", required=True)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--only", default=None, help="comma-separated action names")
    args = parser.parse_args()
    source = os.path.abspath(args.instance)
    store = json.loads(Path(source, "load-accounts.json").read_text())
    instance = copy_instance(source)
    os.environ.update(CASEAPP_INSTANCE=instance, CASEAPP_TRUSTED_PROXY_COUNT="1",
                      CASEAPP_INTAKE_LIMIT_PER_HOUR="100000",
                      CASEAPP_INTAKE_LIMIT_PER_DAY="100000", CASEAPP_NOTIFY_SCAN_MINUTES="0")
    try:
        from sqlalchemy import event

        from caseapp import create_app
        from caseapp.extensions import db

        app = create_app()
        statements = [0]
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda *a: statements.__setitem__(0, statements[0] + 1))
        accounts = store["accounts"]
        officer = next(a for a in accounts if a["role"] == "officer" and a["cases"])
        supervisor = next(a for a in accounts if a["role"] == "supervisor")
        counselor = next(a for a in accounts if a["role"] == "counselor")
        people = [Person(app, a, f"10.99.0.{i + 1}")
                  for i, a in enumerate((officer, supervisor, counselor))]
        started = time.process_time()
        for person in people:
            person.login()
        print(f"log in (3 people, password + code, 4 requests each): "
              f"{(time.process_time() - started) / 3 * 1000:.0f} ms CPU per login")
        wanted = set(args.only.split(",")) if args.only else None
        print(f"{'action':<14}{'CPU ms/request':>16}{'statements':>12}")
        for name, call, prepared in actions(*people, officer["cases"][0]):
            if wanted and name not in wanted:
                continue
            for _ in range(2):  # warm: templates compiled, caches filled
                (call() if not prepared else call()())
            total, count = 0.0, 0
            profile = cProfile.Profile() if args.profile == name else None
            for _ in range(args.repeat):
                step = call() if prepared else call
                before = statements[0]
                started = time.process_time()
                if profile:
                    profile.enable()
                ok = step()
                if profile:
                    profile.disable()
                total += time.process_time() - started
                count += statements[0] - before
                assert ok is not False, name
            print(f"{name:<14}{total / args.repeat * 1000:>16.1f}{count / args.repeat:>12.1f}")
            if profile:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
                pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
