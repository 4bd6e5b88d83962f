"""Run commands and this project's Python in subprocesses, with a controlled environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENTRYPOINT = BASE_DIR / "docker" / "entrypoint.sh"
EMPTY_ENV_FILE = os.devnull  # DJANGO_ENV_FILE: a developer's .env must not change what is tested

# What the production settings require, and nothing a developer's shell might add.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "deploy-test-" + "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "DJANGO_ENV_FILE": EMPTY_ENV_FILE,
}


def clean_environ(**overrides):
    """Return os.environ without DJANGO_* and database URLs, with PATH leading to this Python."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUNICORN_", "PYTEST_"))
        and key not in {"DATABASE_URL", "APP1_DATABASE_URL", "APP2_DATABASE_URL", "PORT", "WEB_CONCURRENCY"}
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(overrides)
    return env


# What the image sets for make, and what a make above exports to the tests: its MAKEFLAGS and the variables
# of its command line (`make test DJANGO=6.1.3 PYTHON=python3.12`).
MAKE_VARIABLES = {"VENV", "TEST_DEPS", "BROWSER_DEPS", "MAKEFLAGS", "DJANGO", "PYTHON", "PYTEST_ARGS"}


def make_environ(**overrides):
    """Return clean_environ() without MAKE_VARIABLES, so that a make the tests run reads the Makefile's defaults."""
    env = {key: value for key, value in clean_environ().items() if key not in MAKE_VARIABLES}
    env.update(overrides)
    return env


def local_environ(**overrides):
    """Return os.environ with the local settings: the test run's database URLs are kept."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", **overrides}


def run(*command, env, timeout=60, cwd=BASE_DIR):
    """Run a command (in the project directory unless told otherwise); return the CompletedProcess, never raise."""
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def python(*args, env, timeout=60, cwd=BASE_DIR):
    """Run this Python, as run() runs a command."""
    return run(sys.executable, *args, env=env, timeout=timeout, cwd=cwd)


def manage(*args, env, timeout=60):
    """Run manage.py; return the CompletedProcess (never raises on failure)."""
    return python("manage.py", *args, env=env, timeout=timeout)


def checked(result, what):
    """Return the CompletedProcess's stdout, or stop with what failed and its stderr."""
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def module_json(module, *args, env, timeout):
    """Run `python -m module args` with env; return the JSON object its last line prints."""
    result = python("-m", module, *args, env=env, timeout=timeout)
    return json.loads(checked(result, module).strip().splitlines()[-1])
