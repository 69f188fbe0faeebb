"""The audit log in words: every action the code records has a sentence, details
read through the label tables, and what the table does not know is shown escaped."""
from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path

from caseapp.auditlog import service, wording
from tests.conftest import Auth

ROOT = Path(__file__).resolve().parents[2] / "caseapp"
# Actions built at run time, and every name each can take.
DYNAMIC = {
    "f'auth.{reason}'": {"auth.logout"},
    "f'case.match_{status}'": {"case.match_linked", "case.match_dismissed"},
}
WRITERS = {"record", "_audit"}


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _names(node: ast.expr, constants: dict[str, str], where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _names(node.body, constants, where) | _names(node.orelse, constants, where)
    if isinstance(node, ast.JoinedStr):
        key = ast.unparse(node)
        assert key in DYNAMIC, f"{where}: an action built at run time ({key}): list its names"
        return DYNAMIC[key]
    if isinstance(node, ast.Name) and node.id in constants:
        return {constants[node.id]}
    return set()  # a wrapper's parameter: its callers are scanned


def recorded_actions() -> set[str]:
    """Every action name the code can write to the log, read from the source."""
    actions: set[str] = set()
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            if name in WRITERS and node.args:
                actions |= _names(node.args[0], constants, where)
            if name == "append":
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        actions |= _names(keyword.value, constants, where)
    return actions


def test_every_recorded_action_has_a_sentence():
    actions = recorded_actions()
    assert len(actions) > 60 and {"case.transition", "keys.init", "row.sealed",
                                  "auth.logout", "case.match_linked"} <= actions
    missing = sorted(actions - wording.ACTIONS.keys())
    assert missing == [], "audit actions without words in caseapp/auditlog/wording.py: " \
        + ", ".join(missing)
    stale = sorted(wording.ACTIONS.keys() - actions - wording.FORMERLY_RECORDED)
    assert stale == [], "words for actions nothing records: " + ", ".join(stale)
    # A retired action keeps its words for the entries already written, and only then.
    assert wording.ACTIONS.keys() >= wording.FORMERLY_RECORDED
    assert not wording.FORMERLY_RECORDED & actions


def _entry(action: str, details: dict, **extra) -> service.Entry:
    values = dict(seq=1, occurred_at=datetime(2026, 5, 3, 3, 0, tzinfo=UTC), actor_type="user",
                  actor_id="u1", actor_role="officer", actor_name="cb.minh", client_addr=None,
                  action=action, object_type="case", object_id="HS-1", outcome="ok",
                  request_id=None, unit_path=None, unit_name=None,
                  details=json.dumps(details), mac="0" * 64)
    values.update(extra)
    return service.Entry(**values)


def test_a_transition_reads_as_a_sentence(app):
    with app.test_request_context():
        said = wording.describe(_entry("case.transition", {
            "from": "referral", "to": "closure", "facts": [1, "11-15", "secret-ish"]}))
        assert said.sentence == "Chuyển giai đoạn: Chuyển gửi → Đã đóng"
        assert said.details == [] and said.subject == "Hồ sơ HS-1"
        role = wording.describe(_entry("user.update", {"role": "officer->supervisor",
                                                       "unit": "XA", "via": "cli"},
                                       object_type="user", object_id="u9"),
                                {"u9": "cb.hoa"})
        assert role.sentence == "Sửa tài khoản" and role.subject == "Tài khoản cb.hoa"
        assert ("vai trò", "Cán bộ phụ trách → Giám sát viên") in role.details
        assert ("qua", "dòng lệnh trên máy chủ") in role.details
        denied = wording.describe(_entry("case.denied", {"action": "api:approve_plan"}))
        assert denied.sentence == "Bị từ chối truy cập hồ sơ: thông qua kế hoạch (qua API)"
        search = wording.describe(_entry("audit.view", {"action": "case.", "shown": 50,
                                                        "from": "2026-05-01"}))
        assert search.details == [("thao tác", "Hồ sơ (tất cả)"), ("từ", "01/05/2026"),
                                  ("số mục hiển thị", "50")]
        login = wording.describe(_entry("auth.login", {"reason": "bad_credentials",
                                                       "failures": 3}))
        assert login.details == [("số lần nhập sai", "3"),
                                 ("lý do", "sai tên đăng nhập hoặc mật khẩu")]


def test_a_refused_page_is_named_in_words_with_its_route(app):
    with app.test_request_context():
        page = wording.describe(_entry("access.denied", {}, object_type="endpoint",
                                       object_id="transfers.transfers_page"))
        assert page.subject == ("Trang chuyển hồ sơ giữa các đơn vị "
                                "(transfers.transfers_page)")
        odd = wording.describe(_entry("access.denied", {}, object_type="endpoint",
                                      object_id="plugin.page"))
        assert odd.subject == "Trang plugin.page"


def test_unknown_actions_and_keys_are_shown_as_they_are(app):
    with app.test_request_context():
        said = wording.describe(_entry("plugin.thing", {"odd_key": "<b>x</b>", "n": [1, 2]}))
        assert said.sentence == "plugin.thing"
        assert said.details == [("n", "1, 2"), ("odd_key", "<b>x</b>")]


def test_the_log_page_speaks_words(client, make_user, add_entry):
    admin = make_user("admin")
    add_entry("case.transition", ref="VN-T", details={"from": "referral", "to": "closure"},
              occurred_at=datetime(2026, 5, 3, 3, 0, tzinfo=UTC))
    add_entry("plugin.thing", ref="VN-X", details={"<script>": "<img src=x onerror=alert(1)>"})
    Auth(client).login(admin)
    html = client.get("/audit/").get_data(as_text=True)
    assert "Chuyển giai đoạn: Chuyển gửi → Đã đóng" in html
    assert "03/05/2026 10:00" in html
    assert "case.transition</code>" not in html and "from: referral" not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "(Quản trị viên)" in html  # the admin's own reading of the log, role in words
    # The action filter is a list of actions in words; choosing one filters.
    assert '<select' in html and '<option value="case.transition">Chuyển giai đoạn</option>' \
        in html
    only = client.get("/audit/?action=case.transition").get_data(as_text=True)
    assert "VN-T" in only and "VN-X" not in only
    group = client.get("/audit/?action=case.").get_data(as_text=True)
    assert "VN-T" in group
