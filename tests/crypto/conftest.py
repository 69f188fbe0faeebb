"""Fixtures for the field-encryption layer: a tiny Flask app of its own.

The test models live on a separate Flask-SQLAlchemy instance (same
``DeclarativeBase`` + naming convention as ``caseapp.extensions``) so that
they never join the application's metadata: the migration drift check and
``db.create_all()`` elsewhere in the suite must not see ``sample_*`` tables.
Each key owner carries its wrapped data key in its own row.
"""
from __future__ import annotations

import os
from datetime import date

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, MetaData, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from caseapp.crypto import (
    KeyRing,
    Sealed,
    SealedOwner,
    SealedRecord,
    configure_sqlite_engine,
    init_app,
)
from caseapp.crypto import grants as grants_module
from caseapp.database import new_id
from caseapp.extensions import NAMING_CONVENTION

# This module (only) may issue grants, standing in for caseapp.permissions.
grants_module.allow_issuer(__name__)


class CryptoTestBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


tdb = SQLAlchemy(model_class=CryptoTestBase)


class SampleCase(tdb.Model, SealedOwner):
    __tablename__ = "sample_cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_code: Mapped[str] = mapped_column(String(16), default="D01")  # metadata, in clear
    child_name = Sealed(str)
    child_dob = Sealed(date)
    child_phone = Sealed(str)
    narrative = Sealed(str)
    details = Sealed(dict)
    attachment = Sealed(bytes)

    notes: Mapped[list[SampleNote]] = relationship(back_populates="case")


class SampleNote(tdb.Model, SealedRecord):
    """A record that belongs to a case and is sealed under the case's data key."""

    __tablename__ = "sample_notes"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("sample_cases.id"), index=True)
    case: Mapped[SampleCase] = relationship(back_populates="notes")
    text = Sealed(str)
    summary = Sealed(str)


class ContactFields:
    """An unmapped mixin declaring sealed fields, shared by two tables."""

    contact_name = Sealed(str)
    contact_phone = Sealed(str)


class SampleReporter(tdb.Model, SealedOwner, ContactFields):
    __tablename__ = "sample_reporters"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class SampleGuardian(tdb.Model, SealedOwner, ContactFields):
    __tablename__ = "sample_guardians"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


def grant_for(*owners, reason: str = "test.view"):
    """Stand-in for caseapp.permissions: a grant covering ``owners``."""
    return grants_module.issue_grant(reason, "tester", [o.id for o in owners])


def limited_grant(*owners, columns):
    """A grant covering ``owners`` for ``columns`` ("table.column") only."""
    return grants_module.issue_grant("test.approval", "tester", [o.id for o in owners],
                                     columns=columns)


def sqlite_engine(path) -> object:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    configure_sqlite_engine(engine)
    return engine


def create_tables(engine) -> None:
    tdb.metadata.create_all(engine)


@pytest.fixture(autouse=True)
def _isolated():
    """Overrides the suite-wide fixture of the same name (which wraps every
    test in the full app's migrated database): these tests bring their own."""
    yield


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def app(tmp_path, keyring):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    app = Flask(__name__, instance_path=str(instance))
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'crypto.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"check_same_thread": False}},
        CASEAPP_KEYRING=keyring,
    )
    tdb.init_app(app)
    init_app(app)
    with app.app_context():
        configure_sqlite_engine(tdb.engine)
        tdb.create_all()
    yield app
    with app.app_context():
        tdb.session.remove()
        tdb.engine.dispose()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "crypto.db"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def session(ctx):
    return tdb.session


def raw_files(db_path) -> bytes:
    """The raw bytes of the database file and its WAL, for grepping."""
    data = b""
    for suffix in ("", "-wal", "-journal"):
        path = f"{db_path}{suffix}"
        if os.path.exists(path):
            with open(path, "rb") as fh:
                data += fh.read()
    return data
