"""gunicorn settings for Vigil's web process (docs/operations.md; deploy/systemd/vigil-web.service).

    gunicorn -c deploy/gunicorn.conf.py vigil.wsgi:application

Every value can be overridden from the environment (the unit's EnvironmentFile) or the command
line (`--bind 127.0.0.1:0` in the test that starts it).
"""

from __future__ import annotations

import multiprocessing
import os

# nginx on the same host talks to gunicorn over loopback; never expose this port.
bind = os.environ.get("VIGIL_BIND", "127.0.0.1:8001")
# Synchronous workers: Django's ORM work is blocking. 2 per core + 1, at most 9 by default.
workers = int(os.environ.get("VIGIL_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "sync"
# Large uploads (tip imports up to 200 MB, media ZIPs) take a while on slow links; nginx buffers
# request bodies, so a worker only waits on the disk.
timeout = int(os.environ.get("VIGIL_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (bounded memory growth of long-lived processes).
max_requests = 2000
max_requests_jitter = 200
# Header limits (gunicorn's defaults, stated): a request line over 4 KiB is refused.
limit_request_line = 4094
limit_request_fields = 100
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# X-Forwarded-Proto is believed only from nginx on this host (wsgi.url_scheme); the client's
# address comes from X-Forwarded-For through VIGIL_TRUST_X_FORWARDED_FOR in Vigil itself.
forwarded_allow_ips = os.environ.get("VIGIL_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Logs: "-" is standard error (journald). The unit writes files that logrotate rotates; USR1
# makes gunicorn reopen them.
accesslog = os.environ.get("VIGIL_ACCESS_LOG", "-")
errorlog = os.environ.get("VIGIL_ERROR_LOG", "-")
loglevel = os.environ.get("VIGIL_GUNICORN_LOG_LEVEL", "info")
# No query strings in the access log: search terms can be case data.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
proc_name = "vigil-web"
# The settings are read (and refuse a bad configuration) in the master, once, before forking.
preload_app = True
