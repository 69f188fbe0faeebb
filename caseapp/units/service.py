"""Creating and editing units (admin or CLI)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp import permissions
from caseapp.auditing.writer import record
from caseapp.extensions import db

from .models import SCHOOL_TYPES, Unit

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,31}$")


class UnitError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))


def create_unit(actor, code: str, name: str, parent_code: str | None = None,
                school_type: str | None = None) -> Unit:
    permissions.require(actor == "system" or permissions.can_manage_units(actor))
    code = code.strip().upper()
    name = name.strip()
    if not CODE_PATTERN.match(code):
        raise UnitError(_l("A unit code has 1 to 32 capital letters, digits, dots, dashes or "
                           "underscores."), field="code")
    if not name or len(name) > 200:
        raise UnitError(_l("Give the unit a name (at most 200 characters)."), field="name")
    if by_code(code) is not None:
        raise UnitError(_l("This unit code is taken."), field="code")
    if school_type and school_type not in SCHOOL_TYPES:
        raise UnitError(_l("Unknown school type."), field="school_type")
    parent = None
    if parent_code:
        parent = by_code(parent_code)
        if parent is None:
            raise UnitError(_l("Unknown parent unit."), field="parent")
    elif actor != "system" and tree():
        # A new top of the tree has no supervisor above it, so its accounts would be
        # confirmed by admins alone: the host's operator makes one (`caseapp units create`).
        raise UnitError(_l("Choose the unit this one belongs to. A new top-level unit is made "
                           "on the server (caseapp units create)."), field="parent")
    unit = Unit(code=code, name=name, parent_id=parent.id if parent else None,
                school_type=school_type or None)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    record("unit.create", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path, details={"parent": parent.code if parent else None})
    return unit


def rename_unit(actor, unit: Unit, name: str) -> None:
    permissions.require(actor == "system" or permissions.can_manage_units(actor))
    name = name.strip()
    if not name or len(name) > 200:
        raise UnitError(_l("Give the unit a name (at most 200 characters)."), field="name")
    unit.name = name
    record("unit.update", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path)


def tree() -> list[Unit]:
    """All units in depth-first order (paths sort that way once ids are padded)."""
    units = list(db.session.scalars(select(Unit)))
    def sort_key(u: Unit):
        return [int(p) for p in u.path.strip("/").split("/") if p]
    return sorted(units, key=sort_key)
