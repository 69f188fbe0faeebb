"""Only caseapp.permissions makes grants; only this package touches key internals."""
from __future__ import annotations

import re
from pathlib import Path

import caseapp

ROOT = Path(caseapp.__file__).resolve().parent
PRIVATE = re.compile(r"\b(issue_grant|allow_issuer|_CAPABILITY|_seal_with_nonce)\b")


def allowed(path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return rel == "permissions.py" or rel.startswith(("crypto/", "permissions/"))


def test_grants_are_issued_only_by_the_permission_module():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if allowed(path):
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if PRIVATE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "grant internals used outside caseapp.permissions:\n" + \
        "\n".join(offenders)
