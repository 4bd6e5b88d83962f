"""Run the production gunicorn on loopback against dedicated databases: shared by the bench and the drill.

Everything here is bounded: every subprocess and every wait has a timeout, gunicorn is stopped in
a `finally` (and at exit), and only 127.0.0.1 is ever targeted.
"""

import atexit
import contextlib
import http.client
import http.cookies
import json
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.deploy import BASE_DIR, PRODUCTION_ENV, clean_environ, free_port, manage, python

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ADMIN_USERNAME = "load-admin"
ADMIN_PASSWORD = "load-admin-password-not-secret"


def require_loopback(url):
    """Refuse a database URL that points anywhere but this machine."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" and parts.hostname not in LOOPBACK:
        raise SystemExit(f"Refusing {parts.scheme}://{parts.hostname}: load runs target 127.0.0.1 only.")
    return url


def production_env(*, sqlite_path, app1_url, app2_url, **overrides):
    """The environment gunicorn and manage.py get: production settings over plain HTTP, these databases."""
    Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    settings = {
        **PRODUCTION_ENV,
        "DJANGO_HTTPS": "false",
        "DJANGO_STATIC_ROOT": str(Path(sqlite_path).parent / "static"),
        "DATABASE_URL": f"sqlite:///{Path(sqlite_path).resolve()}",
        "APP1_DATABASE_URL": require_loopback(app1_url),
        "APP2_DATABASE_URL": require_loopback(app2_url),
        "GUNICORN_HOST": "127.0.0.1",
    }
    return clean_environ(**{**settings, **overrides})


def checked(result, what):
    """Return the CompletedProcess's stdout, or stop with what failed and its stderr."""
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def module_json(module, *args, env, timeout):
    """Run `python -m module args` with env; return the JSON object its last line prints."""
    result = python("-m", module, *args, env=env, timeout=timeout)
    return json.loads(checked(result, module).strip().splitlines()[-1])


def prepare(env, *, collectstatic=True):
    """Create the databases if missing, migrate every alias, collect static files (side by side)."""
    checked(manage("create_databases", env=env), "create_databases")
    jobs = [("migrate_all", "--noinput", "-v0")]
    if collectstatic:
        jobs.append(("collectstatic", "--noinput", "-v0"))
    with ThreadPoolExecutor(len(jobs)) as pool:
        for job, result in zip(jobs, pool.map(lambda args: manage(*args, env=env, timeout=300), jobs), strict=True):
            checked(result, " ".join(job))


def create_admin(env, username=ADMIN_USERNAME, password=ADMIN_PASSWORD):
    """Create (or reset) a superuser through demo_superuser, which only runs with local settings."""
    local = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "true"}
    local.update(DJANGO_SUPERUSER_USERNAME=username, DJANGO_SUPERUSER_PASSWORD=password)
    checked(manage("demo_superuser", env=local), "demo_superuser")


class Gunicorn:
    """The production gunicorn (config/gunicorn.py), started and stopped on a free loopback port."""

    def __init__(self, env, *, log_path, workers=2, port=None):
        self.port = port or free_port()
        self.env = {**env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers), "GUNICORN_LOG_LEVEL": "warning"}
        self.log_path = Path(log_path)
        self.process = None

    def __enter__(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", "config.wsgi"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.get("/health/live/")[0] == 200:
                    return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not answer within 30 s:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        """SIGTERM, then SIGKILL after 15 s; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, headers=None, timeout=10):
        """GET path on a new connection; return (status, body)."""
        connection = self.connection(timeout)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def response_cookies(response):
    """Return the cookies a response (or its headers) sets, as {name: value}."""
    headers = getattr(response, "headers", response)
    jar = http.cookies.SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies):
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def admin_login(connection, username=ADMIN_USERNAME, password=ADMIN_PASSWORD):
    """Log in through the admin's form over `connection`; return (status, cookies) — 302 means logged in."""
    connection.request("GET", "/admin/login/")
    response = connection.getresponse()
    page = response.read()
    cookies = response_cookies(response)
    token = CSRF_INPUT.search(page)
    if response.status != 200 or not token:
        return response.status, cookies
    body = urlencode(
        {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": password, "next": "/admin/"}
    )
    headers = {"Cookie": cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", "/admin/login/?next=/admin/", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, {**cookies, **response_cookies(response)}
