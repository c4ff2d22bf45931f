"""The one settings file. Everything comes from the environment.

Production defaults are safe: DEBUG off, secure cookies, HSTS, strict CSP,
MFA required, secrets required. `make run` relaxes only what a local demo needs
(VIGIL_DEBUG=1, VIGIL_REQUIRE_MFA=0) and generates secret files under var/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off."
    )


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def _secret(name: str, *, required: bool, demo_file: Path | None = None) -> str:
    """A secret from NAME, or from the file NAME_FILE points at."""
    value = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if value and path:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    if path:
        try:
            value = Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE={path!r} cannot be read: {exc.strerror}."
            ) from None
    if value:
        return value
    if required:
        raise ImproperlyConfigured(
            f"{name} (or {name}_FILE) is not set. Production mode needs it; "
            "for a local demo set VIGIL_DEBUG=1 or use `make run`."
        )
    if demo_file is not None:
        # Debug/test mode only: a per-checkout random secret, created once.
        demo_file.parent.mkdir(parents=True, exist_ok=True)
        if not demo_file.exists():
            import secrets

            demo_file.write_text(secrets.token_urlsafe(48))
            demo_file.chmod(0o600)
        return demo_file.read_text().strip()
    return ""


TESTING = "pytest" in sys.modules or os.environ.get("VIGIL_TESTING") == "1"
DEBUG = _flag("VIGIL_DEBUG", False)
RELAXED = DEBUG or TESTING

DATA_DIR = Path(os.environ.get("VIGIL_DATA_DIR") or REPO_DIR / "var").resolve()

SECRET_KEY = _secret("VIGIL_SECRET_KEY", required=not RELAXED, demo_file=DATA_DIR / "secret_key")
# Field encryption (SSNs, card numbers) and media master key; see vigil/lib/crypto.py.
FIELD_KEY = _secret("VIGIL_FIELD_KEY", required=not RELAXED, demo_file=DATA_DIR / "field_key")
# Earlier master keys, still readable while `vigil rotate_keys` moves everything to FIELD_KEY
# (one per line, or comma-separated). Remove them once rotate_keys reports nothing left.
FIELD_KEYS_PREVIOUS = [
    k.strip()
    for k in _secret("VIGIL_FIELD_KEY_PREVIOUS", required=False).replace(",", "\n").splitlines()
    if k.strip()
]
# Audit MAC key (docs/security.md, "Tamper-evident audit trail"). Unset: derived
# from FIELD_KEY. Retired keys (one a line or comma-separated) only verify old rows.
AUDIT_KEY = _secret("VIGIL_AUDIT_KEY", required=False)
AUDIT_OLD_KEYS = [
    k.strip()
    for k in _secret("VIGIL_AUDIT_OLD_KEYS", required=False).replace(",", "\n").splitlines()
    if k.strip()
]
# The chain head (newest event id + MAC) lives outside the database.
AUDIT_HEAD_FILE = Path(
    os.environ.get("VIGIL_AUDIT_HEAD_FILE") or DATA_DIR / "audit" / "head.json"
).resolve()
# fsync each head write before renaming it into place (a crash then never leaves
# a torn head). Off saves about one disk flush per committed transaction.
AUDIT_HEAD_SYNC = _flag("VIGIL_AUDIT_HEAD_SYNC", True)
# Optional mirror of every head update to syslog: "/dev/log", or "host:port" (UDP).
AUDIT_SYSLOG = os.environ.get("VIGIL_AUDIT_SYSLOG", "").strip()
# Refusals (403/404 by the access rules) are audited as `denied` rows, at most one
# per user, action and object per window and this many per user per window
# (vigil/audit/actions.py); the rest are counted on the next row.
AUDIT_DENIED_WINDOW_SECONDS = _int("VIGIL_AUDIT_DENIED_WINDOW_SECONDS", 60)
AUDIT_DENIED_MAX_PER_WINDOW = _int("VIGIL_AUDIT_DENIED_MAX_PER_WINDOW", 30)

REQUIRE_MFA = _flag("VIGIL_REQUIRE_MFA", not RELAXED)

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("VIGIL_ALLOWED_HOSTS", "").split(",") if h.strip()
]
if RELAXED:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "testserver"]

# --- database -----------------------------------------------------------------


def _database(variable: str = "DATABASE_URL") -> dict:
    import dj_database_url

    url = os.environ.get(variable) or f"sqlite:///{DATA_DIR / 'vigil.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types for bad URLs
        raise ImproperlyConfigured(
            f"{variable} is malformed ({exc}). Expected postgres://user@host:5432/name "
            "or sqlite:////absolute/path.sqlite3."
        ) from None
    engine = config.get("ENGINE", "")
    if engine not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            f"{variable} scheme {url.split(':', 1)[0]!r} is not supported: use postgres:// or sqlite://."
        )
    if engine.endswith("sqlite3"):
        if not config.get("NAME"):
            raise ImproperlyConfigured(
                f"{variable} names no SQLite file: use sqlite:////absolute/path.sqlite3."
            )
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
                "PRAGMA cache_size=-131072; PRAGMA mmap_size=1073741824;"
            ),
        }
        if TESTING:
            # The test database is a file, not Django's in-memory default: an in-memory
            # database makes the live server share the test thread's one connection, so a
            # browser's concurrent requests trample each other's transactions. A file
            # gives every thread its own connection, as in production. Per process (and
            # pytest-django adds the xdist worker), removed by Django when the run ends.
            import tempfile

            config["TEST"] = {
                "NAME": str(Path(tempfile.gettempdir()) / f"vigil-test-{os.getpid()}.sqlite3")
            }
    return config


DATABASES = {"default": _database()}
# A read replica for read-heavy pages (vigil/core/replica.py); in tests a mirror of default.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {**_database("DATABASE_REPLICA_URL"), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["vigil.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- applications ---------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files (no CDN)
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    # vigil.core before django_tasks_db: its `db_worker` (with a heartbeat) wins.
    "vigil.core",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "vigil.accounts",
    "vigil.audit",
    "vigil.messaging",
    "vigil.tips",
    "vigil.deconfliction",
    "vigil.victimid",
    "vigil.stats",
    "vigil.retention",
    "vigil.lookups",
    "vigil.subpoenas",
    "vigil.referrals",
    "vigil.exchange",
    "vigil.search",
]

MIDDLEWARE = [
    "vigil.core.middleware.RequestIdMiddleware",
    "vigil.core.params.BadInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "vigil.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "vigil.accounts.middleware.AccountPolicyMiddleware",
    "vigil.audit.middleware.DeniedAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "vigil.core.middleware.RecordNotFoundMiddleware",
]

ROOT_URLCONF = "vigil.urls"
WSGI_APPLICATION = "vigil.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vigil.accounts.context.shell",
                "vigil.messaging.context.inbox",
            ],
        },
    }
]

# --- accounts and security ------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "core-dashboard"
LOGOUT_REDIRECT_URL = "accounts-login"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
if TESTING:
    # Argon2 at full cost makes every persona cost ~50 ms; tests use a fast hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# CJIS Security Policy 5.9.x and NIST SP 800-63B §3.1.1.2: length >= 12 (we
# enforce 12), screened against breached passwords, repetitive or sequential
# strings and context words; no composition rules, no periodic expiry.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "vigil.accounts.passwords.PredictablePasswordValidator"},
    {"NAME": "vigil.accounts.passwords.ContextWordsValidator"},
    {"NAME": "vigil.accounts.passwords.BreachedPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lock-out: 5 failures within 15 minutes. Until an administrator unlocks, unless
# VIGIL_LOCKOUT_AUTO_RESET=1, in which case the lock expires with the window.
LOCKOUT_FAILURES = _int("VIGIL_LOCKOUT_FAILURES", 5)
LOCKOUT_WINDOW_MINUTES = _int("VIGIL_LOCKOUT_WINDOW_MINUTES", 15)
LOCKOUT_UNTIL_UNLOCK = not _flag("VIGIL_LOCKOUT_AUTO_RESET", False)
AXES_FAILURE_LIMIT = LOCKOUT_FAILURES
# axes counts failures within the window only; the lock itself is `User.locked_at`,
# which stays until an administrator unlocks (or lapses, with auto-reset).
AXES_COOLOFF_TIME = LOCKOUT_WINDOW_MINUTES / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

SESSION_IDLE_SECONDS = _int("VIGIL_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_AGE = 12 * 3600
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "vigil.core.views.csrf_failure"
ACCOUNT_INACTIVE_DAYS = _int("VIGIL_ACCOUNT_INACTIVE_DAYS", 90)
# Behind a reverse proxy that sets X-Forwarded-For, audit rows record the client's address.
TRUST_X_FORWARDED_FOR = _flag("VIGIL_TRUST_X_FORWARDED_FOR", False)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not RELAXED:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _flag("VIGIL_SSL_REDIRECT", True)
    # Load-balancer probes may use plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload directive only allows submitting the domain to browsers' HTTPS-only list.
    SECURE_HSTS_PRELOAD = _flag("VIGIL_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Strict CSP: nothing but this origin, no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

OTP_TOTP_ISSUER = "Vigil"

# --- API ------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vigil.accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "vigil.core.params.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "vigil.core.params.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive documentation (/api/docs/) loads Swagger UI from our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema maps every endpoint and field: callers must sign in like everywhere else.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several models have a `status`; name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "TipStatusEnum": "vigil.tips.models.Tip.Status",
        "SubpoenaStatusEnum": "vigil.subpoenas.models.Subpoena.Status",
        "SubpoenaMethodEnum": "vigil.subpoenas.models.Subpoena.Method",
    },
}

# --- background tasks -----------------------------------------------------------

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "VIGIL_TASK_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

# The RQ queue, used when VIGIL_TASK_BACKEND=django_tasks_rq.RQBackend (docs/operations.md).
RQ_QUEUES = {
    "default": {
        "URL": os.environ.get("VIGIL_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "DEFAULT_TIMEOUT": _int("VIGIL_TASK_TIMEOUT_SECONDS", 6 * 3600),
    }
}

# --- static, media, i18n ---------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
MEDIA_STORE_DIR = DATA_DIR / "media"
UPLOAD_DIR = DATA_DIR / "uploads"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- domain settings --------------------------------------------------------------

# Records are kept this many years from their last activity (then offered for disposition).
RETENTION_YEARS = _int("VIGIL_RETENTION_YEARS", 75)
# Bulk imports commit (and checkpoint) every this many rows.
IMPORT_BATCH_SIZE = _int("VIGIL_IMPORT_BATCH", 1000)
# Processes a match request hashes its files on (vigil/victimid/tasks.py); 1: in the
# worker; 0: all the cores it may use (hashing.default_jobs).
MATCH_JOBS = _int("VIGIL_MATCH_JOBS", 0)
# Workers (vigil/core/workers.py): heartbeat period; silent this long means gone.
WORKER_HEARTBEAT_SECONDS = _int("VIGIL_WORKER_HEARTBEAT_SECONDS", 10)
WORKER_LOST_AFTER_SECONDS = _int("VIGIL_WORKER_LOST_AFTER_SECONDS", 60)
# Unclaimed export packages are removed after this many days.
EXPORT_PACKAGE_DAYS = _int("VIGIL_EXPORT_PACKAGE_DAYS", 7)
NAME_MATCH_THRESHOLD = float(os.environ.get("VIGIL_NAME_MATCH_THRESHOLD", "0.9"))
# A value on more tips than this is one common-value notice, not a decision: a group an
# analyst decides at once is read on one screen (docs/deconfliction.md, "Common values").
COMMON_VALUE_THRESHOLD = _int("VIGIL_COMMON_VALUE_THRESHOLD", 25)
PDQ_THRESHOLD = _int("VIGIL_PDQ_THRESHOLD", 31)
# Candidates beyond the threshold but within this PDQ distance are checked on the
# pixels by the local verifier (vigil/lib/verify.py); 0 turns the second stage off.
PDQ_VERIFY_RADIUS = _int("VIGIL_PDQ_VERIFY_RADIUS", 72)
# Referrals: days the receiving office has to acknowledge; hours a share package lives.
REFERRAL_ACKNOWLEDGE_DAYS = _int("VIGIL_REFERRAL_ACKNOWLEDGE_DAYS", 14)
SHARE_PACKAGE_HOURS = _int("VIGIL_SHARE_PACKAGE_HOURS", 72)
SHARE_DIR = DATA_DIR / "shares"
# Outbound connections: only hosts an administrator configured (vigil/lib/http.py).
OUTBOUND_ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("VIGIL_OUTBOUND_HOSTS", "").split(",") if h.strip()
]
# Optional egress proxy (http://host:port); timeouts in seconds; body limit in bytes.
OUTBOUND_PROXY = os.environ.get("VIGIL_OUTBOUND_PROXY", "")
OUTBOUND_TIMEOUT = float(os.environ.get("VIGIL_OUTBOUND_TIMEOUT", "10"))
OUTBOUND_DEADLINE = float(os.environ.get("VIGIL_OUTBOUND_DEADLINE", "30"))
OUTBOUND_MAX_BYTES = _int("VIGIL_OUTBOUND_MAX_BYTES", 2 * 1024 * 1024)
OUTBOUND_USER_AGENT = os.environ.get("VIGIL_OUTBOUND_USER_AGENT", "Mozilla/5.0 (compatible)")
OUTBOUND_CA_FILE = os.environ.get("VIGIL_OUTBOUND_CA_FILE", "")
# RDAP (off until an administrator enables it in the app; hosts must be in VIGIL_OUTBOUND_HOSTS).
RDAP_BOOTSTRAP_URL = os.environ.get("VIGIL_RDAP_BOOTSTRAP_URL", "https://data.iana.org/rdap/")
RDAP_CACHE_DAYS = _int("VIGIL_RDAP_CACHE_DAYS", 7)
RDAP_MAX_BYTES = _int("VIGIL_RDAP_MAX_BYTES", 1024 * 1024)
# Days a provider has to answer a subpoena, counted from service (when the draft sets none).
SUBPOENA_RESPONSE_DAYS = _int("VIGIL_SUBPOENA_RESPONSE_DAYS", 14)

# Partner sync: rows younger than this are not served yet (a late commit cannot slip behind a cursor).
EXCHANGE_SYNC_SETTLE_SECONDS = float(os.environ.get("VIGIL_EXCHANGE_SYNC_SETTLE_SECONDS", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VIGIL_LOG_LEVEL", "WARNING")},
}

# Lock-out is per account (CJIS AC-7: consecutive invalid attempts by a user);
# axes warns that username-only lets attackers rotate IPs, which is the point.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
