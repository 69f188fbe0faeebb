"""Test runs: OWASP's minimum argon2 cost keeps the suite fast while still
exercising real argon2id hashes."""

ENV = "testing"
TESTING = True
SESSION_COOKIE_NAME = "caseapp"
SESSION_COOKIE_SECURE = False
PREFERRED_URL_SCHEME = "http"
HSTS_SECONDS = 0
ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST_KIB = 19456
ARGON2_PARALLELISM = 1
# The limiter stays on (its storage is reset per test); one test lowers the limit.
LOGIN_RATE_LIMIT = "10000 per minute"
INTAKE_LIMIT_PER_HOUR = 100000
INTAKE_LIMIT_PER_DAY = 100000
# Periodic audit checkpoints off: tests that want them switch them on.
AUDIT_CHECKPOINT_EVERY_ENTRIES = 0
AUDIT_CHECKPOINT_EVERY_MINUTES = 0
# The app's own notification scan after requests off: tests run scans themselves.
NOTIFY_SCAN_MINUTES = 0
