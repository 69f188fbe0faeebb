"""Default settings. Every setting caseapp reads is declared here.

Times are in minutes/hours/seconds as the name says; deadlines in hours or
working days (weekends and Vietnamese public holidays excluded).
"""

ENV = "production"
DEBUG = False
TESTING = False

# Must come from the instance folder (written by `caseapp quickstart`) or
# CASEAPP_SECRET_KEY. Production refuses to start without one.
SECRET_KEY = None

# Default: SQLite (WAL) in the instance folder, filled in by caseapp.settings.
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_TRACK_MODIFICATIONS = False
# hide_parameters: a database error must never print the values (child data)
# into a log or an exception message.
SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}

# --- Passwords (argon2id). RFC 9106's second recommendation, argon2-cffi's
# own default; OWASP's floor (19 MiB, 2 passes) is enforced by validation.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST_KIB = 65536
ARGON2_PARALLELISM = 4
# Hashes computed at once per process: a login flood waits (or gets 503)
# instead of exhausting memory (64 MiB per hash). Under `caseapp serve` each
# gunicorn worker serves one request at a time, so there it is the worker
# count that bounds the hashes in flight (64 MiB each); this bounds a threaded
# server (`caseapp quickstart`'s own, `caseapp run`).
ARGON2_MAX_CONCURRENT = 2
ARGON2_QUEUE_TIMEOUT_SECONDS = 10
PASSWORD_MIN_LENGTH = 12
# Names a password may not be made of (besides the person's own and their unit's):
# the app's and the organisation's, as people would type them.
PASSWORD_CONTEXT_WORDS = ("caseapp", "Đoàn Thanh niên", "Đoàn TNCS Hồ Chí Minh",
                          "Hội Liên hiệp Thanh niên", "Đội Thiếu niên", "Huyện đoàn",
                          "Tỉnh đoàn", "Thành đoàn", "Liên đội", "bảo vệ trẻ em", "youth union",
                          "tre em", "treem", "hotline", "tongdai111")

# --- Login throttling. Keyed by the typed username (existing or not, so the
# behaviour reveals nothing) and by the client address.
LOGIN_THROTTLE_AFTER = 5
LOGIN_THROTTLE_BASE_SECONDS = 30
LOGIN_THROTTLE_MAX_SECONDS = 900
LOGIN_HARD_LOCK_AFTER = 100
LOGIN_ADDRESS_THROTTLE_AFTER = 20
# Coarse request-rate limit on the login form (Flask-Limiter).
LOGIN_RATE_LIMIT = "30 per minute"
# Where Flask-Limiter counts: the app's own database by default, so every
# worker of `caseapp serve` shares one allowance (caseapp.accounts.rate_limits);
# "redis://host:6379" where a Redis is at hand. Never "memory://" with several
# workers: each would grant the whole allowance again.
RATELIMIT_STORAGE_URI = "caseapp-db://"
# `caseapp serve`: gunicorn worker processes (each its own app and database
# connections) and the seconds before a silent worker is restarted; the
# command's --workers / --timeout override them. On SQLite, writers queue on
# one file: 2-4 workers; on PostgreSQL about 2 per core (README "Serving").
SERVE_WORKERS = 2
SERVE_TIMEOUT = 60
# Reports recorded per staff member through the web or the API: a report also
# answers "is this child or offender already known?" (the duplicate flag), so a
# script must not ask it at will. Counted from the audit log (every worker
# agrees; a refused form does not count).
INTAKE_LIMIT_PER_HOUR = 20
INTAKE_LIMIT_PER_DAY = 60

