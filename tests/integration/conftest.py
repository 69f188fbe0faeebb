"""The case domain's people and cases, for the integration tests that need them."""
from tests.cases.conftest import make_case, password_hash, people  # noqa: F401  (fixtures)
