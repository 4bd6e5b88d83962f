"""What a newcomer on a stock Debian or Ubuntu runs before `make run`: the README's commands, and make's own."""

import os
import re
import sys
from pathlib import Path

from tests.conftest import LOGIN_HINT
from tests.support.processes import BASE_DIR, clean_environ, make_environ, python, run

README = (BASE_DIR / "README.md").read_text()
# Debian's pg_hba.conf as the postgresql package writes it (comments left out).
DEBIAN_PG_HBA = """\
local   all             postgres                                peer
local   all             all                                     peer
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""


def login_help():
    """The commands make prints when the site cannot log in."""
    printed = run("make", "-s", "--eval", "login-help:; @$(LOGIN_HELP)", "login-help", env=make_environ()).stdout
    return [line.strip() for line in printed.splitlines()[1:]]


def test_make_prints_the_readmes_login_commands():
    readme_commands = [line.removeprefix("$ ") for line in README.splitlines() if line.startswith("$ sudo ")]
    assert login_help() == readme_commands[2:]  # all but apt-get's two


def test_the_sed_command_trusts_tcp_from_this_machine_only(tmp_path):
    hba = tmp_path / "pg_hba.conf"
    hba.write_text(DEBIAN_PG_HBA)
    sed = next(command for command in login_help() if command.startswith("sudo sed"))
    script = re.search(r"'(s/.*/)'", sed).group(1)
    assert run("sed", "-i", "-E", script, str(hba), env=os.environ).returncode == 0
    changed = [line.split() for line in hba.read_text().splitlines() if line.split()[-1] == "trust"]
    assert changed == [["host", "all", "all", "127.0.0.1/32", "trust"], ["host", "all", "all", "::1/128", "trust"]]


def test_make_names_the_package_a_machine_without_apt_get_lacks(tmp_path):
    """A Python without ensurepip (Debian's python3 before python3-venv): make stops and names the package."""
    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\nexit 1\n")  # every check it is asked to run fails
    python.chmod(0o755)
    # No apt-get on PATH: make's shell needs only its builtins here.
    result = run("/usr/bin/make", "-s", "system-deps", f"PYTHON={python}", env={"PATH": str(tmp_path)})
    assert result.returncode != 0
    assert result.stdout.strip() == "Install python3-venv, then retry."


def test_a_refused_login_points_at_the_commands_and_make_databases_prints_them():
    """PostgreSQL refuses a role it does not know, as Debian's refuses postgres without a password."""
    refused = "postgres://nobody@127.0.0.1:5432/books"
    env = clean_environ(APP2_DATABASE_URL=refused)
    test = "tests/test_factories.py::test_user_factory_sets_a_usable_password"
    suite = python("-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", test, env=env, timeout=120)
    assert suite.returncode != 0
    assert "Database 'app2' (PostgreSQL at 127.0.0.1:5432) is unreachable" in suite.stdout
    assert LOGIN_HINT in suite.stdout
    venv = Path(sys.executable).parent.parent  # this run's: .venv, or .venv-django-<version>
    databases = run(
        "make", "-s", "databases", f"VENV={venv}", env=make_environ(APP2_DATABASE_URL=env["APP2_DATABASE_URL"])
    )
    assert databases.returncode != 0
    assert [line.strip() for line in databases.stdout.splitlines()[-3:]] == login_help()