# --- The public help form (/help, /en/help; caseapp.public_help) ---------------
# The unit a request goes to when the person does not choose one (a unit code;
# empty: the person must choose). The form lists the active units.
PUBLIC_HELP_DEFAULT_UNIT = ""
# How long the form's anti-forgery token (a signed cookie, no session) lasts.
PUBLIC_HELP_FORM_MINUTES = 120
# Requests sent, per client address and for the whole site (Flask-Limiter's
# strings; counted in RATELIMIT_STORAGE_URI): past them the page says to call
# 111 or 113, saves nothing and shows back what the person wrote. Only requests
# that were sent count (a form corrected five times is one request).
PUBLIC_HELP_LIMIT_PER_ADDRESS = "5 per hour"
PUBLIC_HELP_LIMIT_GLOBAL = "200 per hour"
# Every post of the form, mistakes and refused tokens too: bounds the work and
# the audit entries one address (or all together) can cause.
PUBLIC_HELP_POSTS_PER_ADDRESS = "30 per hour"
PUBLIC_HELP_POSTS_GLOBAL = "2000 per hour"
# Look-ups of a tracking code (and messages left with one), per address and in
# all: guessing an 80-bit code is hopeless, and these keep it so.
PUBLIC_HELP_STATUS_LIMIT_PER_ADDRESS = "10 per hour"
PUBLIC_HELP_STATUS_LIMIT_GLOBAL = "500 per hour"
# Where "Leave quickly" goes (replacing the page in the browser's history).
PUBLIC_HELP_LEAVE_URL = "https://www.google.com/"

# --- Second factor: every role that can see a child's data (counselors see it
# all at intake), and admins, who manage the accounts that can.
REQUIRE_TOTP = True
TOTP_ROLES = ("counselor", "officer", "supervisor", "admin")
TOTP_ISSUER = "caseapp"
TOTP_VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# Time allowed between the password step and the code step.
LOGIN_SECOND_STEP_MINUTES = 5

# --- Sessions (server-side, in the database)
SESSION_IDLE_MINUTES = 15
# The page warns this long before the idle limit and offers to stay signed in.
SESSION_WARN_SECONDS = 120
# Text typed into a form when the session ended is kept (sealed) this long for
# its owner's next login, then deleted.
KEPT_FORM_MINUTES = 30
SESSION_ABSOLUTE_HOURS = 8
SESSION_COOKIE_NAME = "__Host-caseapp"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
REMEMBER_COOKIE_DURATION = 0

# --- Web
WTF_CSRF_TIME_LIMIT = None  # bound to the session, which expires on its own
HSTS_SECONDS = 31536000
PREFERRED_URL_SCHEME = "https"
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
TRUSTED_PROXY_COUNT = 0

# --- Language
BABEL_DEFAULT_LOCALE = "vi"
BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
LANGUAGES = ("vi", "en")

# --- The product's name as the organisation says it: in the header and page
# titles (short), the e-mails and the printed forms' footer (full). None: the
# built-in names in the page's language ("Bảo vệ trẻ em trên mạng", "Hệ thống
# quản lý hồ sơ trẻ em bị xâm hại trên môi trường mạng"). One name whatever
# the language once set (CASEAPP_PRODUCT_NAME=..., CASEAPP_PRODUCT_SHORT_NAME=...).
PRODUCT_NAME = None
PRODUCT_SHORT_NAME = None

# --- Break-glass: how long a supervisor's emergency read-only access lasts
# (5 to 240 minutes), and how many a supervisor may open in 24 hours.
BREAK_GLASS_MINUTES = 60
BREAK_GLASS_DAILY_LIMIT = 3

# --- Evidence: the largest attachment (images, PDF, plain text), in bytes.
# Must stay below MAX_CONTENT_LENGTH (the whole request).
ATTACHMENT_MAX_BYTES = 8 * 1024 * 1024
# and how many files one case may hold (a bound on what one account can store).
ATTACHMENT_MAX_PER_CASE = 30
# A PDF is parsed in a child process capped in memory and in this many seconds.
PDF_CHECK_SECONDS = 15

# --- Data-subject requests (see, correct, restrict, delete): the answer is
# due this many hours after the request is received (Decree 13/2023: 72 h).
DATA_REQUEST_HOURS = 72

# --- Deadlines of the case workflow (README: Deadlines). "Decree" names the
# article of Decree 56/2017 a default follows; "ours" marks one the decree
# does not set.
# Decree Art. 26(3), 31(2): emergency measures within 12 hours of the report.
DEADLINE_EMERGENCY_HOURS = 12
# Ours: the initial risk assessment (Mẫu 02) within 72 hours of the report.
DEADLINE_ASSESSMENT_HOURS = 72
# Ours: the needs assessment (Mẫu 03) within 5 working days of the initial one.
DEADLINE_NEEDS_WORKING_DAYS = 5
# Decree Art. 28(1): the plan (Mẫu 04) within 5 working days of the needs assessment.
DEADLINE_PLAN_DRAFT_WORKING_DAYS = 5
# Decree Art. 28(1) + 28(4): approved within 7 working days of the needs assessment.
DEADLINE_PLAN_APPROVAL_WORKING_DAYS = 7
# Decree Art. 28(4): the commune chairman decides within 2 working days.
DEADLINE_DECISION_WORKING_DAYS = 2

