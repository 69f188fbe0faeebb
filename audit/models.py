"""The audit table lives on its own MetaData so that this package stays a
library: the app's models never import it by accident, Alembic can be pointed at
both metadatas, and the verifier and the benchmarks can create the table on a
bare engine without the Flask app.

Why each column is what it is:

* ``seq`` is assigned by the writer (never by the database) so that it is
  gapless: a missing number *is* evidence of a deleted entry.
* everything an investigator needs to filter on is clear text, but nothing in
  the row identifies a child: ``object_id`` is a case reference,
  ``session_hash`` is a hash, ``details`` is small non-personal JSON.
* ``unit_path`` is compared byte-wise (collation "C" on PostgreSQL) so that a
  prefix such as ``/1/7/`` selects a supervisor's subtree through the index on
  both databases (see :func:`in_unit_subtree`).
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
)
from sqlalchemy.sql.elements import ColumnElement

# Same convention as the app's models (copied, not imported: audit/ must not
# depend on caseapp/), so Alembic names the audit constraints the same way.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ACTOR_TYPES = ("user", "token", "system", "anonymous")
OUTCOMES = ("ok", "denied", "failed")

# On SQLite an INTEGER PRIMARY KEY is the rowid itself: the table is stored in
# seq order, "max(seq)" is a single b-tree descent and the verifier's keyset
# pages are contiguous. SQLite integers are 64-bit, so nothing is lost.
_SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")
_UNIT_PATH_TYPE = String(255).with_variant(String(255, collation="C"), "postgresql")

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", _SEQ_TYPE, primary_key=True, autoincrement=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor_type", String(16), nullable=False),
    Column("actor_id", String(64), nullable=True, index=True),
    Column("actor_role", String(16), nullable=True),
    Column("session_hash", String(64), nullable=True),
    Column("client_addr", String(64), nullable=True),
    Column("action", String(64), nullable=False, index=True),
    Column("object_type", String(32), nullable=True),
    Column("object_id", String(64), nullable=True, index=True),
    Column("outcome", String(8), nullable=False),
    Column("request_id", String(64), nullable=True),
    Column("unit_path", _UNIT_PATH_TYPE, nullable=True, index=True),
    Column("details", Text, nullable=False),
    Column("prev_mac", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
)



def in_unit_subtree(prefix: str) -> ColumnElement[bool]:
    """Filter for entries of the unit with materialised path ``prefix`` and all
    units below it, written so both databases can use the unit_path index.

    The half-open range does the index work (byte order on both databases);
    the LIKE keeps the result exact whatever the characters in the path.
    """
    if not prefix or not prefix.endswith("/"):
        raise ValueError("a unit path prefix must end with '/'")
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    col = audit_entries.c.unit_path
    return and_(col >= prefix, col < upper, col.like(escaped + "%", escape="\\"))
