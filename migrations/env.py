"""Alembic environment: the app's engine, caseapp's models and the audit table."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

import audit.models

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
# caseapp's tables and the audit package's own table (audit/ imports nothing
# from caseapp, so it keeps its own MetaData).
target_metadata = [target_db.metadata, audit.models.metadata]


def render_item(type_, obj, autogen_context):
    """Render the app's TypeDecorators as their plain SQL type, so migrations
    do not import application code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return "sa." + repr(obj.impl)
    return False


def run_migrations_offline():
    context.configure(url=str(target_db.engine.url), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_as_batch", True)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("render_item", render_item)

    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(connection=connection, target_metadata=target_metadata,
                              **conf_args)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)
        if sqlite:
            _sqlite_check_foreign_keys(connection)


def _sqlite_foreign_keys(connection, *, on: bool) -> None:
    """Batch mode rebuilds a SQLite table (copy, DROP, rename). With foreign keys
    on, the DROP deletes the table's rows first and cascades into every table
    that refers to it ON DELETE CASCADE: altering ``cases`` would empty its
    notes, plans, people... The pragma only works outside a transaction, so it
    is set on the driver's connection before Alembic begins (SQLite's own
    procedure for altering tables does the same)."""
    raw = connection.connection.driver_connection
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _sqlite_check_foreign_keys(connection) -> None:
    """With the checks off during the migration, verify them after it."""
    raw = connection.connection.driver_connection
    problems = raw.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"the migration left {len(problems)} broken foreign key(s), "
                           f"first: {problems[0]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
