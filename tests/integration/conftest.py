"""The case domain's people and cases, for the integration tests that need them;
a database of its own for the tests that run the commands on an instance."""
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.cases.conftest import make_case, password_hash, people  # noqa: F401  (fixtures)
from tests.conftest import TEST_DATABASE_URL

ON_POSTGRESQL = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))


@pytest.fixture
def database_url():
    """A database of its own: a file in the instance (SQLite) or a fresh
    PostgreSQL database on CI's server, dropped afterwards."""
    if not ON_POSTGRESQL:
        yield None
        return
    base = make_url(TEST_DATABASE_URL)
    name = f"caseapp_inst_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
