"""caseapp's tamper-evident audit log, kept as a small library of its own.

It lives outside ``caseapp/`` and imports nothing from it so that the
evidence does not depend on the code it judges: the verifier can be run with
only this package, SQLAlchemy and ``cryptography``, against a copy of the
database, by someone who does not trust the running application.

The app's side of the bargain: create ``audit_entries`` and install the
triggers in a migration; call :func:`append` inside the transaction of every
change it records; on SQLite open every transaction with ``BEGIN IMMEDIATE``;
sign checkpoints periodically and keep the keys outside the database.
"""
from .checkpoint import (
    append_checkpoint_file,
    make_checkpoint,
    read_checkpoints,
    should_checkpoint,
    verify_checkpoint,
)
from .models import audit_entries, in_unit_subtree, metadata
from .triggers import drop_sql, install_sql
from .verify import ObjectEntry, VerifyResult, entries_of_object, entry_is_authentic, verify_chain
from .writer import GENESIS_MAC, MAX_DETAILS_BYTES, append, canonical, compute_mac

__all__ = [
    "GENESIS_MAC",
    "MAX_DETAILS_BYTES",
    "VerifyResult",
    "append",
    "append_checkpoint_file",
    "audit_entries",
    "canonical",
    "compute_mac",
    "drop_sql",
    "entries_of_object",
    "entry_is_authentic",
    "ObjectEntry",
    "in_unit_subtree",
    "install_sql",
    "make_checkpoint",
    "metadata",
    "read_checkpoints",
    "should_checkpoint",
    "verify_chain",
    "verify_checkpoint",
]