# Working days skip weekends and this country's public holidays (the
# `holidays` package), plus dates a province declares itself (ISO strings).
DEADLINE_HOLIDAY_COUNTRY = "VN"
DEADLINE_EXTRA_HOLIDAYS: tuple = ()
DEADLINE_EXTRA_WORKING_DAYS: tuple = ()

# Blind-index length: each value should match several records (CipherSweet's
# rule): about log2(expected records) - 1 bits; 16 suits a district.
BLIND_INDEX_BITS = 16

# --- Retention: closed cases are crypto-shredded after this many days.
RETENTION_DAYS = 365 * 5

# --- Audit checkpoints
AUDIT_CHECKPOINT_EVERY_ENTRIES = 1000
AUDIT_CHECKPOINT_EVERY_MINUTES = 60
# Further files each checkpoint is also appended to: another disk, a mounted
# share, a folder another account backs up. Someone who cuts the log and the
# instance's checkpoint file must reach these too, or `audit verify` fails.
AUDIT_CHECKPOINT_MIRRORS: tuple[str, ...] = ()

# --- Notifications: a deadline within this many hours is announced to the
# people on the case. `caseapp notifications scan` finds such deadlines (and
# missed ones), from a timer every NOTIFY_SCAN_MINUTES (README); while the
# timer's last run is younger than two such periods the workers do not scan,
# otherwise they scan after a request at most every NOTIFY_SCAN_MINUTES (0:
# never).
NOTIFY_DEADLINE_HOURS = 24
NOTIFY_SCAN_MINUTES = 10

# --- Taking harmful content down (caseapp.takedown): a removal request with no
# outcome recorded this many calendar days after the day it was sent is overdue
# (platforms and authorities answer every day of the week): it is marked on the
# officer's "My cases" and the scan notifies the people on the case. Ours, not a
# legal time limit; applies to requests recorded after a change.
TAKEDOWN_ANSWER_DAYS = 7

# --- E-mail digest of unread notifications (`caseapp notifications digest`, from
# cron): kinds and case references only. Off while SMTP_HOST is unset.
SMTP_HOST = None
SMTP_PORT = 25
SMTP_STARTTLS = False
SMTP_SSL = False
SMTP_USERNAME = None
SMTP_PASSWORD = None
MAIL_FROM = None

# --- Awareness sessions: the school year the coverage is counted over
# (September to May).
SCHOOL_YEAR_FIRST_MONTH = 9
SCHOOL_YEAR_LAST_MONTH = 5

# --- Partner API (caseapp.partners): tokens an admin issues to a partner's system
# (a hotline's call software, a school platform) to file reports into one unit.
# A token lasts at most this many days (its expiry is required when issued).
PARTNER_TOKEN_MAX_DAYS = 365
# Calls per token (Flask-Limiter, in the shared database like every limit).
PARTNER_RATE_LIMIT = "120 per minute"
# Failed tokens per client address: past it the address's bad tokens get 429
# (a valid token from the same address, a hotline behind a shared NAT, still
# goes through: the token is looked up first, one digest and one index read).
PARTNER_AUTH_FAILURES_PER_ADDRESS = "20 per minute"
# Refused calls WITHOUT a valid token audited, all addresses together: a flood
# from many addresses is still refused (401) but cannot grow the audit log
# without bound. A known token's refusals are always audited (its own rate
# limit bounds them), so nobody can use up this allowance to hide them.
PARTNER_REFUSALS_AUDITED = "600 per hour"
# Intakes a partner (a token family: its tokens in one unit) may file: a stolen
# or faulty token cannot bury a unit's real reports under fake emergencies.
PARTNER_INTAKE_LIMIT = "30 per hour; 300 per day"
# An Idempotency-Key holds this long: a repeat within it gets the first answer.
PARTNER_IDEMPOTENCY_HOURS = 24
