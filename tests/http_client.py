"""A plain HTTP client for tests that talk to a real server process.

Cookies are kept by hand: the production cookie is ``Secure``, which
standard cookie jars refuse to send over the loopback's plain HTTP, and the
tests must send exactly what a browser of that person would (or nothing).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CASEAPP = os.path.join(os.path.dirname(sys.executable), "caseapp")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self):
        return json.loads(self.body)


class HttpSession:
    """One person's browser: its own cookies, nothing shared."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None, body: str | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, val = value.split(";", 1)[0].partition("=")
                    if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = val
            return Answer(response.status, dict(response.getheaders()), text)
        finally:
            connection.close()

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict, **kwargs) -> Answer:
        return self.request("POST", path, form=form, **kwargs)

    def login(self, username: str, password: str) -> Answer:
        """Password, then the second factor as the person's phone would give it
        (set up on the first login). Returns the answer of the last step: a
        redirect home, or after a first-login set-up the recovery codes (200)."""
        page = self.get("/login")
        token = CSRF_FIELD.search(page.body).group(1)
        answer = self.post("/login", {"username": username, "password": password,
                                      "csrf_token": token})
        where = answer.headers.get("Location", "")
        if answer.status != 302 or where not in ("/login/code", "/login/enrol"):
            return answer
        step_page = self.get(where)
        token = CSRF_FIELD.search(step_page.body).group(1)
        if where == "/login/enrol":
            PHONES[username] = Phone(SECRET_FIELD.search(step_page.body).group(1))
        return self.post(where, {"code": PHONES[username].code(), "csrf_token": token})


SECRET_FIELD = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


class Phone:
    """A person's authenticator app: each code is accepted once, so a second
    login within 30 seconds takes the next time step (or waits for it)."""

    def __init__(self, secret: str):
        import pyotp

        self.totp = pyotp.TOTP(secret)
        self.last_step = -1

    def code(self) -> str:
        step = max(self.totp.timecode(datetime.now()), self.last_step + 1)
        while step > self.totp.timecode(datetime.now()) + 1:  # outside the valid window
            time.sleep(1)
        self.last_step = step
        return self.totp.generate_otp(step)


# Per username: the tests' usernames differ between instances.
PHONES: dict[str, Phone] = {}


def logged_in(answer: Answer) -> bool:
    """The last step of :meth:`HttpSession.login` let the person in."""
    if answer.status == 302:
        return answer.headers.get("Location") == "/"
    return answer.status == 200 and ("Recovery codes" in answer.body
                                     or "Mã khôi phục" in answer.body)


def free_port() -> int:
    """A free loopback port: any, or one of ``CASEAPP_TEST_PORTS=low-high`` where
    the machine's ports are shared out between people."""
    low, _, high = os.environ.get("CASEAPP_TEST_PORTS", "").partition("-")
    candidates = random.sample(range(int(low), int(high) + 1), int(high) - int(low) + 1) \
        if high else [0]
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError(f"no free port in {low}-{high}")


def clean_env(instance: str, **extra: str) -> dict[str, str]:
    """The environment of a user's shell: no test settings, this instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    env["CASEAPP_INSTANCE"] = instance
    env.update(extra)
    return env


def run_caseapp(args: list[str], env: dict[str, str], stdin: str | None = None,
                timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CASEAPP, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=timeout)


class ServerProcess:
    """A `caseapp ...` command that serves, started as a user starts it."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, cwd: str | None = None):
        self.port = port
        self.args = args
        folder = os.path.join(cwd or os.getcwd(), env["CASEAPP_INSTANCE"])
        self.log_path = os.path.join(os.path.abspath(folder), f"server-{port}.log")
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen([CASEAPP, *args], env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        cwd=cwd)

    def wait_ready(self, path: str = "/login", seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.log()}")
            try:
                if HttpSession(self.port).get(path).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"server not answering after {seconds} s:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)
        self._log.close()
