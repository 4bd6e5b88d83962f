"""Gunicorn settings, read from the environment: `gunicorn -c python:config.gunicorn config.wsgi`.

The same module serves `docker compose up` (the image's CMD) and `make serve`.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os
from pathlib import Path

# In a container gunicorn must listen on every interface; `make serve` binds 127.0.0.1.
host = os.getenv("GUNICORN_HOST", "0.0.0.0")  # noqa: S104
bind = [f"{host}:{os.getenv('PORT', '8000')}"]

# Processes, not threads: each worker opens its own database connections after the fork
# (no preload_app, so SQLite is never opened before forking).
workers = int(os.getenv("WEB_CONCURRENCY", "2"))
threads = int(os.getenv("PYTHON_MAX_THREADS", "1"))
timeout = int(os.getenv("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10

# One line per request on stdout, errors on stderr: `docker compose logs web` shows both.
accesslog = "-"
errorlog = "-"
loglevel = os.getenv("GUNICORN_LOG_LEVEL", "info")

# The heartbeat file on tmpfs (gunicorn's own advice): a container's overlay filesystem can stall it.
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 - gunicorn creates its files there with mkstemp
if SHARED_MEMORY.is_dir():
    worker_tmp_dir = str(SHARED_MEMORY)

# gunicorn 27 opens a control socket under ~/.gunicorn by default; two servers on one
# machine (tests beside `make serve`) would fight over it, and nothing here uses it.
control_socket_disable = True
